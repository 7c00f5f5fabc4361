//! Directives with their own syntax — dir, save, client-output-buffer-limit,
//! oom-score-adj-values, notify-keyspace-events, bind, replicaof,
//! latency-tracking-info-percentiles — and the validity checks of the ordinary ones.

use super::rewrite::Rewrite;
use super::text::{format_memory, format_percentile, repr, strtoll_full};
use super::{SetCtx, SetResult};
use crate::config::{notify, shutdown, Config, ObufLimit};

const WRONG_ARGS: &str = "wrong number of arguments";

fn line(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b' ')
}

// --- checks of ordinary directives ---

pub fn check_activedefrag(v: bool) -> Result<(), &'static str> {
    // Like Debian's redis-server (built against a stock jemalloc), Redoubt cannot defragment.
    if v {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
    }
    Ok(())
}

pub fn check_shutdown_flags(v: i32) -> Result<(), &'static str> {
    let v = v as u32;
    if v & shutdown::SAVE != 0 && v & shutdown::NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

pub fn check_dbfilename(v: &[u8]) -> Result<(), &'static str> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

pub fn check_aof_filename(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

pub fn check_aof_dirname(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

pub fn check_hostname(v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// proc-title-template: balanced braces around known variables only.
pub fn check_proc_title(v: &[u8]) -> Result<(), &'static str> {
    const VARS: &[&[u8]] = &[
        b"title",
        b"listen-addr",
        b"server-mode",
        b"port",
        b"tls-port",
        b"unixsocket",
        b"config-file",
    ];
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut rest = v;
    while let Some(open) = rest.iter().position(|&c| c == b'{' || c == b'}') {
        if rest[open] == b'}' {
            return Err(ERR);
        }
        let after = &rest[open + 1..];
        let close = after.iter().position(|&c| c == b'}').ok_or(ERR)?;
        if !VARS.contains(&&after[..close]) {
            return Err(ERR);
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

// --- dir ---

pub fn dir_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    let [dir] = args else {
        return Err(WRONG_ARGS.into());
    };
    let path = String::from_utf8_lossy(dir).into_owned();
    std::env::set_current_dir(&path).map_err(|e| strerror(&e))?;
    cfg.dir = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or(path);
    Ok(())
}

pub fn dir_get(_: &Config) -> Vec<u8> {
    // Like Redis, the truth is the process's working directory.
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned().into_bytes())
        .unwrap_or_default()
}

pub fn dir_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    let cwd = dir_get(cfg);
    if cwd.is_empty() {
        return rw.mark(name);
    }
    rw.line(name, line(&[name.as_bytes(), &repr(&cwd)]), true);
}

/// The C library's message for an I/O error (`strerror`), without Rust's "(os error N)".
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a static, NUL-terminated message.
            let msg = unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) };
            msg.to_string_lossy().into_owned()
        }
        None => e.to_string(),
    }
}

// --- save ---

pub fn save_set(cfg: &mut Config, args: &[Vec<u8>], ctx: &mut SetCtx) -> SetResult {
    let mut args = args;
    if args.len() == 1 && args[0].is_empty() {
        cfg.save.clear();
        args = &[];
    }
    if !args.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    let mut points = Vec::new();
    for pair in args.chunks(2) {
        let secs = strtoll_full(&pair[0]).filter(|&s| s >= 1);
        let changes = strtoll_full(&pair[1]).filter(|&c| c >= 0);
        let (Some(secs), Some(changes)) = (secs, changes) else {
            return Err("Invalid save parameters".into());
        };
        // Redis keeps the change count in a C int.
        points.push((secs, changes as i32));
    }
    // While loading a file the first save line replaces the defaults and later ones add to
    // it; CONFIG SET replaces the list.
    if !ctx.reading_file || !ctx.save_loaded {
        ctx.save_loaded = true;
        cfg.save.clear();
    }
    cfg.save.extend(points);
    Ok(())
}

pub fn save_get(cfg: &Config) -> Vec<u8> {
    let parts: Vec<String> = cfg.save.iter().map(|(s, c)| format!("{s} {c}")).collect();
    parts.join(" ").into_bytes()
}

pub fn save_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    if cfg.save.is_empty() {
        rw.line(name, b"save \"\"".to_vec(), true);
    }
    for (s, c) in &cfg.save {
        rw.line(name, format!("save {s} {c}").into_bytes(), true);
    }
    rw.mark(name);
}

// --- client-output-buffer-limit ---

fn class_index(name: &[u8]) -> Option<usize> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Some(0),
        b"slave" | b"replica" => Some(1),
        b"pubsub" => Some(2),
        _ => None,
    }
}

pub fn obuf_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut new = cfg.client_output_buffer_limit;
    for a in args.chunks(4) {
        let class = class_index(&a[0])
            .ok_or("Invalid client class specified in buffer limit configuration.")?;
        let hard = super::text::memtoull(&a[1]);
        let soft = super::text::memtoull(&a[2]);
        // Redis keeps the seconds in a C int before checking the sign.
        let secs = strtoll_full(&a[3]).map(|s| s as i32);
        match (hard, soft, secs) {
            (Some(hard), Some(soft), Some(secs)) if secs >= 0 => {
                new[class] = ObufLimit {
                    hard,
                    soft,
                    soft_seconds: secs as i64,
                }
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    cfg.client_output_buffer_limit = new;
    Ok(())
}

const CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

pub fn obuf_get(cfg: &Config) -> Vec<u8> {
    let parts: Vec<String> = cfg
        .client_output_buffer_limit
        .iter()
        .zip(CLASS_NAMES)
        .map(|(l, n)| format!("{n} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect();
    parts.join(" ").into_bytes()
}

pub fn obuf_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    let def = super::defaults();
    for (i, l) in cfg.client_output_buffer_limit.iter().enumerate() {
        let force = *l != def.client_output_buffer_limit[i];
        let class = if i == 1 { "replica" } else { CLASS_NAMES[i] };
        let text = format!(
            "{name} {class} {} {} {}",
            format_memory(l.hard as i64),
            format_memory(l.soft as i64),
            l.soft_seconds
        );
        rw.line(name, text.into_bytes(), force);
    }
}

// --- oom-score-adj-values ---

pub fn oom_values_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    if args.len() != 3 {
        return Err(WRONG_ARGS.into());
    }
    let mut vals = [0i32; 3];
    for (v, a) in vals.iter_mut().zip(args) {
        match strtoll_full(a) {
            Some(n) if (-2000..=2000).contains(&n) => *v = n as i32,
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    cfg.oom_score_adj_values = vals;
    Ok(())
}

pub fn oom_values_get(cfg: &Config) -> Vec<u8> {
    let [a, b, c] = cfg.oom_score_adj_values;
    format!("{a} {b} {c}").into_bytes()
}

pub fn oom_values_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    let force = cfg.oom_score_adj_values != super::defaults().oom_score_adj_values;
    let mut text = format!("{name} ").into_bytes();
    text.extend(oom_values_get(cfg));
    rw.line(name, text, force);
}

// --- notify-keyspace-events ---

pub fn notify_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    let [v] = args else {
        return Err(WRONG_ARGS.into());
    };
    cfg.notify_keyspace_events =
        notify::parse(v).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    Ok(())
}

pub fn notify_get(cfg: &Config) -> Vec<u8> {
    notify::format(cfg.notify_keyspace_events).into_bytes()
}

pub fn notify_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    let flags = notify_get(cfg);
    rw.line(
        name,
        line(&[name.as_bytes(), &repr(&flags)]),
        cfg.notify_keyspace_events != 0,
    );
}

// --- bind ---

pub fn bind_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    let args = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    cfg.bind = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Ok(())
}

pub fn bind_get(cfg: &Config) -> Vec<u8> {
    cfg.bind.join(" ").into_bytes()
}

pub fn bind_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    if cfg.bind == super::defaults().bind {
        return rw.mark(name);
    }
    let addrs = if cfg.bind.is_empty() {
        "\"\"".to_string()
    } else {
        cfg.bind.join(" ")
    };
    rw.line(name, format!("{name} {addrs}").into_bytes(), true);
}

// --- replicaof ---

pub fn replicaof_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    let [host, port] = args else {
        return Err(WRONG_ARGS.into());
    };
    cfg.replicaof = None;
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(());
    }
    let port = strtoll_full(port)
        .filter(|p| (0..=65535).contains(p))
        .ok_or("Invalid master port")?;
    cfg.replicaof = Some((String::from_utf8_lossy(host).into_owned(), port as u16));
    Ok(())
}

pub fn replicaof_get(cfg: &Config) -> Vec<u8> {
    match &cfg.replicaof {
        Some((h, p)) => format!("{h} {p}").into_bytes(),
        None => Vec::new(),
    }
}

pub fn replicaof_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    match &cfg.replicaof {
        None => rw.mark(name),
        Some((h, p)) => rw.line(name, format!("{name} {h} {p}").into_bytes(), true),
    }
}

// --- latency-tracking-info-percentiles ---

pub fn percentiles_set(cfg: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> SetResult {
    let args = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        // On error Redis leaves the list empty.
        let Some(v) = crate::ctx::parse_f64(a) else {
            cfg.latency_tracking_info_percentiles.clear();
            return Err("Invalid latency-tracking-info-percentiles parameters".into());
        };
        if !(0.0..=100.0).contains(&v) {
            cfg.latency_tracking_info_percentiles.clear();
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        vals.push(v);
    }
    cfg.latency_tracking_info_percentiles = vals;
    Ok(())
}

pub fn percentiles_get(cfg: &Config) -> Vec<u8> {
    let parts: Vec<String> = cfg
        .latency_tracking_info_percentiles
        .iter()
        .map(|&v| format_percentile(v))
        .collect();
    parts.join(" ").into_bytes()
}

pub fn percentiles_rewrite(cfg: &Config, name: &str, rw: &mut Rewrite) {
    let text = if cfg.latency_tracking_info_percentiles.is_empty() {
        format!("{name} \"\"")
    } else {
        format!("{name} {}", String::from_utf8_lossy(&percentiles_get(cfg)))
    };
    rw.line(name, text.into_bytes(), true);
}

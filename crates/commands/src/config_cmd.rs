//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the directive table
//! ([`crate::config_table`]).
//!
//! CONFIG SET is atomic as in Redis 7.0: every name is checked first (unknown, immutable,
//! protected, repeated), then all values are set on a copy of the configuration, then the
//! changes with a run-time effect are applied (listening sockets, hz); any failure leaves the
//! configuration as it was. The listening sockets belong to the server crate, which installs
//! a [`ListenHook`] at start-up.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use crate::config::Config;
use crate::config_table::{self, flag as cfg_flag, text, Entry, SetCtx};
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::{CmdStat, Stats};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[Spec::new("config", -2, 0, crate::help_only)
    .acl("slow")
    .subs(&[
        Spec::new("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, config_get)
            .acl("admin slow dangerous"),
        Spec::new("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, config_set)
            .acl("admin slow dangerous"),
        Spec::new(
            "resetstat",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            config_resetstat,
        )
        .acl("admin slow dangerous"),
        Spec::new(
            "rewrite",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            config_rewrite,
        )
        .acl("admin slow dangerous"),
        Spec::new("help", 2, LOADING | STALE, config_help).acl("slow"),
    ])];

/// Re-binds the listening sockets to (bind addresses, port); on error the old sockets stay.
pub type ListenHook = Box<dyn Fn(&[String], u16) -> Result<(), String>>;

thread_local! {
    // One server runs per thread (the command thread), so its hook lives beside it.
    static LISTEN_HOOK: RefCell<Option<ListenHook>> = const { RefCell::new(None) };
}

/// Installs (or, with `None`, removes) the hook CONFIG SET port/bind calls.
pub fn set_listen_hook(hook: Option<ListenHook>) {
    LISTEN_HOOK.with(|h| *h.borrow_mut() = hook);
}

fn relisten(bind: &[String], port: u16) -> Result<(), String> {
    LISTEN_HOOK.with(|h| match &*h.borrow() {
        Some(hook) => hook(bind, port),
        None => Ok(()),
    })
}

/// CONFIG GET parameter [parameter ...]
fn config_get(ctx: &mut Ctx) -> CmdResult {
    let mut seen: HashSet<String> = HashSet::new();
    let mut matches: Vec<(Vec<u8>, &'static Entry)> = Vec::new();
    for i in 2..ctx.argc() {
        let pat = ctx.arg(i);
        if !pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
            let key = String::from_utf8_lossy(pat).to_ascii_lowercase();
            if seen.contains(&key) {
                continue;
            }
            if let Some(e) = config_table::lookup(pat) {
                seen.insert(key);
                matches.push((pat.to_vec(), e));
            }
            continue;
        }
        for e in config_table::entries() {
            if e.directive.is(cfg_flag::HIDDEN) || seen.contains(e.name) {
                continue;
            }
            if crate::glob::matches(pat, e.name.as_bytes(), true) {
                seen.insert(e.name.to_string());
                matches.push((e.name.as_bytes().to_vec(), e));
            }
        }
    }
    ctx.out.map(matches.len());
    for (name, e) in matches {
        ctx.out.bulk(&name);
        ctx.out.bulk(&e.directive.get(&ctx.srv.config));
    }
    Ok(())
}

/// Why a CONFIG SET failed.
enum SetFailure {
    Unknown(String),
    Loading,
    /// (argument name, reason)
    Failed(String, Cow<'static, str>),
}

impl From<SetFailure> for CmdError {
    fn from(f: SetFailure) -> CmdError {
        match f {
            SetFailure::Unknown(name) => CmdError::err_owned(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )),
            SetFailure::Loading => CmdError::Loading,
            SetFailure::Failed(name, why) => CmdError::err_owned(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {why}"
            )),
        }
    }
}

fn is_local_client(addr: &str) -> bool {
    addr.starts_with("127.")
        || addr.starts_with("::1:")
        || addr.starts_with("[::1]")
        || addr.starts_with('/')
}

/// CONFIG SET parameter value [parameter value ...]
fn config_set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    let chosen = check_names(ctx).map_err(CmdError::from)?;
    let backup = ctx.srv.config.clone();
    let cwd = std::env::current_dir().ok();
    let mut cfg = backup.clone();
    let mut set_ctx = SetCtx::default();
    for (e, value) in &chosen {
        let args = if e.directive.is(cfg_flag::MULTI_ARG) {
            text::split_spaces(value)
        } else {
            vec![value.clone()]
        };
        if let Err(why) = e.directive.set(&mut cfg, &args, &mut set_ctx) {
            restore_cwd(&chosen, cwd.as_deref());
            return Err(SetFailure::Failed(e.name.to_string(), why).into());
        }
    }
    let changed = |name: &str, cfg: &Config| {
        chosen.iter().any(|(e, _)| {
            e.directive.name == name && e.directive.get(&backup) != e.directive.get(cfg)
        })
    };
    if changed("hz", &cfg) {
        cfg.clamp_hz();
    }
    if changed("port", &cfg) || changed("bind", &cfg) {
        if relisten(&cfg.bind, cfg.port).is_err() {
            restore_cwd(&chosen, cwd.as_deref());
            let first = chosen
                .iter()
                .find(|(e, _)| matches!(e.directive.name, "port" | "bind"))
                .map_or("bind", |(e, _)| e.directive.name);
            let msg = if first == "port" {
                "Unable to listen on this port. Check server logs."
            } else {
                "Failed to bind to specified addresses."
            };
            return Err(SetFailure::Failed(first.to_string(), msg.into()).into());
        }
        ctx.srv.tcp_port = cfg.port;
    }
    crate::set::sync_encoding_limits(&cfg);
    crate::hash::publish_limits(&cfg);
    let old_maxmemory = ctx.srv.config.maxmemory;
    let appendonly = changed("appendonly", &cfg).then_some(cfg.appendonly);
    ctx.srv.config = cfg;
    if let Some(on) = appendonly {
        // Inside EXEC the first rewrite waits for the cron, as in Redis.
        let in_exec = ctx.srv.blocking.top != Some(ctx.entry.id);
        if let Err(why) = crate::aof::set_enabled(ctx.ks, ctx.srv, on, in_exec, ctx.now) {
            restore_cwd(&chosen, cwd.as_deref());
            ctx.srv.config = backup;
            return Err(SetFailure::Failed("appendonly".into(), why.into()).into());
        }
    }
    crate::evict::on_config_set(ctx.ks, ctx.srv, old_maxmemory, ctx.now);
    crate::pubsub::sync_notify_flags(ctx.ks, &ctx.srv.config);
    ctx.out.ok();
    Ok(())
}

/// Resolves every name of a CONFIG SET before any value is touched; the first problem found
/// is the one reported, as in Redis.
fn check_names(ctx: &Ctx) -> Result<Vec<(&'static Entry, Vec<u8>)>, SetFailure> {
    let mut failure = None;
    let mut chosen: Vec<(&'static Entry, Vec<u8>)> = Vec::new();
    for i in (2..ctx.argc()).step_by(2) {
        let name = ctx.arg(i);
        let Some(e) = config_table::lookup(name) else {
            if failure.is_none() {
                failure = Some(SetFailure::Unknown(
                    String::from_utf8_lossy(name).into_owned(),
                ));
            }
            continue;
        };
        if failure.is_some() {
            continue;
        }
        let d = e.directive;
        let as_typed = || String::from_utf8_lossy(name).into_owned();
        if d.is(cfg_flag::IMMUTABLE) {
            failure = Some(SetFailure::Failed(
                as_typed(),
                "can't set immutable config".into(),
            ));
        } else if d.is(cfg_flag::PROTECTED) && !protected_allowed(ctx) {
            failure = Some(SetFailure::Failed(
                as_typed(),
                "can't set protected config".into(),
            ));
        } else if ctx.srv.loading && d.is(cfg_flag::DENY_LOADING) {
            failure = Some(SetFailure::Loading);
        } else if chosen.iter().any(|(c, _)| c.id == e.id) {
            failure = Some(SetFailure::Failed(as_typed(), "duplicate parameter".into()));
        }
        chosen.push((e, ctx.arg(i + 1).to_vec()));
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(chosen),
    }
}

fn protected_allowed(ctx: &Ctx) -> bool {
    match ctx.srv.config.enable_protected_configs.as_str() {
        "yes" => true,
        "local" => is_local_client(&ctx.client.shared.addr),
        _ => false,
    }
}

/// A failed CONFIG SET that had changed `dir` moves the process back.
fn restore_cwd(chosen: &[(&'static Entry, Vec<u8>)], cwd: Option<&std::path::Path>) {
    if let Some(cwd) = cwd {
        if chosen.iter().any(|(e, _)| e.directive.name == "dir") {
            let _ = std::env::set_current_dir(cwd);
        }
    }
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx) -> CmdResult {
    reset_stats(ctx.srv, ctx.ks, ctx.now);
    ctx.out.ok();
    Ok(())
}

/// Resets what INFO stats, commandstats and errorstats report; the slow log stays.
pub fn reset_stats(srv: &mut crate::state::ServerState, ks: &mut keyspace::Keyspace, now: i64) {
    let commands = srv.stats.commands.len();
    srv.stats = Stats {
        commands: vec![CmdStat::default(); commands],
        last_sample_ms: now,
        ..Default::default()
    };
    ks.stats = Default::default();
    srv.evict.reset_stats();
}

/// CONFIG REWRITE
fn config_rewrite(ctx: &mut Ctx) -> CmdResult {
    let Some(path) = ctx.srv.config_file.clone() else {
        return Err(CmdError::err("The server is running without a config file"));
    };
    config_table::rewrite::rewrite_file(std::path::Path::new(&path), &ctx.srv.config).map_err(
        |e| {
            CmdError::err_owned(format!(
                "Rewriting config file: {}",
                config_table::strerror(&e)
            ))
        },
    )?;
    ctx.out.ok();
    Ok(())
}

/// CONFIG HELP
fn config_help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

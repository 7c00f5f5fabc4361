//! Rewriting the AOF (BGREWRITEAOF, automatic and scheduled rewrites, CONFIG SET appendonly
//! yes), by forking like BGSAVE ([`crate::persistence`] owns the child slot and reaps it):
//!
//! 1. the parent writes what it collected, opens a new incremental file and lists it in the
//!    manifest at once, so every write from now on lands after the snapshot the child takes;
//! 2. the child writes the new base (an RDB preamble, or commands) to a temporary file,
//!    fsyncs it and exits;
//! 3. when the child succeeded the parent renames it to the next base name, turns the old
//!    base and the incremental files the snapshot covers into history, replaces the manifest
//!    atomically, and deletes the history files. A failed child changes nothing listed.
//!
//! The same base writer serves the synchronous base Redis creates at start-up.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use keyspace::value::itoa_buf::Buf;
use keyspace::{Keyspace, Value};

use super::{files, log, Logged, Status};
use crate::config::Config;
use crate::config_table::strerror;
use crate::persistence::{Child, ChildKind};
use crate::state::ServerState;

/// Rewrites per command for collections (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// Back-off after repeated failures (Redis's `aofRewriteLimited`).
#[derive(Debug, Default)]
pub struct Limit {
    next_delay_minutes: i64,
    next_rewrite_ms: i64,
}

pub fn in_progress(srv: &ServerState) -> bool {
    srv.persist
        .child
        .as_ref()
        .is_some_and(|c| c.kind == ChildKind::Aof)
}

/// After three consecutive failures, automatic and scheduled rewrites wait 1, 2, 4… up to
/// 60 minutes between attempts (BGREWRITEAOF still runs at once).
pub fn limited(srv: &mut ServerState, now: i64) -> bool {
    if srv.aof.consecutive_failures < 3 {
        srv.aof.limit = Limit::default();
        return false;
    }
    let l = &mut srv.aof.limit;
    if l.next_rewrite_ms != 0 {
        if now < l.next_rewrite_ms {
            return true;
        }
        l.next_rewrite_ms = 0;
        return false;
    }
    l.next_delay_minutes = if l.next_delay_minutes == 0 {
        1
    } else {
        (l.next_delay_minutes * 2).min(60)
    };
    l.next_rewrite_ms = now + l.next_delay_minutes * 60_000;
    let m = l.next_delay_minutes;
    log(srv, '#', &format!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {m} minutes"));
    true
}

/// Starts a background rewrite (Redis's `rewriteAppendOnlyFileBackground`).
pub fn start(ks: &Keyspace, srv: &mut ServerState, now: i64) -> Result<(), Logged> {
    if srv.persist.child.is_some() {
        return Err(Logged);
    }
    let dir = files::dir(srv);
    if let Err(e) = files::create_dir(&dir) {
        let msg = format!(
            "Can't open or create append-only dir {}: {}",
            srv.config.appenddirname,
            strerror(&e)
        );
        log(srv, '#', &msg);
        srv.aof.last_bgrewrite_ok = false;
        return Err(Logged);
    }
    srv.propagation.selected = None;
    super::write_pending(srv, true);
    if open_new_incr(srv).is_err() {
        srv.aof.last_bgrewrite_ok = false;
        return Err(Logged);
    }
    srv.aof.rewrites += 1;
    // SAFETY: the child only serialises the memory image it inherited and leaves with
    // `_exit`. The other threads (the fsync thread) hold no lock the child takes; the
    // allocator (jemalloc) is fork-safe.
    let pid = unsafe { crate::persistence::fork_timed(srv, crate::persistence::ChildKind::Aof) };
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        srv.aof.last_bgrewrite_ok = false;
        log(
            srv,
            '#',
            &format!(
                "Can't rewrite append only file in background: fork: {}",
                strerror(&e)
            ),
        );
        return Err(Logged);
    }
    if pid == 0 {
        let tmp = format!("temp-rewriteaof-bg-{}.aof", std::process::id());
        let logfile = srv.config.logfile.clone();
        let code = match write_base(ks, &srv.config, Path::new(&tmp), now) {
            Ok(()) => {
                let msg = format!("Successfully created the temporary AOF base file {tmp}");
                super::log_role(&logfile, 'C', '*', &msg);
                0
            }
            Err(e) => {
                let msg = format!(
                    "Write error writing append only file on disk: {}",
                    strerror(&e)
                );
                super::log_role(&logfile, 'C', '#', &msg);
                1
            }
        };
        // SAFETY: leaving the child without unwinding or running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    log(
        srv,
        '*',
        &format!("Background append only file rewriting started by pid {pid}"),
    );
    srv.aof.rewrite_scheduled = false;
    srv.aof.rewrite_start_ms = now;
    srv.persist.child = Some(Child {
        pid,
        start_ms: now,
        dirty_at_start: ks.dirty,
        kind: ChildKind::Aof,
    });
    super::update_accepting(srv);
    Ok(())
}

/// Moves appends to a new incremental file, listed in the manifest before anything is
/// written to it (Redis's `openNewIncrAofForAppend`). While the AOF waits for its first
/// rewrite the file is a temporary one, listed only when that rewrite succeeds.
fn open_new_incr(srv: &mut ServerState) -> Result<(), Logged> {
    let prefix = srv.config.appendfilename.clone();
    let (name, manifest) = match srv.aof.status {
        Status::Off => return Ok(()),
        Status::WaitRewrite => (files::temp_incr_name(srv), None),
        Status::On => {
            let mut m = srv.aof.manifest.clone();
            let n = m.new_incr(&prefix);
            (n, Some(m))
        }
    };
    let file = match files::open_append(&files::dir(srv).join(&name), true) {
        Ok(f) => f,
        Err(e) => {
            let msg = format!("Can't open the append-only file {name}: {}", strerror(&e));
            log(srv, '#', &msg);
            return Err(Logged);
        }
    };
    if let Some(m) = &manifest {
        files::persist_manifest(srv, m)?;
    }
    log(
        srv,
        '*',
        &format!("Creating AOF incr file {name} on background rewrite"),
    );
    super::start_writer(srv, name, file);
    if let Some(m) = manifest {
        srv.aof.manifest = m;
    }
    srv.aof.last_incr_size = 0;
    Ok(())
}

/// A rewrite child ended (reaped by the cron): adopt its base, or count the failure.
pub fn done(srv: &mut ServerState, child: &Child, status: i32, now: i64) {
    let pid = child.pid;
    let tmp = format!("temp-rewriteaof-bg-{pid}.aof");
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        if adopt(srv, &tmp).is_err() {
            srv.aof.last_bgrewrite_ok = false;
            srv.aof.consecutive_failures += 1;
        }
    } else if libc::WIFEXITED(status) {
        srv.aof.last_bgrewrite_ok = false;
        srv.aof.consecutive_failures += 1;
        log(srv, '#', "Background AOF rewrite terminated with error");
    } else {
        let sig = if libc::WIFSIGNALED(status) {
            libc::WTERMSIG(status)
        } else {
            0
        };
        // SIGUSR1 is how a rewrite is stopped on purpose: not a failure.
        if sig != libc::SIGUSR1 {
            srv.aof.last_bgrewrite_ok = false;
            srv.aof.consecutive_failures += 1;
        }
        log(
            srv,
            '#',
            &format!("Background AOF rewrite terminated by signal {sig}"),
        );
    }
    remove_temp_files(pid);
    if srv.aof.status == Status::WaitRewrite {
        // The collected writes are lost with the failed snapshot; the next rewrite starts
        // a fresh temporary file and a snapshot that includes them.
        let temp = files::temp_incr_name(srv);
        log(
            srv,
            '*',
            &format!("Removing the temp incr aof file {temp} in the background"),
        );
        if let Some(w) = srv.aof.writer.take() {
            let _ = w.close();
        }
        files::remove_in_background(vec![files::dir(srv).join(temp)]);
        srv.aof.rewrite_scheduled = true;
    }
    srv.aof.last_rewrite_secs = (now - srv.aof.rewrite_start_ms).max(0) / 1000;
    srv.aof.rewrite_start_ms = -1;
    super::update_accepting(srv);
}

/// Renames the child's file to the next base and commits the new manifest.
fn adopt(srv: &mut ServerState, tmp: &str) -> Result<(), Logged> {
    log(srv, '*', "Background AOF rewrite terminated with success");
    let dir = files::dir(srv);
    let prefix = srv.config.appendfilename.clone();
    let mut m = srv.aof.manifest.clone();
    let base = m.new_base(&prefix, srv.config.aof_use_rdb_preamble);
    let base_path = dir.join(&base);
    if let Err(e) = std::fs::rename(tmp, &base_path) {
        let msg = format!(
            "Error trying to rename the temporary AOF base file {tmp} into {}: {}",
            base_path.display(),
            strerror(&e)
        );
        log(srv, '#', &msg);
        return Err(Logged);
    }
    log(
        srv,
        '*',
        &format!("Successfully renamed the temporary AOF base file {tmp} into {base}"),
    );
    let mut new_incr_path = None;
    if srv.aof.status == Status::WaitRewrite {
        let temp = files::temp_incr_name(srv);
        let incr = m.new_incr(&prefix);
        let (from, to) = (dir.join(&temp), dir.join(&incr));
        if let Err(e) = std::fs::rename(&from, &to) {
            let msg = format!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                from.display(),
                to.display(),
                strerror(&e)
            );
            log(srv, '#', &msg);
            files::remove_in_background(vec![base_path]);
            return Err(Logged);
        }
        log(
            srv,
            '*',
            &format!("Successfully renamed the temporary AOF incr file {temp} into {incr}"),
        );
        if let Some(w) = srv.aof.writer.as_mut() {
            w.renamed(incr);
        }
        new_incr_path = Some(to);
    }
    m.mark_rewritten_incr_as_history(srv.aof.writer.is_some());
    if files::persist_manifest(srv, &m).is_err() {
        let mut undo = vec![base_path];
        undo.extend(new_incr_path);
        files::remove_in_background(undo);
        return Err(Logged);
    }
    srv.aof.manifest = m;
    if srv.aof.writer.is_some() {
        srv.propagation.selected = None;
        let base_size = files::size_of(srv, &base).unwrap_or(0);
        srv.aof.current_size = base_size + srv.aof.last_incr_size;
        srv.aof.base_size = srv.aof.current_size;
    }
    files::delete_history(srv);
    srv.aof.last_bgrewrite_ok = true;
    srv.aof.consecutive_failures = 0;
    log(srv, '*', "Background AOF rewrite finished successfully");
    if srv.aof.status == Status::WaitRewrite {
        srv.aof.status = Status::On;
    }
    Ok(())
}

fn remove_temp_files(pid: i32) {
    files::remove_in_background(vec![
        format!("temp-rewriteaof-bg-{pid}.aof").into(),
        format!("temp-rewriteaof-{pid}.aof").into(),
    ]);
}

/// Stops a running rewrite (AOF turned off, shutdown, a rewrite restarting).
pub fn kill_child(srv: &mut ServerState) {
    if !in_progress(srv) {
        return;
    }
    let Some(child) = srv.persist.child.take() else {
        return;
    };
    log(
        srv,
        '*',
        &format!("Killing running AOF rewrite child: {}", child.pid),
    );
    // SAFETY: signalling and reaping our own child.
    unsafe {
        if libc::kill(child.pid, libc::SIGUSR1) != -1 {
            libc::waitpid(child.pid, std::ptr::null_mut(), 0);
        }
    }
    remove_temp_files(child.pid);
    srv.aof.rewrite_start_ms = -1;
    super::update_accepting(srv);
}

/// Writes a base file to `dest`: through a temporary file in the working directory, fsync,
/// rename. An RDB (with the `aof-base` aux field) or, without the preamble, commands.
pub fn write_base(ks: &Keyspace, cfg: &Config, dest: &Path, now: i64) -> std::io::Result<()> {
    let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let r = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        if cfg.aof_use_rdb_preamble {
            let aux = persist::rdb::Aux {
                redis_ver: crate::info::REDIS_VERSION.into(),
                ctime: now / 1000,
                used_mem: 0,
                repl: None,
            };
            let opts = persist::rdb::WriteOptions {
                compression: cfg.rdbcompression,
                checksum: cfg.rdbchecksum,
                aof_base: true,
                policy: crate::evict::policy(cfg),
                key_delay_us: cfg.rdb_key_save_delay,
            };
            persist::rdb::write(&mut w, ks, &aux, &opts).map_err(std::io::Error::other)?;
        } else {
            let ts = cfg.aof_timestamp_enabled.then_some(now / 1000);
            write_commands(&mut w, ks, ts, cfg.rdb_key_save_delay)?;
        }
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn header(w: &mut impl Write, n: usize) -> std::io::Result<()> {
    write!(w, "*{n}\r\n")
}

fn bulk(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    write!(w, "${}\r\n", b.len())?;
    w.write_all(b)?;
    w.write_all(b"\r\n")
}

/// The dataset as the commands that rebuild it (Redis's `rewriteAppendOnlyFileRio`):
/// SELECT per database, SET / RPUSH / SADD / ZADD / HMSET with at most 64 items per
/// command, PEXPIREAT for keys with a time to live. `key_delay` is `rdb-key-save-delay`
/// (microseconds slept after each key; negative: one in -n keys sleeps 1 µs), for tests.
pub fn write_commands(
    w: &mut impl Write,
    ks: &Keyspace,
    ts: Option<i64>,
    key_delay: i64,
) -> std::io::Result<()> {
    if let Some(t) = ts {
        write!(w, "#TS:{t}\r\n")?;
    }
    let mut ib = Buf::default();
    for (i, db) in ks.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        header(w, 2)?;
        bulk(w, b"SELECT")?;
        bulk(w, i.to_string().as_bytes())?;
        for (key, slot) in db.dict().iter() {
            let key: &[u8] = key;
            match &slot.value {
                v @ (Value::Int(_) | Value::Str(_) | Value::Raw(_)) => {
                    header(w, 3)?;
                    bulk(w, b"SET")?;
                    bulk(w, key)?;
                    bulk(w, v.str_bytes(&mut ib).unwrap_or_default())?;
                }
                Value::List(l) => chunked(w, b"RPUSH", key, l.len(), l.iter(), 1, |w, e| {
                    bulk(w, e.bytes(&mut Buf::default()))
                })?,
                Value::Set(s) => chunked(w, b"SADD", key, s.len(), s.iter(), 1, |w, m| {
                    bulk(w, m.bytes(&mut Buf::default()))
                })?,
                Value::ZSet(z) => {
                    let items = z.range(0, z.len(), false);
                    chunked(w, b"ZADD", key, z.len(), items, 2, |w, (score, m)| {
                        bulk(w, resp::writer::format_g17(score).as_bytes())?;
                        bulk(w, m)
                    })?
                }
                Value::Hash(h) => chunked(w, b"HMSET", key, h.len(), h.iter(), 2, |w, (f, v)| {
                    bulk(w, f.bytes(&mut Buf::default()))?;
                    bulk(w, v.bytes(&mut Buf::default()))
                })?,
            }
            if let Some(at) = db.expire_of(key) {
                header(w, 3)?;
                bulk(w, b"PEXPIREAT")?;
                bulk(w, key)?;
                bulk(w, at.to_string().as_bytes())?;
            }
            if key_delay != 0 {
                persist::rdb::key_save_delay(key_delay);
            }
        }
    }
    Ok(())
}

/// `cmd key item…` commands of at most [`ITEMS_PER_CMD`] items of `width` arguments each,
/// streamed from `items` (the child must not copy a large collection).
fn chunked<W: Write, T>(
    w: &mut W,
    cmd: &[u8],
    key: &[u8],
    len: usize,
    items: impl Iterator<Item = T>,
    width: usize,
    mut each: impl FnMut(&mut W, T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut left = len;
    let mut in_cmd = 0;
    for it in items {
        if in_cmd == 0 {
            let n = left.clamp(1, ITEMS_PER_CMD);
            header(w, 2 + n * width)?;
            bulk(w, cmd)?;
            bulk(w, key)?;
            in_cmd = n;
        }
        each(w, it)?;
        in_cmd -= 1;
        left = left.saturating_sub(1);
    }
    Ok(())
}

//! RDB persistence: SAVE, BGSAVE, save points, the snapshot at shutdown and the load at
//! start-up.
//!
//! BGSAVE forks, as Redis does: the child holds a copy-on-write image of the keyspace at the
//! moment of the fork, writes it to a temporary file, fsyncs and renames it over `dbfilename`,
//! and exits; the parent keeps serving and reaps the child from the cron. Forking costs one
//! page-table copy and only the pages written meanwhile, and it cannot stall clients the way
//! serialising on the serving thread would. The file is never left half-written in place: it
//! only replaces the old one by rename after a successful fsync.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use keyspace::Keyspace;

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::ServerState;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        save_cmd,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        bgsave_cmd,
    )
    .acl("admin slow dangerous"),
];

/// What a forked child is writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    Rdb,
    /// An AOF rewrite ([`crate::aof::rewrite`]).
    Aof,
}

/// A background save or AOF rewrite in progress (one child at a time, as in Redis).
#[derive(Debug, Clone)]
pub struct Child {
    pub pid: i32,
    pub start_ms: i64,
    /// Writes counted when the child forked: what a successful save makes durable.
    pub dirty_at_start: u64,
    pub kind: ChildKind,
}

impl PersistState {
    /// Whether a BGSAVE child runs (an AOF rewrite child does not count).
    pub fn rdb_child(&self) -> Option<&Child> {
        self.child.as_ref().filter(|c| c.kind == ChildKind::Rdb)
    }
}

/// Persistence bookkeeping for INFO persistence and the save points.
#[derive(Debug, Clone)]
pub struct PersistState {
    pub child: Option<Child>,
    pub last_bgsave_ok: bool,
    pub last_bgsave_secs: i64,
    /// When the last save attempt (successful or not) started; failed saves retry after 5 s.
    pub last_attempt_ms: i64,
    pub rdb_saves: u64,
    pub last_load_keys: u64,
    pub last_load_expired: u64,
    /// BGSAVE SCHEDULE waiting for an AOF rewrite to end.
    pub bgsave_scheduled: bool,
}

impl Default for PersistState {
    fn default() -> Self {
        PersistState {
            child: None,
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            last_attempt_ms: 0,
            rdb_saves: 0,
            last_load_keys: 0,
            last_load_expired: 0,
            bgsave_scheduled: false,
        }
    }
}

/// Redis's MISCONF refusal, when the last background save failed and the configuration says
/// writes must stop until one succeeds.
pub fn writes_denied(srv: &ServerState) -> bool {
    let c = &srv.config;
    c.stop_writes_on_bgsave_error && !c.save.is_empty() && !srv.persist.last_bgsave_ok
}

/// The refusal of writes after a disk error (Redis's `writeCommandsDeniedByDiskError`): a
/// failed background save first, then a failed AOF write or fsync.
pub fn disk_error(srv: &ServerState) -> Option<CmdError> {
    if writes_denied(srv) {
        return Some(CmdError::MisConf);
    }
    crate::aof::write_error(srv).map(CmdError::AofMisConf)
}

pub(crate) fn rdb_path(srv: &ServerState) -> PathBuf {
    PathBuf::from(&srv.config.dbfilename)
}

/// Writes the keyspace to `path` through a temporary file, fsync and rename.
/// The aux fields and write options of a snapshot of this server taken now: dump.rdb and the
/// full-sync payload alike (the AOF base carries no replication fields).
pub(crate) fn snapshot_header(
    srv: &ServerState,
    now: i64,
) -> (persist::rdb::Aux, persist::rdb::WriteOptions) {
    let aux = persist::rdb::Aux {
        redis_ver: crate::info::REDIS_VERSION.into(),
        ctime: now / 1000,
        used_mem: 0,
        repl: Some((srv.repl.ids.replid.clone(), srv.repl.offset, 0)),
    };
    let opts = persist::rdb::WriteOptions {
        compression: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        aof_base: false,
        policy: crate::evict::policy(&srv.config),
        key_delay_us: srv.config.rdb_key_save_delay,
    };
    (aux, opts)
}

fn write_rdb(ks: &Keyspace, srv: &ServerState, path: &Path, now: i64) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        let (aux, opts) = snapshot_header(srv, now);
        persist::rdb::write(&mut w, ks, &aux, &opts).map_err(std::io::Error::other)?;
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A synchronous save (SAVE, SHUTDOWN, DEBUG RELOAD).
pub fn save(ks: &mut Keyspace, srv: &mut ServerState, now: i64) -> std::io::Result<()> {
    let path = rdb_path(srv);
    srv.persist.last_attempt_ms = now;
    let r = write_rdb(ks, srv, &path, now);
    if r.is_ok() {
        ks.dirty = 0;
        srv.last_save_ms = now;
        srv.persist.last_bgsave_ok = true;
        srv.persist.rdb_saves += 1;
    }
    r
}

/// fork(2), timed for INFO's `latest_fork_usec` and counted in `total_forks` (Redis's
/// `redisFork`), the child pinned to `bgsave_cpulist` or `aof_rewrite_cpulist` by its
/// `kind`. Returns what fork returns: the child's pid, 0 in the child, -1 on error.
///
/// # Safety
/// The child may only serialise the memory image it inherited and must leave with `_exit`,
/// running no destructors and touching no runtime state (commands run on one thread; the AOF
/// fsync thread holds no lock the child takes; jemalloc is fork-safe).
pub(crate) unsafe fn fork_timed(srv: &mut ServerState, kind: ChildKind) -> libc::pid_t {
    let started = std::time::Instant::now();
    // SAFETY: the caller's promise above.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        crate::cpulist::apply(match kind {
            ChildKind::Rdb => &srv.config.bgsave_cpulist,
            ChildKind::Aof => &srv.config.aof_rewrite_cpulist,
        });
    }
    if pid > 0 {
        srv.stats.latest_fork_usec = started.elapsed().as_micros() as u64;
        srv.stats.total_forks += 1;
    }
    pid
}

/// Starts a background save in a forked child.
pub fn bgsave(ks: &Keyspace, srv: &mut ServerState, now: i64) -> std::io::Result<()> {
    let path = rdb_path(srv);
    srv.persist.last_attempt_ms = now;
    // SAFETY: the child only writes the file and leaves with `_exit`.
    let pid = unsafe { fork_timed(srv, ChildKind::Rdb) };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        let code = match write_rdb(ks, srv, &path, now) {
            Ok(()) => 0,
            Err(_) => 1,
        };
        // SAFETY: leaving the child without unwinding or running parent-owned destructors.
        unsafe { libc::_exit(code) };
    }
    srv.persist.child = Some(Child {
        pid,
        start_ms: now,
        dirty_at_start: ks.dirty,
        kind: ChildKind::Rdb,
    });
    Ok(())
}

/// Reaps a finished child and starts saves whose save point is reached. Returns a log line
/// when a background save ended.
pub fn cron(ks: &mut Keyspace, srv: &mut ServerState, now: i64) -> Option<String> {
    if let Some(child) = srv.persist.child.clone() {
        let mut status = 0;
        // SAFETY: non-blocking wait for our own child.
        let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            return None;
        }
        srv.persist.child = None;
        if child.kind == ChildKind::Aof {
            crate::aof::rewrite::done(srv, &child, status, now);
            return None;
        }
        let ok = r == child.pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        srv.persist.last_bgsave_ok = ok;
        srv.persist.last_bgsave_secs = (now - child.start_ms) / 1000;
        if ok {
            ks.dirty = ks.dirty.saturating_sub(child.dirty_at_start);
            srv.last_save_ms = child.start_ms;
            srv.persist.rdb_saves += 1;
            return Some("Background saving terminated with success".into());
        }
        return Some("Background saving error".into());
    }
    let since_save = (now - srv.last_save_ms) / 1000;
    let retry_ok = srv.persist.last_bgsave_ok || now - srv.persist.last_attempt_ms > 5000;
    if srv.persist.bgsave_scheduled && retry_ok {
        srv.persist.bgsave_scheduled = false;
        return Some(match bgsave(ks, srv, now) {
            Ok(()) => "Background saving started".into(),
            Err(e) => format!("Can't save in background: fork: {e}"),
        });
    }
    let due = srv
        .config
        .save
        .iter()
        .find(|&&(secs, changes)| ks.dirty >= changes.max(0) as u64 && since_save >= secs);
    if let (Some(&(secs, changes)), true) = (due, retry_ok) {
        let msg = format!("{changes} changes in {secs} seconds. Saving...");
        return Some(match bgsave(ks, srv, now) {
            Ok(()) => format!("{msg} Background saving started"),
            Err(e) => format!("{msg} Can't save in background: fork: {e}"),
        });
    }
    None
}

/// Loads `dbfilename` at start-up if it exists. `Ok(None)` when there is no file.
pub fn load_at_startup(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    now: i64,
) -> Result<Option<u64>, String> {
    let path = rdb_path(srv);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Fatal error loading the DB: {e}. Exiting.")),
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let info = persist::rdb::load(reader, ks, Some(now))
        .map_err(|e| format!("Fatal error loading the DB ({e}). Exiting."))?;
    srv.persist.last_load_keys = info.keys;
    srv.persist.last_load_expired = info.expired_skipped;
    if let (Some(id), Some(off)) = (info.repl_id, info.repl_offset) {
        // A primary restarted from its own snapshot keeps its history, so its replicas can
        // continue partially (Redis 7.0 does the same with the RDB's repl-id/offset aux).
        if id.len() == 40 {
            srv.repl.ids.replid = id;
            srv.repl.offset = off;
        }
    }
    Ok(Some(info.keys))
}

/// The save SHUTDOWN (or a signal) does before exiting: when asked (SAVE) or when save
/// points are configured, unless NOSAVE. An error here keeps the server running unless FORCE.
pub fn save_before_shutdown(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    save_flag: Option<bool>,
    now: i64,
) -> std::io::Result<()> {
    // The AOF first: it may refuse (its first rewrite still running), and is fsynced either
    // way, NOSAVE or not.
    crate::aof::prepare_shutdown(srv, false)
        .map_err(|_| std::io::Error::other("Writing initial AOF, can't exit."))?;
    if let Some(child) = srv.persist.child.take() {
        // SAFETY: killing and reaping our own child; its temp file is left for the next save.
        unsafe {
            libc::kill(child.pid, libc::SIGKILL);
            libc::waitpid(child.pid, std::ptr::null_mut(), 0);
        }
    }
    let wanted = match save_flag {
        Some(s) => s,
        None => !srv.config.save.is_empty(),
    };
    if wanted {
        save(ks, srv, now)?;
    }
    Ok(())
}

/// SAVE
fn save_cmd(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.persist.rdb_child().is_some() {
        return Err(CmdError::BgsaveInProgress);
    }
    // Redis answers its bare shared `-ERR` here; the cause goes to the log.
    if let Err(e) = save(ctx.ks, ctx.srv, ctx.now) {
        crate::aof::log(ctx.srv, '#', &format!("Error saving DB on disk: {e}"));
        return Err(CmdError::Raw("ERR".into()));
    }
    ctx.out.ok();
    Ok(())
}

/// BGSAVE [SCHEDULE]
fn bgsave_cmd(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 2 || (ctx.argc() == 2 && !ctx.is(1, "schedule")) {
        return Err(CmdError::Syntax);
    }
    if ctx.srv.persist.rdb_child().is_some() {
        return Err(CmdError::BgsaveInProgress);
    }
    if ctx.srv.persist.child.is_some() {
        // An AOF rewrite runs: only one child at a time.
        if ctx.argc() == 2 {
            ctx.srv.persist.bgsave_scheduled = true;
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
    }
    bgsave(ctx.ks, ctx.srv, ctx.now)
        .map_err(|_| CmdError::err("Background save failed to start"))?;
    ctx.out.simple("Background saving started");
    Ok(())
}

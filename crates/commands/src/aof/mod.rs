//! The append-only file, as Redis 7.0 keeps it: a directory (`appenddirname`) holding a
//! manifest, one base file (an RDB with `aof-use-rdb-preamble yes`, else commands) and the
//! incremental files the write stream is appended to.
//!
//! Where it sits in the flow:
//! - Writes reach it through a [`Sink`] registered at the propagation point
//!   ([`crate::propagate`]): the effective form of every write, MULTI/EXEC included, in
//!   apply order, collected in memory.
//! - Before a batch's replies leave, the connection calls [`flush_before_reply`]: the
//!   collected bytes are written to the file, and with `appendfsync always` the replies wait
//!   for the fsync ([`writer`]). With `everysec` and `no` the write is shared: every
//!   connection that ran writes in one turn of the event loop waits for a single `write(2)`
//!   made by the server's flusher task after them, as Redis writes the AOF once per loop turn in
//!   `beforeSleep` ([`WriteBatch`]). The cron writes what other paths collected (active expiry,
//!   a replica's stream) and runs scheduled and automatic rewrites ([`cron`]).
//! - Start-up loads the files through the executor ([`load`]) and opens the incremental file
//!   ([`open_at_startup`]).
//! - BGREWRITEAOF forks like BGSAVE; appends move to a new incremental file at once, and the
//!   manifest names the new base only when the child succeeded ([`rewrite`]).
//! - [`files`]: paths, the manifest on disk, the upgrade of an old single-file AOF.
//! - [`check`]: `redoubt check-aof`, the redis-check-aof tool.

pub mod check;
pub mod files;
pub mod load;
pub mod rewrite;
pub mod writer;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use keyspace::Keyspace;
use persist::aof::manifest::Manifest;

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::propagate::Sink;
use crate::state::ServerState;
use crate::table::{flag::*, Spec};

pub use load::load_at_startup;
pub use writer::{Policy, SyncWait};

pub const TABLE: &[Spec] = &[Spec::new(
    "bgrewriteaof",
    1,
    ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
    bgrewriteaof_cmd,
)
.acl("admin slow dangerous")];

/// A failure already reported in the log in Redis's words; the caller only decides what
/// follows (exit at start-up, an error reply, a failed rewrite counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged;

impl std::fmt::Display for Logged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AOF error (see the log)")
    }
}

impl std::error::Error for Logged {}

/// Redis's `aof_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Off,
    /// Turned on at run time: writes accumulate in a temporary incremental file until the
    /// first rewrite has produced a base.
    WaitRewrite,
    On,
}

/// What the sink collects between two writes to the file.
#[derive(Default)]
struct SinkBuf {
    /// Off while nothing would keep the bytes (AOF off, or waiting for a rewrite to start).
    accepting: bool,
    data: Vec<u8>,
    /// `aof-timestamp-enabled`: a `#TS:<unix time>` line precedes the first write of each
    /// second (Redis's timestamp annotations, which `check-aof --truncate-to-timestamp` uses).
    timestamps: bool,
    last_ts: i64,
}

struct AofSink(Rc<RefCell<SinkBuf>>);

impl Sink for AofSink {
    fn feed(&mut self, encoded: &[u8]) {
        let mut b = self.0.borrow_mut();
        if !b.accepting {
            return;
        }
        if b.timestamps {
            let now = wall_ms() / 1000;
            if now > b.last_ts {
                b.last_ts = now;
                let line = format!("#TS:{now}\r\n");
                b.data.extend_from_slice(line.as_bytes());
            }
        }
        b.data.extend_from_slice(encoded);
    }

    fn name(&self) -> &'static str {
        "aof"
    }
}

/// The AOF's run-time state (INFO persistence reads it).
pub struct AofState {
    pub status: Status,
    pub manifest: Manifest,
    sink: Rc<RefCell<SinkBuf>>,
    writer: Option<writer::Writer>,
    pub rewrite_scheduled: bool,
    /// When the running rewrite started (ms), or -1.
    pub rewrite_start_ms: i64,
    pub last_rewrite_secs: i64,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// The last write error (`strerror`), cleared by the next successful write.
    pub last_write_error: Option<String>,
    last_write_error_log_ms: i64,
    /// Bytes of the base and incremental files (`aof_current_size`).
    pub current_size: u64,
    /// The size after the last rewrite, the reference for automatic rewrites.
    pub base_size: u64,
    /// Bytes in the incremental file being written.
    pub last_incr_size: u64,
    /// Since when a write has been postponed behind a running fsync (`everysec`).
    postponed_since: Option<i64>,
    /// Writes made anyway after two seconds of waiting for an fsync.
    pub delayed_fsync: u64,
    limit: rewrite::Limit,
    batch: Rc<WriteBatch>,
}

/// One `write(2)` for the replies of many connections (`everysec`, `no`). A connection that
/// ran writes takes a ticket and waits; the server's flusher task, woken by the first ticket
/// of a round, yields once so that every connection ready in the same turn runs its batch, then
/// writes everything collected and releases all tickets up to the round's.
#[derive(Default)]
pub struct WriteBatch {
    /// The round the next ticket joins; equals `done` when no round is open.
    wanted: Cell<u64>,
    /// The last round written.
    done: Cell<u64>,
    want: tokio::sync::Notify,
    written: tokio::sync::Notify,
}

impl std::fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBatch")
            .field("wanted", &self.wanted.get())
            .field("done", &self.done.get())
            .finish()
    }
}

/// What a connection's replies wait for before they leave.
pub enum ReplyWait {
    /// `always`: the fsync of what the batch wrote.
    Synced(SyncWait),
    /// `everysec`, `no`: the shared write of this round.
    Written(Rc<WriteBatch>, u64),
}

impl ReplyWait {
    pub async fn wait(self) {
        match self {
            ReplyWait::Synced(s) => s.wait().await,
            ReplyWait::Written(b, ticket) => loop {
                let notified = b.written.notified();
                tokio::pin!(notified);
                // Registered before the check, so a write in between still wakes us.
                notified.as_mut().enable();
                if b.done.get() >= ticket {
                    return;
                }
                notified.await;
            },
        }
    }
}

impl WriteBatch {
    /// For the server's flusher task: waits until a round is open, then yields once so that
    /// the other connections woken in this turn run their batches and join it. Returns the
    /// round; the caller then writes what was collected and calls [`WriteBatch::finish`],
    /// with no await in between.
    pub async fn next_round(&self) -> u64 {
        self.want.notified().await;
        tokio::task::yield_now().await;
        self.wanted.get()
    }

    /// Releases the replies waiting for rounds up to `round`.
    pub fn finish(&self, round: u64) {
        self.done.set(round);
        self.written.notify_waiters();
    }
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            status: Status::Off,
            manifest: Manifest::default(),
            sink: Rc::new(RefCell::new(SinkBuf::default())),
            writer: None,
            rewrite_scheduled: false,
            rewrite_start_ms: -1,
            last_rewrite_secs: -1,
            last_bgrewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            last_write_error: None,
            last_write_error_log_ms: 0,
            current_size: 0,
            base_size: 0,
            last_incr_size: 0,
            postponed_since: None,
            delayed_fsync: 0,
            limit: rewrite::Limit::default(),
            batch: Rc::default(),
        }
    }
}

impl AofState {
    /// The shared-write state, for the server's flusher task.
    pub fn write_batch(&self) -> Rc<WriteBatch> {
        self.batch.clone()
    }

    /// Bytes collected and not yet written (`aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.sink.borrow().data.len()
    }
}

/// A log line in Redis's format, if `loglevel` lets it through (`mark`: `*` notice, `#`
/// warning).
pub(crate) fn log(srv: &ServerState, mark: char, msg: &str) {
    if mark == '*' && srv.config.loglevel == "warning" {
        return;
    }
    let role = if srv.is_replica() { 'S' } else { 'M' };
    log_role(&srv.config.logfile, role, mark, msg);
}

pub(crate) fn log_role(logfile: &str, role: char, mark: char, msg: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    logline::write(logfile, &logline::format(role, mark, now, msg));
}

pub(crate) fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A warning from a thread that has no server state at hand.
pub(crate) fn log_to(logfile: &str, mark: char, msg: &str) {
    log_role(logfile, 'M', mark, msg);
}

/// The fsync policy in effect: `no-appendfsync-on-rewrite` suspends fsyncs while a child
/// writes.
fn policy(srv: &ServerState) -> Policy {
    if srv.config.no_appendfsync_on_rewrite && srv.persist.child.is_some() {
        return Policy::No;
    }
    Policy::from_config(&srv.config.appendfsync)
}

/// Registers the sink (AOF turned on, at start-up or by CONFIG SET).
fn register_sink(srv: &mut ServerState) {
    let p = &mut srv.propagation;
    if !p.sinks.iter().any(|s| s.name() == "aof") {
        p.sinks.push(Box::new(AofSink(srv.aof.sink.clone())));
    }
}

fn unregister_sink(srv: &mut ServerState) {
    srv.propagation.sinks.retain(|s| s.name() != "aof");
}

/// Whether the sink keeps what it is fed: always when on; while waiting for the first
/// rewrite, only once that rewrite's child runs (the base covers everything before).
fn update_accepting(srv: &mut ServerState) {
    let rewriting = rewrite::in_progress(srv);
    let accepting = match srv.aof.status {
        Status::On => true,
        Status::WaitRewrite => rewriting,
        Status::Off => false,
    };
    if accepting && !srv.aof.sink.borrow().accepting {
        // The first bytes of a new stream must say which database they are for.
        srv.propagation.selected = None;
    }
    let mut b = srv.aof.sink.borrow_mut();
    b.accepting = accepting;
    b.timestamps = srv.config.aof_timestamp_enabled;
    if !accepting {
        b.data = Vec::new();
    }
}

/// Writes what the sink collected to the file (Redis's `flushAppendOnlyFile`). False when
/// the write failed; the bytes then stay collected for the next attempt.
pub fn write_pending(srv: &mut ServerState, force: bool) -> bool {
    let policy = policy(srv);
    srv.aof.sink.borrow_mut().timestamps = srv.config.aof_timestamp_enabled;
    let Some(w) = srv.aof.writer.as_ref() else {
        return true;
    };
    let mut data = std::mem::take(&mut srv.aof.sink.borrow_mut().data);
    if data.is_empty() {
        srv.aof.sink.borrow_mut().data = data;
        return true;
    }
    if policy == Policy::EverySec && !force && w.shared().in_progress() {
        // A write behind a running fsync would block the event loop: Redis postpones it,
        // for up to two seconds, and so do we (the replies do not wait meanwhile).
        let now = wall_ms();
        let since = *srv.aof.postponed_since.get_or_insert(now);
        if now - since < 2000 {
            srv.aof.sink.borrow_mut().data = data;
            return true;
        }
        srv.aof.delayed_fsync += 1;
        log(srv, '*', "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
    }
    srv.aof.postponed_since = None;
    let Some(w) = srv.aof.writer.as_ref() else {
        return true;
    };
    let expected = data.len();
    let (done, e) = match w.write(&data, policy) {
        Ok(()) => {
            let aof = &mut srv.aof;
            aof.current_size += expected as u64;
            aof.last_incr_size += expected as u64;
            if data.capacity() <= 1 << 20 {
                data.clear();
                aof.sink.borrow_mut().data = data;
            }
            if aof.last_write_error.take().is_some() {
                log(
                    srv,
                    '#',
                    "AOF write error looks solved, Redis can write again.",
                );
            }
            return true;
        }
        Err(x) => x,
    };
    let mut done = done;
    let now = wall_ms();
    let can_log = now - srv.aof.last_write_error_log_ms > 30_000;
    let why = crate::config_table::strerror(&e);
    if can_log {
        srv.aof.last_write_error_log_ms = now;
        let msg = if done == 0 {
            format!("Error writing to the AOF file: {why}")
        } else {
            format!(
                "Short write while writing to the AOF file: (nwritten={done}, expected={expected})"
            )
        };
        log(srv, '#', &msg);
    }
    if done > 0 {
        // Take the partial command back out of the file, if the filesystem lets us.
        match w.truncate(srv.aof.last_incr_size) {
            Ok(()) => done = 0,
            Err(te) if can_log => {
                let tw = crate::config_table::strerror(&te);
                log(srv, '#', &format!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {tw}"));
            }
            Err(_) => {}
        }
    }
    if policy == Policy::Always {
        log(
            srv,
            '#',
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
        );
        std::process::exit(1);
    }
    let aof = &mut srv.aof;
    if done > 0 {
        aof.current_size += done as u64;
        aof.last_incr_size += done as u64;
        data.drain(..done);
    }
    // Keep the unwritten bytes first, before anything collected meanwhile.
    let mut sink = aof.sink.borrow_mut();
    data.extend_from_slice(&sink.data);
    sink.data = data;
    drop(sink);
    aof.last_write_error = Some(why);
    false
}

/// Called by a connection after executing a batch, before its replies are written: the
/// returned wait must end before the replies leave. With `appendfsync always` the batch's
/// writes go to the file now and the wait is their fsync; otherwise they join the loop
/// turn's shared write ([`WriteBatch`]).
pub fn flush_before_reply(srv: &mut ServerState) -> Option<ReplyWait> {
    srv.aof.writer.as_ref()?;
    if policy(srv) != Policy::Always {
        if srv.aof.sink.borrow().data.is_empty() {
            return None;
        }
        let b = &srv.aof.batch;
        if b.wanted.get() == b.done.get() {
            b.wanted.set(b.done.get() + 1);
            b.want.notify_one();
        }
        return Some(ReplyWait::Written(b.clone(), b.wanted.get()));
    }
    write_pending(srv, false);
    let w = srv.aof.writer.as_ref()?;
    (!w.all_synced()).then(|| ReplyWait::Synced(w.request()))
}

/// The message that refuses writes after a failed AOF write or fsync (Redis's
/// `writeCommandsDeniedByDiskError` for the AOF), if any.
pub fn write_error(srv: &ServerState) -> Option<String> {
    if srv.aof.status == Status::Off {
        return None;
    }
    if let Some(e) = &srv.aof.last_write_error {
        return Some(e.clone());
    }
    srv.aof.writer.as_ref().and_then(|w| w.shared().error())
}

/// The cron's AOF work: write what was collected outside connections, retry a failed
/// write, start scheduled and automatic rewrites.
pub fn cron(ks: &Keyspace, srv: &mut ServerState, now: i64) {
    write_pending(srv, false);
    if srv.persist.child.is_some() {
        return;
    }
    if srv.aof.rewrite_scheduled && !rewrite::limited(srv, now) {
        let _ = rewrite::start(ks, srv, now);
        return;
    }
    let cfg = &srv.config;
    let aof = &srv.aof;
    let perc = cfg.auto_aof_rewrite_percentage;
    if aof.status == Status::On
        && perc > 0
        && aof.current_size as i64 > cfg.auto_aof_rewrite_min_size
    {
        let base = aof.base_size.max(1) as i64;
        let growth = (aof.current_size as i64).saturating_mul(100) / base - 100;
        if growth >= perc as i64 && !rewrite::limited(srv, now) {
            log(
                srv,
                '*',
                &format!("Starting automatic rewriting of AOF on {growth}% growth"),
            );
            let _ = rewrite::start(ks, srv, now);
        }
    }
}

/// After loading: create the directory and, for an empty dataset with no files, a base;
/// open the last incremental file (or a new one) for appending; persist the manifest;
/// start collecting writes. `Err` is fatal (Redis exits).
pub fn open_at_startup(ks: &Keyspace, srv: &mut ServerState, now: i64) -> Result<(), Logged> {
    if !srv.config.appendonly {
        files::delete_history(srv);
        return Ok(());
    }
    let dir = files::dir(srv);
    if let Err(e) = files::create_dir(&dir) {
        let why = crate::config_table::strerror(&e);
        log(
            srv,
            '#',
            &format!(
                "Can't open or create append-only dir {}: {why}",
                srv.config.appenddirname
            ),
        );
        return Err(Logged);
    }
    let prefix = srv.config.appendfilename.clone();
    let had_incr = !srv.aof.manifest.incr.is_empty();
    if srv.aof.manifest.is_empty() {
        let rdb = srv.config.aof_use_rdb_preamble;
        let name = srv.aof.manifest.new_base(&prefix, rdb);
        if let Err(e) = rewrite::write_base(ks, &srv.config, &dir.join(&name), now) {
            let why = crate::config_table::strerror(&e);
            log(
                srv,
                '#',
                &format!("Write error writing append only file on disk: {why}"),
            );
            return Err(Logged);
        }
        log(
            srv,
            '*',
            &format!("Creating AOF base file {name} on server start"),
        );
    }
    let name = srv.aof.manifest.last_incr_or_new(&prefix);
    let file = match files::open_append(&dir.join(&name), false) {
        Ok(f) => f,
        Err(e) => {
            let why = crate::config_table::strerror(&e);
            log(
                srv,
                '#',
                &format!("Can't open the append-only file {name}: {why}"),
            );
            return Err(Logged);
        }
    };
    let manifest = srv.aof.manifest.clone();
    files::persist_manifest(srv, &manifest)?;
    srv.aof.last_incr_size = file.metadata().map_or(0, |m| m.len());
    let verb = if had_incr { "Opening" } else { "Creating" };
    log(
        srv,
        '*',
        &format!("{verb} AOF incr file {name} on server start"),
    );
    start_writer(srv, name, file);
    srv.aof.status = Status::On;
    register_sink(srv);
    update_accepting(srv);
    files::delete_history(srv);
    Ok(())
}

fn start_writer(srv: &mut ServerState, name: String, file: std::fs::File) {
    let policy = policy(srv);
    match srv.aof.writer.as_mut() {
        Some(w) => w.switch(name, file),
        None => {
            let logfile = srv.config.logfile.clone();
            srv.aof.writer = Some(writer::Writer::start(name, file, policy, logfile));
        }
    }
}

/// Writes, fsyncs and closes the open file.
fn close_writer(srv: &mut ServerState) {
    write_pending(srv, true);
    if let Some(w) = srv.aof.writer.take() {
        if let Err(e) = w.close() {
            let why = crate::config_table::strerror(&e);
            log(srv, '#', &format!("Fail to fsync the AOF file: {why}"));
        }
    }
}

/// CONFIG SET appendonly: Redis's `startAppendOnly` / `stopAppendOnly`. `in_exec` defers the
/// first rewrite to the cron, as Redis does inside a transaction.
pub fn set_enabled(
    ks: &Keyspace,
    srv: &mut ServerState,
    on: bool,
    in_exec: bool,
    now: i64,
) -> Result<(), &'static str> {
    match (on, srv.aof.status) {
        (false, Status::Off) | (true, Status::On | Status::WaitRewrite) => Ok(()),
        (false, _) => {
            close_writer(srv);
            srv.aof.status = Status::Off;
            srv.aof.rewrite_scheduled = false;
            srv.aof.last_incr_size = 0;
            rewrite::kill_child(srv);
            unregister_sink(srv);
            update_accepting(srv);
            Ok(())
        }
        (true, Status::Off) => {
            srv.aof.status = Status::WaitRewrite;
            register_sink(srv);
            let other_child = srv.persist.child.is_some() && !rewrite::in_progress(srv);
            if other_child {
                srv.aof.rewrite_scheduled = true;
                log(srv, '#', "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            } else if in_exec {
                srv.aof.rewrite_scheduled = true;
                log(srv, '#', "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
            } else {
                if rewrite::in_progress(srv) {
                    log(srv, '#', "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                    rewrite::kill_child(srv);
                }
                if rewrite::start(ks, srv, now).is_err() {
                    srv.aof.status = Status::Off;
                    unregister_sink(srv);
                    update_accepting(srv);
                    log(srv, '#', "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                    return Err("Unable to turn on AOF. Check server logs.");
                }
            }
            if srv.aof.last_write_error.take().is_some() {
                log(srv, '#', "AOF reopen, just ignore the last error.");
            }
            update_accepting(srv);
            Ok(())
        }
    }
}

/// The AOF part of a shutdown: refuse while the first rewrite is still producing the only
/// copy of the data (unless forced), stop a rewrite child, write and fsync the file.
pub fn prepare_shutdown(srv: &mut ServerState, force: bool) -> Result<(), Logged> {
    if rewrite::in_progress(srv) {
        if srv.aof.status == Status::WaitRewrite {
            if !force {
                log(srv, '#', "Writing initial AOF, can't exit.");
                return Err(Logged);
            }
            log(srv, '#', "Writing initial AOF. Exit anyway.");
        }
        log(srv, '#', "There is a child rewriting the AOF. Killing it!");
        rewrite::kill_child(srv);
    }
    if srv.aof.status != Status::Off {
        log(srv, '*', "Calling fsync() on the AOF file.");
        write_pending(srv, true);
        if let Some(w) = srv.aof.writer.as_ref() {
            if let Err(e) = w.sync_now() {
                let why = crate::config_table::strerror(&e);
                log(srv, '#', &format!("Fail to fsync the AOF file: {why}."));
            }
        }
    }
    Ok(())
}

/// A replica replaced its dataset with its primary's: the old files no longer describe
/// it, so the AOF restarts from a rewrite (Redis's `restartAOFAfterSYNC`).
pub fn restart_after_sync(ks: &Keyspace, srv: &mut ServerState, now: i64) {
    if srv.aof.status == Status::Off {
        return;
    }
    let _ = set_enabled(ks, srv, false, false, now);
    if set_enabled(ks, srv, true, false, now).is_err() {
        log(srv, '#', "Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
    }
}

/// INFO persistence: the AOF lines between `rdb_last_load_keys_loaded` and the module lines.
pub fn info(srv: &ServerState, now: i64, out: &mut String) {
    use std::fmt::Write;
    let a = &srv.aof;
    let rewriting = rewrite::in_progress(srv);
    let write_ok = write_error(srv).is_none();
    let _ = write!(
        out,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\n\
         aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\n\
         aof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\n\
         aof_last_cow_size:0\r\n",
        u8::from(a.status != Status::Off),
        u8::from(rewriting),
        u8::from(a.rewrite_scheduled),
        a.last_rewrite_secs,
        if rewriting && a.rewrite_start_ms >= 0 {
            (now - a.rewrite_start_ms) / 1000
        } else {
            -1
        },
        if a.last_bgrewrite_ok { "ok" } else { "err" },
        a.rewrites,
        a.consecutive_failures,
        if write_ok { "ok" } else { "err" },
    );
}

/// INFO persistence: the lines Redis adds when the AOF is on.
pub fn info_tail(srv: &ServerState, out: &mut String) {
    use std::fmt::Write;
    let a = &srv.aof;
    if a.status == Status::Off {
        return;
    }
    let pending = a
        .writer
        .as_ref()
        .map_or(0, |w| u8::from(w.shared().in_progress()));
    let _ = write!(
        out,
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
         aof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
        a.current_size,
        a.base_size,
        u8::from(a.rewrite_scheduled),
        a.buffered(),
        pending,
        a.delayed_fsync,
    );
}

/// BGREWRITEAOF
fn bgrewriteaof_cmd(ctx: &mut Ctx) -> CmdResult {
    if rewrite::in_progress(ctx.srv) {
        return Err(CmdError::err(
            "Background append only file rewriting already in progress",
        ));
    }
    // Inside EXEC the fork would split the transaction across two incremental files.
    let in_exec = ctx.srv.blocking.top != Some(ctx.entry.id);
    if ctx.srv.persist.child.is_some() || in_exec {
        ctx.srv.aof.rewrite_scheduled = true;
        ctx.srv.aof.consecutive_failures = 0;
        ctx.out
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    if rewrite::start(ctx.ks, ctx.srv, ctx.now).is_err() {
        return Err(CmdError::err(
            "Can't execute an AOF background rewriting. Please check the server logs for more information.",
        ));
    }
    ctx.out
        .simple("Background append only file rewriting started");
    Ok(())
}

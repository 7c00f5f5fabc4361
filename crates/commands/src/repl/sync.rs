//! PSYNC and SYNC on the primary: a partial resync continues from the backlog; a full one
//! sends a snapshot, then the stream written since it was taken.
//!
//! The snapshot comes from a forked child, as Redis's does: the child holds a copy-on-write
//! image of the keyspace at the fork and writes it as RDB into a pipe; the server's relay task
//! (crates/server/src/repl_io.rs) reads the pipe through [`relay_chunk`] and [`relay_done`].
//! The serving thread never serialises the dataset.
//!
//! - `repl-diskless-sync yes` and replicas that announced `capa eof`: the payload streams
//!   as `$EOF:<40 random chars>\r\n<rdb><the same 40 chars>` while the child writes it, and
//!   the stream starts at the replica's first ACK (it must find the mark at the very end of
//!   what it read). The fork waits `repl-diskless-sync-delay` seconds for more replicas to
//!   share it, or until `repl-diskless-sync-max-replicas` are waiting.
//! - Otherwise the whole payload is collected and then sent as `$<len>\r\n<rdb>`, followed
//!   by the stream at once. Redis writes that payload to `dbfilename` first; Redoubt keeps it in
//!   memory (what the replica receives is the same).
//!
//! Replicas waiting for a snapshot get a newline every second, which replicas read as a
//! keepalive.

use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};

use bytes::BytesMut;
use replication::{ids, Backlog, PsyncDecision};

use super::{ReplicaLink, SyncState};
use crate::client::Kind;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::ServerState;
use keyspace::Keyspace;

/// A target's unsent output above which the relay stops reading the child's pipe, so a slow
/// replica holds the child back instead of growing our memory.
const RELAY_BACKLOG: usize = 4 << 20;

/// A snapshot being produced by a child for full resyncs.
pub struct SnapshotJob {
    pub pid: i32,
    /// The read end of the child's pipe, until the relay task takes it.
    pub pipe: Option<OwnedFd>,
    /// `$EOF:` streaming with this mark; `None` sends `$<len>` once the payload is whole.
    pub mark: Option<String>,
    /// Client ids of the replicas receiving it.
    pub targets: Vec<u64>,
    /// The whole payload, for `$<len>` transfers, and how much of it went out.
    pub payload: Vec<u8>,
    pub sent: Option<usize>,
    pub start_ms: i64,
}

/// PSYNC replicationid offset [FAILOVER]
pub fn psync(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.kind == Kind::Replica {
        return Ok(());
    }
    if ctx.argc() > 3 && ctx.is(3, "failover") {
        super::failover::accept_psync_failover(ctx)?;
    }
    if ctx.srv.repl.failover.state != super::FailoverState::None {
        return Err(CmdError::Raw(
            "NOMASTERLINK Can't SYNC while failing over".into(),
        ));
    }
    if let Some(p) = &ctx.srv.repl.primary {
        if p.state != super::LinkState::Connected {
            return Err(CmdError::Raw(
                "NOMASTERLINK Can't SYNC while not connected with my master".into(),
            ));
        }
    }
    let replid = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    let offset = ctx.i64_arg(2).unwrap_or(-1);
    let r = &ctx.srv.repl;
    match ids::decide(&r.ids, r.backlog.as_ref(), &replid, offset) {
        PsyncDecision::Continue => {
            let tail = r
                .backlog
                .as_ref()
                .and_then(|b| b.since(offset - 1))
                .unwrap_or_default();
            ctx.out
                .raw(format!("+CONTINUE {}\r\n", r.ids.replid).as_bytes());
            ctx.out.raw(&tail);
            ctx.srv.repl.sync_partial_ok += 1;
            attach(ctx, SyncState::Online, true);
            let name = replica_name(ctx);
            ctx.srv.repl.log.push(format!(
                "Partial resynchronization request from {name} accepted. Sending {} bytes of backlog starting from offset {offset}.",
                tail.len()
            ));
        }
        PsyncDecision::Full => {
            // Redis counts a refused partial request (not a plain `PSYNC ? -1`) as an error.
            if replid != "?" {
                ctx.srv.repl.sync_partial_err += 1;
            }
            full_resync(ctx, true)
        }
    }
    Ok(())
}

/// SYNC: the pre-PSYNC protocol, always a full copy without the +FULLRESYNC line.
pub fn sync(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.kind == Kind::Replica {
        return Ok(());
    }
    if ctx.srv.repl.failover.state != super::FailoverState::None {
        return Err(CmdError::Raw(
            "NOMASTERLINK Can't SYNC while failing over".into(),
        ));
    }
    full_resync(ctx, false);
    Ok(())
}

fn replica_name(ctx: &Ctx) -> String {
    let ip = ctx.client.repl_ip.clone().unwrap_or_else(|| peer_ip(ctx));
    format!("{ip}:{}", ctx.client.repl_listening_port)
}

fn peer_ip(ctx: &Ctx) -> String {
    let a = &ctx.client.shared.addr;
    a.rsplit_once(':').map_or(a.clone(), |(h, _)| h.to_string())
}

/// Makes the calling client an attached replica in `state`.
fn attach(ctx: &mut Ctx, state: SyncState, psync: bool) {
    let ip = ctx.client.repl_ip.clone().unwrap_or_else(|| peer_ip(ctx));
    ctx.client.kind = Kind::Replica;
    ctx.client.sync_shared();
    // The replica class's output limit applies from now on, not from the next cron pass.
    let limit = ctx.srv.config.client_output_buffer_limit[crate::config::obuf::REPLICA];
    ctx.client.shared.obuf_hard.set(limit.hard);
    let link = ReplicaLink {
        client_id: ctx.client.id,
        ip,
        listening_port: ctx.client.repl_listening_port,
        ack_offset: 0,
        ack_ms: ctx.now,
        state,
        queued: BytesMut::new(),
        psync,
        capa_eof: ctx.client.repl_capa_eof,
        since_ms: ctx.now,
    };
    ctx.srv.repl.replicas.push(link);
}

fn full_resync(ctx: &mut Ctx, psync: bool) {
    let r = &mut ctx.srv.repl;
    if r.backlog.is_none() {
        let size = ctx.srv.config.repl_backlog_size.max(16 * 1024) as usize;
        r.backlog = Some(Backlog::new(size, r.offset));
    }
    r.sync_full += 1;
    let name = replica_name(ctx);
    ctx.srv
        .repl
        .log
        .push(format!("Replica {name} asks for synchronization"));
    attach(ctx, SyncState::WaitSnapshot, psync);
    if ctx.srv.repl.job.is_some() {
        ctx.srv
            .repl
            .log
            .push("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC".into());
    } else if !due(ctx.srv, ctx.now) {
        ctx.srv
            .repl
            .log
            .push("Delay next BGSAVE for diskless SYNC".into());
    }
    maybe_start_snapshot(ctx.ks, ctx.srv, ctx.now);
}

/// Whether the replicas waiting for a snapshot should get one now (Redis's
/// `shouldStartChildReplication`, plus `syncCommand`'s immediate start for a replica that
/// cannot read `$EOF:` payloads).
fn due(srv: &ServerState, now: i64) -> bool {
    let waiting: Vec<&ReplicaLink> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.state == SyncState::WaitSnapshot)
        .collect();
    if waiting.is_empty() {
        return false;
    }
    let cfg = &srv.config;
    let max = cfg.repl_diskless_sync_max_replicas;
    let oldest = waiting.iter().map(|r| r.since_ms).min().unwrap_or(now);
    !cfg.repl_diskless_sync
        || waiting.iter().any(|r| !r.capa_eof)
        || (max > 0 && waiting.len() as u64 >= max)
        || now - oldest >= cfg.repl_diskless_sync_delay as i64 * 1000
}

/// Starts a snapshot for the replicas waiting for one, when it is time.
pub fn maybe_start_snapshot(ks: &Keyspace, srv: &mut ServerState, now: i64) {
    if srv.repl.job.is_some() || !due(srv, now) {
        return;
    }
    let socket = srv.config.repl_diskless_sync
        && srv
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == SyncState::WaitSnapshot)
            .all(|r| r.capa_eof);
    srv.repl.log.push(format!(
        "Starting BGSAVE for SYNC with target: {}",
        if socket { "replicas sockets" } else { "disk" }
    ));
    match fork_snapshot(ks, srv, now) {
        Ok((pid, pipe)) => begin_transfer(srv, pid, pipe, socket, now),
        Err(e) => {
            srv.repl
                .log
                .push(format!("Can't save in background: fork: {e}"));
            srv.repl.log.push("BGSAVE for replication failed".into());
            for rep in srv.repl.replicas.iter() {
                if rep.state == SyncState::WaitSnapshot {
                    if let Some(c) = srv.clients.get(&rep.client_id) {
                        c.push_raw(b"-ERR BGSAVE failed, replication can't continue\r\n");
                        c.kill();
                    }
                }
            }
            srv.repl
                .replicas
                .retain(|r| r.state != SyncState::WaitSnapshot);
        }
    }
}

/// Forks a child that writes the dataset as RDB into a pipe; returns its pid and the read
/// end.
fn fork_snapshot(
    ks: &Keyspace,
    srv: &mut ServerState,
    now: i64,
) -> std::io::Result<(i32, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills the two descriptors it creates.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let (aux, opts) = crate::persistence::snapshot_header(srv, now);
    // SAFETY: the process is single-threaded while serving (current-thread runtime); the
    // child only serialises the memory image it inherited into the pipe and leaves with
    // `_exit`, running no destructors and touching no runtime state. If we die, its writes
    // fail (EPIPE; SIGPIPE is ignored) and it exits.
    let pid = unsafe { crate::persistence::fork_timed(srv, crate::persistence::ChildKind::Rdb) };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        drop(rd);
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::from(wr));
        let ok = persist::rdb::write(&mut w, ks, &aux, &opts).is_ok() && w.flush().is_ok();
        // SAFETY: leaving the child without unwinding or running parent-owned destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    drop(wr);
    Ok((pid, rd))
}

/// Tells the waiting replicas their snapshot started (`+FULLRESYNC`, and `$EOF:<mark>` when
/// streaming); from here on they queue the stream.
fn begin_transfer(srv: &mut ServerState, pid: i32, pipe: OwnedFd, socket: bool, now: i64) {
    let mark = socket.then(replication::eof::new_mark);
    let (replid, offset) = (srv.repl.ids.replid.clone(), srv.repl.offset);
    let mut targets = Vec::new();
    for rep in srv.repl.replicas.iter_mut() {
        if rep.state != SyncState::WaitSnapshot {
            continue;
        }
        rep.state = SyncState::Transfer;
        targets.push(rep.client_id);
        let Some(c) = srv.clients.get(&rep.client_id) else {
            continue;
        };
        if rep.psync {
            c.push_raw(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
        }
        if let Some(m) = &mark {
            c.push_raw(format!("$EOF:{m}\r\n").as_bytes());
        }
    }
    // The replicas start from scratch: the next write must SELECT its database again.
    srv.propagation.selected = None;
    srv.repl.job = Some(SnapshotJob {
        pid,
        pipe: Some(pipe),
        mark,
        targets,
        payload: Vec::new(),
        sent: None,
        start_ms: now,
    });
    srv.repl.events.notify_one();
}

/// The pipe of a snapshot that just started, for the relay task to read.
pub fn take_pipe(srv: &mut ServerState) -> Option<(i32, OwnedFd)> {
    let job = srv.repl.job.as_mut()?;
    Some((job.pid, job.pipe.take()?))
}

/// True while a target's output is backed up: the relay waits before sending more.
pub fn relay_backed_up(srv: &ServerState) -> bool {
    targets_pending_over(srv, RELAY_BACKLOG)
}

/// True until the targets' queued output is gone: a `$<len>` payload must be out before
/// the stream follows it into the (limited) output buffer.
pub fn relay_draining(srv: &ServerState) -> bool {
    targets_pending_over(srv, 0)
}

fn targets_pending_over(srv: &ServerState, limit: usize) -> bool {
    let Some(job) = &srv.repl.job else {
        return false;
    };
    job.targets.iter().any(|id| {
        srv.clients
            .get(id)
            .is_some_and(|c| !c.killed.get() && c.pending.borrow().len() > limit)
    })
}

/// A `$<len>` payload is whole: sends its next slice (the header first), a little at a time
/// so the replica's output stays small (the payload is not output-buffer data, as in Redis).
/// False once everything went out, or for `$EOF:` transfers, which have nothing left.
pub fn relay_payload_next(srv: &mut ServerState) -> bool {
    let Some(job) = srv.repl.job.as_mut() else {
        return false;
    };
    if job.mark.is_some() || job.targets.is_empty() {
        return false;
    }
    let from = match job.sent {
        Some(n) => n,
        None => {
            let head = format!("${}\r\n", job.payload.len());
            for id in &job.targets {
                if let Some(c) = srv.clients.get(id) {
                    c.push_raw(head.as_bytes());
                }
            }
            0
        }
    };
    let to = (from + RELAY_BACKLOG / 4).min(job.payload.len());
    for id in &job.targets {
        if let Some(c) = srv.clients.get(id) {
            push_payload(c, &job.payload[from..to]);
        }
    }
    job.sent = Some(to);
    to < job.payload.len()
}

/// A chunk of the child's RDB. False when no target is left: the relay stops and kills the
/// child.
pub fn relay_chunk(srv: &mut ServerState, data: &[u8]) -> bool {
    let Some(job) = srv.repl.job.as_mut() else {
        return false;
    };
    if job.targets.is_empty() {
        srv.repl
            .log
            .push("Diskless rdb transfer, last replica dropped, killing fork child.".into());
        return false;
    }
    if job.mark.is_some() {
        for id in &job.targets {
            if let Some(c) = srv.clients.get(id) {
                push_payload(c, data);
            }
        }
    } else {
        job.payload.extend_from_slice(data);
    }
    true
}

/// The child is gone: `ok` when it wrote the whole snapshot and exited with success.
pub fn relay_done(srv: &mut ServerState, ok: bool, now: i64) {
    let Some(job) = srv.repl.job.take() else {
        return;
    };
    // Replicas that arrived meanwhile wait for the next snapshot.
    srv.repl.events.notify_one();
    if !ok {
        srv.repl
            .log
            .push("SYNC failed. BGSAVE child returned an error".into());
        for id in &job.targets {
            if let Some(c) = srv.clients.get(id) {
                c.kill();
            }
        }
        srv.repl
            .replicas
            .retain(|r| !job.targets.contains(&r.client_id));
        return;
    }
    let secs = (now - job.start_ms) as f64 / 1000.0;
    srv.repl.log.push(format!(
        "Background RDB transfer terminated with success ({secs:.3} seconds)"
    ));
    for rep in srv.repl.replicas.iter_mut() {
        if !job.targets.contains(&rep.client_id) || rep.state != SyncState::Transfer {
            continue;
        }
        let Some(c) = srv.clients.get(&rep.client_id) else {
            continue;
        };
        rep.ack_ms = now;
        match &job.mark {
            Some(m) => {
                push_payload(c, m.as_bytes());
                rep.state = SyncState::WaitAck;
                srv.repl.log.push(format!(
                    "Streamed RDB transfer with replica {}:{} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
                    rep.ip, rep.listening_port
                ));
            }
            None => {
                // The payload went out through `relay_payload_next`.
                c.push_raw(&std::mem::take(&mut rep.queued));
                rep.state = SyncState::Online;
                srv.repl.log.push(format!(
                    "Synchronization with replica {}:{} succeeded",
                    rep.ip, rep.listening_port
                ));
            }
        }
    }
}

/// Queues snapshot bytes for a replica. They do not count against the output-buffer limit
/// (Redis sends the RDB beside the output buffer); the relay's own backpressure bounds them.
fn push_payload(c: &crate::client::ClientShared, data: &[u8]) {
    if c.killed.get() {
        return;
    }
    c.pending.borrow_mut().extend_from_slice(data);
    c.notify.notify_one();
}

/// The replica's first ACK after an `$EOF:` payload: it has the snapshot; send the stream.
pub fn start_stream(srv: &mut ServerState, id: u64) {
    let Some(rep) = srv.repl.replicas.iter_mut().find(|r| r.client_id == id) else {
        return;
    };
    rep.state = SyncState::Online;
    let queued = std::mem::take(&mut rep.queued);
    if let Some(c) = srv.clients.get(&id) {
        c.push_raw(&queued);
    }
}

/// Once a second: a newline to replicas still waiting for their payload to begin.
pub fn keepalive(srv: &ServerState) {
    let streaming = srv
        .repl
        .job
        .as_ref()
        .is_some_and(|j| j.mark.is_some() || j.sent.is_some());
    for rep in &srv.repl.replicas {
        let waiting = match rep.state {
            SyncState::WaitSnapshot => true,
            SyncState::Transfer => !streaming,
            _ => false,
        };
        if waiting {
            if let Some(c) = srv.clients.get(&rep.client_id) {
                c.push_raw(b"\n");
            }
        }
    }
}

/// Collects a finished child without blocking: `Some(true)` when it exited with success.
pub fn reap(pid: i32) -> Option<bool> {
    let mut status = 0;
    // SAFETY: non-blocking wait for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    match r {
        0 => None,
        r if r == pid => Some(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0),
        // Already collected or not ours: treat as failed.
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(srv: &mut ServerState, id: u64, eof: bool, since_ms: i64) {
        srv.repl.replicas.push(ReplicaLink {
            client_id: id,
            ip: "127.0.0.1".into(),
            listening_port: 1,
            ack_offset: 0,
            ack_ms: since_ms,
            state: SyncState::WaitSnapshot,
            queued: BytesMut::new(),
            psync: true,
            capa_eof: eof,
            since_ms,
        });
    }

    fn server() -> ServerState {
        crate::state::Core::new(crate::Config::default(), 0).srv
    }

    #[test]
    fn diskless_waits_for_the_delay_or_enough_replicas() {
        let mut srv = server();
        assert!(!due(&srv, 0), "nobody waiting");
        waiting(&mut srv, 1, true, 1000);
        // Redis's defaults: diskless, 5 s delay.
        assert!(!due(&srv, 5999));
        assert!(due(&srv, 6000));
        srv.config.repl_diskless_sync_max_replicas = 2;
        assert!(!due(&srv, 1000));
        waiting(&mut srv, 2, true, 1500);
        assert!(due(&srv, 1500));
    }

    #[test]
    fn disk_transfers_and_replicas_without_eof_start_at_once() {
        let mut srv = server();
        waiting(&mut srv, 1, true, 1000);
        srv.config.repl_diskless_sync = false;
        assert!(due(&srv, 1000));
        srv.config.repl_diskless_sync = true;
        waiting(&mut srv, 2, false, 1000);
        assert!(due(&srv, 1000));
    }

    #[test]
    fn stream_is_queued_during_a_transfer_and_sent_at_the_first_ack() {
        let mut core = crate::state::Core::new(crate::Config::default(), 0);
        let srv = &mut core.srv;
        let shared = std::rc::Rc::new(crate::client::ClientShared::new(
            7,
            "127.0.0.1:1".into(),
            String::new(),
            -1,
            0,
        ));
        srv.clients.insert(7, shared.clone());
        waiting(srv, 7, true, 0);
        srv.repl.replicas[0].state = SyncState::WaitAck;
        super::super::feed(srv, b"abc");
        assert!(shared.pending.borrow().is_empty());
        assert_eq!(&srv.repl.replicas[0].queued[..], b"abc");
        super::super::wait::on_ack(&mut core.ks, &mut core.srv, 7, 3, 0);
        assert_eq!(&shared.pending.borrow()[..], b"abc");
        assert_eq!(core.srv.repl.replicas[0].state, SyncState::Online);
        assert_eq!(core.srv.repl.replicas[0].ack_offset, 3);
    }
}

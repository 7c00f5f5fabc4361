//! Replication state and commands.
//!
//! Primary side: a replica is a client that sent PSYNC; it continues from the backlog or gets
//! a full copy (see [`sync`]), and from then on every propagated write through its push
//! buffer. Replica side: REPLICAOF records the target and wakes the server's link task
//! (crates/server/src/replica.rs), which does the handshake and applies the stream through
//! the executor as the primary client.
//!
//! Module map:
//! - this file: the state (ids, offset, backlog, attached replicas, this server's primary),
//!   the stream feed, REPLICAOF, REPLCONF, ROLE.
//! - [`sync`]: PSYNC and SYNC on the primary: partial resyncs from the backlog, full ones from
//!   a forked snapshot streamed as `$EOF:<mark>` (diskless) or `$<len>`.
//! - [`wait`]: WAIT, acknowledgements, batched GETACKs, and Redoubt's confirmed-writes mode
//!   (`min-replicas-ack-writes`).
//! - [`failover`]: FAILOVER, and the target's side of `PSYNC … FAILOVER`.
//! - [`status`]: INFO replication, the periodic duties, the min-replicas and stale-data checks.
//!
//! The server's replication task (crates/server/src/repl_io.rs) runs [`on_loop`] after the
//! commands of an event-loop turn, as Redis's `beforeSleep` does: one GETACK for every client
//! that started waiting in that turn, a failover step, a snapshot start.

mod failover;
mod status;
pub mod sync;
pub mod wait;

use std::rc::Rc;

use bytes::BytesMut;
use replication::{Backlog, ReplIds};
use tokio::sync::Notify;

use crate::client::Kind;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::{Core, ServerState};
use crate::table::{flag::*, Spec};

pub use failover::{
    on_psync_reply as on_failover_psync_reply, psync_says_failover, writes_paused_by_failover,
    Failover, FailoverState,
};
pub use status::{cron, enough_good_replicas, good_replicas, info_section, stale_reads_denied};

pub const TABLE: &[Spec] = &[
    Spec::new(
        "replicaof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        replicaof,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        replicaof,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        replconf,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        sync::psync,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        sync::sync,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
        role,
    )
    .acl("admin fast dangerous"),
    Spec::new("wait", 3, NOSCRIPT, wait::wait).acl("slow connection"),
    Spec::new("failover", -1, ADMIN | NOSCRIPT | STALE, failover::failover)
        .acl("admin slow dangerous"),
];

/// The replica-side link's progress, with Redis's names for INFO and ROLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connect,
    Connecting,
    Handshake,
    Transfer,
    Connected,
}

impl LinkState {
    /// The state word ROLE shows.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// This server's primary, when it is a replica.
#[derive(Debug, Clone)]
pub struct PrimaryLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    pub last_io_ms: i64,
    pub down_since_ms: Option<i64>,
    /// Client id of the connection applying the primary's stream, once connected.
    pub client_id: Option<u64>,
}

/// Where an attached replica is in its synchronisation (Redis's `replstate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Waiting for a snapshot to start (`repl-diskless-sync-delay`, or one already running).
    WaitSnapshot,
    /// A snapshot is being sent; the stream since it is queued in `ReplicaLink::queued`.
    Transfer,
    /// The `$EOF:` payload was sent: the stream starts at the replica's first ACK, which says
    /// it found the end mark (nothing may follow the mark before that).
    WaitAck,
    /// Receiving the stream.
    Online,
}

/// A replica attached to this server.
#[derive(Debug, Clone)]
pub struct ReplicaLink {
    pub client_id: u64,
    pub ip: String,
    pub listening_port: u16,
    pub ack_offset: i64,
    pub ack_ms: i64,
    pub state: SyncState,
    /// Stream produced while the replica's snapshot is in flight.
    pub queued: BytesMut,
    /// Asked with PSYNC (gets `+FULLRESYNC`), rather than the old SYNC.
    pub psync: bool,
    /// Understands `$EOF:<mark>` payloads.
    pub capa_eof: bool,
    /// When it asked for a full copy (for `repl-diskless-sync-delay`).
    pub since_ms: i64,
}

impl ReplicaLink {
    /// ONLINE in Redis's sense: counted by WAIT, ROLE and min-replicas.
    pub fn online(&self) -> bool {
        matches!(self.state, SyncState::Online | SyncState::WaitAck)
    }
}

pub struct ReplState {
    pub ids: ReplIds,
    /// master_repl_offset: bytes of write stream produced (or, on a replica, applied).
    pub offset: i64,
    /// Created when the first replica attaches, kept afterwards (as in Redis).
    pub backlog: Option<Backlog>,
    pub replicas: Vec<ReplicaLink>,
    pub primary: Option<PrimaryLink>,
    /// Bumped whenever the REPLICAOF target changes; the link task restarts on a change.
    pub generation: u64,
    pub wake: Rc<Notify>,
    /// Wakes the server's replication task (GETACK, failover step, snapshot relay).
    pub events: Rc<Notify>,
    pub last_ping_ms: i64,
    /// On a replica: the database the primary's stream has SELECTed. It outlives a link so
    /// a partial resync continues in the right database (Redis keeps its cached primary).
    pub stream_db: usize,
    /// INFO stats: full resyncs served, partial resyncs accepted and refused.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Someone waits for acknowledgements: send GETACK at the end of this loop turn.
    pub getack_wanted: bool,
    /// Clients whose write replies are held until confirmed, woken on every ACK.
    pub holders: std::collections::BTreeSet<u64>,
    /// The snapshot being produced for full resyncs.
    pub job: Option<sync::SnapshotJob>,
    pub failover: Failover,
    /// The last once-a-second duty (keepalive newlines to replicas waiting for a snapshot).
    pub last_second_ms: i64,
    /// Log lines for the replication task to write (this crate does not log itself).
    pub log: Vec<String>,
}

impl Default for ReplState {
    fn default() -> Self {
        ReplState {
            ids: ReplIds::default(),
            offset: 0,
            backlog: None,
            replicas: Vec::new(),
            primary: None,
            generation: 0,
            wake: Rc::new(Notify::new()),
            events: Rc::new(Notify::new()),
            last_ping_ms: 0,
            stream_db: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            getack_wanted: false,
            holders: Default::default(),
            job: None,
            failover: Failover::default(),
            last_second_ms: 0,
            log: Vec::new(),
        }
    }
}

/// Appends stream bytes to the backlog and sends them to every attached replica (or queues
/// them for replicas still receiving a snapshot).
pub fn feed(srv: &mut ServerState, data: &[u8]) {
    let r = &mut srv.repl;
    r.offset += data.len() as i64;
    if let Some(b) = r.backlog.as_mut() {
        b.feed(data);
    }
    let hard = srv.config.client_output_buffer_limit[crate::config::obuf::REPLICA].hard;
    for rep in &mut r.replicas {
        let Some(c) = srv.clients.get(&rep.client_id) else {
            continue;
        };
        match rep.state {
            SyncState::Online => c.push_raw(data),
            SyncState::Transfer | SyncState::WaitAck => {
                rep.queued.extend_from_slice(data);
                // The queue is the replica's output buffer in Redis's accounting.
                if hard > 0 && rep.queued.len() as u64 > hard {
                    rep.queued = BytesMut::new();
                    c.kill();
                }
            }
            // The snapshot it will get is taken later and includes this write.
            SyncState::WaitSnapshot => {}
        }
    }
}

/// Forgets a replica whose connection closed, and a client that held replies.
pub fn on_disconnect(srv: &mut ServerState, client_id: u64) {
    srv.repl.replicas.retain(|r| r.client_id != client_id);
    srv.repl.holders.remove(&client_id);
    if let Some(job) = srv.repl.job.as_mut() {
        job.targets.retain(|&t| t != client_id);
    }
}

/// What the replication task does after a loop turn: batched GETACK, a failover step, a
/// snapshot start, the once-a-second keepalives. Returns log lines.
pub fn on_loop(core: &mut Core, now: i64) -> Vec<String> {
    wait::maybe_send_getack(&mut core.srv, now);
    failover::step(core, now);
    sync::maybe_start_snapshot(&core.ks, &mut core.srv, now);
    if now - core.srv.repl.last_second_ms >= 1000 {
        core.srv.repl.last_second_ms = now;
        sync::keepalive(&core.srv);
    }
    std::mem::take(&mut core.srv.repl.log)
}

/// REPLICAOF host port | REPLICAOF NO ONE
fn replicaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.repl.failover.state != FailoverState::None {
        return Err(CmdError::err("REPLICAOF not allowed while failing over."));
    }
    if ctx.is(1, "no") && ctx.is(2, "one") {
        if ctx.srv.repl.primary.is_some() {
            unset_primary(ctx.srv);
            ctx.ks.is_replica = false;
        }
        ctx.out.ok();
        return Ok(());
    }
    if ctx.client.kind == Kind::Replica {
        return Err(CmdError::err(
            "Command is not valid when client is a replica.",
        ));
    }
    let port = ctx.i64_arg(2)?;
    if !(0..=65535).contains(&port) {
        return Err(CmdError::err("Invalid master port"));
    }
    let host = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    if let Some(p) = &ctx.srv.repl.primary {
        if p.host.eq_ignore_ascii_case(&host) && p.port == port as u16 {
            ctx.out.simple("OK Already connected to specified master");
            return Ok(());
        }
    }
    become_replica(ctx.srv, host, port as u16, ctx.now);
    ctx.ks.is_replica = true;
    ctx.out.ok();
    Ok(())
}

/// Starts following `host:port` (REPLICAOF, `replicaof` in the configuration, FAILOVER).
/// Replicas stay attached: they may continue partially from us once we follow the new
/// primary (Redis's `replicationSetMaster`).
pub fn become_replica(srv: &mut ServerState, host: String, port: u16, now: i64) {
    let r = &mut srv.repl;
    r.primary = Some(PrimaryLink {
        host,
        port,
        state: LinkState::Connect,
        last_io_ms: now,
        down_since_ms: Some(now),
        client_id: None,
    });
    r.generation += 1;
    r.wake.notify_one();
    crate::blocking::release_all_for_replica(srv);
    // Held write replies can no longer be confirmed: wake their clients to fail them.
    wait::wake_holders(srv);
}

/// Stops following a primary and starts a new history, keeping the old one as replid2 so
/// replicas of the old primary can continue partially from here (PSYNC2). Attached
/// replicas are disconnected so they learn the new id when they reconnect, as Redis's
/// `replicationUnsetMaster` does. The caller clears `ks.is_replica`.
pub fn unset_primary(srv: &mut ServerState) {
    srv.repl.primary = None;
    let r = &mut srv.repl;
    r.ids.shift(r.offset);
    r.generation += 1;
    r.wake.notify_one();
    srv.propagation.selected = None;
    disconnect_replicas(srv);
}

/// Closes every attached replica's connection (Redis's `disconnectSlaves`).
pub fn disconnect_replicas(srv: &mut ServerState) {
    for rep in std::mem::take(&mut srv.repl.replicas) {
        if let Some(c) = srv.clients.get(&rep.client_id) {
            c.kill();
        }
    }
}

/// REPLCONF <option> <value> [<option> <value> ...]
fn replconf(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut i = 1;
    while i < ctx.argc() {
        if ctx.is(i, "ack") {
            // ACKs get no reply; they update the replica's offset (WAIT, lag in INFO).
            if let Ok(off) = ctx.i64_arg(i + 1) {
                wait::on_ack(ctx.ks, ctx.srv, ctx.client.id, off, ctx.now);
            }
            return Ok(());
        } else if ctx.is(i, "getack") {
            return Ok(());
        } else if ctx.is(i, "listening-port") {
            let p = ctx.i64_arg(i + 1)?;
            ctx.client.repl_listening_port = p.clamp(0, 65535) as u16;
        } else if ctx.is(i, "ip-address") {
            ctx.client.repl_ip = Some(String::from_utf8_lossy(ctx.arg(i + 1)).into_owned());
        } else if ctx.is(i, "capa") {
            if ctx.is(i + 1, "eof") {
                ctx.client.repl_capa_eof = true;
            }
            // psync2 is assumed: every replica still in use speaks it.
        } else if ctx.is(i, "rdb-only") || ctx.is(i, "rdb-filter-only") {
            // Options of redis-cli --rdb we do not act on.
        } else {
            return Err(CmdError::err_owned(format!(
                "Unrecognized REPLCONF option: {}",
                crate::errors::trunc(ctx.arg(i), 128)
            )));
        }
        i += 2;
    }
    ctx.out.ok();
    Ok(())
}

/// ROLE
fn role(ctx: &mut Ctx) -> CmdResult {
    let r = &ctx.srv.repl;
    let out = &mut *ctx.out;
    match &r.primary {
        Some(p) => {
            out.array(5);
            out.bulk(b"slave");
            out.bulk(p.host.as_bytes());
            out.int(p.port as i64);
            out.bulk(p.state.role_name().as_bytes());
            out.int(if p.state == LinkState::Connected {
                r.offset
            } else {
                -1
            });
        }
        None => {
            out.array(3);
            out.bulk(b"master");
            out.int(r.offset);
            let online: Vec<&ReplicaLink> = r.replicas.iter().filter(|r| r.online()).collect();
            out.array(online.len());
            for rep in online {
                out.array(3);
                out.bulk(rep.ip.as_bytes());
                out.bulk(rep.listening_port.to_string().as_bytes());
                out.bulk(rep.ack_offset.to_string().as_bytes());
            }
        }
    }
    Ok(())
}

//! Replication commands and state: REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC, ROLE.
//!
//! Primary side: a replica is a client that sent PSYNC; it gets `+FULLRESYNC` with a snapshot
//! taken in the same step (so the snapshot is exactly the data at the replication offset it
//! announces), or `+CONTINUE` with the backlog's tail, and from then on every propagated
//! write through its push buffer. Replica side: REPLICAOF records the target and wakes the
//! server's link task (crates/server/src/replica.rs), which does the handshake and applies
//! the stream through the executor as the primary client.

use std::rc::Rc;

use replication::{ids, Backlog, PsyncDecision, ReplIds};
use tokio::sync::Notify;

use crate::client::Kind;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::ServerState;
use crate::table::{flag::*, Spec};

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
        psync,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        sync,
    )
    .acl("admin slow dangerous"),
    Spec::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
        role,
    )
    .acl("admin fast dangerous"),
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

/// A replica attached to this server.
#[derive(Debug, Clone)]
pub struct ReplicaLink {
    pub client_id: u64,
    pub ip: String,
    pub listening_port: u16,
    pub ack_offset: i64,
    pub ack_ms: i64,
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
    pub last_ping_ms: i64,
    /// On a replica: the database the primary's stream has SELECTed. It outlives a link so
    /// a partial resync continues in the right database (Redis keeps its cached primary).
    pub stream_db: usize,
    /// INFO stats: full resyncs served, partial resyncs accepted and refused.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
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
            last_ping_ms: 0,
            stream_db: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
        }
    }
}

/// Appends stream bytes to the backlog and sends them to every attached replica.
pub fn feed(srv: &mut ServerState, data: &[u8]) {
    let r = &mut srv.repl;
    r.offset += data.len() as i64;
    if let Some(b) = r.backlog.as_mut() {
        b.feed(data);
    }
    for rep in &r.replicas {
        if let Some(c) = srv.clients.get(&rep.client_id) {
            c.push_raw(data);
        }
    }
}

/// Forgets a replica whose connection closed.
pub fn on_disconnect(srv: &mut ServerState, client_id: u64) {
    srv.repl.replicas.retain(|r| r.client_id != client_id);
}

/// REPLICAOF host port | REPLICAOF NO ONE
fn replicaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.is(1, "no") && ctx.is(2, "one") {
        if let Some(_old) = ctx.srv.repl.primary.take() {
            promote(ctx.srv);
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

/// Starts following `host:port` (REPLICAOF, or `replicaof` in the configuration).
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
}

/// Stops following a primary and starts a new history, keeping the old one as replid2 so
/// replicas of the old primary can continue partially from here (PSYNC2).
fn promote(srv: &mut ServerState) {
    let r = &mut srv.repl;
    r.ids.shift(r.offset);
    r.generation += 1;
    r.wake.notify_one();
    srv.propagation.selected = None;
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
            let off = ctx.i64_arg(i + 1).unwrap_or(0);
            let (id, now) = (ctx.client.id, ctx.now);
            if let Some(r) = ctx.srv.repl.replicas.iter_mut().find(|r| r.client_id == id) {
                r.ack_offset = r.ack_offset.max(off);
                r.ack_ms = now;
            }
            return Ok(());
        } else if ctx.is(i, "getack") {
            return Ok(());
        } else if ctx.is(i, "listening-port") {
            let p = ctx.i64_arg(i + 1)?;
            ctx.client.repl_listening_port = p.clamp(0, 65535) as u16;
        } else if ctx.is(i, "ip-address") {
            ctx.client.repl_ip = Some(String::from_utf8_lossy(ctx.arg(i + 1)).into_owned());
        } else if ctx.is(i, "capa") || ctx.is(i, "rdb-only") || ctx.is(i, "rdb-filter-only") {
            // Only capabilities we do not need to act on: eof and psync2 are always fine.
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

/// Attaches the calling client as a replica receiving the stream from now on.
fn attach_replica(ctx: &mut Ctx) {
    let ip = ctx.client.repl_ip.clone().unwrap_or_else(|| {
        let a = &ctx.client.shared.addr;
        a.rsplit_once(':').map_or(a.clone(), |(h, _)| h.to_string())
    });
    ctx.client.kind = Kind::Replica;
    ctx.client.sync_shared();
    let link = ReplicaLink {
        client_id: ctx.client.id,
        ip,
        listening_port: ctx.client.repl_listening_port,
        ack_offset: 0,
        ack_ms: ctx.now,
    };
    ctx.srv.repl.replicas.push(link);
}

/// A snapshot of the whole dataset in RDB form, at the current replication offset.
fn snapshot(ctx: &Ctx) -> Vec<u8> {
    let aux = persist::rdb::Aux {
        redis_ver: crate::info::REDIS_VERSION.into(),
        ctime: ctx.now / 1000,
        used_mem: 0,
        repl: Some((ctx.srv.repl.ids.replid.clone(), ctx.srv.repl.offset, 0)),
    };
    let mut buf = Vec::new();
    persist::rdb::write(
        &mut buf,
        ctx.ks,
        &aux,
        &persist::rdb::WriteOptions::default(),
    )
    .expect("writing to a Vec cannot fail");
    buf
}

fn full_resync(ctx: &mut Ctx, announce: bool) {
    let r = &mut ctx.srv.repl;
    if r.backlog.is_none() {
        let size = ctx.srv.config.repl_backlog_size.max(16 * 1024) as usize;
        r.backlog = Some(Backlog::new(size, r.offset));
    }
    ctx.srv.repl.sync_full += 1;
    let rdb = snapshot(ctx);
    if announce {
        let r = &ctx.srv.repl;
        ctx.out
            .raw(format!("+FULLRESYNC {} {}\r\n", r.ids.replid, r.offset).as_bytes());
    }
    ctx.out.raw(format!("${}\r\n", rdb.len()).as_bytes());
    ctx.out.raw(&rdb);
    // The next write must SELECT its database again: the replica starts from scratch.
    ctx.srv.propagation.selected = None;
    attach_replica(ctx);
}

/// PSYNC replicationid offset
fn psync(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.kind == Kind::Replica {
        return Ok(());
    }
    if let Some(p) = &ctx.srv.repl.primary {
        if p.state != LinkState::Connected {
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
            attach_replica(ctx);
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
fn sync(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.kind == Kind::Replica {
        return Ok(());
    }
    full_resync(ctx, false);
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
            out.array(r.replicas.len());
            for rep in &r.replicas {
                out.array(3);
                out.bulk(rep.ip.as_bytes());
                out.bulk(rep.listening_port.to_string().as_bytes());
                out.bulk(rep.ack_offset.to_string().as_bytes());
            }
        }
    }
    Ok(())
}

/// Periodic primary-side duty: a PING into the stream every `repl-ping-replica-period`
/// seconds while replicas are attached, so they can tell a silent primary from a dead one.
pub fn cron(srv: &mut ServerState, now: i64) {
    if srv.repl.primary.is_some() || srv.repl.replicas.is_empty() {
        return;
    }
    let period = srv.config.repl_ping_replica_period.max(1) as i64 * 1000;
    if now - srv.repl.last_ping_ms >= period {
        srv.repl.last_ping_ms = now;
        let db = srv.propagation.selected.unwrap_or(0);
        crate::propagate::propagate(srv, db, &[bytes::Bytes::from_static(b"PING")]);
    }
}

/// The INFO replication section, field for field as Redis 7.0 prints it.
pub fn info_section(srv: &ServerState, now: i64, out: &mut String) {
    use std::fmt::Write;
    let r = &srv.repl;
    let cfg = &srv.config;
    let mut line = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{k}:{v}\r\n");
    };
    match &r.primary {
        Some(p) => {
            let up = p.state == LinkState::Connected;
            line("role", &"slave");
            line("master_host", &p.host);
            line("master_port", &p.port);
            line("master_link_status", &if up { "up" } else { "down" });
            line(
                "master_last_io_seconds_ago",
                &if up { (now - p.last_io_ms) / 1000 } else { -1 },
            );
            line(
                "master_sync_in_progress",
                &u8::from(p.state == LinkState::Transfer),
            );
            line("slave_read_repl_offset", &r.offset);
            line("slave_repl_offset", &r.offset);
            if !up {
                let since = p.down_since_ms.map_or(-1, |t| (now - t) / 1000);
                line("master_link_down_since_seconds", &since);
            }
            line("slave_priority", &cfg.replica_priority);
            line("slave_read_only", &u8::from(cfg.replica_read_only));
            line("replica_announced", &u8::from(cfg.replica_announced));
        }
        None => line("role", &"master"),
    }
    line("connected_slaves", &r.replicas.len());
    for (i, rep) in r.replicas.iter().enumerate() {
        let lag = (now - rep.ack_ms) / 1000;
        let v = format!(
            "ip={},port={},state=online,offset={},lag={}",
            rep.ip, rep.listening_port, rep.ack_offset, lag
        );
        line(&format!("slave{i}"), &v);
    }
    line("master_failover_state", &"no-failover");
    line("master_replid", &r.ids.replid);
    line("master_replid2", &r.ids.replid2);
    line("master_repl_offset", &r.offset);
    line("second_repl_offset", &r.ids.second_repl_offset);
    line("repl_backlog_active", &u8::from(r.backlog.is_some()));
    line("repl_backlog_size", &cfg.repl_backlog_size);
    let (first, hist) = r
        .backlog
        .as_ref()
        .map_or((0, 0), |b| (b.start_offset() + 1, b.histlen()));
    line("repl_backlog_first_byte_offset", &first);
    line("repl_backlog_histlen", &hist);
}

/// Replicas whose last ACK is recent enough to count for `min-replicas-to-write`.
pub fn good_replicas(srv: &ServerState, now: i64) -> usize {
    let max_lag = srv.config.min_replicas_max_lag as i64 * 1000;
    srv.repl
        .replicas
        .iter()
        .filter(|r| now - r.ack_ms <= max_lag)
        .count()
}

/// Redis's `checkGoodReplicasStatus`: writes need `min-replicas-to-write` replicas that
/// acknowledged within `min-replicas-max-lag` seconds (a replica itself never refuses).
pub fn enough_good_replicas(srv: &ServerState) -> bool {
    let cfg = &srv.config;
    if srv.repl.primary.is_some() || cfg.min_replicas_to_write == 0 || cfg.min_replicas_max_lag == 0
    {
        return true;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    good_replicas(srv, now) as u64 >= cfg.min_replicas_to_write
}

/// `replica-serve-stale-data no` with the link to the primary down: commands not flagged
/// `stale` get MASTERDOWN.
pub fn stale_reads_denied(srv: &ServerState) -> bool {
    !srv.config.replica_serve_stale_data
        && srv
            .repl
            .primary
            .as_ref()
            .is_some_and(|p| p.state != LinkState::Connected)
}

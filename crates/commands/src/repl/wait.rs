//! Acknowledgements: WAIT, batched `REPLCONF GETACK`, and the confirmed-writes mode.
//!
//! A replica reports the offset it has applied with `REPLCONF ACK` every second and whenever
//! the stream carries `REPLCONF GETACK *`. Anyone who needs a fresh acknowledgement (a WAIT
//! that blocked, a held write reply) sets `getack_wanted`; the replication task sends one
//! GETACK at the end of the loop turn for all of them (Redis's `beforeSleep`), and not while
//! writes are paused, when the offset must stand still.
//!
//! `min-replicas-ack-writes yes` (Redoubt's own) holds the reply of every write until
//! `min-replicas-to-write` online replicas acknowledged its offset; the connection keeps
//! later replies behind it (crates/server/src/held.rs). After `min-replicas-ack-timeout`
//! ms the client gets [`CmdError::NotConfirmed`] instead: the write ran here but may not
//! survive the loss of this server.

use keyspace::Keyspace;
use resp::ReplyWriter;

use crate::blocking::{self, Wants};
use crate::client::Kind;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::ServerState;

/// `REPLCONF GETACK *` as it travels in the stream.
const GETACK: &[u8] = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

/// WAIT numreplicas timeout
pub fn wait(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.repl.primary.is_some() {
        return Err(CmdError::err(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        ));
    }
    let needed = ctx.i64_arg(1)?;
    let deadline = parse_ms_timeout(ctx, 2)?;
    let offset = ctx.client.woff;
    let acked = count_acks(ctx.srv, offset);
    // Inside MULTI or a script it answers at once, as a blocking command does there.
    if acked >= needed || !blocking::may_block(ctx) {
        ctx.out.int(acked);
        return Ok(());
    }
    blocking::block(ctx, &[], deadline, Wants::Replicas { offset, needed });
    request_getack(ctx.srv);
    Ok(())
}

/// A timeout in milliseconds as Redis's `getTimeoutFromObjectOrReply(…, UNIT_MILLISECONDS)`
/// reads it; returns the absolute deadline, 0 for none. A deadline past the end of time
/// never comes (Redis's addition overflows into the same effect).
fn parse_ms_timeout(ctx: &Ctx, i: usize) -> Result<i64, CmdError> {
    let ms = ctx.i64_arg(i).map_err(|_| CmdError::Timeout)?;
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    Ok(if ms > 0 {
        ms.checked_add(ctx.now).unwrap_or(0)
    } else {
        0
    })
}

/// Online replicas that acknowledged `offset` (Redis's `replicationCountAcksByOffset`).
pub fn count_acks(srv: &ServerState, offset: i64) -> i64 {
    let acks = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.online())
        .map(|r| r.ack_offset);
    replication::acks::count_reaching(acks, offset) as i64
}

/// `REPLCONF ACK <offset>` from a replica: record it, start its stream if it was waiting
/// for this first ACK, serve WAITs, wake held replies and a waiting failover.
pub fn on_ack(ks: &mut Keyspace, srv: &mut ServerState, id: u64, offset: i64, now: i64) {
    let Some(r) = srv.repl.replicas.iter_mut().find(|r| r.client_id == id) else {
        return;
    };
    r.ack_offset = r.ack_offset.max(offset);
    r.ack_ms = now;
    if r.state == super::SyncState::WaitAck {
        super::sync::start_stream(srv, id);
    }
    serve_waiters(ks, srv);
    wake_holders(srv);
    if srv.repl.failover.state == super::FailoverState::WaitForSync {
        srv.repl.events.notify_one();
    }
}

/// Replies to the WAITs whose count is reached.
fn serve_waiters(ks: &mut Keyspace, srv: &mut ServerState) {
    if srv.blocking.count() == 0 {
        return;
    }
    for (id, offset, needed) in srv.blocking.replica_waiters() {
        let n = count_acks(srv, offset);
        if n >= needed {
            blocking::finish(ks, srv, id, |out| out.int(n));
        }
    }
}

/// Asks for a GETACK at the end of this loop turn.
pub fn request_getack(srv: &mut ServerState) {
    if !srv.repl.getack_wanted {
        srv.repl.getack_wanted = true;
        srv.repl.events.notify_one();
    }
}

/// Sends the GETACK asked for during this loop turn, once, unless writes are paused (then
/// after the pause, as in Redis).
pub fn maybe_send_getack(srv: &mut ServerState, now: i64) {
    if !srv.repl.getack_wanted {
        return;
    }
    let paused = srv.pause.is_some_and(|p| now < p.until_ms);
    if paused || super::writes_paused_by_failover(srv) {
        return;
    }
    srv.repl.getack_wanted = false;
    if srv.repl.primary.is_none() && !srv.repl.replicas.is_empty() {
        super::feed(srv, GETACK);
    }
}

/// Wakes every connection holding write replies, to release or fail them.
pub fn wake_holders(srv: &ServerState) {
    for id in &srv.repl.holders {
        if let Some(c) = srv.clients.get(id) {
            c.notify.notify_one();
        }
    }
}

/// Whether the replies of this client's writes must wait for confirmation.
pub fn holds_writes(srv: &ServerState, kind: Kind) -> bool {
    let cfg = &srv.config;
    cfg.min_replicas_ack_writes
        && cfg.min_replicas_to_write > 0
        && kind == Kind::Normal
        && srv.repl.primary.is_none()
}

/// When a reply held at `now` gives up (0: never).
pub fn hold_deadline(srv: &ServerState, now: i64) -> i64 {
    match srv.config.min_replicas_ack_timeout {
        0 => 0,
        ms => now.saturating_add(ms as i64),
    }
}

/// What held replies may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldVerdict {
    /// Writes up to this offset are confirmed.
    Confirmed(i64),
    /// The mode was switched off: release everything as it is.
    ReleaseAll,
    /// This server became a replica: nothing held can be confirmed any more.
    FailAll,
}

pub fn hold_verdict(srv: &ServerState) -> HoldVerdict {
    if srv.repl.primary.is_some() {
        return HoldVerdict::FailAll;
    }
    let cfg = &srv.config;
    if !cfg.min_replicas_ack_writes || cfg.min_replicas_to_write == 0 {
        return HoldVerdict::ReleaseAll;
    }
    let acks = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.online())
        .map(|r| r.ack_offset);
    let n = cfg.min_replicas_to_write as usize;
    HoldVerdict::Confirmed(replication::acks::quorum_offset(acks, n).unwrap_or(-1))
}

/// Registers (or forgets) a client holding replies, to be woken by ACKs.
pub fn set_holding(srv: &mut ServerState, id: u64, holding: bool) {
    if holding {
        srv.repl.holders.insert(id);
    } else {
        srv.repl.holders.remove(&id);
    }
}

/// Writes the error that replaces an unconfirmed write's reply, counted like any error.
pub fn unconfirmed(srv: &mut ServerState, out: &mut ReplyWriter) {
    crate::exec::reply_error(srv, out, &CmdError::NotConfirmed);
}

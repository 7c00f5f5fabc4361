//! Blocking commands (BLPOP, BLMOVE, BLMPOP, BZPOPMIN…): the clients blocked on keys and
//! their service.
//!
//! A handler that finds nothing to serve calls [`block`] and writes no reply; the executor
//! then runs nothing more for that client, whose connection task waits for its reply or its
//! deadline ([`deadline`], [`time_out`]). While anyone is blocked the keyspace reports every
//! key given a list or sorted set (`events.ready`, Redis's `signalKeyAsReady` in `dbAdd`).
//! After each top-level command, [`handle_ready`] re-runs, in the order they blocked, the
//! command of each client blocked on such a key — on this thread, before any other client
//! runs, so nobody can take the element in between (Redis's `handleClientsBlockedOnKeys`).
//! The re-run considers only the ready key, replies into the blocked client's push buffer
//! and propagates its effective form; if it still finds nothing, the client stays blocked
//! in its place. Served chains (BLMOVE into a key others wait on) are followed until no key
//! is ready.
//!
//! A blocking command behaves as its non-blocking form (replying null at once) inside
//! MULTI/EXEC, from a script, and from the primary's stream: [`may_block`].
//!
//! WAIT blocks here too, on no key ([`Wants::Replicas`]): the replication module serves it
//! when acknowledgements arrive ([`finish`]); its timeout reply is the count reached.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use bytes::Bytes;
use keyspace::{Keyspace, SBytes, Value};
use resp::ReplyWriter;

use crate::client::{Client, ClientShared, Kind};
use crate::ctx::Ctx;
use crate::errors::CmdError;
use crate::state::ServerState;
use crate::table::Entry;

/// The type of value a blocked client waits for: a key holding another type does not wake
/// it (Redis 7.0 serves list waiters from lists and sorted-set waiters from sorted sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    List,
    ZSet,
    /// WAIT: `needed` replicas acknowledging `offset`.
    Replicas {
        offset: i64,
        needed: i64,
    },
}

impl Wants {
    fn matches(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (Wants::List, Value::List(_)) | (Wants::ZSet, Value::ZSet(_))
        )
    }
}

/// One blocked client: what it ran and where, until when.
pub struct Blocked {
    pub shared: Rc<ClientShared>,
    pub db: usize,
    pub user: String,
    pub entry: &'static Entry,
    pub args: Vec<Bytes>,
    pub keys: Vec<SBytes>,
    /// Unix ms after which it times out; 0 waits for ever.
    pub deadline: i64,
    pub wants: Wants,
}

/// A re-run in progress.
struct Serving {
    db: usize,
    key: SBytes,
    reblocked: bool,
}

#[derive(Default)]
pub struct Blocking {
    pub clients: HashMap<u64, Blocked>,
    /// (db, key) to the clients blocked on it, first blocked first.
    by_key: HashMap<(usize, SBytes), VecDeque<u64>>,
    /// Keys signalled and not yet served, in signal order, without repeats.
    ready: Vec<(usize, SBytes)>,
    ready_set: HashSet<(usize, SBytes)>,
    /// The top-level command being executed (its table id): only a command run directly by
    /// its client may block, not one inside EXEC or a script.
    pub top: Option<usize>,
    serving: Option<Serving>,
    /// The running command blocked: the executor does not count it as a call yet.
    pub blocked_now: bool,
}

impl Blocking {
    pub fn is_blocked(&self, id: u64) -> bool {
        self.clients.contains_key(&id)
    }

    pub fn count(&self) -> usize {
        self.clients.len()
    }

    /// Blocked clients with a deadline (INFO's `clients_in_timeout_table`).
    pub fn with_deadline(&self) -> usize {
        self.clients.values().filter(|b| b.deadline != 0).count()
    }

    /// Clients blocked in WAIT: (id, offset, replicas needed).
    pub fn replica_waiters(&self) -> Vec<(u64, i64, i64)> {
        self.clients
            .iter()
            .filter_map(|(&id, b)| match b.wants {
                Wants::Replicas { offset, needed } => Some((id, offset, needed)),
                _ => None,
            })
            .collect()
    }

    /// Removes a client's record and its places in the key queues.
    fn take(&mut self, id: u64) -> Option<Blocked> {
        let rec = self.clients.remove(&id)?;
        for k in &rec.keys {
            let slot = (rec.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&slot) {
                q.retain(|&c| c != id);
                if q.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
        set_blocked_flag(&rec.shared, false);
        Some(rec)
    }

    /// True while a blocked client's command is being re-run.
    pub fn is_serving(&self) -> bool {
        self.serving.is_some()
    }
}

/// Parses a blocking timeout in seconds as Redis 7.0's `getTimeoutFromObjectOrReply` does:
/// a long double (validated by the same C parser INCRBYFLOAT uses), times 1000, rounded up;
/// returns the absolute deadline in ms, 0 for none. A product beyond `i64` converts to
/// x87's "integer indefinite" (i64::MIN) and so reads as negative, as in C.
pub fn parse_timeout(ctx: &Ctx, i: usize) -> Result<i64, CmdError> {
    let arg = ctx.arg(i);
    let secs = match crate::strings::longdouble::add(None, arg) {
        Ok(sum) => crate::ctx::parse_f64(arg)
            .or_else(|| {
                std::str::from_utf8(sum.as_bytes())
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
            })
            .ok_or_else(not_float)?,
        Err(CmdError::NanOrInf) => f64::INFINITY,
        Err(_) => return Err(not_float()),
    };
    let ms = (secs * 1000.0).ceil();
    let ms = if ms.is_finite() && ms > -9.223_372_036_854_776e18 && ms < 9.223_372_036_854_776e18 {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    // A deadline past the end of time never comes.
    Ok(if ms > 0 {
        ms.checked_add(ctx.now).unwrap_or(0)
    } else {
        0
    })
}

fn not_float() -> CmdError {
    CmdError::err("timeout is not a float or out of range")
}

/// May this command block? Not inside MULTI/EXEC or a script (it is not the top-level
/// command then), nor from the primary's stream.
pub fn may_block(ctx: &Ctx) -> bool {
    let b = &ctx.srv.blocking;
    b.serving.is_some() || (ctx.client.kind != Kind::Primary && b.top == Some(ctx.entry.id))
}

/// The key a re-run must serve from (the one that became ready), if this is a re-run.
pub fn serving_key<'a>(ctx: &'a Ctx) -> Option<&'a [u8]> {
    ctx.srv
        .blocking
        .serving
        .as_ref()
        .filter(|s| s.db == ctx.client.db)
        .map(|s| &s.key[..])
}

/// Blocks the running client on `keys` until `deadline` (0: for ever). The handler writes
/// no reply. During a re-run, the client simply stays blocked where it was.
pub fn block(ctx: &mut Ctx, keys: &[&[u8]], deadline: i64, wants: Wants) {
    let b = &mut ctx.srv.blocking;
    b.blocked_now = true;
    if let Some(s) = b.serving.as_mut() {
        s.reblocked = true;
        return;
    }
    let db = ctx.client.db;
    let mut distinct: Vec<SBytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !distinct.iter().any(|d| &d[..] == *k) {
            distinct.push(SBytes::new(k));
        }
    }
    for k in &distinct {
        b.by_key
            .entry((db, k.clone()))
            .or_default()
            .push_back(ctx.client.id);
    }
    b.clients.insert(
        ctx.client.id,
        Blocked {
            shared: ctx.client.shared.clone(),
            db,
            user: ctx.client.user.clone(),
            entry: ctx.entry,
            args: ctx.args.to_vec(),
            keys: distinct,
            deadline,
            wants,
        },
    );
    ctx.ks.track_ready = true;
    set_blocked_flag(&ctx.client.shared, true);
}

/// Shows or hides the `b` of CLIENT LIST (after the S/O/M/P/x flags, as Redis orders them).
fn set_blocked_flag(shared: &ClientShared, on: bool) {
    shared.paused_or_blocked.set(on);
    let mut f = shared.flags.borrow_mut();
    if on {
        if f.as_str() == "N" {
            f.clear();
        }
        let at = f
            .find(|c: char| !matches!(c, 'S' | 'O' | 'M' | 'P' | 'x'))
            .unwrap_or(f.len());
        f.insert(at, 'b');
    } else {
        f.retain(|c| c != 'b');
        if f.is_empty() {
            f.push('N');
        }
    }
}

/// Removes a client's block record (served, timed out, unblocked, disconnected).
fn remove(ks: &mut Keyspace, srv: &mut ServerState, id: u64) -> Option<Blocked> {
    let rec = srv.blocking.take(id)?;
    ks.track_ready = !srv.blocking.clients.is_empty();
    Some(rec)
}

/// When a blocked client times out (ms since the epoch; 0 for never); None if not blocked.
pub fn deadline(srv: &ServerState, id: u64) -> Option<i64> {
    srv.blocking.clients.get(&id).map(|b| b.deadline)
}

/// Times the client out if it is blocked and its deadline has passed: its record goes and
/// the timeout reply (a null array) is written. True if it timed out.
pub fn time_out(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    client: &Client,
    out: &mut ReplyWriter,
    now: i64,
) -> bool {
    match deadline(srv, client.id) {
        Some(d) if d != 0 && now >= d => {}
        _ => return false,
    }
    if let Some(rec) = remove(ks, srv, client.id) {
        srv.stats.commands[rec.entry.id].calls += 1;
        timeout_reply(srv, &rec, out);
    }
    true
}

/// What a block ends with when it times out: a null array, or WAIT's count so far.
fn timeout_reply(srv: &ServerState, rec: &Blocked, out: &mut ReplyWriter) {
    match rec.wants {
        Wants::Replicas { offset, .. } => out.int(crate::repl::wait::count_acks(srv, offset)),
        _ => out.null_array(),
    }
}

/// Ends a client's block with the reply `write` produces (WAIT served), counted as a call.
pub fn finish(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    id: u64,
    write: impl FnOnce(&mut ReplyWriter),
) {
    let Some(rec) = remove(ks, srv, id) else {
        return;
    };
    srv.stats.commands[rec.entry.id].calls += 1;
    let mut out = ReplyWriter::new(rec.shared.proto.get());
    write(&mut out);
    rec.shared.push_raw(&out.buf);
}

/// Forgets a disconnected client's block.
pub fn forget(ks: &mut Keyspace, srv: &mut ServerState, id: u64) {
    remove(ks, srv, id);
}

/// CLIENT UNBLOCK: ends a client's block with its timeout reply, or with an error; false
/// if it was not blocked.
pub fn unblock_by_admin(ks: &mut Keyspace, srv: &mut ServerState, id: u64, error: bool) -> bool {
    let Some(rec) = remove(ks, srv, id) else {
        return false;
    };
    let mut out = ReplyWriter::new(rec.shared.proto.get());
    let st = &mut srv.stats.commands[rec.entry.id];
    st.calls += 1;
    if error {
        st.failed += 1;
        crate::exec::reply_error(
            srv,
            &mut out,
            &CmdError::Raw("UNBLOCKED client unblocked via CLIENT UNBLOCK".into()),
        );
    } else {
        timeout_reply(srv, &rec, &mut out);
    }
    rec.shared.push_raw(&out.buf);
    true
}

/// The server became a replica: every blocked client is released with Redis's
/// `-UNBLOCKED … (master -> replica?)` error (Redis also closes those connections).
pub fn release_all_for_replica(srv: &mut ServerState) {
    let ids: Vec<u64> = srv.blocking.clients.keys().copied().collect();
    for id in ids {
        let Some(rec) = srv.blocking.take(id) else {
            continue;
        };
        let mut out = ReplyWriter::new(rec.shared.proto.get());
        crate::exec::reply_error(
            srv,
            &mut out,
            &CmdError::Raw(
                "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
                    .into(),
            ),
        );
        rec.shared.push_raw(&out.buf);
    }
}

/// Serves the clients blocked on keys that became ready, until none is.
pub fn handle_ready(ks: &mut Keyspace, srv: &mut ServerState, now: i64) {
    loop {
        // After SWAPDB every key waited on in either database may hold a value now.
        for db in std::mem::take(&mut ks.events.ready_dbs) {
            let keys = srv.blocking.by_key.keys().filter(|(d, _)| *d == db);
            ks.events.ready.extend(keys.cloned());
        }
        for (db, key) in std::mem::take(&mut ks.events.ready) {
            let b = &mut srv.blocking;
            let slot = (db, key);
            if b.by_key.contains_key(&slot) && b.ready_set.insert(slot.clone()) {
                b.ready.push(slot);
            }
        }
        if srv.blocking.ready.is_empty() {
            break;
        }
        for (db, key) in std::mem::take(&mut srv.blocking.ready) {
            srv.blocking.ready_set.remove(&(db, key.clone()));
            serve_key(ks, srv, db, &key, now);
        }
    }
    ks.track_ready = !srv.blocking.clients.is_empty();
}

/// Serves, first blocked first, the clients waiting on one key while it holds a value of
/// the type they wait for.
fn serve_key(ks: &mut Keyspace, srv: &mut ServerState, db: usize, key: &SBytes, now: i64) {
    let Some(queue) = srv.blocking.by_key.get(&(db, key.clone())) else {
        return;
    };
    let waiting: Vec<u64> = queue.iter().copied().collect();
    for id in waiting {
        let wants = match srv.blocking.clients.get(&id) {
            Some(rec) => rec.wants,
            None => continue,
        };
        match ks.peek(db, key, now) {
            Some(v) if wants.matches(v) => serve_one(ks, srv, id, db, key, now),
            Some(v) if Wants::List.matches(v) || Wants::ZSet.matches(v) => continue,
            _ => break,
        }
    }
}

/// Re-runs one blocked client's command against the ready key; its reply goes to the
/// client's push buffer unless it blocked again.
fn serve_one(ks: &mut Keyspace, srv: &mut ServerState, id: u64, db: usize, key: &SBytes, now: i64) {
    let Some(rec) = srv.blocking.clients.get(&id) else {
        return;
    };
    let (shared, entry, args) = (rec.shared.clone(), rec.entry, rec.args.clone());
    let mut client = Client::new(shared.clone(), true);
    client.db = rec.db;
    client.user = rec.user.clone();
    let mut out = ReplyWriter::new(shared.proto.get());
    srv.blocking.serving = Some(Serving {
        db,
        key: key.clone(),
        reblocked: false,
    });
    crate::exec::call(ks, srv, &mut client, &mut out, entry, &args, now);
    let reblocked = srv.blocking.serving.take().is_some_and(|s| s.reblocked);
    if reblocked {
        return;
    }
    remove(ks, srv, id);
    shared.push_raw(&out.buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_flag_sits_after_multi_flags() {
        let s = ClientShared::new(1, "a".into(), "b".into(), 0, 0);
        set_blocked_flag(&s, true);
        assert_eq!(s.flags.borrow().as_str(), "b");
        set_blocked_flag(&s, false);
        assert_eq!(s.flags.borrow().as_str(), "N");
        *s.flags.borrow_mut() = "Pxe".into();
        set_blocked_flag(&s, true);
        assert_eq!(s.flags.borrow().as_str(), "Pxbe");
        set_blocked_flag(&s, false);
        assert_eq!(s.flags.borrow().as_str(), "Pxe");
    }
}

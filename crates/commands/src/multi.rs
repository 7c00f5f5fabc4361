//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing happens in the executor (a command that passes the gate inside MULTI is queued);
//! a gate failure marks the transaction failed so EXEC answers EXECABORT. WATCH registers the
//! key with the keyspace, which reports every write, expiry, flush or swap that touches it;
//! the executor turns those reports into `cas_dirty` marks that make EXEC answer a null array.

use keyspace::{Keyspace, SBytes};

use crate::client::Client;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::exec;
use crate::state::ServerState;
use crate::table::{flag::*, table, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        multi,
    )
    .acl("fast transaction"),
    Spec::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        exec_cmd,
    )
    .acl("slow transaction"),
    Spec::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        discard,
    )
    .acl("fast transaction"),
    Spec::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        watch,
    )
    .keys(1, -1, 1)
    .acl("fast transaction"),
    Spec::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        unwatch,
    )
    .acl("fast transaction"),
];

/// MULTI
fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::NestedMulti);
    }
    exec::begin_multi(ctx.client);
    ctx.out.ok();
    Ok(())
}

/// Forgets every key the client watches.
pub fn unwatch_all(ks: &mut Keyspace, srv: &mut ServerState, client: &mut Client) {
    for (db, key) in client.watched.drain(..) {
        ks.unwatch(db, &key);
        let k = (db, key);
        if let Some(ids) = srv.watchers.get_mut(&k) {
            ids.retain(|&i| i != client.id);
            if ids.is_empty() {
                srv.watchers.remove(&k);
            }
        }
    }
    srv.cas_dirty.remove(&client.id);
}

/// Drops a queued transaction and the client's watches (DISCARD, RESET, disconnect).
pub fn discard_transaction(ks: &mut Keyspace, srv: &mut ServerState, client: &mut Client) {
    client.multi = None;
    unwatch_all(ks, srv, client);
    client.sync_shared();
}

/// DISCARD
fn discard(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::DiscardWithoutMulti);
    }
    discard_transaction(ctx.ks, ctx.srv, ctx.client);
    ctx.out.ok();
    Ok(())
}

/// EXEC
fn exec_cmd(ctx: &mut Ctx) -> CmdResult {
    let Some(m) = ctx.client.multi.take() else {
        return Err(CmdError::ExecWithoutMulti);
    };
    if m.failed {
        discard_transaction(ctx.ks, ctx.srv, ctx.client);
        return Err(CmdError::ExecAbort);
    }
    // A watched key that expired since WATCH also aborts (Redis 7.0 `isWatchedKeyExpired`).
    let expired = ctx
        .client
        .watched
        .iter()
        .any(|(db, k)| ctx.ks.db(*db).is_expired(k, ctx.now));
    if ctx.srv.cas_dirty.contains(&ctx.client.id) || expired {
        discard_transaction(ctx.ks, ctx.srv, ctx.client);
        ctx.out.null_array();
        return Ok(());
    }
    unwatch_all(ctx.ks, ctx.srv, ctx.client);
    ctx.client.sync_shared();
    let t = table();
    ctx.out.array(m.queued.len());
    let writes = m.queued.iter().any(|(id, _)| t.entries[*id].spec.is(WRITE));
    if writes {
        let multi = [bytes::Bytes::from_static(b"MULTI")];
        crate::propagate::propagate(ctx.srv, ctx.client.db, &multi);
    }
    for (id, args) in &m.queued {
        let entry = &t.entries[*id];
        exec::call(ctx.ks, ctx.srv, ctx.client, ctx.out, entry, args, ctx.now);
    }
    if writes {
        // A rewrite is always propagated, closing the block even if nothing changed.
        ctx.propagate_as(vec![bytes::Bytes::from_static(b"EXEC")]);
    }
    Ok(())
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::WatchInMulti);
    }
    let db = ctx.client.db;
    for k in &ctx.args[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, w)| *d == db && w[..] == k[..])
        {
            continue;
        }
        let key = SBytes::new(k);
        ctx.ks.watch(db, k);
        ctx.srv
            .watchers
            .entry((db, key.clone()))
            .or_default()
            .push(ctx.client.id);
        ctx.client.watched.push((db, key));
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx) -> CmdResult {
    unwatch_all(ctx.ks, ctx.srv, ctx.client);
    ctx.out.ok();
    Ok(())
}

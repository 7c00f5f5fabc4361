//! The executor: the one path every command takes — lookup, the central gate (in Redis's
//! order), MULTI queueing, the call itself, then what follows from it: errors into replies,
//! expired keys and touched WATCHes from the keyspace's events, statistics, slowlog, MONITOR.

use std::time::Instant;

use bytes::Bytes;
use resp::{Proto, ReplyWriter};

use crate::client::{Client, Multi, ReplyMode};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{unknown_command, CmdError};
use keyspace::Keyspace;

use crate::state::{Core, ServerState, SlowEntry};
use crate::table::{flag, table, Entry};

/// Runs one command from a client and writes its reply.
pub fn execute(
    core: &mut Core,
    client: &mut Client,
    out: &mut ReplyWriter,
    args: &[Bytes],
    now: i64,
) {
    let Core { ks, srv } = core;
    if args.is_empty() {
        return;
    }
    let mark = out.len();
    if client.reply_mode == ReplyMode::SkipNext {
        client.reply_mode = ReplyMode::Skip;
    }
    match gate(ks, srv, client, args, now) {
        Ok(entry) => {
            if let Some(m) = client.multi.as_mut().filter(|_| !is_multi_control(entry)) {
                m.queued.push((entry.id, args.to_vec()));
                client.shared.multi_count.set(m.queued.len() as i64);
                out.simple("QUEUED");
            } else {
                srv.blocking.top = Some(entry.id);
                call(ks, srv, client, out, entry, args, now);
                srv.blocking.top = None;
                // WAIT waits for the replication offset as it stood after the client's
                // previous command, whatever it was (Redis 7.0's processCommand).
                client.woff = srv.repl.offset;
            }
        }
        Err((entry, e)) => {
            if let Some(m) = client.multi.as_mut() {
                m.failed = true;
            }
            if let Some(entry) = entry {
                srv.stats.commands[entry.id].rejected += 1;
            }
            reply_error(srv, out, &e);
        }
    }
    if ks.track_ready || !ks.events.ready.is_empty() {
        crate::blocking::handle_ready(ks, srv, now);
    }
    match client.reply_mode {
        ReplyMode::Off => out.buf.truncate(mark),
        ReplyMode::Skip => {
            out.buf.truncate(mark);
            client.reply_mode = ReplyMode::On;
        }
        _ => {}
    }
}

fn is_multi_control(e: &Entry) -> bool {
    matches!(
        e.spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

type Rejection = (Option<&'static Entry>, CmdError);

/// The central checks, once per command, in the order Redis's `processCommand` makes them.
/// With `maxmemory` set the OOM check may evict keys, hence the mutable keyspace.
fn gate(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    client: &Client,
    args: &[Bytes],
    now: i64,
) -> Result<&'static Entry, Rejection> {
    let t = table();
    let Some(mut entry) = t.get(&args[0]) else {
        return Err((None, unknown_command(args)));
    };
    // Without a subcommand name the container itself runs (COMMAND) or fails its arity.
    if !entry.subs.is_empty() && args.len() >= 2 {
        match t.sub(entry, &args[1]) {
            Some(sub) => entry = sub,
            None => {
                let sub = crate::errors::trunc(&args[1], 128);
                let cmd = String::from_utf8_lossy(&args[0]).to_uppercase();
                return Err((Some(entry), CmdError::UnknownSubcommand { sub, cmd }));
            }
        }
    }
    let spec = entry.spec;
    if !spec.arity_ok(args.len()) {
        return Err((Some(entry), CmdError::Arity(entry.fullname.clone())));
    }
    let cfg = &srv.config;
    if spec.is(flag::PROTECTED) {
        let allowed = match cfg.enable_debug_command.as_str() {
            "yes" => true,
            "local" => is_local(&client.shared.addr),
            _ => false,
        };
        if !allowed {
            return Err((Some(entry), CmdError::DebugNotAllowed));
        }
    }
    if !client.authenticated && !spec.is(flag::NO_AUTH) {
        return Err((Some(entry), CmdError::NoAuth));
    }
    if client.multi.is_some() && spec.is(flag::NO_MULTI) {
        return Err((Some(entry), CmdError::NotAllowedInMulti));
    }
    if srv.config.maxmemory != 0 {
        crate::evict::gate(ks, srv, client, entry, now).map_err(|e| (Some(entry), e))?;
    }
    let primary = client.kind == crate::client::Kind::Primary;
    if let Some(e) = crate::persistence::disk_error(srv)
        .filter(|_| !primary && (spec.is(flag::WRITE) || spec.name == "ping"))
    {
        return Err((Some(entry), e));
    }
    if spec.is(flag::WRITE) && !primary && !crate::repl::enough_good_replicas(srv) {
        return Err((Some(entry), CmdError::NoReplicas));
    }
    if srv.is_replica() && srv.config.replica_read_only && spec.is(flag::WRITE) && !primary {
        return Err((Some(entry), CmdError::ReadOnly));
    }
    if client.in_pubsub()
        && client.shared.proto.get() == Proto::Resp2
        && !matches!(
            spec.name,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
    {
        return Err((
            Some(entry),
            CmdError::SubscribeContext(entry.fullname.clone()),
        ));
    }
    if !spec.is(flag::STALE) && !primary && crate::repl::stale_reads_denied(srv) {
        return Err((Some(entry), CmdError::MasterDown));
    }
    if srv.loading && !spec.is(flag::LOADING) {
        return Err((Some(entry), CmdError::Loading));
    }
    Ok(entry)
}

fn is_local(addr: &str) -> bool {
    addr.starts_with("127.") || addr.starts_with("[::1]") || addr.starts_with("/")
}

/// Writes an error reply and counts it (INFO errorstats).
pub fn reply_error(srv: &mut ServerState, out: &mut ReplyWriter, e: &CmdError) {
    let line = e.wire();
    out.error(&line);
    let code = line.split(' ').next().unwrap_or("ERR").to_string();
    let stats = &mut srv.stats;
    stats.total_error_replies += 1;
    *stats.errors.entry(code).or_insert(0) += 1;
}

/// Runs a command that passed the gate (or is being replayed by EXEC).
pub fn call(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    client: &mut Client,
    out: &mut ReplyWriter,
    entry: &'static Entry,
    args: &[Bytes],
    now: i64,
) {
    let start = Instant::now();
    let dirty_before = ks.dirty;
    ks.set_child_active(srv.has_active_child());
    let events_at = out.len();
    let mut ctx = Ctx {
        args,
        ks: &mut *ks,
        srv: &mut *srv,
        client,
        out,
        now,
        entry,
        rewrite: None,
        events_at,
    };
    let result = (entry.spec.handler)(&mut ctx);
    // What the keyspace recorded goes out now, before an error reply.
    ctx.flush_keyspace_events();
    let rewrite = ctx.rewrite.take();
    let usec = start.elapsed().as_micros() as u64;
    let failed = result.is_err();
    if let Err(e) = result {
        reply_error(srv, out, &e);
    }
    // A command that blocked counts as a call once it is served or times out.
    let blocked = std::mem::take(&mut srv.blocking.blocked_now);
    let st = &mut srv.stats.commands[entry.id];
    if !blocked {
        st.calls += 1;
        st.usec += usec;
    }
    if failed {
        st.failed += 1;
    }
    srv.stats.total_commands += 1;
    if !blocked {
        crate::server::latency::on_call(srv, entry, usec, now);
    }
    client.shared.last_cmd.set(Some(entry.id));
    break_watches(ks, srv);
    match rewrite {
        Some(r) => crate::propagate::propagate(srv, client.db, &r),
        // Only growth: a save resets the count (SAVE, DEBUG RELOAD), which is no write.
        None if ks.dirty > dirty_before => crate::propagate::propagate(srv, client.db, args),
        None => {}
    }
    // A blocked client's re-run was shown to monitors when it first ran.
    if !srv.monitors.is_empty()
        && !entry.spec.is(flag::SKIP_MONITOR | flag::ADMIN)
        && !srv.blocking.is_serving()
    {
        crate::pubsub::feed_monitors(srv, client, args, now);
    }
    if !blocked {
        maybe_slowlog(srv, client, entry, args, usec, now);
    }
}

/// Acts on what the keyspace recorded: expired keys are propagated as DEL and notified,
/// created keys notified as `new` (both in the order they happened); touched watched keys
/// break their watchers' transactions.
pub fn after_keyspace_events(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    mut me: Option<(&mut Client, &mut ReplyWriter)>,
) {
    // One test for both queues: `created` stays empty unless the `n` class is on.
    if (ks.events.expired.len() | ks.events.created.len()) != 0 {
        let expired = std::mem::take(&mut ks.events.expired);
        let created = std::mem::take(&mut ks.events.created);
        let mut sent = 0;
        for (db, key, after) in &created {
            let upto = (*after).clamp(sent, expired.len());
            for (db, key) in &expired[sent..upto] {
                on_expired(srv, &mut me, *db, key);
            }
            sent = upto;
            let me = me.as_mut().map(|(c, o)| (&mut **c, &mut **o));
            crate::pubsub::notify_keyspace_event(srv, me, notify::NEW, "new", key, *db);
        }
        for (db, key) in &expired[sent..] {
            on_expired(srv, &mut me, *db, key);
        }
    }
    break_watches(ks, srv);
}

/// Transactions watching keys that changed will fail.
fn break_watches(ks: &mut Keyspace, srv: &mut ServerState) {
    if !ks.events.touched.is_empty() {
        for k in std::mem::take(&mut ks.events.touched) {
            if let Some(ids) = srv.watchers.get(&k) {
                srv.cas_dirty.extend(ids.iter().copied());
            }
        }
    }
}

/// A key deleted because it expired: `DEL` to replicas and the AOF, the `expired` event.
fn on_expired(
    srv: &mut ServerState,
    me: &mut Option<(&mut Client, &mut ReplyWriter)>,
    db: usize,
    key: &[u8],
) {
    let del = vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)];
    crate::propagate::propagate(srv, db, &del);
    if srv.config.notify_keyspace_events & notify::EXPIRED != 0 {
        let me = me.as_mut().map(|(c, o)| (&mut **c, &mut **o));
        crate::pubsub::notify_keyspace_event(srv, me, notify::EXPIRED, "expired", key, db);
    }
}

fn maybe_slowlog(
    srv: &mut ServerState,
    client: &Client,
    entry: &Entry,
    args: &[Bytes],
    usec: u64,
    now: i64,
) {
    let cfg = &srv.config;
    if cfg.slowlog_log_slower_than < 0
        || (usec as i64) < cfg.slowlog_log_slower_than
        || entry.spec.is(flag::SKIP_SLOWLOG)
    {
        return;
    }
    let max_args = 32;
    let mut kept: Vec<Bytes> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i == max_args - 1 && args.len() > max_args {
            kept.push(Bytes::from(format!(
                "... ({} more arguments)",
                args.len() - max_args + 1
            )));
            break;
        }
        if a.len() > 128 {
            let mut v = a[..128].to_vec();
            v.extend(format!("... ({} more bytes)", a.len() - 128).bytes());
            kept.push(Bytes::from(v));
        } else {
            kept.push(a.clone());
        }
    }
    srv.slowlog.push_front(SlowEntry {
        id: srv.slowlog_next_id,
        time: now / 1000,
        usec,
        args: kept,
        addr: client.shared.addr.clone(),
        name: client
            .shared
            .name
            .borrow()
            .as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default(),
    });
    srv.slowlog_next_id += 1;
    while srv.slowlog.len() as u64 > srv.config.slowlog_max_len {
        srv.slowlog.pop_back();
    }
}

/// MULTI: start queueing.
pub fn begin_multi(client: &mut Client) {
    client.multi = Some(Multi::default());
    client.sync_shared();
}

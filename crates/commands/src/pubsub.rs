//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB; keyspace
//! notifications; MONITOR feeds. Messages to other clients are encoded in *their* protocol
//! into their push buffer; a message to the publishing client itself goes straight into its
//! reply stream so it arrives before the PUBLISH reply, as in Redis.

use bytes::Bytes;
use resp::{Proto, ReplyWriter};

use crate::client::Client;
use crate::ctx::Ctx;
use crate::errors::CmdResult;
use crate::glob;
use crate::state::ServerState;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        subscribe,
    )
    .acl("pubsub slow"),
    Spec::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        unsubscribe,
    )
    .acl("pubsub slow"),
    Spec::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        psubscribe,
    )
    .acl("pubsub slow"),
    Spec::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        punsubscribe,
    )
    .acl("pubsub slow"),
    Spec::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        publish,
    )
    .acl("pubsub fast"),
    Spec::new("pubsub", -2, 0, crate::help_only).subs(&[
        Spec::new("channels", -2, PUBSUB | LOADING | STALE, pubsub_channels).acl("pubsub slow"),
        Spec::new("numsub", -2, PUBSUB | LOADING | STALE, pubsub_numsub).acl("pubsub slow"),
        Spec::new("numpat", 2, PUBSUB | LOADING | STALE, pubsub_numpat).acl("pubsub slow"),
        Spec::new(
            "shardchannels",
            -2,
            PUBSUB | LOADING | STALE,
            pubsub_channels,
        )
        .acl("pubsub slow"),
        Spec::new("shardnumsub", -2, PUBSUB | LOADING | STALE, pubsub_numsub).acl("pubsub slow"),
        Spec::new("help", 2, LOADING | STALE, pubsub_help).acl("slow"),
    ]),
];

fn sub_reply(out: &mut ReplyWriter, kind: &str, name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(kind.as_bytes());
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx) -> CmdResult {
    for ch in &ctx.args[1..] {
        if ctx.client.channels.insert(ch.to_vec()) {
            ctx.srv
                .pubsub
                .channels
                .entry(ch.to_vec())
                .or_default()
                .push(ctx.client.id);
        }
        sub_reply(ctx.out, "subscribe", Some(ch), ctx.client.subscriptions());
    }
    ctx.client.sync_shared();
    Ok(())
}

/// Removes the client from one channel; returns whether it was subscribed.
fn drop_channel(srv: &mut ServerState, client: &mut Client, ch: &[u8]) -> bool {
    if !client.channels.remove(ch) {
        return false;
    }
    if let Some(ids) = srv.pubsub.channels.get_mut(ch) {
        ids.retain(|&i| i != client.id);
        if ids.is_empty() {
            srv.pubsub.channels.remove(ch);
        }
    }
    true
}

fn drop_pattern(srv: &mut ServerState, client: &mut Client, pat: &[u8]) -> bool {
    if !client.patterns.remove(pat) {
        return false;
    }
    srv.pubsub
        .patterns
        .retain(|(p, id)| !(p == pat && *id == client.id));
    true
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    let names: Vec<Vec<u8>> = if ctx.argc() > 1 {
        ctx.args[1..].iter().map(|a| a.to_vec()).collect()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if names.is_empty() {
        sub_reply(ctx.out, "unsubscribe", None, ctx.client.subscriptions());
    }
    for ch in names {
        drop_channel(ctx.srv, ctx.client, &ch);
        sub_reply(
            ctx.out,
            "unsubscribe",
            Some(&ch),
            ctx.client.subscriptions(),
        );
    }
    ctx.client.sync_shared();
    Ok(())
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    for p in &ctx.args[1..] {
        if ctx.client.patterns.insert(p.to_vec()) {
            ctx.srv.pubsub.patterns.push((p.to_vec(), ctx.client.id));
        }
        sub_reply(ctx.out, "psubscribe", Some(p), ctx.client.subscriptions());
    }
    ctx.client.sync_shared();
    Ok(())
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    let names: Vec<Vec<u8>> = if ctx.argc() > 1 {
        ctx.args[1..].iter().map(|a| a.to_vec()).collect()
    } else {
        ctx.client.patterns.iter().cloned().collect()
    };
    if names.is_empty() {
        sub_reply(ctx.out, "punsubscribe", None, ctx.client.subscriptions());
    }
    for p in names {
        drop_pattern(ctx.srv, ctx.client, &p);
        sub_reply(
            ctx.out,
            "punsubscribe",
            Some(&p),
            ctx.client.subscriptions(),
        );
    }
    ctx.client.sync_shared();
    Ok(())
}

/// Drops every subscription of a client (disconnect, RESET).
pub fn unsubscribe_all(srv: &mut ServerState, client: &mut Client) {
    for ch in client.channels.clone() {
        drop_channel(srv, client, &ch);
    }
    for p in client.patterns.clone() {
        drop_pattern(srv, client, &p);
    }
}

fn encode_message(proto: Proto, parts: &[&[u8]]) -> ReplyWriter {
    let mut w = ReplyWriter::new(proto);
    w.push(parts.len());
    for p in parts {
        w.bulk(p);
    }
    w
}

/// Delivers a message to a subscriber: into `me`'s own reply stream when it is the
/// publisher, else into its push buffer.
fn deliver(
    srv: &ServerState,
    me: &mut Option<(&mut Client, &mut ReplyWriter)>,
    id: u64,
    parts: &[&[u8]],
) {
    if let Some((c, out)) = me.as_mut() {
        if c.id == id {
            out.push(parts.len());
            for p in parts {
                out.bulk(p);
            }
            return;
        }
    }
    if let Some(sh) = srv.clients.get(&id) {
        let w = encode_message(sh.proto.get(), parts);
        sh.push_raw(&w.buf);
    }
}

/// Publishes `msg` on `channel`; returns the number of deliveries.
pub fn publish_message(
    srv: &mut ServerState,
    mut me: Option<(&mut Client, &mut ReplyWriter)>,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    let mut n = 0;
    if let Some(ids) = srv.pubsub.channels.get(channel) {
        for &id in ids {
            deliver(srv, &mut me, id, &[b"message", channel, msg]);
            n += 1;
        }
    }
    if !srv.pubsub.patterns.is_empty() {
        for (pat, id) in &srv.pubsub.patterns {
            if glob::matches(pat, channel, false) {
                deliver(srv, &mut me, *id, &[b"pmessage", pat, channel, msg]);
                n += 1;
            }
        }
    }
    srv.stats.pubsub_messages += 1;
    n
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx) -> CmdResult {
    let (ch, msg) = (ctx.args[1].clone(), ctx.args[2].clone());
    let n = publish_message(ctx.srv, Some((&mut *ctx.client, &mut *ctx.out)), &ch, &msg);
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBSUB CHANNELS [pattern] / SHARDCHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(crate::errors::CmdError::Arity(ctx.name().to_string()));
    }
    let pat = ctx.args.get(2).map(|p| p.to_vec());
    let shard = ctx.is(1, "shardchannels");
    let names: Vec<&Vec<u8>> = if shard {
        Vec::new()
    } else {
        ctx.srv
            .pubsub
            .channels
            .keys()
            .filter(|c| pat.as_ref().is_none_or(|p| glob::matches(p, c, false)))
            .collect()
    };
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n);
    }
    Ok(())
}

/// PUBSUB NUMSUB [channel ...]
fn pubsub_numsub(ctx: &mut Ctx) -> CmdResult {
    let shard = ctx.is(1, "shardnumsub");
    ctx.out.map(ctx.argc() - 2);
    for ch in &ctx.args[2..] {
        ctx.out.bulk(ch);
        let n = if shard {
            0
        } else {
            ctx.srv.pubsub.channels.get(&ch[..]).map_or(0, |v| v.len())
        };
        ctx.out.int(n as i64);
    }
    Ok(())
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx) -> CmdResult {
    let mut pats: Vec<&Vec<u8>> = ctx.srv.pubsub.patterns.iter().map(|(p, _)| p).collect();
    pats.sort();
    pats.dedup();
    ctx.out.int(pats.len() as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

/// Publishes a keyspace notification (`__keyspace@<db>__:<key>` and/or
/// `__keyevent@<db>__:<event>`) when `notify-keyspace-events` enables its class.
pub fn notify_keyspace_event(
    srv: &mut ServerState,
    mut me: Option<(&mut Client, &mut ReplyWriter)>,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
) {
    use crate::config::notify;
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return;
    }
    if flags & notify::KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{db}__:").into_bytes();
        ch.extend_from_slice(key);
        let me2 = me.as_mut().map(|(c, o)| (&mut **c, &mut **o));
        publish_message(srv, me2, &ch, event.as_bytes());
    }
    if flags & notify::KEYEVENT != 0 {
        let ch = format!("__keyevent@{db}__:{event}").into_bytes();
        publish_message(srv, me, &ch, key);
    }
}

/// Keeps the keyspace recording created keys exactly while the `n` class is on (at start-up
/// and after CONFIG SET), so that with it off a key's creation costs one flag test.
pub fn sync_notify_flags(ks: &mut keyspace::Keyspace, cfg: &crate::config::Config) {
    ks.track_new = cfg.notify_keyspace_events & crate::config::notify::NEW != 0;
}

/// Sends a command line to every MONITOR client, formatted as Redis does.
pub fn feed_monitors(srv: &mut ServerState, client: &Client, args: &[Bytes], now: i64) {
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now / 1000,
        (now % 1000) * 1000 + fastrand_micro(),
        client.db,
        if client.kind == crate::client::Kind::Primary {
            "master".to_string()
        } else {
            client.shared.addr.clone()
        }
    );
    for a in args {
        line.push(' ');
        line.push_str(&repr(a));
    }
    line.push_str("\r\n");
    for id in &srv.monitors {
        if let Some(sh) = srv.clients.get(id) {
            sh.push_raw(line.as_bytes());
        }
    }
}

fn fastrand_micro() -> i64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_micros() % 1000) as i64
}

pub use resp::repr;

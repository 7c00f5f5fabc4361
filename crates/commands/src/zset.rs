//! Sorted set commands, the whole Redis 7.0 family:
//!
//! - here: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZSCAN, and what the other
//!   files share (lookups, the encoding limits, reply helpers).
//! - [`range`]: score and lex range parsing; ZRANGE in all its forms (and ZRANGESTORE,
//!   ZRANGEBYSCORE, ZREVRANGE…), ZCOUNT ZLEXCOUNT, ZREMRANGEBYRANK/SCORE/LEX.
//! - [`pop`]: ZPOPMIN ZPOPMAX ZMPOP, the blocking BZPOPMIN BZPOPMAX BZMPOP, ZRANDMEMBER.
//! - [`algebra`]: ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD.
//!
//! Values are [`keyspace::zset::ZSet`] (listpack or skiplist, as Redis 7.0 reports them).
//! Doubles are replied with `%.17g` (RESP2) or as RESP3 doubles; a write that changes
//! nothing is taken back ([`WriteMark`]) so it neither dirties the key nor propagates.

pub mod algebra;
pub(crate) mod num;
pub mod pop;
pub mod range;

use keyspace::zset::{Limits, ZSet};
use keyspace::{Keyspace, Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::set::WriteMark;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("zadd", -4, WRITE | DENYOOM | FAST, zadd)
        .keys(1, 1, 1)
        .acl("write sortedset fast"),
    Spec::new("zincrby", 4, WRITE | DENYOOM | FAST, zincrby)
        .keys(1, 1, 1)
        .acl("write sortedset fast"),
    Spec::new("zrem", -3, WRITE | FAST, zrem)
        .keys(1, 1, 1)
        .acl("write sortedset fast"),
    Spec::new("zcard", 2, READONLY | FAST, zcard)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zcount", 4, READONLY | FAST, range::zcount)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zlexcount", 4, READONLY | FAST, range::zlexcount)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zscore", 3, READONLY | FAST, zscore)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zmscore", -3, READONLY | FAST, zmscore)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zrank", 3, READONLY | FAST, zrank)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zrevrank", 3, READONLY | FAST, zrevrank)
        .keys(1, 1, 1)
        .acl("read sortedset fast"),
    Spec::new("zrange", -4, READONLY, range::zrange)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zrangestore", -5, WRITE | DENYOOM, range::zrangestore)
        .keys(1, 2, 1)
        .acl("write sortedset slow"),
    Spec::new("zrangebyscore", -4, READONLY, range::zrangebyscore)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zrevrangebyscore", -4, READONLY, range::zrevrangebyscore)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zrangebylex", -4, READONLY, range::zrangebylex)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zrevrangebylex", -4, READONLY, range::zrevrangebylex)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zrevrange", -4, READONLY, range::zrevrange)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zremrangebyrank", 4, WRITE, range::zremrangebyrank)
        .keys(1, 1, 1)
        .acl("write sortedset slow"),
    Spec::new("zremrangebyscore", 4, WRITE, range::zremrangebyscore)
        .keys(1, 1, 1)
        .acl("write sortedset slow"),
    Spec::new("zremrangebylex", 4, WRITE, range::zremrangebylex)
        .keys(1, 1, 1)
        .acl("write sortedset slow"),
    Spec::new("zpopmin", -2, WRITE | FAST, pop::zpopmin)
        .keys(1, 1, 1)
        .acl("write sortedset fast"),
    Spec::new("zpopmax", -2, WRITE | FAST, pop::zpopmax)
        .keys(1, 1, 1)
        .acl("write sortedset fast"),
    Spec::new("zmpop", -4, WRITE | MOVABLEKEYS, pop::zmpop).acl("write sortedset slow"),
    Spec::new(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        pop::bzpopmin,
    )
    .keys(1, -2, 1)
    .acl("write sortedset fast blocking"),
    Spec::new(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        pop::bzpopmax,
    )
    .keys(1, -2, 1)
    .acl("write sortedset fast blocking"),
    Spec::new("bzmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, pop::bzmpop)
        .acl("write sortedset slow blocking"),
    Spec::new("zrandmember", -2, READONLY, pop::zrandmember)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
    Spec::new("zunion", -3, READONLY | MOVABLEKEYS, algebra::zunion).acl("read sortedset slow"),
    Spec::new("zinter", -3, READONLY | MOVABLEKEYS, algebra::zinter).acl("read sortedset slow"),
    Spec::new("zdiff", -3, READONLY | MOVABLEKEYS, algebra::zdiff).acl("read sortedset slow"),
    Spec::new(
        "zunionstore",
        -4,
        WRITE | DENYOOM | MOVABLEKEYS,
        algebra::zunionstore,
    )
    .keys(1, 1, 1)
    .acl("write sortedset slow"),
    Spec::new(
        "zinterstore",
        -4,
        WRITE | DENYOOM | MOVABLEKEYS,
        algebra::zinterstore,
    )
    .keys(1, 1, 1)
    .acl("write sortedset slow"),
    Spec::new(
        "zdiffstore",
        -4,
        WRITE | DENYOOM | MOVABLEKEYS,
        algebra::zdiffstore,
    )
    .keys(1, 1, 1)
    .acl("write sortedset slow"),
    Spec::new(
        "zintercard",
        -3,
        READONLY | MOVABLEKEYS,
        algebra::zintercard,
    )
    .acl("read sortedset slow"),
    Spec::new("zscan", -3, READONLY, zscan)
        .keys(1, 1, 1)
        .acl("read sortedset slow"),
];

/// The configured listpack limits.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.zset_max_listpack_entries,
        value: ctx.srv.config.zset_max_listpack_value,
    }
}

/// A sorted set for a read (Redis's `lookupKeyRead`): hits and misses counted, `keymiss`
/// fired by the caller on `None`.
pub(crate) fn read_zset<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a ZSet>, CmdError> {
    match ks.get(db, key, now) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The sorted set to modify (dirties the key, touches watchers); the caller checked it.
pub(crate) fn zset_mut<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
) -> Option<&'a mut ZSet> {
    match ks.get_mut(db, key, now) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// Deletes a sorted set a command emptied, without counting a second write.
pub(crate) fn delete_emptied(ctx: &mut Ctx, key: &[u8]) {
    let (db, now) = (ctx.db(), ctx.now);
    if ctx.ks.remove(db, key, now).is_some() {
        ctx.ks.dirty -= 1;
    }
}

/// ZADD's and ZINCRBY's flags.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
    ch: bool,
}

/// What adding one element did.
#[derive(Default)]
struct Tally {
    added: u64,
    updated: u64,
    processed: u64,
    /// The element's score after the command (the INCR reply).
    score: f64,
}

const NAN_ERR: &str = "resulting score is not a number (NaN)";

/// Redis's `zsetAdd` for one element.
fn add_one(
    z: &mut ZSet,
    member: &[u8],
    score: f64,
    f: AddFlags,
    lim: Limits,
    t: &mut Tally,
) -> CmdResult {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok(());
            }
            let new = if f.incr { score + cur } else { score };
            if new.is_nan() {
                return Err(CmdError::err(NAN_ERR));
            }
            if (f.lt && new >= cur) || (f.gt && new <= cur) {
                return Ok(());
            }
            t.score = new;
            t.processed += 1;
            if new != cur {
                z.update(member, cur, new);
                t.updated += 1;
            }
        }
        None if f.xx => {}
        None => {
            z.insert(member, score, lim);
            t.score = score;
            t.added += 1;
            t.processed += 1;
        }
    }
    Ok(())
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, true)
}

fn zadd_generic(ctx: &mut Ctx, incrby: bool) -> CmdResult {
    let mut f = AddFlags {
        incr: incrby,
        ..AddFlags::default()
    };
    let mut i = 2;
    while i < ctx.argc() {
        if ctx.is(i, "nx") {
            f.nx = true;
        } else if ctx.is(i, "xx") {
            f.xx = true;
        } else if ctx.is(i, "ch") {
            f.ch = true;
        } else if ctx.is(i, "incr") {
            f.incr = true;
        } else if ctx.is(i, "gt") {
            f.gt = true;
        } else if ctx.is(i, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let pairs = ctx.argc() - i;
    if pairs & 1 == 1 || pairs == 0 {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs > 2 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(pairs / 2);
    for j in (i..ctx.argc()).step_by(2) {
        scores.push(num::double_arg(ctx.arg(j)).ok_or(CmdError::NotFloat)?);
    }
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let lim = limits(ctx);
    let mut t = Tally::default();
    let mark = WriteMark::new(ctx.ks);
    let result = match ctx.ks.get_mut(db, key, now) {
        Some(Value::ZSet(z)) => scores.iter().enumerate().try_for_each(|(n, &s)| {
            add_one(z, ctx.args[i + 2 * n + 1].as_ref(), s, f, lim, &mut t)
        }),
        Some(_) => Err(CmdError::WrongType),
        None if f.xx => Ok(()),
        None => {
            let mut z = ZSet::new_for(ctx.args[i + 1].len(), lim);
            let r = scores.iter().enumerate().try_for_each(|(n, &s)| {
                add_one(&mut z, ctx.args[i + 2 * n + 1].as_ref(), s, f, lim, &mut t)
            });
            if !z.is_empty() {
                ctx.ks.set(db, key, Value::ZSet(Box::new(z)), Ttl::Clear);
            }
            r
        }
    };
    let changes = t.added + t.updated;
    mark.settle(ctx.ks, if result.is_ok() { changes } else { 0 });
    // The reply goes before the event, as Redis's ZADD writes them.
    let reply = result.map(|_| {
        if f.incr {
            if t.processed > 0 {
                ctx.out.double(t.score);
            } else {
                ctx.out.null();
            }
        } else {
            ctx.out.int((if f.ch { changes } else { t.added }) as i64);
        }
    });
    if changes > 0 {
        ctx.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    reply
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let mark = WriteMark::new(ctx.ks);
    let (deleted, emptied) = match ctx.ks.get_mut(db, key, now) {
        None => (0, false),
        Some(Value::ZSet(z)) => {
            let mut n = 0u64;
            for m in &ctx.args[2..] {
                if z.remove(m).is_some() {
                    n += 1;
                }
                if z.is_empty() {
                    break;
                }
            }
            (n, z.is_empty())
        }
        Some(_) => {
            mark.undo(ctx.ks);
            return Err(CmdError::WrongType);
        }
    };
    mark.settle(ctx.ks, deleted);
    if emptied {
        delete_emptied(ctx, key);
    }
    if deleted > 0 {
        ctx.notify(notify::ZSET, "zrem", key);
        if emptied {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// ZCARD key
fn zcard(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match read_zset(ctx.ks, db, key, now)? {
        Some(z) => {
            let n = z.len();
            ctx.out.int(n as i64);
        }
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.int(0);
        }
    }
    Ok(())
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key, member) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(2));
    match read_zset(ctx.ks, db, key, now)? {
        Some(z) => match z.score(member) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        },
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.null();
        }
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let members = &ctx.args[2..];
    let z = read_zset(ctx.ks, db, key, now)?;
    let missing = z.is_none();
    ctx.out.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    if missing {
        crate::strings::miss(ctx, key);
    }
    Ok(())
}

/// ZRANK key member
fn zrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, false)
}

/// ZREVRANK key member
fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, true)
}

fn rank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let (db, now, key, member) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(2));
    match read_zset(ctx.ks, db, key, now)? {
        Some(z) => match z.rank(member, rev) {
            Some((r, _)) => ctx.out.int(r as i64),
            None => ctx.out.null(),
        },
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.null();
        }
    }
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = crate::keys::iterate::parse_cursor(ctx.arg(2))?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if read_zset(ctx.ks, db, key, now)?.is_none() {
        crate::strings::miss(ctx, key);
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    }
    let opts = crate::keys::iterate::parse_scan_options(ctx, 3, false)?;
    let Some(Value::ZSet(z)) = ctx.ks.peek(db, key, now) else {
        return Err(CmdError::WrongType);
    };
    let mut found: Vec<(keyspace::SBytes, f64)> = Vec::new();
    let mut cursor = cursor;
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = z.scan(cursor, |m, s| found.push((keyspace::SBytes::new(m), s)));
        if cursor == 0 || budget == 0 || found.len() >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|(m, _)| crate::glob::matches(p, m, false));
    }
    ctx.out.array(2);
    ctx.out.bulk_int(cursor as i64);
    ctx.out.array(found.len() * 2);
    for (m, s) in &found {
        ctx.out.bulk(m);
        ctx.out.bulk(score_text(*s).as_bytes());
    }
    Ok(())
}

/// A score as Redis writes it into a reply string or a listpack (`d2string`: `%.17g`,
/// "inf", "-inf").
pub(crate) fn score_text(s: f64) -> String {
    if s.is_infinite() {
        if s > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        resp::writer::format_g17(s)
    }
}

#[cfg(test)]
mod tests;

//! List commands of Redis 7.0:
//!
//! - here: LPUSH RPUSH LPUSHX RPUSHX LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS, and the
//!   helpers the other list files share.
//! - [`pop`]: LPOP RPOP LMPOP and the blocking BLPOP BRPOP BLMPOP.
//! - [`moves`]: LMOVE RPOPLPUSH and the blocking BLMOVE BRPOPLPUSH.
//!
//! Lookups follow Redis: reads count hits and misses and fire `keymiss`; writes look up
//! without statistics, check types and arguments first, and mark the key modified (WATCH,
//! dirty count) only when it really changed. A list emptied by a command is deleted, with
//! a `del` notification. The list itself is `keyspace::list::List` (a quicklist).

pub mod moves;
pub mod pop;

use keyspace::list::List;
use keyspace::listpack::{Ent, Needle};
use keyspace::{Keyspace, Ttl, Value};
use resp::ReplyWriter;

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::strings::miss;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("lpush", -3, WRITE | DENYOOM | FAST, lpush)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("rpush", -3, WRITE | DENYOOM | FAST, rpush)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("lpushx", -3, WRITE | DENYOOM | FAST, lpushx)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("rpushx", -3, WRITE | DENYOOM | FAST, rpushx)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("lpop", -2, WRITE | FAST, pop::lpop)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("rpop", -2, WRITE | FAST, pop::rpop)
        .keys(1, 1, 1)
        .acl("write list fast"),
    Spec::new("llen", 2, READONLY | FAST, llen)
        .keys(1, 1, 1)
        .acl("read list fast"),
    Spec::new("lrange", 4, READONLY, lrange)
        .keys(1, 1, 1)
        .acl("read list slow"),
    Spec::new("lindex", 3, READONLY, lindex)
        .keys(1, 1, 1)
        .acl("read list slow"),
    Spec::new("lset", 4, WRITE | DENYOOM, lset)
        .keys(1, 1, 1)
        .acl("write list slow"),
    Spec::new("linsert", 5, WRITE | DENYOOM, linsert)
        .keys(1, 1, 1)
        .acl("write list slow"),
    Spec::new("lrem", 4, WRITE, lrem)
        .keys(1, 1, 1)
        .acl("write list slow"),
    Spec::new("ltrim", 4, WRITE, ltrim)
        .keys(1, 1, 1)
        .acl("write list slow"),
    Spec::new("lpos", -3, READONLY, lpos)
        .keys(1, 1, 1)
        .acl("read list slow"),
    Spec::new("lmove", 5, WRITE | DENYOOM, moves::lmove)
        .keys(1, 2, 1)
        .acl("write list slow"),
    Spec::new("rpoplpush", 3, WRITE | DENYOOM, moves::rpoplpush)
        .keys(1, 2, 1)
        .acl("write list slow"),
    Spec::new("lmpop", -4, WRITE | MOVABLEKEYS, pop::lmpop).acl("write list slow"),
    Spec::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, pop::blpop)
        .keys(1, -2, 1)
        .acl("write list slow blocking"),
    Spec::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, pop::brpop)
        .keys(1, -2, 1)
        .acl("write list slow blocking"),
    Spec::new(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        moves::blmove,
    )
    .keys(1, 2, 1)
    .acl("write list slow blocking"),
    Spec::new(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        moves::brpoplpush,
    )
    .keys(1, 2, 1)
    .acl("write list slow blocking"),
    Spec::new("blmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, pop::blmpop)
        .acl("write list slow blocking"),
];

/// `list-max-listpack-size` as the quicklist takes it.
pub(crate) fn fill(ctx: &Ctx) -> i32 {
    ctx.srv
        .config
        .list_max_listpack_size
        .clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// Replies with one element.
pub(crate) fn reply_ent(out: &mut ReplyWriter, e: Ent) {
    match e {
        Ent::Str(s) => out.bulk(s),
        Ent::Int(n) => out.bulk_int(n),
    }
}

/// Redis's list range arithmetic (LRANGE, LTRIM): negative indexes from the end, clamped;
/// `(start, count)`, count 0 for an empty range.
pub(crate) fn clamp(mut start: i64, mut end: i64, len: usize) -> (usize, usize) {
    let llen = len as i64;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return (0, 0);
    }
    if end >= llen {
        end = llen - 1;
    }
    (start as usize, (end - start + 1) as usize)
}

/// Replies with `count` elements from `start` (towards the tail, or towards the head from
/// `start` when `reverse`).
pub(crate) fn reply_range(
    out: &mut ReplyWriter,
    l: &List,
    start: usize,
    count: usize,
    reverse: bool,
) {
    out.array(count);
    if reverse {
        for e in l.iter_rev_from(start).take(count) {
            reply_ent(out, e);
        }
    } else {
        for e in l.iter_from(start).take(count) {
            reply_ent(out, e);
        }
    }
}

/// A write lookup's type check: whether the key holds a list (false if absent).
pub(crate) fn check_list(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    match ctx.ks.peek(ctx.client.db, key, ctx.now) {
        None => Ok(false),
        Some(Value::List(_)) => Ok(true),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key` for a change, without marking it modified (the caller calls
/// `ks.modified` once it did change). The caller has checked it is a list.
pub(crate) fn list_mut<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
) -> Option<&'a mut List> {
    match ks.get_mut_untracked(db, key, now) {
        Some(Value::List(l)) => Some(l),
        _ => None,
    }
}

/// After elements left a list: the change is recorded, the event fired, and the key
/// deleted (with its `del` event) if the list is now `empty`.
pub(crate) fn after_removal(ctx: &mut Ctx, key: &[u8], event: &str, changes: u64, empty: bool) {
    let (db, now) = (ctx.client.db, ctx.now);
    ctx.ks.modified(db, key, changes);
    ctx.notify(notify::LIST, event, key);
    if empty {
        let dirty = ctx.ks.dirty;
        ctx.ks.remove(db, key, now);
        ctx.ks.dirty = dirty;
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Deletes the list at `key` if it has no elements left (with its `del` event).
pub(crate) fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let (db, now) = (ctx.client.db, ctx.now);
    if matches!(ctx.ks.peek(db, key, now), Some(Value::List(l)) if l.is_empty()) {
        let dirty = ctx.ks.dirty;
        ctx.ks.remove(db, key, now);
        ctx.ks.dirty = dirty;
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Pushes `values` to one end of the list at `key`, creating it unless `xx`; returns the
/// new length (0 when `xx` found no list).
pub(crate) fn push_values<V: AsRef<[u8]>>(
    ctx: &mut Ctx,
    key: &[u8],
    values: &[V],
    front: bool,
    xx: bool,
) -> Result<usize, CmdError> {
    let (db, now, fill) = (ctx.client.db, ctx.now, fill(ctx));
    let n = values.len() as u64;
    match ctx.ks.get_mut_untracked(db, key, now) {
        Some(Value::List(l)) => {
            for v in values {
                l.push(v.as_ref(), front, fill);
            }
            let len = l.len();
            ctx.ks.modified(db, key, n);
            return Ok(len);
        }
        Some(_) => return Err(CmdError::WrongType),
        None if xx => return Ok(0),
        None => {}
    }
    let mut l = List::new();
    for v in values {
        l.push(v.as_ref(), front, fill);
    }
    let len = l.len();
    let dirty = ctx.ks.dirty;
    ctx.ks.set(db, key, Value::List(Box::new(l)), Ttl::Clear);
    ctx.ks.dirty = dirty + n;
    Ok(len)
}

/// Refuses an element a list node cannot hold (4 GB or more; reachable only with
/// proto-max-bulk-len raised that far).
pub(crate) fn check_element(v: &[u8]) -> CmdResult {
    if v.len() > keyspace::listpack::MAX_STRING {
        return Err(CmdError::StringTooLong);
    }
    Ok(())
}

fn push_generic(ctx: &mut Ctx, front: bool, xx: bool) -> CmdResult {
    let (key, values) = (ctx.arg(1), &ctx.args[2..]);
    values.iter().try_for_each(|v| check_element(v))?;
    let len = push_values(ctx, key, values, front, xx)?;
    ctx.out.int(len as i64);
    if len > 0 {
        ctx.notify(notify::LIST, if front { "lpush" } else { "rpush" }, key);
    }
    Ok(())
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, false)
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, true)
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, true)
}

/// LLEN key
fn llen(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match ctx.ks.get(db, key, now) {
        Some(Value::List(l)) => {
            ctx.out.int(l.len() as i64);
            Ok(())
        }
        Some(_) => Err(CmdError::WrongType),
        None => {
            ctx.out.int(0);
            miss(ctx, key);
            Ok(())
        }
    }
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.i64_arg(2)?;
    let end = ctx.i64_arg(3)?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match ctx.ks.get(db, key, now) {
        Some(Value::List(l)) => {
            let (from, n) = clamp(start, end, l.len());
            reply_range(ctx.out, l, from, n, false);
            Ok(())
        }
        Some(_) => Err(CmdError::WrongType),
        None => {
            ctx.out.array(0);
            miss(ctx, key);
            Ok(())
        }
    }
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let index = ctx.args[2].clone();
    match ctx.ks.get(db, key, now) {
        Some(Value::List(l)) => {
            let i = crate::ctx::parse_i64_arg(&index)?;
            let i = if i < 0 { i + l.len() as i64 } else { i };
            match usize::try_from(i).ok().and_then(|i| l.get(i)) {
                Some(e) => reply_ent(ctx.out, e),
                None => ctx.out.null(),
            }
            Ok(())
        }
        Some(_) => Err(CmdError::WrongType),
        None => {
            ctx.out.null();
            miss(ctx, key);
            Ok(())
        }
    }
}

/// LSET key index element
fn lset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    if !check_list(ctx, key)? {
        return Err(CmdError::NoSuchKey);
    }
    let index = ctx.i64_arg(2)?;
    let value = ctx.arg(3);
    check_element(value)?;
    let db = ctx.client.db;
    let Some(l) = list_mut(ctx.ks, ctx.client.db, key, ctx.now) else {
        return Err(CmdError::NoSuchKey);
    };
    let i = if index < 0 {
        index + l.len() as i64
    } else {
        index
    };
    if !usize::try_from(i).is_ok_and(|i| l.set(i, value)) {
        return Err(CmdError::OutOfRange);
    }
    ctx.ks.modified(db, key, 1);
    ctx.out.ok();
    ctx.notify(notify::LIST, "lset", key);
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
fn linsert(ctx: &mut Ctx) -> CmdResult {
    let after = if ctx.is(2, "after") {
        true
    } else if ctx.is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let key = ctx.arg(1);
    if !check_list(ctx, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let (pivot, value, fill, db) = (ctx.arg(3), ctx.arg(4), fill(ctx), ctx.client.db);
    check_element(value)?;
    let Some(l) = list_mut(ctx.ks, ctx.client.db, key, ctx.now) else {
        ctx.out.int(0);
        return Ok(());
    };
    if !l.insert(&Needle::new(pivot), value, after, fill) {
        ctx.out.int(-1);
        return Ok(());
    }
    let len = l.len();
    ctx.ks.modified(db, key, 1);
    ctx.notify(notify::LIST, "linsert", key);
    ctx.out.int(len as i64);
    Ok(())
}

/// LREM key count element
fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = ctx.i64_arg(2)?;
    let key = ctx.arg(1);
    if !check_list(ctx, key)? {
        ctx.out.int(0);
        return Ok(());
    }
    let value = ctx.arg(3);
    let Some(l) = list_mut(ctx.ks, ctx.client.db, key, ctx.now) else {
        ctx.out.int(0);
        return Ok(());
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = l.remove(&Needle::new(value), limit, count < 0);
    if removed > 0 {
        let db = ctx.client.db;
        ctx.ks.modified(db, key, removed as u64);
        ctx.notify(notify::LIST, "lrem", key);
    }
    delete_if_empty(ctx, key);
    ctx.out.int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.i64_arg(2)?;
    let end = ctx.i64_arg(3)?;
    let key = ctx.arg(1);
    if !check_list(ctx, key)? {
        ctx.out.ok();
        return Ok(());
    }
    let Some(l) = list_mut(ctx.ks, ctx.client.db, key, ctx.now) else {
        ctx.out.ok();
        return Ok(());
    };
    let len = l.len();
    let (from, n) = clamp(start, end, len);
    let (ltrim, rtrim) = if n == 0 {
        (len, 0)
    } else {
        (from, len - from - n)
    };
    l.trim_front(ltrim);
    l.trim_back(rtrim);
    let empty = l.is_empty();
    // Redis signals the key (and so breaks WATCH) even when nothing was trimmed.
    after_removal(ctx, key, "ltrim", (ltrim + rtrim) as u64, empty);
    ctx.out.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if ctx.is(j, "rank") && more {
            rank = ctx.i64_arg(j + 1)?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if ctx.is(j, "count") && more {
            // Redis's getPositiveLongFromObjectOrReply: a non-number gets the same message.
            let n = ctx.i64_arg(j + 1).ok().filter(|n| *n >= 0);
            count = Some(n.ok_or_else(|| CmdError::err("COUNT can't be negative"))?);
        } else if ctx.is(j, "maxlen") && more {
            maxlen = ctx
                .i64_arg(j + 1)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| CmdError::err("MAXLEN can't be negative"))?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    let from_tail = rank < 0;
    // Redis negates the rank in a C long: LONG_MIN stays negative, so every match
    // qualifies and COUNT never stops the scan.
    let unbounded = rank == i64::MIN;
    let rank = rank.unsigned_abs();
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let needle = Needle::new(ctx.arg(2));
    let l = match ctx.ks.get(db, key, now) {
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            match count {
                Some(_) => ctx.out.array(0),
                None => ctx.out.null(),
            }
            miss(ctx, key);
            return Ok(());
        }
    };
    let llen = l.len();
    let scan = if maxlen == 0 {
        llen
    } else {
        llen.min(maxlen as usize)
    };
    let mut found = Vec::new();
    let mut matches: u64 = 0;
    let mut check = |index: usize, e: Ent| -> bool {
        if !e.matches(&needle) {
            return true;
        }
        matches += 1;
        if matches < rank && !unbounded {
            return true;
        }
        found.push(if from_tail { llen - index - 1 } else { index });
        // Without COUNT the first qualifying match ends the scan; COUNT 0 means all.
        match count {
            None => false,
            Some(0) => true,
            Some(_) if unbounded => true,
            Some(c) => (found.len() as i64) < c,
        }
    };
    if from_tail {
        for (i, e) in l.iter_rev_from(llen.wrapping_sub(1)).take(scan).enumerate() {
            if !check(i, e) {
                break;
            }
        }
    } else {
        for (i, e) in l.iter().take(scan).enumerate() {
            if !check(i, e) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::clamp;

    #[test]
    fn ranges_like_redis() {
        assert_eq!(clamp(0, -1, 5), (0, 5));
        assert_eq!(clamp(-2, -1, 5), (3, 2));
        assert_eq!(clamp(-100, 100, 5), (0, 5));
        assert_eq!(clamp(3, 1, 5), (0, 0));
        assert_eq!(clamp(5, 10, 5), (0, 0));
        assert_eq!(clamp(i64::MIN, i64::MAX, 5), (0, 5));
        assert_eq!(clamp(0, -1, 0), (0, 0));
    }
}

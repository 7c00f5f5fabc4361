//! ZPOPMIN ZPOPMAX ZMPOP, the blocking BZPOPMIN BZPOPMAX BZMPOP, and ZRANDMEMBER.
//!
//! Pops follow Redis's `genericZpopCommand`: the first key holding a sorted set is popped
//! (a key of another type is WRONGTYPE), `zpopmin`/`zpopmax` is notified once, an emptied
//! key is deleted, and ZMPOP and the blocking forms are propagated as `ZPOPMIN/ZPOPMAX key
//! [count]`. The blocking forms block through [`crate::blocking`] when nothing can be
//! popped; a re-run for a ready key pops from that key only.

use bytes::Bytes;
use keyspace::zset::ZSet;
use keyspace::Value;

use super::{delete_emptied, read_zset, zset_mut};
use crate::blocking::{self, Wants};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

#[derive(Clone, Copy, PartialEq)]
enum End {
    Min,
    Max,
}

/// How a pop replies: RESP2 flat or RESP3 nested pairs, with the key or not.
#[derive(Clone, Copy)]
struct Shape {
    emit_key: bool,
    nested: bool,
}

/// ZPOPMIN key [count]
pub fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_cmd(ctx, End::Min)
}

/// ZPOPMAX key [count]
pub fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_cmd(ctx, End::Max)
}

fn zpop_cmd(ctx: &mut Ctx, end: End) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if ctx.argc() == 3 {
        match ctx.i64_arg(2) {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(CmdError::MustBePositive),
        }
    } else {
        None
    };
    let nested = ctx.out.is_resp3() && count.is_some();
    let key = ctx.args[1].clone();
    match find_candidate(ctx, std::slice::from_ref(&key))? {
        None => ctx.out.array(0),
        Some(k) => pop_from(
            ctx,
            &k,
            end,
            count,
            Shape {
                emit_key: false,
                nested,
            },
        ),
    }
    Ok(())
}

/// The first of `keys` holding a sorted set (write lookups); WRONGTYPE stops the search.
fn find_candidate(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Option<Bytes>, CmdError> {
    let (db, now) = (ctx.db(), ctx.now);
    for k in keys {
        match ctx.ks.peek(db, k, now) {
            None => continue,
            Some(Value::ZSet(_)) => return Ok(Some(k.clone())),
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    Ok(None)
}

/// Pops up to `count` (1 when absent; 0 replies an empty array) from the sorted set at
/// `key`, which exists, and replies in `shape`.
fn pop_from(ctx: &mut Ctx, key: &[u8], end: End, count: Option<i64>, shape: Shape) {
    if count == Some(0) {
        ctx.out.array(0);
        return;
    }
    let (db, now) = (ctx.db(), ctx.now);
    let want = count.unwrap_or(1).max(1) as u64;
    let Some(z) = zset_mut(ctx.ks, db, key, now) else {
        ctx.out.array(0);
        return;
    };
    let n = (z.len() as u64).min(want) as usize;
    let popped = take_end(z, end, n);
    let emptied = z.is_empty();
    ctx.ks.dirty += n as u64 - 1;
    let out = &mut *ctx.out;
    match (shape.nested, shape.emit_key) {
        (false, false) => out.array(n * 2),
        (true, false) => out.array(n),
        (false, true) => {
            out.array(n * 2 + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    for (s, m) in &popped {
        if shape.nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
    ctx.notify(
        notify::ZSET,
        if end == End::Min {
            "zpopmin"
        } else {
            "zpopmax"
        },
        key,
    );
    if emptied {
        delete_emptied(ctx, key);
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Removes `n` items from one end, returning them in pop order.
fn take_end(z: &mut ZSet, end: End, n: usize) -> Vec<(f64, keyspace::SBytes)> {
    let len = z.len();
    let items: Vec<(f64, keyspace::SBytes)> = z
        .range(0, n, end == End::Max)
        .map(|(s, m)| (s, keyspace::SBytes::new(m)))
        .collect();
    match end {
        End::Min => z.remove_ranks(0, n),
        End::Max => z.remove_ranks(len - n, len),
    };
    items
}

/// The propagated form of a pop: `ZPOPMIN|ZPOPMAX key [count]`.
fn propagate_pop(ctx: &mut Ctx, key: &Bytes, end: End, count: Option<i64>) {
    let mut args = vec![
        Bytes::from_static(if end == End::Min {
            b"ZPOPMIN"
        } else {
            b"ZPOPMAX"
        }),
        key.clone(),
    ];
    if let Some(c) = count {
        args.push(Bytes::from(c.max(1).to_string()));
    }
    ctx.propagate_as(args);
}

/// Parses `numkeys key... MIN|MAX [COUNT count]` from `at` (ZMPOP's numkeys index).
fn parse_mpop(ctx: &Ctx, at: usize) -> Result<(Vec<Bytes>, End, i64), CmdError> {
    let numkeys = match ctx.i64_arg(at) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::NumkeysZero),
    };
    let where_idx = (at as u64).saturating_add(numkeys).saturating_add(1);
    if where_idx >= ctx.argc() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    let end = if ctx.is(where_idx, "min") {
        End::Min
    } else if ctx.is(where_idx, "max") {
        End::Max
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        if count == -1 && ctx.is(j, "count") && j + 1 < ctx.argc() {
            count = match ctx.i64_arg(j + 1) {
                Ok(n) if n >= 1 => n,
                _ => return Err(CmdError::CountZero),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if count == -1 {
        count = 1;
    }
    Ok((ctx.args[at + 1..where_idx].to_vec(), end, count))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, end, count) = parse_mpop(ctx, 1)?;
    match find_candidate(ctx, &keys)? {
        None => ctx.out.null_array(),
        Some(k) => {
            pop_from(
                ctx,
                &k,
                end,
                Some(count),
                Shape {
                    emit_key: true,
                    nested: true,
                },
            );
            propagate_pop(ctx, &k, end, Some(count));
        }
    }
    Ok(())
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop(ctx, End::Min)
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop(ctx, End::Max)
}

fn bzpop(ctx: &mut Ctx, end: End) -> CmdResult {
    let deadline = blocking::parse_timeout(ctx, ctx.argc() - 1)?;
    let keys = ctx.args[1..ctx.argc() - 1].to_vec();
    blocking_pop(ctx, keys, end, None, deadline)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, end, count) = parse_mpop(ctx, 2)?;
    let deadline = blocking::parse_timeout(ctx, 1)?;
    blocking_pop(ctx, keys, end, Some(count), deadline)
}

/// Redis's `blockingGenericZpopCommand`: pops from the first non-empty sorted set, or blocks.
/// `count` is `Some` for BZMPOP (nested reply, COUNT propagated).
fn blocking_pop(
    ctx: &mut Ctx,
    keys: Vec<Bytes>,
    end: End,
    count: Option<i64>,
    deadline: i64,
) -> CmdResult {
    // A re-run for a key that became ready looks at that key only.
    let candidates: Vec<Bytes> = match blocking::serving_key(ctx) {
        Some(k) => keys
            .iter()
            .filter(|x| &x[..] == k)
            .take(1)
            .cloned()
            .collect(),
        None => keys.clone(),
    };
    if let Some(k) = find_candidate(ctx, &candidates)? {
        let shape = Shape {
            emit_key: true,
            nested: count.is_some(),
        };
        pop_from(ctx, &k, end, count, shape);
        propagate_pop(ctx, &k, end, count);
        return Ok(());
    }
    if !blocking::may_block(ctx) {
        ctx.out.null_array();
        return Ok(());
    }
    let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    blocking::block(ctx, &refs, deadline, Wants::ZSet);
    Ok(())
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if ctx.argc() == 2 {
        match read_zset(ctx.ks, db, key, now)? {
            Some(z) => match z.get(fastrand::usize(..z.len().max(1))) {
                Some((_, m)) => ctx.out.bulk(m),
                None => ctx.out.null(),
            },
            None => {
                crate::strings::miss(ctx, key);
                ctx.out.null();
            }
        }
        return Ok(());
    }
    let l = ctx.i64_arg(2)?;
    if l == i64::MIN {
        return Err(CmdError::RangeBetween(-i64::MAX, i64::MAX));
    }
    if ctx.argc() > 4 || (ctx.argc() == 4 && !ctx.is(3, "withscores")) {
        return Err(CmdError::Syntax);
    }
    let withscores = ctx.argc() == 4;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::err("value is out of range"));
    }
    let Some(z) = read_zset(ctx.ks, db, key, now)? else {
        crate::strings::miss(ctx, key);
        ctx.out.array(0);
        return Ok(());
    };
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    if count == 0 {
        ctx.out.array(0);
        return Ok(());
    }
    let resp3 = ctx.out.is_resp3();
    let out = &mut *ctx.out;
    let header = |out: &mut resp::ReplyWriter, n: usize| {
        out.array(if withscores && !resp3 { n * 2 } else { n })
    };
    let emit = |out: &mut resp::ReplyWriter, s: f64, m: &[u8]| {
        if withscores && resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    };
    let size = z.len();
    if !uniq || count == 1 {
        header(out, count);
        for _ in 0..count {
            if let Some((s, m)) = z.get(fastrand::usize(..size)) {
                emit(out, s, m);
            }
        }
        return Ok(());
    }
    if count >= size {
        // The whole set, walked from the top as Redis's `zuiNext` walks a sorted set.
        header(out, size);
        for (s, m) in z.range(0, size, true) {
            emit(out, s, m);
        }
        return Ok(());
    }
    // Distinct ranks, picked at random.
    let ranks: Vec<usize> = if count * 3 > size {
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + fastrand::usize(..size - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        let mut v = Vec::with_capacity(count);
        while v.len() < count {
            let r = fastrand::usize(..size);
            if seen.insert(r) {
                v.push(r);
            }
        }
        v
    };
    header(out, count);
    for r in ranks {
        if let Some((s, m)) = z.get(r) {
            emit(out, s, m);
        }
    }
    Ok(())
}

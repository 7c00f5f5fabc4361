//! SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE, and SMEMBERS (which is
//! SINTER of one key in Redis 7.0).
//!
//! Reply order follows Redis: SINTER walks the smallest input set (ascending if it is an
//! intset); SUNION and SDIFF build their result as a new set, starting as an intset, and walk
//! that, so an all-integer result of up to `set-max-intset-entries` comes back sorted.
//! Hashtable order is the table's own, as unspecified as Redis's.

use bytes::Bytes;
use keyspace::set::{Member, Set};
use keyspace::{Ttl, Value};

use super::{max_intset, reply_member};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// Looks the keys up in order as reads (Redis 7.0 does so for the STORE forms too: hits and
/// misses counted, `keymiss` fired), failing with WRONGTYPE at the first key of another type.
fn check_keys(ctx: &mut Ctx, keys: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    for k in keys {
        match ctx.ks.get(db, k, now) {
            None => crate::strings::miss(ctx, k),
            Some(Value::Set(_)) => {}
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    Ok(())
}

/// The sets of `keys` after [`check_keys`]: `None` for a missing key.
fn sets_of<'a>(
    ks: &'a keyspace::Keyspace,
    db: usize,
    keys: &[Bytes],
    now: i64,
) -> Vec<Option<&'a Set>> {
    let d = ks.db(db);
    keys.iter()
        .map(|k| match d.peek(k) {
            Some(slot) if !d.is_expired(k, now) => match &slot.value {
                Value::Set(s) => Some(&**s),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// What an intersection is for.
enum InterMode {
    Reply,
    Card(usize),
    Store,
}

/// The members of the intersection, in the order Redis finds them; `limit` stops early.
fn intersect<'a>(sets: &mut [&'a Set], limit: usize) -> Vec<Member<'a>> {
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in first.iter() {
        if rest
            .iter()
            .all(|s| std::ptr::eq(*s, *first) || s.contains_member(m))
        {
            out.push(m);
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

fn inter_generic(ctx: &mut Ctx, keys_from: usize, keys_to: usize, mode: InterMode) -> CmdResult {
    let keys: Vec<Bytes> = ctx.args[keys_from..keys_to].to_vec();
    check_keys(ctx, &keys)?;
    let (db, now) = (ctx.db(), ctx.now);
    let max = max_intset(ctx);
    let sets = sets_of(ctx.ks, db, &keys, now);
    let result: Option<Set> = if sets.iter().any(Option::is_none) {
        None
    } else {
        let mut present: Vec<&Set> = sets.into_iter().flatten().collect();
        let limit = match mode {
            InterMode::Card(l) => l,
            _ => 0,
        };
        let members = intersect(&mut present, limit);
        match mode {
            InterMode::Reply => {
                ctx.out.set(members.len());
                for m in members {
                    reply_member(ctx.out, m);
                }
                return Ok(());
            }
            InterMode::Card(_) => {
                ctx.out.int(members.len() as i64);
                return Ok(());
            }
            InterMode::Store => {
                let mut dst = Set::default();
                for m in members {
                    dst.add_member(m, max);
                }
                Some(dst)
            }
        }
    };
    match mode {
        InterMode::Reply => ctx.out.set(0),
        InterMode::Card(_) => ctx.out.int(0),
        // A missing input deletes the destination before the reply; an empty result after.
        InterMode::Store => {
            let missing_input = result.is_none();
            store_result(ctx, result, "sinterstore", missing_input);
        }
    }
    Ok(())
}

/// Writes a STORE result (or deletes the destination for an empty one) and replies. When an
/// input key was missing, SINTERSTORE deletes before replying (`deleted_first`); otherwise
/// the reply comes first, as in Redis.
fn store_result(ctx: &mut Ctx, result: Option<Set>, event: &str, deleted_first: bool) {
    let (db, now, dst) = (ctx.db(), ctx.now, ctx.arg(1));
    match result.filter(|s| !s.is_empty()) {
        Some(s) => {
            let n = s.len();
            ctx.ks.set(db, dst, Value::Set(Box::new(s)), Ttl::Clear);
            ctx.out.int(n as i64);
            ctx.notify(notify::SET, event, dst);
        }
        None => {
            if !deleted_first {
                ctx.out.int(0);
            }
            if ctx.ks.remove(db, dst, now).is_some() {
                ctx.notify(notify::GENERIC, "del", dst);
            }
            if deleted_first {
                ctx.out.int(0);
            }
        }
    }
}

/// SINTER key [key ...]
pub fn sinter(ctx: &mut Ctx) -> CmdResult {
    inter_generic(ctx, 1, ctx.argc(), InterMode::Reply)
}

/// SMEMBERS key
pub fn smembers(ctx: &mut Ctx) -> CmdResult {
    inter_generic(ctx, 1, 2, InterMode::Reply)
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    inter_generic(ctx, 2, ctx.argc(), InterMode::Store)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let numkeys = parse_numkeys(ctx)?;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < ctx.argc() {
        if ctx.is(i, "limit") && i + 1 < ctx.argc() {
            limit = match ctx.i64_arg(i + 1) {
                Ok(n) if n >= 0 => n as usize,
                _ => return Err(CmdError::err("LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    inter_generic(ctx, 2, 2 + numkeys, InterMode::Card(limit))
}

/// The `numkeys` argument of SINTERCARD, checked against the arguments present.
pub(crate) fn parse_numkeys(ctx: &Ctx) -> Result<usize, CmdError> {
    let n = match ctx.i64_arg(1) {
        Ok(n) if n >= 1 => n as usize,
        _ => return Err(CmdError::NumkeysZero),
    };
    if n > ctx.argc() - 2 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    Ok(n)
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// Redis's `sunionDiffGenericCommand`: the result as a new set (intset first).
fn union_diff(sets: &[Option<&Set>], op: Op, max: usize) -> Set {
    let mut dst = Set::default();
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    dst.add_member(m, max);
                }
            }
        }
        Op::Diff => {
            let Some(Some(first)) = sets.first() else {
                return dst;
            };
            let same = sets[1..].iter().flatten().any(|s| std::ptr::eq(*s, *first));
            if same {
                return dst;
            }
            for m in first.iter() {
                if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                    dst.add_member(m, max);
                }
            }
        }
    }
    dst
}

/// Replies with the union of `sets` as SUNION would (SPOP of a whole set uses this).
pub(crate) fn reply_union_of(ctx: &mut Ctx, sets: &[Option<&Set>]) {
    let dst = union_diff(sets, Op::Union, max_intset(ctx));
    reply_set(ctx, &dst);
}

fn reply_set(ctx: &mut Ctx, s: &Set) {
    ctx.out.set(s.len());
    for m in s.iter() {
        reply_member(ctx.out, m);
    }
}

fn union_diff_generic(ctx: &mut Ctx, op: Op, store: bool) -> CmdResult {
    let first = if store { 2 } else { 1 };
    let keys: Vec<Bytes> = ctx.args[first..].to_vec();
    check_keys(ctx, &keys)?;
    let (db, now) = (ctx.db(), ctx.now);
    let max = max_intset(ctx);
    let dst = union_diff(&sets_of(ctx.ks, db, &keys, now), op, max);
    if store {
        let event = if op == Op::Union {
            "sunionstore"
        } else {
            "sdiffstore"
        };
        store_result(ctx, Some(dst), event, false);
    } else {
        reply_set(ctx, &dst);
    }
    Ok(())
}

/// SUNION key [key ...]
pub fn sunion(ctx: &mut Ctx) -> CmdResult {
    union_diff_generic(ctx, Op::Union, false)
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    union_diff_generic(ctx, Op::Union, true)
}

/// SDIFF key [key ...]
pub fn sdiff(ctx: &mut Ctx) -> CmdResult {
    union_diff_generic(ctx, Op::Diff, false)
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    union_diff_generic(ctx, Op::Diff, true)
}

//! ZUNION ZINTER ZDIFF, ZUNIONSTORE ZINTERSTORE ZDIFFSTORE, ZINTERCARD: Redis's
//! `zunionInterDiffGenericCommand`.
//!
//! Inputs may be sorted sets or plain sets (whose members count with score 1). WEIGHTS
//! multiply each input's scores (a NaN product counts as 0), AGGREGATE SUM/MIN/MAX combines
//! them (a NaN sum counts as 0). Inputs are taken smallest first for union and
//! intersection, as Redis sorts them, which fixes the order floating-point sums are added in.
//! Results are ordered by (score, member); a STORE result is encoded by its final size.

use bytes::Bytes;
use keyspace::set::{Member, Set};
use keyspace::value::itoa_buf;
use keyspace::zset::ZSet;
use keyspace::{SBytes, Ttl, Value};

use super::{limits, num};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(a: Aggregate, target: &mut f64, v: f64) {
    match a {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = target.min(v),
        Aggregate::Max => *target = target.max(v),
    }
}

/// One input: a sorted set, a set, or nothing.
#[derive(Clone, Copy)]
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a Set),
    None,
}

impl<'a> Src<'a> {
    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
            Src::None => 0,
        }
    }

    /// Every (member, score) in the input's own order.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Z(z) => z.iter().for_each(|(s, m)| f(m, s)),
            Src::S(s) => {
                let mut buf = itoa_buf::Buf::default();
                for m in s.iter() {
                    match m {
                        Member::Int(n) => f(buf.format(n), 1.0),
                        Member::Bytes(b) => f(b, 1.0),
                    }
                }
            }
            Src::None => {}
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
            Src::None => None,
        }
    }

    fn same(&self, other: &Src) -> bool {
        match (self, other) {
            (Src::Z(a), Src::Z(b)) => std::ptr::eq(*a, *b),
            (Src::S(a), Src::S(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

/// What the command does with the result.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Reply,
    Store,
    Card,
}

fn generic(ctx: &mut Ctx, numkeys_idx: usize, op: Op, mode: Mode) -> CmdResult {
    let setnum = ctx.i64_arg(numkeys_idx)?;
    if setnum < 1 {
        return Err(CmdError::err_owned(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.name()
        )));
    }
    if setnum as u64 > (ctx.argc() - numkeys_idx - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let keys: Vec<Bytes> = ctx.args[numkeys_idx + 1..numkeys_idx + 1 + setnum].to_vec();
    let (db, now) = (ctx.db(), ctx.now);
    // Read lookups in key order; a key of another type is WRONGTYPE before any option.
    for k in &keys {
        match ctx.ks.get(db, k, now) {
            None => crate::strings::miss(ctx, k),
            Some(Value::ZSet(_) | Value::Set(_)) => {}
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < ctx.argc() {
        let remaining = ctx.argc() - j;
        if op != Op::Diff && mode != Mode::Card && remaining > setnum && ctx.is(j, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = num::double_arg(ctx.arg(j))
                    .ok_or(CmdError::err("weight value is not a float"))?;
                j += 1;
            }
        } else if op != Op::Diff && mode != Mode::Card && remaining >= 2 && ctx.is(j, "aggregate") {
            agg = if ctx.is(j + 1, "sum") {
                Aggregate::Sum
            } else if ctx.is(j + 1, "min") {
                Aggregate::Min
            } else if ctx.is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if mode == Mode::Reply && ctx.is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if mode == Mode::Card && remaining >= 2 && ctx.is(j, "limit") {
            limit = match ctx.i64_arg(j + 1) {
                Ok(n) if n >= 0 => n as usize,
                _ => return Err(CmdError::err("LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let d = ctx.ks.db(db);
    let mut srcs: Vec<(Src, f64)> = keys
        .iter()
        .zip(weights)
        .map(|(k, w)| {
            let src = match d.peek(k) {
                Some(slot) if !d.is_expired(k, now) => match &slot.value {
                    Value::ZSet(z) => Src::Z(z),
                    Value::Set(s) => Src::S(s),
                    _ => Src::None,
                },
                _ => Src::None,
            };
            (src, w)
        })
        .collect();
    if op != Op::Diff {
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut out: Vec<(f64, SBytes)> = Vec::new();
    let mut card = 0usize;
    match op {
        Op::Inter => {
            if let Some(((first, w0), rest)) = srcs.split_first() {
                if first.len() > 0 {
                    let mut stop = false;
                    first.for_each(|m, s| {
                        if stop {
                            return;
                        }
                        let mut score = w0 * s;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        for (src, w) in rest {
                            let v = if src.same(first) {
                                Some(s)
                            } else {
                                src.score(m)
                            };
                            match v {
                                Some(v) => aggregate(agg, &mut score, v * w),
                                None => return,
                            }
                        }
                        if mode == Mode::Card {
                            card += 1;
                            stop = limit != 0 && card >= limit;
                        } else {
                            out.push((score, SBytes::new(m)));
                        }
                    });
                }
            }
        }
        Op::Union => {
            let mut acc: keyspace::Dict<SBytes, f64> = keyspace::Dict::new();
            if let Some((last, _)) = srcs.last() {
                acc.reserve(last.len());
            }
            for (src, w) in &srcs {
                src.for_each(|m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let (v, new) = acc.get_or_insert_with(m, || SBytes::new(m), || score);
                    if !new {
                        aggregate(agg, v, score);
                    }
                });
            }
            out = acc.drain().map(|(m, s)| (s, m)).collect();
        }
        Op::Diff => {
            if let Some(((first, _), rest)) = srcs.split_first() {
                first.for_each(|m, s| {
                    if !rest
                        .iter()
                        .any(|(src, _)| src.same(first) || src.score(m).is_some())
                    {
                        out.push((s, SBytes::new(m)));
                    }
                });
            }
        }
    }
    match mode {
        Mode::Card => ctx.out.int(card as i64),
        Mode::Reply => {
            out.sort_by(|a, b| keyspace::zset::cmp_entry(a.0, &a.1, b.0, &b.1));
            let resp3 = ctx.out.is_resp3();
            ctx.out.array(if withscores && !resp3 {
                out.len() * 2
            } else {
                out.len()
            });
            for (s, m) in &out {
                if withscores && resp3 {
                    ctx.out.array(2);
                }
                ctx.out.bulk(m);
                if withscores {
                    ctx.out.double(*s);
                }
            }
        }
        Mode::Store => store(ctx, out, op),
    }
    Ok(())
}

fn store(ctx: &mut Ctx, items: Vec<(f64, SBytes)>, op: Op) {
    let (db, now, dst) = (ctx.db(), ctx.now, ctx.arg(1));
    if items.is_empty() {
        ctx.out.int(0);
        if ctx.ks.remove(db, dst, now).is_some() {
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return;
    }
    let n = items.len();
    let z = ZSet::from_items(items, limits(ctx));
    ctx.ks.set(db, dst, Value::ZSet(Box::new(z)), Ttl::Clear);
    ctx.out.int(n as i64);
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    ctx.notify(notify::ZSET, event, dst);
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Op::Union, Mode::Reply)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Op::Inter, Mode::Reply)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Op::Diff, Mode::Reply)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 2, Op::Union, Mode::Store)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 2, Op::Inter, Mode::Store)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 2, Op::Diff, Mode::Store)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, Op::Inter, Mode::Card)
}

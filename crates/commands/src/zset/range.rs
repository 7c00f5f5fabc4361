//! Ranges: score ranges (`(1.5`, `-inf`, `+inf`), lex ranges (`[a`, `(a`, `-`, `+`), and the
//! commands that read or delete by rank, score or lex: ZRANGE (the 7.0 unified form with
//! BYSCORE BYLEX REV LIMIT WITHSCORES) and its older names, ZRANGESTORE, ZCOUNT, ZLEXCOUNT,
//! ZREMRANGEBYRANK/SCORE/LEX.
//!
//! Every range becomes a span of ranks `lo..hi` ([`ZSet::span`]), found in O(log n) on the
//! skiplist form; replies then walk ranks, forwards or backwards.

use std::cmp::Ordering;

use keyspace::zset::ZSet;
use keyspace::{Ttl, Value};

use super::{delete_emptied, limits, num, read_zset};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::set::WriteMark;

const NOT_FLOAT: &str = "min or max is not a float";
const NOT_LEX: &str = "min or max not valid string range item";

/// A score interval, ends included unless marked exclusive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

fn score_end(b: &[u8]) -> Option<(f64, bool)> {
    match b.first() {
        Some(b'(') => num::range_double(&b[1..]).map(|v| (v, true)),
        _ => num::range_double(b).map(|v| (v, false)),
    }
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        let ((min, minex), (max, maxex)) = score_end(min)
            .zip(score_end(max))
            .ok_or(CmdError::err(NOT_FLOAT))?;
        Ok(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    pub fn below_min(&self, s: f64) -> bool {
        if self.minex {
            s <= self.min
        } else {
            s < self.min
        }
    }

    pub fn within_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }

    /// The ranks the range covers in `z`.
    pub fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        z.span(|s, _| self.below_min(s), |s, _| self.within_max(s))
    }
}

/// One end of a lex range.
#[derive(Clone, Debug, PartialEq)]
enum LexItem {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    Str(Vec<u8>),
}

/// Redis's `sdscmplex`: the infinities compare below/above every string and equal only to
/// themselves.
fn cmp_lex(a: &LexItem, b: &LexItem) -> Ordering {
    match (a, b) {
        (LexItem::Min, LexItem::Min) | (LexItem::Max, LexItem::Max) => Ordering::Equal,
        (LexItem::Min, _) | (_, LexItem::Max) => Ordering::Less,
        (LexItem::Max, _) | (_, LexItem::Min) => Ordering::Greater,
        (LexItem::Str(x), LexItem::Str(y)) => x.cmp(y),
    }
}

fn cmp_value(v: &[u8], item: &LexItem) -> Ordering {
    match item {
        LexItem::Min => Ordering::Greater,
        LexItem::Max => Ordering::Less,
        LexItem::Str(s) => v.cmp(s),
    }
}

#[derive(Clone, Debug)]
pub(crate) struct LexRange {
    min: LexItem,
    max: LexItem,
    minex: bool,
    maxex: bool,
}

fn lex_item(b: &[u8]) -> Option<(LexItem, bool)> {
    // The argument is a C string to Redis for "+" and "-": a NUL ends it.
    let alone = |b: &[u8]| b.len() == 1 || b[1] == 0;
    match b.first()? {
        b'+' if alone(b) => Some((LexItem::Max, true)),
        b'-' if alone(b) => Some((LexItem::Min, true)),
        b'(' => Some((LexItem::Str(b[1..].to_vec()), true)),
        b'[' => Some((LexItem::Str(b[1..].to_vec()), false)),
        _ => None,
    }
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
        let ((min, minex), (max, maxex)) = lex_item(min)
            .zip(lex_item(max))
            .ok_or(CmdError::err(NOT_LEX))?;
        Ok(LexRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    pub fn below_min(&self, v: &[u8]) -> bool {
        let c = cmp_value(v, &self.min);
        if self.minex {
            c != Ordering::Greater
        } else {
            c == Ordering::Less
        }
    }

    pub fn within_max(&self, v: &[u8]) -> bool {
        let c = cmp_value(v, &self.max);
        if self.maxex {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }

    fn is_empty(&self) -> bool {
        let c = cmp_lex(&self.min, &self.max);
        c == Ordering::Greater || (c == Ordering::Equal && (self.minex || self.maxex))
    }

    pub fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        z.span(|_, m| self.below_min(m), |_, m| self.within_max(m))
    }
}

/// Redis's rank clamping (ZRANGE, ZREMRANGEBYRANK): negative ranks count from the end;
/// `None` for an empty range, else ascending ranks `start..=end`.
pub(crate) fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let n = len as i64;
    let mut start = if start < 0 {
        start.saturating_add(n)
    } else {
        start
    };
    let mut end = if end < 0 { end.saturating_add(n) } else { end };
    start = start.max(0);
    if start > end || start >= n {
        return None;
    }
    if end >= n {
        end = n - 1;
    }
    Some((start as usize, end as usize))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-family request.
struct Request {
    kind: Kind,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

/// Where the result goes.
enum Sink {
    Reply,
    /// ZRANGESTORE: collect (score, member).
    Store(Vec<(f64, keyspace::SBytes)>),
}

/// Redis's `zrangeGenericCommand`: `first` is the index of the source key; `kind` and `rev`
/// are fixed by the command name or, when `None`, chosen by BYSCORE/BYLEX/REV.
fn zrange_generic(
    ctx: &mut Ctx,
    first: usize,
    store: bool,
    kind: Option<Kind>,
    rev: Option<bool>,
) -> CmdResult {
    let mut req = Request {
        kind: kind.unwrap_or(Kind::Rank),
        rev: rev.unwrap_or(false),
        withscores: false,
        offset: 0,
        limit: -1,
    };
    let mut kind_set = kind.is_some();
    let mut rev_set = rev.is_some();
    let mut j = first + 3;
    while j < ctx.argc() {
        let left = ctx.argc() - j - 1;
        if !store && ctx.is(j, "withscores") {
            req.withscores = true;
        } else if ctx.is(j, "limit") && left >= 2 {
            req.offset = ctx.i64_arg(j + 1)?;
            req.limit = ctx.i64_arg(j + 2)?;
            j += 2;
        } else if !rev_set && ctx.is(j, "rev") {
            req.rev = true;
            rev_set = true;
        } else if !kind_set && ctx.is(j, "bylex") {
            req.kind = Kind::Lex;
            kind_set = true;
        } else if !kind_set && ctx.is(j, "byscore") {
            req.kind = Kind::Score;
            kind_set = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if req.limit != -1 && req.kind == Kind::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if req.withscores && req.kind == Kind::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut a, mut b) = (first + 1, first + 2);
    if req.rev && req.kind != Kind::Rank {
        std::mem::swap(&mut a, &mut b);
    }
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let parsed = match req.kind {
        Kind::Rank => Parsed::Rank(ctx.i64_arg(a)?, ctx.i64_arg(b)?),
        Kind::Score => Parsed::Score(ScoreRange::parse(ctx.arg(a), ctx.arg(b))?),
        Kind::Lex => Parsed::Lex(LexRange::parse(ctx.arg(a), ctx.arg(b))?),
    };
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(first));
    let mut sink = if store {
        Sink::Store(Vec::new())
    } else {
        Sink::Reply
    };
    let Some(z) = read_zset(ctx.ks, db, key, now)? else {
        crate::strings::miss(ctx, key);
        if store {
            return finish_store(ctx, Vec::new());
        }
        ctx.out.array(0);
        return Ok(());
    };
    // The ranks to emit, in emission order.
    let (start, count) = match parsed {
        Parsed::Rank(s, e) => match clamp_ranks(s, e, z.len()) {
            // Ranks count in the direction asked for.
            Some((s, e)) => (s, e - s + 1),
            None => (0, 0),
        },
        Parsed::Score(r) => offset_limit(r.span(z), &req, z.len()),
        Parsed::Lex(r) => offset_limit(r.span(z), &req, z.len()),
    };
    let items = z.range(start, count, req.rev);
    match &mut sink {
        Sink::Reply => {
            let resp3 = ctx.out.is_resp3();
            let n = items.len();
            ctx.out
                .array(if req.withscores && !resp3 { n * 2 } else { n });
            for (s, m) in items {
                if req.withscores && resp3 {
                    ctx.out.array(2);
                }
                ctx.out.bulk(m);
                if req.withscores {
                    ctx.out.double(s);
                }
            }
            Ok(())
        }
        Sink::Store(v) => {
            v.extend(items.map(|(s, m)| (s, keyspace::SBytes::new(m))));
            let v = std::mem::take(v);
            finish_store(ctx, v)
        }
    }
}

/// Applies LIMIT to a span: the first rank to emit (ascending, or descending with REV) and
/// how many. A negative offset skips everything, a negative limit means all, as Redis's
/// `while (offset--)` / `while (limit--)` loops behave.
fn offset_limit((lo, hi): (usize, usize), req: &Request, len: usize) -> (usize, usize) {
    if req.offset > 0 && req.offset as u64 >= len as u64 {
        return (0, 0);
    }
    if req.offset < 0 {
        return (0, 0);
    }
    let n = hi - lo;
    let off = (req.offset as u64).min(n as u64) as usize;
    let avail = n - off;
    let count = if req.limit < 0 {
        avail
    } else {
        avail.min(usize::try_from(req.limit).unwrap_or(usize::MAX))
    };
    let start = if req.rev { len - hi + off } else { lo + off };
    (start, count)
}

/// ZRANGESTORE's result: stored (replacing the destination) or, when empty, the
/// destination deleted.
fn finish_store(ctx: &mut Ctx, items: Vec<(f64, keyspace::SBytes)>) -> CmdResult {
    let (db, now, dst) = (ctx.db(), ctx.now, ctx.arg(1));
    if items.is_empty() {
        ctx.out.int(0);
        if ctx.ks.remove(db, dst, now).is_some() {
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return Ok(());
    }
    let n = items.len();
    let z = ZSet::from_items(items, limits(ctx));
    ctx.ks.set(db, dst, Value::ZSet(Box::new(z)), Ttl::Clear);
    ctx.out.int(n as i64);
    ctx.notify(notify::ZSET, "zrangestore", dst);
    Ok(())
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, None, None)
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 2, true, None, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, Some(Kind::Rank), Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, Some(Kind::Score), Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, Some(Kind::Score), Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, Some(Kind::Lex), Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, Some(Kind::Lex), Some(true))
}

/// ZCOUNT key min max
pub fn zcount(ctx: &mut Ctx) -> CmdResult {
    let r = ScoreRange::parse(ctx.arg(2), ctx.arg(3))?;
    count_generic(ctx, |z| r.span(z))
}

/// ZLEXCOUNT key min max
pub fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let r = LexRange::parse(ctx.arg(2), ctx.arg(3))?;
    count_generic(ctx, |z| r.span(z))
}

fn count_generic(ctx: &mut Ctx, span: impl Fn(&ZSet) -> (usize, usize)) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match read_zset(ctx.ks, db, key, now)? {
        Some(z) => {
            let (lo, hi) = span(z);
            ctx.out.int((hi - lo) as i64);
        }
        None => {
            crate::strings::miss(ctx, key);
            ctx.out.int(0);
        }
    }
    Ok(())
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    let (start, end) = (ctx.i64_arg(2)?, ctx.i64_arg(3)?);
    remrange_generic(ctx, "zremrangebyrank", |z| {
        clamp_ranks(start, end, z.len()).map_or((0, 0), |(s, e)| (s, e + 1))
    })
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    let r = ScoreRange::parse(ctx.arg(2), ctx.arg(3))?;
    remrange_generic(ctx, "zremrangebyscore", |z| r.span(z))
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    let r = LexRange::parse(ctx.arg(2), ctx.arg(3))?;
    remrange_generic(ctx, "zremrangebylex", |z| r.span(z))
}

fn remrange_generic(
    ctx: &mut Ctx,
    event: &str,
    span: impl Fn(&ZSet) -> (usize, usize),
) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let mark = WriteMark::new(ctx.ks);
    let (deleted, emptied) = match ctx.ks.get_mut(db, key, now) {
        None => (0, false),
        Some(Value::ZSet(z)) => {
            let (lo, hi) = span(z);
            let n = z.remove_ranks(lo, hi);
            (n, z.is_empty())
        }
        Some(_) => {
            mark.undo(ctx.ks);
            return Err(CmdError::WrongType);
        }
    };
    mark.settle(ctx.ks, deleted as u64);
    if deleted > 0 {
        if emptied {
            delete_emptied(ctx, key);
        }
        ctx.notify(notify::ZSET, event, key);
        if emptied {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

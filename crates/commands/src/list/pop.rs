//! LPOP RPOP LMPOP, and the blocking BLPOP BRPOP BLMPOP.
//!
//! The blocking forms pop at once when one of their keys holds a list (propagated as
//! LPOP/RPOP, with the count actually popped for the MPOP forms); otherwise they block on
//! all their keys, and a re-run when one becomes ready pops from that key only.

use std::ops::Range;

use bytes::Bytes;

use keyspace::Value;

use super::{after_removal, reply_ent, reply_range};
use crate::blocking::{self, Wants};
use crate::ctx::{parse_i64_arg, Ctx};
use crate::errors::{CmdError, CmdResult};

fn event(front: bool) -> &'static str {
    if front {
        "lpop"
    } else {
        "rpop"
    }
}

/// LPOP key [count]
pub fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, true)
}

/// RPOP key [count]
pub fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, false)
}

fn pop_generic(ctx: &mut Ctx, front: bool) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Arity(ctx.name().to_string()));
    }
    let count = if ctx.argc() == 3 {
        // Redis's `getPositiveLongFromObjectOrReply`: one message for every failure.
        match ctx.i64_arg(2) {
            Ok(n) if n >= 0 => Some(n as u64),
            _ => return Err(CmdError::MustBePositive),
        }
    } else {
        None
    };
    let (db, now, key) = (ctx.client.db, ctx.now, ctx.arg(1));
    let l = match ctx.ks.get_mut_untracked(db, key, now) {
        Some(Value::List(l)) => l,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            match count {
                Some(_) => ctx.out.null_array(),
                None => ctx.out.null(),
            }
            return Ok(());
        }
    };
    let popped = match count {
        Some(0) => {
            ctx.out.array(0);
            return Ok(());
        }
        None => {
            let out = &mut *ctx.out;
            l.pop_with(front, |e| reply_ent(out, e));
            1
        }
        Some(c) => pop_range(ctx.out, l, front, c),
    };
    let empty = l.is_empty();
    after_removal(ctx, key, event(front), popped, empty);
    Ok(())
}

/// Replies with up to `count` elements from one end (in popping order) and removes them;
/// returns how many.
fn pop_range(
    out: &mut resp::ReplyWriter,
    l: &mut keyspace::list::List,
    front: bool,
    count: u64,
) -> u64 {
    let n = l.len().min(usize::try_from(count).unwrap_or(usize::MAX));
    if front {
        reply_range(out, l, 0, n, false);
        l.trim_front(n);
    } else {
        reply_range(out, l, l.len() - 1, n, true);
        l.trim_back(n);
    }
    n as u64
}

/// Pops from the first of `keys` (argument indexes) that holds a list — during a re-run,
/// from the ready key only — replying `[key, element]` (or `[key, [elements…]]` with a
/// count) and propagating LPOP/RPOP. False if none holds a list.
fn pop_first(
    ctx: &mut Ctx,
    keys: Range<usize>,
    front: bool,
    count: Option<u64>,
) -> Result<bool, CmdError> {
    let serving = blocking::serving_key(ctx).map(<[u8]>::to_vec);
    for i in keys {
        let key = ctx.arg(i);
        if serving.as_deref().is_some_and(|s| s != key) {
            continue;
        }
        let (db, now) = (ctx.client.db, ctx.now);
        let l = match ctx.ks.get_mut_untracked(db, key, now) {
            Some(Value::List(l)) => l,
            Some(_) => return Err(CmdError::WrongType),
            None => continue,
        };
        ctx.out.array(2);
        ctx.out.bulk(key);
        let cmd = Bytes::from_static(if front { b"LPOP" } else { b"RPOP" });
        let popped = match count {
            None => {
                let out = &mut *ctx.out;
                l.pop_with(front, |e| reply_ent(out, e));
                ctx.rewrite = Some(vec![cmd, ctx.args[i].clone()]);
                1
            }
            Some(c) => {
                let n = pop_range(ctx.out, l, front, c);
                ctx.rewrite = Some(vec![cmd, ctx.args[i].clone(), Bytes::from(n.to_string())]);
                n
            }
        };
        let empty = l.is_empty();
        after_removal(ctx, key, event(front), popped, empty);
        return Ok(true);
    }
    Ok(false)
}

/// The arguments of LMPOP/BLMPOP after `numkeys`: keys, end, count.
struct MpopArgs {
    keys: Range<usize>,
    front: bool,
    count: u64,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `at`.
fn parse_mpop(ctx: &Ctx, at: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = match parse_i64_arg(ctx.arg(at)) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::NumkeysZero),
    };
    let where_at = match usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
    {
        Some(w) if w < ctx.argc() => w,
        _ => return Err(CmdError::Syntax),
    };
    let front = if ctx.is(where_at, "left") {
        true
    } else if ctx.is(where_at, "right") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < ctx.argc() {
        if count.is_none() && ctx.is(j, "count") && j + 1 < ctx.argc() {
            match parse_i64_arg(ctx.arg(j + 1)) {
                Ok(n) if n >= 1 => count = Some(n as u64),
                _ => return Err(CmdError::CountZero),
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MpopArgs {
        keys: at + 1..where_at,
        front,
        count: count.unwrap_or(1),
    })
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 1)?;
    if !pop_first(ctx, a.keys, a.front, Some(a.count))? {
        ctx.out.null_array();
    }
    Ok(())
}

/// BLPOP key [key ...] timeout
pub fn blpop(ctx: &mut Ctx) -> CmdResult {
    blocking_pop(ctx, true)
}

/// BRPOP key [key ...] timeout
pub fn brpop(ctx: &mut Ctx) -> CmdResult {
    blocking_pop(ctx, false)
}

fn blocking_pop(ctx: &mut Ctx, front: bool) -> CmdResult {
    let last = ctx.argc() - 1;
    let deadline = blocking::parse_timeout(ctx, last)?;
    if pop_first(ctx, 1..last, front, None)? {
        return Ok(());
    }
    block_or_null(ctx, 1..last, deadline);
    Ok(())
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 2)?;
    let deadline = blocking::parse_timeout(ctx, 1)?;
    if pop_first(ctx, a.keys.clone(), a.front, Some(a.count))? {
        return Ok(());
    }
    block_or_null(ctx, a.keys, deadline);
    Ok(())
}

/// Nothing to pop: block on the keys, or reply a null array where blocking is not allowed.
fn block_or_null(ctx: &mut Ctx, keys: Range<usize>, deadline: i64) {
    if !blocking::may_block(ctx) {
        ctx.out.null_array();
        return;
    }
    let args = ctx.args;
    let keys: Vec<&[u8]> = args[keys].iter().map(|k| &k[..]).collect();
    blocking::block(ctx, &keys, deadline, Wants::List);
}

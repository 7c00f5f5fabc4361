//! LMOVE RPOPLPUSH, and the blocking BLMOVE BRPOPLPUSH: pop from one list, push to another
//! (or the same one, rotating it), creating the destination.
//!
//! The blocking forms are propagated as LMOVE / RPOPLPUSH; served after blocking they run
//! again against the source that became ready, and a destination of the wrong type then
//! answers WRONGTYPE and ends the block, as in Redis.

use bytes::Bytes;

use super::{check_list, delete_if_empty, list_mut, push_values};
use crate::blocking::{self, Wants};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// LEFT → front, RIGHT → back (Redis's `getListPositionFromObjectOrReply`).
fn position(ctx: &Ctx, i: usize) -> Result<bool, CmdError> {
    if ctx.is(i, "left") {
        Ok(true)
    } else if ctx.is(i, "right") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Moves one element if the source holds a list, replying with it; false (nothing
/// written) if the source does not exist.
fn move_one(ctx: &mut Ctx, from_front: bool, to_front: bool) -> Result<bool, CmdError> {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if !check_list(ctx, src)? {
        return Ok(false);
    }
    check_list(ctx, dst)?;
    let (db, now) = (ctx.client.db, ctx.now);
    let Some(l) = list_mut(ctx.ks, db, src, now) else {
        return Ok(false);
    };
    let Some(value) = l.pop(from_front) else {
        return Ok(false);
    };
    ctx.ks.modified(db, src, 1);
    // The same key: the popped element goes back in before emptiness is judged.
    push_values(ctx, dst, &[&value], to_front, false)?;
    let dirty = ctx.ks.dirty;
    ctx.notify(notify::LIST, if to_front { "lpush" } else { "rpush" }, dst);
    ctx.out.bulk(&value);
    ctx.notify(notify::LIST, if from_front { "lpop" } else { "rpop" }, src);
    delete_if_empty(ctx, src);
    // Redis counts one change for the whole move.
    ctx.ks.dirty = dirty.saturating_sub(1);
    Ok(true)
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = position(ctx, 3)?;
    let to = position(ctx, 4)?;
    if !move_one(ctx, from, to)? {
        ctx.out.null();
    }
    Ok(())
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    if !move_one(ctx, false, true)? {
        ctx.out.null();
    }
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = position(ctx, 3)?;
    let to = position(ctx, 4)?;
    let deadline = blocking::parse_timeout(ctx, 5)?;
    blocking_move(ctx, from, to, deadline, b"LMOVE")
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    let deadline = blocking::parse_timeout(ctx, 3)?;
    blocking_move(ctx, false, true, deadline, b"RPOPLPUSH")
}

fn blocking_move(
    ctx: &mut Ctx,
    from: bool,
    to: bool,
    deadline: i64,
    plain: &'static [u8],
) -> CmdResult {
    if move_one(ctx, from, to)? {
        let mut args = vec![Bytes::from_static(plain)];
        let n = if plain == b"LMOVE" { 5 } else { 3 };
        args.extend(ctx.args[1..n].iter().cloned());
        ctx.propagate_as(args);
        return Ok(());
    }
    if !blocking::may_block(ctx) {
        ctx.out.null();
        return Ok(());
    }
    let src = ctx.arg(1);
    blocking::block(ctx, &[src], deadline, Wants::List);
    Ok(())
}

//! Counters: INCR DECR INCRBY DECRBY on 64-bit integers, and INCRBYFLOAT in `long double`
//! (propagated as `SET key <result> KEEPTTL` so replicas never redo float arithmetic).
//! Every counter keeps the key's TTL.

use bytes::Bytes;
use keyspace::value::itoa_buf::Buf;
use keyspace::{parse_i64, SBytes, Ttl, Value};

use super::longdouble;
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// INCR key
pub(super) fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, 1)
}

/// DECR key
pub(super) fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, -1)
}

/// INCRBY key increment
pub(super) fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.i64_arg(2)?;
    incr_decr(ctx, by)
}

/// DECRBY key decrement
pub(super) fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.i64_arg(2)?;
    if by == i64::MIN {
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_decr(ctx, -by)
}

/// The integer a key holds for INCR and friends (0 when missing).
fn current_int(ctx: &mut Ctx) -> Result<i64, CmdError> {
    let (db, now) = (ctx.db(), ctx.now);
    match ctx.ks.peek(db, ctx.arg(1), now) {
        None => Ok(0),
        Some(Value::Int(n)) => Ok(*n),
        Some(v) => {
            let mut sc = Buf::default();
            let b = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
            parse_i64(b).ok_or(CmdError::NotInteger)
        }
    }
}

fn incr_decr(ctx: &mut Ctx, by: i64) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    // Hot path: one lookup finds or creates the counter, changed in place when int-encoded.
    let (v, created) = ctx
        .ks
        .get_or_insert_untracked(db, key, now, || Value::Int(0));
    if let Value::Int(n) = v {
        // A created counter starts at 0, which no increment overflows.
        let new = n.checked_add(by).ok_or(CmdError::IncrOverflow)?;
        *n = new;
        ctx.ks.modified(db, key, 1);
        ctx.notify(notify::STRING, "incrby", key);
        ctx.out.int(new);
        return Ok(());
    }
    debug_assert!(!created);
    let cur = current_int(ctx)?;
    let new = cur.checked_add(by).ok_or(CmdError::IncrOverflow)?;
    ctx.ks.set(db, key, Value::Int(new), Ttl::Keep);
    ctx.notify(notify::STRING, "incrby", key);
    ctx.out.int(new);
    Ok(())
}

/// INCRBYFLOAT key increment
pub(super) fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key, by) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(2));
    let sum = match ctx.ks.peek(db, key, now) {
        None => longdouble::add(None, by)?,
        Some(v) => {
            let mut sc = Buf::default();
            let b = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
            longdouble::add(Some(b), by)?
        }
    };
    let text = sum.as_bytes();
    // Stored as text, never int-encoded, as Redis's createStringObjectFromLongDouble does.
    ctx.ks
        .set(db, key, Value::Str(SBytes::new(text)), Ttl::Keep);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.out.bulk(text);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        ctx.args[1].clone(),
        Bytes::copy_from_slice(text),
        Bytes::from_static(b"KEEPTTL"),
    ]);
    Ok(())
}

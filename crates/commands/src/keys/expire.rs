//! Expiry: EXPIRE PEXPIRE EXPIREAT PEXPIREAT with NX XX GT LT, the TTL readers and PERSIST.
//!
//! What replicas and the AOF see is deterministic: a time still to come is propagated as
//! `PEXPIREAT key <absolute ms> [flags]` (Redis 7.0 rewrites every form to it); a time
//! already past deletes the key here and is propagated as `DEL key`, with a `del`
//! notification instead of `expire`. Replicas and a loading server never delete on a past
//! time: they set it and let the primary's DEL (or expiry) remove the key.

use bytes::Bytes;

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{trunc, CmdError, CmdResult};

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
}

/// EXPIRE key seconds [NX | XX | GT | LT]
pub fn expire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, now, Unit::Seconds)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub fn pexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, now, Unit::Millis)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
pub fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, Unit::Seconds)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
pub fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, Unit::Millis)
}

/// The options after the time, in any number and order; contradictory pairs are refused.
fn parse_flags(ctx: &Ctx) -> Result<u8, CmdError> {
    let mut flags = 0;
    for i in 3..ctx.argc() {
        flags |= match ctx.arg(i) {
            a if a.eq_ignore_ascii_case(b"nx") => NX,
            a if a.eq_ignore_ascii_case(b"xx") => XX,
            a if a.eq_ignore_ascii_case(b"gt") => GT,
            a if a.eq_ignore_ascii_case(b"lt") => LT,
            a => {
                let opt = trunc(a, a.len());
                return Err(CmdError::err_owned(format!("Unsupported option {opt}")));
            }
        };
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags & GT != 0 && flags & LT != 0 {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(flags)
}

/// True if the conditions of `flags` allow replacing expiry `current` with `when`. No TTL
/// counts as an infinite one: GT never beats it, LT always does.
fn flags_allow(flags: u8, current: Option<i64>, when: i64) -> bool {
    match current {
        None => flags & (XX | GT) == 0,
        Some(cur) => {
            flags & NX == 0
                && !(flags & GT != 0 && when <= cur)
                && !(flags & LT != 0 && when >= cur)
        }
    }
}

fn expire_generic(ctx: &mut Ctx, basetime: i64, unit: Unit) -> CmdResult {
    let flags = parse_flags(ctx)?;
    let mut when = ctx.i64_arg(2)?;
    let invalid = || CmdError::InvalidExpire(ctx.name().to_string());
    if unit == Unit::Seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    when = when.checked_add(basetime).ok_or_else(invalid)?;
    let (db, now) = (ctx.db(), ctx.now);
    let key = ctx.args[1].clone();
    if ctx.ks.peek(db, &key, now).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if flags != 0 && !flags_allow(flags, ctx.ks.expire_of(db, &key), when) {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= now && !ctx.srv.loading && !ctx.srv.is_replica() {
        ctx.ks.remove(db, &key, now);
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        // Redis notifies before this reply, after it in the branch below.
        ctx.notify(notify::GENERIC, "del", &key);
        ctx.out.int(1);
        return Ok(());
    }
    ctx.ks.set_expire(db, &key, when);
    ctx.out.int(1);
    if basetime != 0 || unit == Unit::Seconds {
        let mut args = ctx.args.to_vec();
        args[0] = Bytes::from_static(b"PEXPIREAT");
        args[2] = Bytes::from(when.to_string());
        ctx.propagate_as(args);
    }
    ctx.notify(notify::GENERIC, "expire", &key);
    Ok(())
}

/// TTL key
pub fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// PTTL key
pub fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// EXPIRETIME key
pub fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// PEXPIRETIME key
pub fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// -2 for no key, -1 for no expiry, else the time left (or the absolute time), never below
/// 0; seconds are rounded to the nearest.
fn ttl_generic(ctx: &mut Ctx, millis: bool, absolute: bool) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    if ctx.ks.get_no_touch(db, ctx.arg(1), now).is_none() {
        super::keymiss(ctx, ctx.arg(1));
        ctx.out.int(-2);
        return Ok(());
    }
    let Some(at) = ctx.ks.expire_of(db, ctx.arg(1)) else {
        ctx.out.int(-1);
        return Ok(());
    };
    let t = if absolute { at } else { at.saturating_sub(now) }.max(0);
    // Rounded as Redis's `(ttl+500)/1000`, which its compiler evaluates without overflow.
    ctx.out.int(if millis {
        t
    } else {
        ((i128::from(t) + 500) / 1000) as i64
    });
    Ok(())
}

/// PERSIST key
pub fn persist(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let key = ctx.arg(1);
    let removed = ctx.ks.peek(db, key, now).is_some() && ctx.ks.persist(db, key);
    if removed {
        ctx.notify(notify::GENERIC, "persist", key);
    }
    ctx.out.int(i64::from(removed));
    Ok(())
}

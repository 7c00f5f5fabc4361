//! SET and its variants (SETNX SETEX PSETEX MSET MSETNX) and GETEX: the extended options,
//! Redis's rules for which options may be combined, expiry arithmetic with its overflow
//! checks, and the propagated form (relative expiry → `SET k v PXAT ms`, GETEX →
//! `PEXPIREAT`/`PERSIST`/`DEL`, the GET flag dropped).
//!
//! Plain `SET key value` never allocates beyond the stored value: options are parsed only
//! when there are any.

use bytes::Bytes;
use keyspace::{Ttl, Value};
use resp::ReplyWriter;

use super::{get_generic, miss};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

const NX: u32 = 1 << 0;
const XX: u32 = 1 << 1;
const EX: u32 = 1 << 2;
const PX: u32 = 1 << 3;
const KEEPTTL: u32 = 1 << 4;
const GET: u32 = 1 << 5;
const EXAT: u32 = 1 << 6;
const PXAT: u32 = 1 << 7;
const PERSIST: u32 = 1 << 8;

/// Parsed SET/GETEX options: flag bits and the index of the expire argument.
struct Opts {
    flags: u32,
    expire: Option<usize>,
}

/// Redis's `parseExtendedStringArgumentsOrReply`. An option is accepted only if it does not
/// conflict with one already seen (repeating the same one is allowed; the last value wins).
fn parse_opts(ctx: &Ctx, from: usize, is_set: bool) -> Result<Opts, CmdError> {
    let mut flags = 0;
    let mut expire = None;
    let mut j = from;
    while j < ctx.argc() {
        let opt = ctx.arg(j);
        let has_next = j + 1 < ctx.argc();
        let is = |w: &str| opt.eq_ignore_ascii_case(w.as_bytes());
        // The expiry options: their flag and the options they cannot follow.
        let timed = if is("EX") {
            Some((EX, KEEPTTL | PERSIST | EXAT | PX | PXAT))
        } else if is("PX") {
            Some((PX, KEEPTTL | PERSIST | EX | EXAT | PXAT))
        } else if is("EXAT") {
            Some((EXAT, KEEPTTL | PERSIST | EX | PX | PXAT))
        } else if is("PXAT") {
            Some((PXAT, KEEPTTL | PERSIST | EX | EXAT | PX))
        } else {
            None
        };
        if is_set && is("NX") && flags & XX == 0 {
            flags |= NX;
        } else if is_set && is("XX") && flags & NX == 0 {
            flags |= XX;
        } else if is_set && is("GET") {
            flags |= GET;
        } else if is_set && is("KEEPTTL") && flags & (PERSIST | EX | EXAT | PX | PXAT) == 0 {
            flags |= KEEPTTL;
        } else if !is_set && is("PERSIST") && flags & (EX | EXAT | PX | PXAT | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some((f, _)) = timed.filter(|&(_, c)| has_next && flags & c == 0) {
            flags |= f;
            expire = Some(j + 1);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(Opts { flags, expire })
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms, with its checks for
/// non-positive times and overflow.
fn expire_at(ctx: &Ctx, i: usize, flags: u32) -> Result<i64, CmdError> {
    let invalid = || CmdError::InvalidExpire(ctx.name().to_string());
    let mut ms = ctx.i64_arg(i)?;
    let seconds = flags & (EX | EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (EX | PX) != 0 {
        ms = ms.wrapping_add(ctx.now);
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// Applies lazy expiry to `key` as Redis's `lookupKeyWrite` would and says whether it exists.
/// Without NX/XX only keys that may have expired need the lookup, which keeps plain SET at
/// one hash lookup.
fn exists_for_write(ctx: &mut Ctx, key: &[u8], needed: bool) -> bool {
    let db = ctx.db();
    if needed || ctx.ks.db(db).expires_len() > 0 {
        ctx.ks.exists(db, key, ctx.now)
    } else {
        false
    }
}

type Reply = fn(&mut ReplyWriter);

/// Redis's `setGenericCommand`. `ok`/`abort` write the reply for a done or skipped write.
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    val_idx: usize,
    expire: Option<usize>,
    ok: Reply,
    abort: Reply,
) -> CmdResult {
    let at = match expire {
        Some(i) => Some(expire_at(ctx, i, flags)?),
        None => None,
    };
    if flags & GET != 0 {
        get_generic(ctx, 1)?;
        // The old value is answered before the key is created (and `new` sent).
        ctx.replied();
    }
    let key = ctx.arg(1);
    let found = exists_for_write(ctx, key, flags & (NX | XX) != 0);
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        if flags & GET == 0 {
            abort(ctx.out);
        }
        return Ok(());
    }
    let ttl = match at {
        Some(ms) => Ttl::At(ms),
        None if flags & KEEPTTL != 0 => Ttl::Keep,
        None => Ttl::Clear,
    };
    let db = ctx.db();
    ctx.ks.set(db, key, Value::string(ctx.arg(val_idx)), ttl);
    ctx.notify(notify::STRING, "set", key);
    if let Some(ms) = at {
        ctx.notify(notify::GENERIC, "expire", key);
        ctx.propagate_as(vec![
            Bytes::from_static(b"SET"),
            ctx.args[1].clone(),
            ctx.args[val_idx].clone(),
            Bytes::from_static(b"PXAT"),
            Bytes::from(ms.to_string()),
        ]);
    } else if flags & GET != 0 {
        // Replicas must not reply, so GET (any number of times) is dropped.
        let args = ctx
            .args
            .iter()
            .enumerate()
            .filter(|(j, a)| *j < 3 || !a.eq_ignore_ascii_case(b"GET"))
            .map(|(_, a)| a.clone())
            .collect();
        ctx.propagate_as(args);
    }
    if flags & GET == 0 {
        ok(ctx.out);
    }
    Ok(())
}

fn reply_ok(out: &mut ReplyWriter) {
    out.ok();
}

fn reply_null(out: &mut ReplyWriter) {
    out.null();
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
pub(super) fn set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 3 {
        let (db, key) = (ctx.db(), ctx.arg(1));
        exists_for_write(ctx, key, false);
        ctx.ks.set(db, key, Value::string(ctx.arg(2)), Ttl::Clear);
        ctx.notify(notify::STRING, "set", key);
        ctx.out.ok();
        return Ok(());
    }
    let o = parse_opts(ctx, 3, true)?;
    set_generic(ctx, o.flags, 2, o.expire, reply_ok, reply_null)
}

/// SETNX key value
pub(super) fn setnx(ctx: &mut Ctx) -> CmdResult {
    set_generic(ctx, NX, 2, None, |o| o.int(1), |o| o.int(0))
}

/// SETEX key seconds value
pub(super) fn setex(ctx: &mut Ctx) -> CmdResult {
    set_generic(ctx, EX, 3, Some(2), reply_ok, reply_null)
}

/// PSETEX key milliseconds value
pub(super) fn psetex(ctx: &mut Ctx) -> CmdResult {
    set_generic(ctx, PX, 3, Some(2), reply_ok, reply_null)
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]
pub(super) fn getex(ctx: &mut Ctx) -> CmdResult {
    let o = parse_opts(ctx, 2, false)?;
    // The expire is reported only once the key is known to exist, as in Redis.
    let at = o.expire.map(|i| expire_at(ctx, i, o.flags));
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.null();
        miss(ctx, key);
        return Ok(());
    };
    let mut sc = keyspace::value::itoa_buf::Buf::default();
    let b = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    let at = at.transpose()?;
    ctx.out.bulk(b);
    let key_arg = ctx.args[1].clone();
    match at {
        Some(ms)
            if o.flags & (EXAT | PXAT) != 0
                && ms <= now
                && !ctx.srv.loading
                && !ctx.srv.is_replica() =>
        {
            ctx.ks.remove(db, key, now);
            let del = super::del_word(ctx.srv.config.lazyfree_lazy_expire);
            ctx.propagate_as(vec![del, key_arg]);
            ctx.notify(notify::GENERIC, "del", key);
        }
        Some(ms) => {
            ctx.ks.set_expire(db, key, ms);
            ctx.propagate_as(vec![
                Bytes::from_static(b"PEXPIREAT"),
                key_arg,
                Bytes::from(ms.to_string()),
            ]);
            ctx.notify(notify::GENERIC, "expire", key);
        }
        None if o.flags & PERSIST != 0 && ctx.ks.persist(db, key) => {
            ctx.propagate_as(vec![Bytes::from_static(b"PERSIST"), key_arg]);
            ctx.notify(notify::GENERIC, "persist", key);
        }
        None => {}
    }
    Ok(())
}

/// MSET key value [key value ...]
pub(super) fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]
pub(super) fn msetnx(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    if ctx.argc() & 1 == 0 {
        return Err(CmdError::Arity(ctx.name().to_string()));
    }
    if nx {
        for j in (1..ctx.argc()).step_by(2) {
            if exists_for_write(ctx, ctx.arg(j), true) {
                ctx.out.int(0);
                return Ok(());
            }
        }
    }
    let db = ctx.db();
    for j in (1..ctx.argc()).step_by(2) {
        let key = ctx.arg(j);
        if !nx {
            exists_for_write(ctx, key, false);
        }
        ctx.ks
            .set(db, key, Value::string(ctx.arg(j + 1)), Ttl::Clear);
        ctx.notify(notify::STRING, "set", key);
    }
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

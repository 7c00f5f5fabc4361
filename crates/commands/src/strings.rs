//! String commands: the whole string family of Redis 7.0.
//!
//! - here: GET MGET STRLEN GETRANGE/SUBSTR APPEND SETRANGE GETDEL GETSET, and the helpers the
//!   bitmap family shares (read lookups with `keymiss`, in-place growth, the size limit).
//! - [`set`] — SET SETNX SETEX PSETEX GETEX MSET MSETNX: options, expiry, propagation form.
//! - [`incr`] — INCR DECR INCRBY DECRBY INCRBYFLOAT.
//! - [`longdouble`] — INCRBYFLOAT's `long double` sum (a small C shim, see there why).
//! - [`lcs`] — LCS.
//!
//! Values: `Value::Int` (Redis's "int"), `Value::Str` (embstr/raw as written) and `Value::Raw`
//! (grown in place). Lookups follow Redis: read commands count hits and misses and fire
//! `keymiss`; write commands look up without statistics, check everything, and only then
//! touch the key, so a failed command never dirties the keyspace.

pub mod incr;
pub mod lcs;
pub mod longdouble;
pub mod set;

use bytes::Bytes;
use keyspace::value::itoa_buf::Buf;
use keyspace::{Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("get", 2, READONLY | FAST, get)
        .keys(1, 1, 1)
        .acl("read string fast"),
    Spec::new("set", -3, WRITE | DENYOOM, set::set)
        .keys(1, 1, 1)
        .acl("write string slow"),
    Spec::new("setnx", 3, WRITE | DENYOOM | FAST, set::setnx)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("setex", 4, WRITE | DENYOOM, set::setex)
        .keys(1, 1, 1)
        .acl("write string slow"),
    Spec::new("psetex", 4, WRITE | DENYOOM, set::psetex)
        .keys(1, 1, 1)
        .acl("write string slow"),
    Spec::new("getset", 3, WRITE | DENYOOM | FAST, getset)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("getdel", 2, WRITE | FAST, getdel)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("getex", -2, WRITE | FAST, set::getex)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("mget", -2, READONLY | FAST, mget)
        .keys(1, -1, 1)
        .acl("read string fast"),
    Spec::new("mset", -3, WRITE | DENYOOM, set::mset)
        .keys(1, -1, 2)
        .acl("write string slow"),
    Spec::new("msetnx", -3, WRITE | DENYOOM, set::msetnx)
        .keys(1, -1, 2)
        .acl("write string slow"),
    Spec::new("append", 3, WRITE | DENYOOM | FAST, append)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("strlen", 2, READONLY | FAST, strlen)
        .keys(1, 1, 1)
        .acl("read string fast"),
    Spec::new("incr", 2, WRITE | DENYOOM | FAST, incr::incr)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("decr", 2, WRITE | DENYOOM | FAST, incr::decr)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("incrby", 3, WRITE | DENYOOM | FAST, incr::incrby)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("decrby", 3, WRITE | DENYOOM | FAST, incr::decrby)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, incr::incrbyfloat)
        .keys(1, 1, 1)
        .acl("write string fast"),
    Spec::new("getrange", 4, READONLY, getrange)
        .keys(1, 1, 1)
        .acl("read string slow"),
    Spec::new("substr", 4, READONLY, getrange)
        .keys(1, 1, 1)
        .acl("read string slow"),
    Spec::new("setrange", 4, WRITE | DENYOOM, setrange)
        .keys(1, 1, 1)
        .acl("write string slow"),
    Spec::new("lcs", -3, READONLY, lcs::lcs)
        .keys(1, 2, 1)
        .acl("read string slow"),
];

/// Writes a string value as a bulk reply.
pub fn reply_value(ctx: &mut Ctx, v: &Value) -> CmdResult {
    let mut sc = Buf::default();
    let b = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    ctx.out.bulk(b);
    Ok(())
}

/// What a read lookup that found nothing owes: the `keymiss` notification.
pub(crate) fn miss(ctx: &mut Ctx, key: &[u8]) {
    if ctx.srv.config.notify_keyspace_events & notify::KEY_MISS != 0 {
        ctx.notify(notify::KEY_MISS, "keymiss", key);
    }
}

/// Redis's `checkStringLength`: would a string of `len + add` bytes pass proto-max-bulk-len?
/// Checked before anything is allocated; the primary's stream is exempt, as in Redis.
pub(crate) fn check_len(ctx: &Ctx, len: u64, add: u64) -> CmdResult {
    if ctx.client.kind == crate::client::Kind::Primary {
        return Ok(());
    }
    match len.checked_add(add) {
        Some(t) if t <= ctx.srv.config.proto_max_bulk_len.max(0) as u64 => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

/// A string value's bytes as a growable vector, turning it into `Raw` (Redis's
/// `dbUnshareStringValue`). The caller has checked it is a string.
pub(crate) fn raw_mut(v: &mut Value) -> &mut Vec<u8> {
    if !matches!(v, Value::Raw(_)) {
        *v = Value::Raw(Box::new(v.to_vec().unwrap_or_default()));
    }
    match v {
        Value::Raw(r) => r,
        _ => unreachable!("just made raw"),
    }
}

/// Redis's `getGenericCommand`: replies with the value (or null) of `ctx.arg(i)`, counting
/// the lookup as a read. Returns whether the key existed.
pub(crate) fn get_generic(ctx: &mut Ctx, i: usize) -> Result<bool, CmdError> {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(i));
    if let Some(v) = ctx.ks.get(db, key, now) {
        let mut sc = Buf::default();
        let b = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
        ctx.out.bulk(b);
        return Ok(true);
    }
    ctx.out.null();
    miss(ctx, key);
    Ok(false)
}

/// GET key
fn get(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if let Some(v) = ctx.ks.get(db, key, now) {
        match v {
            Value::Int(n) => ctx.out.bulk_int(*n),
            Value::Str(s) => ctx.out.bulk(s),
            Value::Raw(r) => ctx.out.bulk(r),
            #[allow(unreachable_patterns)] // other types join the enum later
            _ => return Err(CmdError::WrongType),
        }
        return Ok(());
    }
    ctx.out.null();
    miss(ctx, key);
    Ok(())
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    ctx.out.array(ctx.argc() - 1);
    let mut sc = Buf::default();
    for i in 1..ctx.argc() {
        let key = ctx.arg(i);
        match ctx.ks.get(db, key, now) {
            Some(v) => match v.str_bytes(&mut sc) {
                Some(b) => ctx.out.bulk(b),
                None => ctx.out.null(),
            },
            None => {
                ctx.out.null();
                miss(ctx, key);
            }
        }
    }
    Ok(())
}

/// STRLEN key
fn strlen(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if let Some(v) = ctx.ks.get(db, key, now) {
        let mut sc = Buf::default();
        let n = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?.len();
        ctx.out.int(n as i64);
        return Ok(());
    }
    ctx.out.int(0);
    miss(ctx, key);
    Ok(())
}

/// GETRANGE key start end (also SUBSTR)
fn getrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.i64_arg(2)?;
    let end = ctx.i64_arg(3)?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.bulk(b"");
        miss(ctx, key);
        return Ok(());
    };
    let mut sc = Buf::default();
    let s = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    match clamp_range(start, end, s.len()) {
        Some((a, b)) => ctx.out.bulk(&s[a..=b]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

/// Redis's GETRANGE index arithmetic: negative indexes count from the end, both ends are
/// clamped into the string; `None` for an empty result.
pub(crate) fn clamp_range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let n = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += n;
    }
    if end < 0 {
        end += n;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= n {
        end = n - 1;
    }
    if start > end || n == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// APPEND key value
fn append(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key, add) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(2));
    let total = match ctx.ks.peek(db, key, now) {
        None => {
            ctx.ks.set(db, key, Value::string(add), Ttl::Clear);
            add.len()
        }
        Some(v) => {
            let mut sc = Buf::default();
            let len = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?.len();
            check_len(ctx, len as u64, add.len() as u64)?;
            let Some(v) = ctx.ks.get_mut(db, key, now) else {
                return Err(CmdError::WrongType);
            };
            let r = raw_mut(v);
            r.extend_from_slice(add);
            r.len()
        }
    };
    ctx.notify(notify::STRING, "append", key);
    ctx.out.int(total as i64);
    Ok(())
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx) -> CmdResult {
    let offset = ctx.i64_arg(2)?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let (db, now, key, val) = (ctx.db(), ctx.now, ctx.arg(1), ctx.arg(3));
    let total = match ctx.ks.peek(db, key, now) {
        None => {
            if val.is_empty() {
                ctx.out.int(0);
                return Ok(());
            }
            check_len(ctx, offset as u64, val.len() as u64)?;
            let mut r = vec![0u8; offset as usize + val.len()];
            r[offset as usize..].copy_from_slice(val);
            let n = r.len();
            ctx.ks.set(db, key, Value::Raw(Box::new(r)), Ttl::Clear);
            n
        }
        Some(v) => {
            let mut sc = Buf::default();
            let len = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?.len();
            if val.is_empty() {
                ctx.out.int(len as i64);
                return Ok(());
            }
            check_len(ctx, offset as u64, val.len() as u64)?;
            let Some(v) = ctx.ks.get_mut(db, key, now) else {
                return Err(CmdError::WrongType);
            };
            let r = raw_mut(v);
            let (off, end) = (offset as usize, offset as usize + val.len());
            if r.len() < end {
                r.resize(end, 0);
            }
            r[off..end].copy_from_slice(val);
            r.len()
        }
    };
    ctx.notify(notify::STRING, "setrange", key);
    ctx.out.int(total as i64);
    Ok(())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx) -> CmdResult {
    if !get_generic(ctx, 1)? {
        return Ok(());
    }
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if ctx.ks.remove(db, key, now).is_some() {
        let del = del_word(ctx.srv.config.lazyfree_lazy_user_del);
        ctx.propagate_as(vec![del, ctx.args[1].clone()]);
        ctx.notify(notify::GENERIC, "del", key);
    }
    Ok(())
}

/// The deletion command to propagate: UNLINK when the matching lazyfree option is on.
pub(crate) fn del_word(lazy: bool) -> Bytes {
    Bytes::from_static(if lazy { b"UNLINK" } else { b"DEL" })
}

/// GETSET key value
fn getset(ctx: &mut Ctx) -> CmdResult {
    get_generic(ctx, 1)?;
    // The old value is answered before the key is created (and `new` sent).
    ctx.replied();
    let (db, key, val) = (ctx.db(), ctx.arg(1), ctx.arg(2));
    ctx.ks.set(db, key, Value::string(val), Ttl::Clear);
    ctx.notify(notify::STRING, "set", key);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        ctx.args[1].clone(),
        ctx.args[2].clone(),
    ]);
    Ok(())
}

#[cfg(test)]
mod tests;

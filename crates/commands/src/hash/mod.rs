//! Hash commands of Redis 7.0:
//!
//! - here: the writes — HSET HMSET HSETNX HDEL HINCRBY HINCRBYFLOAT — and the helpers.
//! - [`read`]: HGET HMGET HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HRANDFIELD HSCAN.
//!
//! The hash itself is `keyspace::hash::Hash`: a listpack below `hash-max-listpack-entries`
//! fields of at most `hash-max-listpack-value` bytes, a table above (OBJECT ENCODING says
//! which). Writes check the type and their arguments before touching anything, create the
//! key when needed, and delete it when its last field goes. HINCRBYFLOAT is propagated as
//! HSET with the value it computed.

pub mod read;

use bytes::Bytes;
use keyspace::hash::{Hash, Limits};
use keyspace::listpack::Ent;
use keyspace::{parse_i64, Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::strings::longdouble;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("hset", -4, WRITE | DENYOOM | FAST, hset)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hget", 3, READONLY | FAST, read::hget)
        .keys(1, 1, 1)
        .acl("read hash fast"),
    Spec::new("hmset", -4, WRITE | DENYOOM | FAST, hset)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hmget", -3, READONLY | FAST, read::hmget)
        .keys(1, 1, 1)
        .acl("read hash fast"),
    Spec::new("hincrby", 4, WRITE | DENYOOM | FAST, hincrby)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hdel", -3, WRITE | FAST, hdel)
        .keys(1, 1, 1)
        .acl("write hash fast"),
    Spec::new("hlen", 2, READONLY | FAST, read::hlen)
        .keys(1, 1, 1)
        .acl("read hash fast"),
    Spec::new("hstrlen", 3, READONLY | FAST, read::hstrlen)
        .keys(1, 1, 1)
        .acl("read hash fast"),
    Spec::new("hkeys", 2, READONLY, read::hkeys)
        .keys(1, 1, 1)
        .acl("read hash slow"),
    Spec::new("hvals", 2, READONLY, read::hvals)
        .keys(1, 1, 1)
        .acl("read hash slow"),
    Spec::new("hgetall", 2, READONLY, read::hgetall)
        .keys(1, 1, 1)
        .acl("read hash slow"),
    Spec::new("hexists", 3, READONLY | FAST, read::hexists)
        .keys(1, 1, 1)
        .acl("read hash fast"),
    Spec::new("hrandfield", -2, READONLY, read::hrandfield)
        .keys(1, 1, 1)
        .acl("read hash slow"),
    Spec::new("hscan", -3, READONLY, read::hscan)
        .keys(1, 1, 1)
        .acl("read hash slow"),
];

/// The configured listpack limits.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.hash_max_listpack_entries,
        value: ctx.srv.config.hash_max_listpack_value,
    }
}

/// Publishes the configured hash and list encoding limits for the RDB/DUMP loaders (at
/// start-up and after CONFIG SET).
pub fn publish_limits(cfg: &crate::config::Config) {
    Limits {
        entries: cfg.hash_max_listpack_entries,
        value: cfg.hash_max_listpack_value,
    }
    .publish();
    let fill = cfg
        .list_max_listpack_size
        .clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    keyspace::list::FILL.store(fill, std::sync::atomic::Ordering::Relaxed);
}

/// Runs `f` on the hash at `key`, creating it when absent (Redis's
/// `hashTypeLookupWriteOrCreate`); a new hash left empty is not stored. The key counts as
/// modified once, with `changes` (returned by `f` with its result) added to the dirty count.
fn with_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut Hash) -> Result<(R, u64), CmdError>,
) -> Result<R, CmdError> {
    let (db, now) = (ctx.client.db, ctx.now);
    let dirty = ctx.ks.dirty;
    let (r, changes) = match ctx.ks.get_mut_untracked(db, key, now) {
        Some(Value::Hash(h)) => f(h)?,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            let mut h = Hash::new();
            let r = f(&mut h)?;
            if !h.is_empty() {
                ctx.ks.set(db, key, Value::Hash(Box::new(h)), Ttl::Clear);
            }
            r
        }
    };
    if changes > 0 {
        ctx.ks.modified(db, key, 0);
        ctx.ks.dirty = dirty + changes;
    }
    Ok(r)
}

/// HSET key field value [field value ...] / HMSET (same arguments, replies OK)
fn hset(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 == 1 {
        return Err(CmdError::Arity(ctx.name().to_string()));
    }
    let (key, lim, args) = (ctx.arg(1), limits(ctx), ctx.args);
    let created = with_hash(ctx, key, |h| {
        let mut created = 0;
        for p in args[2..].chunks_exact(2) {
            created += i64::from(h.set(&p[0], &p[1], lim));
        }
        Ok((created, (args.len() as u64 - 2) / 2))
    })?;
    if ctx.name() == "hset" {
        ctx.out.int(created);
    } else {
        ctx.out.ok();
    }
    ctx.notify(notify::HASH, "hset", key);
    Ok(())
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let (key, field, value, lim) = (ctx.arg(1), ctx.arg(2), ctx.arg(3), limits(ctx));
    let set = with_hash(ctx, key, |h| {
        if h.contains(field) {
            return Ok((false, 0));
        }
        h.set(field, value, lim);
        Ok((true, 1))
    })?;
    ctx.out.int(i64::from(set));
    if set {
        ctx.notify(notify::HASH, "hset", key);
    }
    Ok(())
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let h = match ctx.ks.get_mut_untracked(db, key, now) {
        Some(Value::Hash(h)) => h,
        Some(_) => return Err(CmdError::WrongType),
        None => {
            ctx.out.int(0);
            return Ok(());
        }
    };
    let mut deleted = 0;
    for f in &ctx.args[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if deleted > 0 {
        ctx.ks.modified(db, key, deleted);
        ctx.notify(notify::HASH, "hdel", key);
        if emptied {
            let dirty = ctx.ks.dirty;
            ctx.ks.remove(db, key, now);
            ctx.ks.dirty = dirty;
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// The current value of `field` as bytes, if set.
fn field_bytes(h: &Hash, field: &[u8]) -> Option<Vec<u8>> {
    h.get(field).map(|e| match e {
        Ent::Str(s) => s.to_vec(),
        Ent::Int(n) => n.to_string().into_bytes(),
    })
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let incr = ctx.i64_arg(3)?;
    let (key, field, lim) = (ctx.arg(1), ctx.arg(2), limits(ctx));
    let n = with_hash(ctx, key, |h| {
        let old = match h.get(field) {
            None => 0,
            Some(Ent::Int(n)) => n,
            Some(Ent::Str(s)) => {
                parse_i64(s).ok_or(CmdError::err("hash value is not an integer"))?
            }
        };
        let new = old.checked_add(incr).ok_or(CmdError::IncrOverflow)?;
        h.set(field, new.to_string().as_bytes(), lim);
        Ok((new, 1))
    })?;
    ctx.out.int(n);
    ctx.notify(notify::HASH, "hincrby", key);
    Ok(())
}

/// HINCRBYFLOAT key field increment
fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let (key, field, incr, lim) = (ctx.arg(1), ctx.arg(2), ctx.arg(3), limits(ctx));
    match longdouble::add(None, incr) {
        Ok(_) => {}
        Err(CmdError::NanOrInf) => return Err(CmdError::err("value is NaN or Infinity")),
        Err(_) => return Err(CmdError::NotFloat),
    }
    let sum = with_hash(ctx, key, |h| {
        let cur = field_bytes(h, field);
        let sum = longdouble::add(cur.as_deref(), incr).map_err(|e| match e {
            CmdError::NanOrInf => e,
            _ => CmdError::err("hash value is not a float"),
        })?;
        let sum = sum.as_bytes().to_vec();
        h.set(field, &sum, lim);
        Ok((sum, 1))
    })?;
    ctx.out.bulk(&sum);
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    ctx.propagate_as(vec![
        Bytes::from_static(b"HSET"),
        ctx.args[1].clone(),
        ctx.args[2].clone(),
        Bytes::from(sum),
    ]);
    Ok(())
}

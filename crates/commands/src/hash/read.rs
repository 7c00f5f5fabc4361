//! Hash reads: HGET HMGET HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL, HRANDFIELD and HSCAN.
//!
//! Read lookups count hits and misses and fire `keymiss`. A compact (listpack) hash is
//! returned in insertion order and HSCAN returns it whole with cursor 0, as Redis does; a
//! table-encoded hash is walked with Redis's SCAN cursor (every field present for the whole
//! scan is returned at least once).

use std::collections::HashSet;

use keyspace::hash::Hash;
use keyspace::listpack::Ent;
use keyspace::Value;

use crate::ctx::{parse_i64_arg, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::glob;
use crate::keys::iterate::{parse_cursor, parse_scan_options};
use crate::list::reply_ent;
use crate::strings::miss;

/// Runs `f` on the hash at `ctx.arg(1)` (a read lookup); `none` replies when it is absent.
fn with_hash(
    ctx: &mut Ctx,
    none: impl FnOnce(&mut resp::ReplyWriter),
    f: impl FnOnce(&Hash, &mut resp::ReplyWriter),
) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match ctx.ks.get(db, key, now) {
        Some(Value::Hash(h)) => {
            f(h, ctx.out);
            return Ok(());
        }
        Some(_) => return Err(CmdError::WrongType),
        None => {}
    }
    none(ctx.out);
    miss(ctx, key);
    Ok(())
}

/// HGET key field
pub fn hget(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.arg(2);
    with_hash(
        ctx,
        |out| out.null(),
        |h, out| match h.get(field) {
            Some(e) => reply_ent(out, e),
            None => out.null(),
        },
    )
}

/// HMGET key field [field ...]
pub fn hmget(ctx: &mut Ctx) -> CmdResult {
    let fields = &ctx.args[2..];
    with_hash(
        ctx,
        |out| {
            out.array(fields.len());
            for _ in fields {
                out.null();
            }
        },
        |h, out| {
            out.array(fields.len());
            for f in fields {
                match h.get(f) {
                    Some(e) => reply_ent(out, e),
                    None => out.null(),
                }
            }
        },
    )
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx) -> CmdResult {
    with_hash(ctx, |out| out.int(0), |h, out| out.int(h.len() as i64))
}

/// HSTRLEN key field
pub fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.arg(2);
    with_hash(
        ctx,
        |out| out.int(0),
        |h, out| {
            let mut b = keyspace::value::itoa_buf::Buf::default();
            out.int(h.get(field).map_or(0, |e| e.bytes(&mut b).len()) as i64)
        },
    )
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx) -> CmdResult {
    let field = ctx.arg(2);
    with_hash(
        ctx,
        |out| out.int(0),
        |h, out| out.int(i64::from(h.contains(field))),
    )
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, true, false)
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, false, true)
}

/// HGETALL key
pub fn hgetall(ctx: &mut Ctx) -> CmdResult {
    getall(ctx, true, true)
}

fn getall(ctx: &mut Ctx, fields: bool, values: bool) -> CmdResult {
    let both = fields && values;
    with_hash(
        ctx,
        |out| {
            if both {
                out.map(0)
            } else {
                out.array(0)
            }
        },
        |h, out| {
            if both {
                out.map(h.len());
            } else {
                out.array(h.len());
            }
            for (f, v) in h.iter() {
                if fields {
                    reply_ent(out, f);
                }
                if values {
                    reply_ent(out, v);
                }
            }
        },
    )
}

/// Writes one field (and value) of an HRANDFIELD reply.
fn reply_pair(out: &mut resp::ReplyWriter, f: Ent, v: Ent, withvalues: bool) {
    if withvalues && out.is_resp3() {
        out.array(2);
    }
    reply_ent(out, f);
    if withvalues {
        reply_ent(out, v);
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() < 3 {
        return with_hash(
            ctx,
            |out| out.null(),
            |h, out| match h.random() {
                Some((f, _)) => reply_ent(out, f),
                None => out.null(),
            },
        );
    }
    let l = parse_i64_arg(ctx.arg(2))?;
    if l == i64::MIN {
        return Err(CmdError::RangeBetween(-i64::MAX, i64::MAX));
    }
    if ctx.argc() > 4 || (ctx.argc() == 4 && !ctx.is(3, "withvalues")) {
        return Err(CmdError::Syntax);
    }
    let withvalues = ctx.argc() == 4;
    // A reply of 2 × |count| elements must stay countable.
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::err("value is out of range"));
    }
    with_hash(
        ctx,
        |out| out.array(0),
        |h, out| random_fields(h, out, l, withvalues),
    )
}

/// HRANDFIELD with a count: negative counts may repeat fields (and come in random order);
/// positive counts return distinct fields, the whole hash when it is not bigger.
fn random_fields(h: &Hash, out: &mut resp::ReplyWriter, l: i64, withvalues: bool) {
    let count = l.unsigned_abs();
    let flat = withvalues && !out.is_resp3();
    let reply_len = |n: u64| if flat { n * 2 } else { n } as usize;
    if count == 0 {
        out.array(0);
        return;
    }
    let size = h.len() as u64;
    if l < 0 || count == 1 {
        out.array(reply_len(count));
        for _ in 0..count {
            if let Some((f, v)) = h.random() {
                reply_pair(out, f, v, withvalues);
            }
        }
        return;
    }
    if count >= size {
        out.array(reply_len(size));
        for (f, v) in h.iter() {
            reply_pair(out, f, v, withvalues);
        }
        return;
    }
    // Distinct picks: choose `count` of the `size` positions, then walk the hash once.
    let n = size as usize;
    let mut chosen: Vec<usize> = if count * 3 > size {
        let mut all: Vec<usize> = (0..n).collect();
        fastrand::shuffle(&mut all);
        all.truncate(count as usize);
        all
    } else {
        let mut seen = HashSet::with_capacity(count as usize);
        while seen.len() < count as usize {
            seen.insert(fastrand::usize(..n));
        }
        seen.into_iter().collect()
    };
    chosen.sort_unstable();
    out.array(reply_len(count));
    let mut next = chosen.iter().peekable();
    for (i, (f, v)) in h.iter().enumerate() {
        if next.peek() == Some(&&i) {
            next.next();
            reply_pair(out, f, v, withvalues);
        }
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(2))?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    match ctx.ks.get(db, key, now) {
        Some(Value::Hash(_)) => {}
        Some(_) => return Err(CmdError::WrongType),
        None => {
            ctx.out.array(2);
            ctx.out.bulk(b"0");
            ctx.out.array(0);
            miss(ctx, key);
            return Ok(());
        }
    }
    let opts = parse_scan_options(ctx, 3, false)?;
    let Some(Value::Hash(h)) = ctx.ks.db(db).peek(key).map(|s| &s.value) else {
        return Ok(());
    };
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut cursor = cursor;
    // Redis counts fields and values against COUNT, and gives up after 10 × COUNT buckets.
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = h.scan(cursor, |f, v| found.push((f.to_vec(), v.to_vec())));
        if cursor == 0 || budget == 0 || found.len() * 2 >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|(f, _)| glob::matches(p, f, false));
    }
    ctx.out.array(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array(found.len() * 2);
    for (f, v) in &found {
        ctx.out.bulk(f);
        ctx.out.bulk(v);
    }
    Ok(())
}

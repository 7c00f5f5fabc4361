//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. The string format and
//! its operations live in [`repr`], the hash and the estimator in [`estimate`].
//!
//! An HLL is a plain string value holding Redis's exact bytes, so GET, SET, DUMP/RESTORE and
//! replication carry it unchanged between Redoubt and Redis. Commands work on the value in
//! place after making it a raw string (Redis's `dbUnshareStringValue`, which is why OBJECT
//! ENCODING reports `raw` after any of them). Writes are counted as Redis counts them:
//! PFADD adds one per changed register, PFCOUNT one when it refreshes the cached count (a
//! "read-only" command that the executor then propagates, as Redis does), PFDEBUG one on a
//! conversion to dense, without touching WATCHed keys.

pub mod estimate;
pub mod repr;

use keyspace::{Keyspace, Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{trunc, CmdError, CmdResult};
use crate::strings::{miss, raw_mut};
use crate::table::{flag::*, Spec};
use repr::{Corrupt, REGISTERS};

pub const TABLE: &[Spec] = &[
    Spec::new("pfadd", -2, WRITE | DENYOOM | FAST, pfadd)
        .keys(1, 1, 1)
        .acl("write hyperloglog fast"),
    Spec::new("pfcount", -2, READONLY | MAY_REPLICATE, pfcount)
        .keys(1, -1, 1)
        .acl("read hyperloglog slow"),
    Spec::new("pfmerge", -2, WRITE | DENYOOM, pfmerge)
        .keys(1, -1, 1)
        .acl("write hyperloglog slow"),
    Spec::new("pfdebug", 3, WRITE | DENYOOM | ADMIN, pfdebug)
        .keys(2, 2, 1)
        .acl("write hyperloglog admin slow dangerous"),
    Spec::new("pfselftest", 1, ADMIN, pfselftest).acl("hyperloglog admin slow dangerous"),
];

impl From<Corrupt> for CmdError {
    fn from(_: Corrupt) -> Self {
        CmdError::HllInvalid
    }
}

/// The bytes of a value that is a valid HLL string, or the error Redis gives.
fn hll_bytes(v: &Value) -> Result<&[u8], CmdError> {
    let s: &[u8] = match v {
        Value::Str(s) => s,
        Value::Raw(r) => r,
        // An integer-encoded string is never an HLL, whatever it reads as.
        Value::Int(_) => return Err(CmdError::HllWrongType),
        _ => return Err(CmdError::WrongType),
    };
    if repr::valid_header(s) {
        Ok(s)
    } else {
        Err(CmdError::HllWrongType)
    }
}

/// Runs `f` on the raw bytes of the live key `key` without counting a write or touching
/// watchers: the caller then counts what Redis counts ([`signal`], `ks.dirty`).
fn with_raw<R>(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    now: i64,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Option<R> {
    let (dirty, touched) = (ks.dirty, ks.events.touched.len());
    let r = ks.get_mut(db, key, now).map(|v| f(raw_mut(v)));
    ks.dirty = dirty;
    ks.events.touched.truncate(touched);
    r
}

/// Redis's `signalModifiedKey` followed by `server.dirty += n`.
fn signal(ks: &mut Keyspace, db: usize, key: &[u8], now: i64, n: u64) {
    let dirty = ks.dirty;
    ks.get_mut(db, key, now);
    ks.dirty = dirty + n;
}

/// PFADD key [element [element ...]]
fn pfadd(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let max_bytes = ctx.srv.config.hll_sparse_max_bytes;
    let dirty = ctx.ks.dirty;
    let mut updated = 0u64;
    match ctx.ks.peek(db, key, now) {
        Some(v) => {
            hll_bytes(v)?;
        }
        None => {
            let v = Value::Raw(Box::new(repr::new_sparse()));
            ctx.ks.set(db, key, v, Ttl::Clear);
            ctx.ks.dirty = dirty;
            updated = 1;
        }
    }
    let elems = &ctx.args[2..];
    let added = with_raw(ctx.ks, db, key, now, |s| {
        let mut n = 0;
        for e in elems {
            let (index, count) = estimate::pattern(e);
            n += repr::add(s, index, count, max_bytes)? as u64;
        }
        if n + updated > 0 {
            repr::invalidate(s);
        }
        Ok::<_, Corrupt>(n)
    });
    // A failure leaves earlier registers raised but counts nothing, like Redis.
    updated += added.unwrap_or(Ok(0))?;
    if updated > 0 {
        signal(ctx.ks, db, key, now, updated);
        ctx.notify(notify::STRING, "pfadd", key);
    }
    ctx.out.int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 2 {
        let max = merged_registers(ctx, 1, &mut false)?;
        let n = estimate::count(&repr::raw_histogram(&max));
        ctx.out.int(n as i64);
        return Ok(());
    }
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.int(0);
        miss(ctx, key);
        return Ok(());
    };
    hll_bytes(v)?;
    let card = with_raw(ctx.ks, db, key, now, |s| {
        if let Some(card) = repr::cached(s) {
            return Ok((card, false));
        }
        let card = estimate::count(&repr::histogram(s)?);
        repr::set_cached(s, card);
        Ok::<_, Corrupt>((card, true))
    });
    let Some(r) = card else {
        return Err(CmdError::HllInvalid);
    };
    let (card, refreshed) = r?;
    if refreshed {
        signal(ctx.ks, db, key, now, 1);
    }
    ctx.out.int(card as i64);
    Ok(())
}

/// The register-wise maximum of the HLLs named by the arguments from `from` on (missing keys
/// count as empty); `dense` is set when one of them is dense.
fn merged_registers(
    ctx: &mut Ctx,
    from: usize,
    dense: &mut bool,
) -> Result<Box<[u8; REGISTERS]>, CmdError> {
    let mut max = Box::new([0u8; REGISTERS]);
    let (db, now) = (ctx.db(), ctx.now);
    for i in from..ctx.argc() {
        let key = ctx.arg(i);
        let Some(v) = ctx.ks.get(db, key, now) else {
            miss(ctx, key);
            continue;
        };
        let s = hll_bytes(v)?;
        *dense |= s[4] == repr::DENSE;
        repr::merge_into(&mut max, s)?;
    }
    Ok(max)
}

/// PFMERGE destkey [sourcekey [sourcekey ...]]
fn pfmerge(ctx: &mut Ctx) -> CmdResult {
    // The destination is one of the inputs.
    let mut dense = false;
    let max = merged_registers(ctx, 1, &mut dense)?;
    let (db, now, dest) = (ctx.db(), ctx.now, ctx.arg(1));
    let max_bytes = ctx.srv.config.hll_sparse_max_bytes;
    if !ctx.ks.exists(db, dest, now) {
        let dirty = ctx.ks.dirty;
        let v = Value::Raw(Box::new(repr::new_sparse()));
        ctx.ks.set(db, dest, v, Ttl::Clear);
        ctx.ks.dirty = dirty;
    }
    let done = with_raw(ctx.ks, db, dest, now, |s| {
        if dense && s[4] == repr::SPARSE {
            *s = repr::to_dense(s)?;
        }
        for (i, &m) in max.iter().enumerate() {
            if m == 0 {
                continue;
            }
            if s[4] == repr::DENSE {
                repr::dense_set(s, i, m);
            } else {
                // The destination was validated by the merge: a failure cannot happen and,
                // as in Redis, would not stop the others.
                let _ = repr::sparse_set(s, i, m, max_bytes);
            }
        }
        repr::invalidate(s);
        Ok::<_, Corrupt>(())
    });
    done.unwrap_or(Err(Corrupt))?;
    signal(ctx.ks, db, dest, now, 1);
    ctx.notify(notify::STRING, "pfadd", dest);
    ctx.out.ok();
    Ok(())
}

/// PFDEBUG <GETREG | DECODE | ENCODING | TODENSE> key
fn pfdebug(ctx: &mut Ctx) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(2));
    let Some(v) = ctx.ks.peek(db, key, now) else {
        return Err(CmdError::err("The specified key does not exist"));
    };
    hll_bytes(v)?;
    let name = ctx.arg(1);
    let sub = name.to_ascii_lowercase();
    let r = with_raw(ctx.ks, db, key, now, |s| -> Result<Debug, CmdError> {
        let sparse = s[4] == repr::SPARSE;
        match &sub[..] {
            b"getreg" | b"todense" => {
                if sparse {
                    *s = repr::to_dense(s)?;
                }
                if sub == b"todense" {
                    return Ok(Debug::Converted(sparse));
                }
                let regs = &s[repr::HDR..];
                let v = (0..REGISTERS).map(|i| repr::get_reg(regs, i)).collect();
                Ok(Debug::Registers(v, sparse))
            }
            b"decode" if sparse => Ok(Debug::Text(repr::decode(s))),
            b"decode" => Err(CmdError::err("HLL encoding is not sparse")),
            b"encoding" => Ok(Debug::Encoding(if sparse { "sparse" } else { "dense" })),
            _ => Err(CmdError::err_owned(format!(
                "Unknown PFDEBUG subcommand '{}'",
                trunc(name, usize::MAX).replace(['\r', '\n'], " ")
            ))),
        }
    });
    let r = r.unwrap_or(Err(CmdError::HllInvalid))?;
    match r {
        Debug::Registers(regs, converted) => {
            // A conversion is propagated (counted) but signals nobody, as in Redis.
            ctx.ks.dirty += converted as u64;
            ctx.out.array(regs.len());
            for v in regs {
                ctx.out.int(v as i64);
            }
        }
        Debug::Converted(converted) => {
            ctx.ks.dirty += converted as u64;
            ctx.out.int(converted as i64);
        }
        Debug::Text(t) => ctx.out.bulk(t.as_bytes()),
        Debug::Encoding(e) => ctx.out.simple(e),
    }
    Ok(())
}

/// What a PFDEBUG subcommand answers.
enum Debug {
    /// All registers; true if the HLL was converted to dense first.
    Registers(Vec<u8>, bool),
    Converted(bool),
    Text(String),
    Encoding(&'static str),
}

/// PFSELFTEST
fn pfselftest(ctx: &mut Ctx) -> CmdResult {
    match selftest::run() {
        Ok(()) => {
            ctx.out.ok();
            Ok(())
        }
        Err(msg) => Err(CmdError::err_owned(format!("TESTFAILED {msg}"))),
    }
}

mod selftest;

#[cfg(test)]
mod tests;

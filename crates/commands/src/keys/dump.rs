//! DUMP and RESTORE: a value serialized as RDB encodes it, with the RDB version and a
//! CRC-64 appended (the `persist` crate does the encoding), so payloads move between
//! Redoubt and Redis in both directions.
//!
//! RESTORE with a relative TTL is propagated with the absolute time and `ABSTTL` appended;
//! a TTL already in the past creates nothing (a REPLACEd key is deleted: propagated as DEL).

use bytes::Bytes;
use keyspace::Ttl;
use persist::{RestoreError, SaveOptions};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// DUMP key
pub fn dump(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    // Redoubt has no rdbcompression switch yet: Redis's default, compression on.
    let opts = SaveOptions { compress: true };
    match ctx
        .ks
        .get(db, ctx.arg(1), now)
        .map(|v| persist::dump(v, opts))
    {
        Some(payload) => ctx.out.bulk(&payload),
        None => {
            super::keymiss(ctx, ctx.arg(1));
            ctx.out.null();
        }
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub fn restore(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let mut replace = false;
    let mut absttl = false;
    let mut idle: Option<i64> = None;
    let mut freq: Option<u8> = None;
    let mut i = 4;
    while i < ctx.argc() {
        let has_value = i + 1 < ctx.argc();
        if ctx.is(i, "replace") {
            replace = true;
        } else if ctx.is(i, "absttl") {
            absttl = true;
        } else if ctx.is(i, "idletime") && has_value && freq.is_none() {
            let n = ctx.i64_arg(i + 1)?;
            if n < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(n);
            i += 1;
        } else if ctx.is(i, "freq") && has_value && idle.is_none() {
            let n = ctx.i64_arg(i + 1)?;
            if !(0..=255).contains(&n) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(n as u8);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let key = ctx.args[1].clone();
    if !replace && ctx.ks.peek(db, &key, now).is_some() {
        return Err(CmdError::Raw(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let mut ttl = ctx.i64_arg(2)?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let value = persist::restore(ctx.arg(3)).map_err(|e| match e {
        RestoreError::VersionOrChecksum => {
            CmdError::err("DUMP payload version or checksum are wrong")
        }
        RestoreError::BadData => CmdError::err("Bad data format"),
    })?;
    let deleted = replace && ctx.ks.remove(db, &key, now).is_some();
    if ttl != 0 && !absttl {
        // Redis adds without an overflow check; a wrapped time reads as already past.
        ttl = ttl.wrapping_add(now);
    }
    if ttl != 0 && ttl <= now && !ctx.srv.loading && !ctx.srv.is_replica() {
        if deleted {
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
            ctx.notify(notify::GENERIC, "del", &key);
        }
        ctx.out.ok();
        return Ok(());
    }
    let dirty = ctx.ks.dirty;
    let expiry = if ttl != 0 { Ttl::At(ttl) } else { Ttl::Clear };
    ctx.ks.set(db, &key, value, expiry);
    ctx.ks.dirty = dirty + 1;
    if ttl != 0 && !absttl {
        let mut args = ctx.args.to_vec();
        args[2] = Bytes::from(ttl.to_string());
        args.push(Bytes::from_static(b"ABSTTL"));
        ctx.propagate_as(args);
    }
    // FREQ counts under an LFU policy, IDLETIME under any other (Redis's `objectSetLRUOrLFU`).
    ctx.ks.set_lru_or_lfu(db, &key, freq, idle);
    ctx.notify(notify::GENERIC, "restore", &key);
    ctx.out.ok();
    Ok(())
}

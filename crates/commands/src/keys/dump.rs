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

use super::object::LRU_CLOCK_MAX;

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
    let mut freq: Option<u32> = None;
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
            freq = Some(n as u32);
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
    // Like Redis's `objectSetLRUOrLFU`: FREQ counts under an LFU policy, IDLETIME otherwise.
    let clock = ctx.ks.lru_clock;
    if crate::evict::lfu_selected(&ctx.srv.config) {
        if let Some(f) = freq {
            let field = (keyspace::evict::lfu_minutes(clock) << 8) | f;
            ctx.ks.set_lru(db, &key, field);
        }
    } else if let Some(idle) = idle {
        ctx.ks.set_lru(db, &key, lru_for_idle(clock, idle));
    }
    ctx.notify(notify::GENERIC, "restore", &key);
    ctx.out.ok();
    Ok(())
}

/// The access time that makes a key `idle` seconds idle, as Redis 7.0's `objectSetLRUOrLFU`
/// computes it: clock minus idle, plus one clock cycle if that went negative, then cut to
/// the 24-bit field (so idle times past the clock's reach wrap). Returned on the unmasked
/// clock, so masked and plain differences with the clock agree.
pub fn lru_for_idle(clock: u32, idle: i64) -> u32 {
    let c = i64::from(clock & LRU_CLOCK_MAX);
    // Redis scales by 1000/1000 in a 64-bit multiply that may wrap; so does this.
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut abs = c.wrapping_sub(idle);
    if abs < 0 {
        abs = abs.wrapping_add(i64::from(LRU_CLOCK_MAX));
    }
    let field = (abs as u64 & 0xff_ffff) as u32;
    clock.wrapping_sub(((clock & 0xff_ffff).wrapping_sub(field)) & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use super::super::object::idle_seconds;
    use super::lru_for_idle;

    #[test]
    fn idle_times_like_redis() {
        // Observed on redis-server 7.0.15 with its LRU clock at 147664.
        let clock = (100u32 << 24) | 147_664;
        let cases = [
            (0, 0),
            (1000, 1000),
            (147_663, 147_663),
            (147_664, 147_664),
            (147_665, 147_665),
            (8_388_608, 8_388_608),
            (16_777_215, 0),
            (16_777_216, 1),
            (100_000_000, 16_113_920),
            (1 << 40, 1),
            (i64::MAX, 16_777_214),
        ];
        for (idle, want) in cases {
            let lru = lru_for_idle(clock, idle);
            assert_eq!(idle_seconds(clock, lru), want, "IDLETIME {idle}");
            assert_eq!(
                clock.wrapping_sub(lru) & !0xff_ffff,
                0,
                "on the unmasked clock"
            );
        }
    }
}

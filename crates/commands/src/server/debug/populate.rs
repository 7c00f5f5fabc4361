//! DEBUG POPULATE count [prefix] [size]: fills the client's database with `prefix:N` string
//! keys (`key:N` by default) holding `value:N`, or with `size` given, exactly `size` bytes:
//! the start of `value:N`, zero-padded. Keys that exist are left alone.
//!
//! As in Redis 7.0 this is not a change to the dataset as far as persistence goes: nothing is
//! propagated (replicas and the AOF never see the keys), `rdb_changes_since_last_save` does
//! not move. Each key created does fire a `new` keyspace event (recorded by the keyspace, as
//! for any creation) and touches its watchers; an expired key in the way is deleted (and that
//! deletion propagated) as any write lookup does.

use keyspace::{SBytes, Value};

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// Redis formats keys into a 128-byte buffer: longer names are cut to 127 bytes.
const KEY_MAX: usize = 127;
/// Keys looked up together (at most what one prefetch takes).
const BATCH: usize = 16;
/// A rough cost of one small key in memory (entry, bucket, key and value headers), for
/// refusing counts no allocation could hold.
const KEY_COST: u64 = 96;

/// DEBUG POPULATE count [prefix] [size]
pub(super) fn populate(ctx: &mut Ctx) -> CmdResult {
    let count = positive(ctx.arg(2))?;
    let db = ctx.client.db;
    // Redis sizes the table first and answers this when that allocation fails; a count no
    // memory could hold is refused here rather than allocated.
    let oom = || CmdError::err("OOM in dictTryExpand");
    if count.saturating_mul(KEY_COST) > physical_memory() {
        return Err(oom());
    }
    ctx.ks.reserve(db, count as usize, 0);
    let size = match ctx.argc() {
        5 => positive(ctx.arg(4))?,
        _ => 0,
    };
    if count.saturating_mul(KEY_COST.saturating_add(size)) > physical_memory() {
        return Err(oom());
    }
    // A C string: the prefix ends at its first NUL byte.
    let prefix: &[u8] = match ctx.argc() {
        3 => b"key",
        _ => {
            let p = ctx.arg(3);
            &p[..p.iter().position(|&b| b == 0).unwrap_or(p.len())]
        }
    };
    let dirty = ctx.ks.dirty;
    // Keys go in batches whose table slots are prefetched together: on a big table the
    // cache misses of the lookups are most of the cost, and this overlaps them.
    let mut num = itoa::Buffer::new();
    let mut names: Vec<u8> = Vec::with_capacity(BATCH * (KEY_MAX + 1));
    let mut ends = [0usize; BATCH];
    let mut start = 0u64;
    while start < count {
        let n = (count - start).min(BATCH as u64) as usize;
        names.clear();
        for (i, end) in ends[..n].iter_mut().enumerate() {
            let from = names.len();
            names.extend_from_slice(prefix);
            names.push(b':');
            names.extend_from_slice(num.format(start + i as u64).as_bytes());
            names.truncate(from + KEY_MAX);
            *end = names.len();
        }
        let mut keys = [&b""[..]; BATCH];
        let mut from = 0;
        for (k, &end) in keys.iter_mut().zip(&ends[..n]) {
            *k = &names[from..end];
            from = end;
        }
        ctx.ks.prefetch(db, &keys[..n]);
        for (i, key) in keys[..n].iter().enumerate() {
            let digits = num.format(start + i as u64).as_bytes();
            let (_, created) = ctx
                .ks
                .get_or_insert_untracked(db, key, ctx.now, || value(digits, size as usize));
            if !created {
                continue;
            }
            ctx.ks.modified(db, key, 1);
        }
        start += n as u64;
    }
    ctx.ks.dirty = dirty;
    ctx.out.ok();
    Ok(())
}

/// Redis's `getPositiveLongFromObjectOrReply`: one message for non-numbers and negatives.
fn positive(arg: &[u8]) -> Result<u64, CmdError> {
    keyspace::parse_i64(arg)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(CmdError::MustBePositive)
}

/// `value:<digits>`, or with a size, that text cut or zero-padded to exactly `size` bytes.
fn value(digits: &[u8], size: usize) -> Value {
    const TEXT: &[u8] = b"value:";
    if size == 0 {
        let mut v = Vec::with_capacity(TEXT.len() + digits.len());
        v.extend_from_slice(TEXT);
        v.extend_from_slice(digits);
        return Value::Str(SBytes::from(v));
    }
    let mut v = vec![0u8; size];
    for (dst, src) in v.iter_mut().zip(TEXT.iter().chain(digits)) {
        *dst = *src;
    }
    Value::Str(SBytes::from(v))
}

/// Installed memory in bytes (unbounded if the system does not say).
fn physical_memory() -> u64 {
    // SAFETY: sysconf only reads system configuration.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    match (u64::try_from(pages), u64::try_from(page)) {
        (Ok(n), Ok(p)) if n > 0 && p > 0 => n.saturating_mul(p),
        _ => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &Value) -> &[u8] {
        match v {
            Value::Str(s) => s.as_bytes(),
            other => panic!("not a plain string: {other:?}"),
        }
    }

    #[test]
    fn values_are_cut_or_zero_padded() {
        assert_eq!(bytes(&value(b"12", 0)), b"value:12");
        assert_eq!(bytes(&value(b"12", 3)), b"val");
        assert_eq!(bytes(&value(b"12", 8)), b"value:12");
        assert_eq!(bytes(&value(b"1", 10)), b"value:1\0\0\0");
        assert_eq!(bytes(&value(b"7", 100)).len(), 100);
    }

    #[test]
    fn counts_must_be_non_negative_integers() {
        assert_eq!(positive(b"0"), Ok(0));
        assert_eq!(positive(b"10"), Ok(10));
        for bad in [
            &b"-1"[..],
            b"x",
            b"1.5",
            b"",
            b" 1",
            b"99999999999999999999",
        ] {
            assert_eq!(positive(bad), Err(CmdError::MustBePositive), "{bad:?}");
        }
    }
}

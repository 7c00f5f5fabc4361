//! KEYS and SCAN, and the SCAN pieces the collection scans (HSCAN, SSCAN, ZSCAN) share: the
//! cursor parser and the option loop.
//!
//! SCAN walks the database's dict with its reverse-binary cursor ([`keyspace::Db::scan`]), so
//! a key present for a whole iteration is returned at least once however the table grows or
//! shrinks in between. Like Redis, it visits buckets until it has COUNT keys (or ten times
//! COUNT buckets), and filters by pattern, type and expiry only afterwards.

use keyspace::SBytes;

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::glob;

/// Parses a cursor as Redis's `parseScanCursorOrReply` does with `strtoul`: an optional sign
/// ('-' wraps around), decimal digits, nothing after; no leading space, no overflow. The
/// argument ends at a NUL byte, as a C string would, and the empty string is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let s = &arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())];
    if s.is_empty() {
        return Ok(0);
    }
    if matches!(s[0], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return Err(invalid());
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The options of a SCAN-family command.
pub struct ScanOptions<'a> {
    pub count: usize,
    /// None when absent or `*` (which matches everything and is skipped).
    pub pattern: Option<&'a [u8]>,
    /// Only for SCAN itself.
    pub type_name: Option<&'a [u8]>,
}

/// Parses `[MATCH pattern] [COUNT count] [TYPE type]` from argument `first` on, in any order,
/// the last of each winning. TYPE is an option only where `allow_type`.
pub fn parse_scan_options<'a>(
    ctx: &Ctx<'a>,
    first: usize,
    allow_type: bool,
) -> Result<ScanOptions<'a>, CmdError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = first;
    while i < ctx.argc() {
        let has_value = ctx.argc() - i >= 2;
        if ctx.is(i, "count") && has_value {
            let n = ctx.i64_arg(i + 1)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if ctx.is(i, "match") && has_value {
            let p = ctx.arg(i + 1);
            o.pattern = (p != b"*").then_some(p);
        } else if ctx.is(i, "type") && allow_type && has_value {
            o.type_name = Some(ctx.arg(i + 1));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx) -> CmdResult {
    let mut cursor = parse_cursor(ctx.arg(1))?;
    let opts = parse_scan_options(ctx, 2, true)?;
    let (db, now) = (ctx.db(), ctx.now);
    let mut found: Vec<SBytes> = Vec::new();
    let d = ctx.ks.db(db);
    // Ten buckets per wanted key at most, so a sparse table cannot stall the server.
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = d.scan(cursor, |k, _| found.push(k.clone()));
        if cursor == 0 || budget == 0 || found.len() >= opts.count {
            break;
        }
        budget -= 1;
    }
    let mut keep = Vec::with_capacity(found.len());
    for key in found {
        if let Some(p) = opts.pattern {
            if !glob::matches(p, &key, false) {
                continue;
            }
        }
        if let Some(want) = opts.type_name {
            // A read lookup, as Redis does it: counted, and an expired key is deleted (it
            // then reads as type "none").
            let t = ctx.ks.get_no_touch(db, &key, now).map(|v| v.type_name());
            if t.is_none() {
                super::keymiss(ctx, &key);
            }
            if !want.eq_ignore_ascii_case(t.unwrap_or("none").as_bytes()) {
                continue;
            }
        }
        if ctx.ks.db(db).is_expired(&key, now) {
            ctx.ks.peek(db, &key, now);
            continue;
        }
        keep.push(key);
    }
    ctx.out.array(2);
    ctx.out.bulk_int(cursor as i64);
    ctx.out.array(keep.len());
    for k in &keep {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// KEYS pattern — every live key matching, in table order; expired keys are skipped, not
/// deleted.
pub fn keys(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let pattern = ctx.arg(1);
    let all = pattern == b"*";
    let d = ctx.ks.db(db);
    let hits: Vec<&SBytes> = d
        .dict()
        .iter()
        .map(|(k, _)| k)
        .filter(|k| (all || glob::matches(pattern, k, false)) && !d.is_expired(k, now))
        .collect();
    ctx.out.array(hits.len());
    for k in hits {
        ctx.out.bulk(k);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_like_strtoul() {
        assert_eq!(parse_cursor(b"0").unwrap(), 0);
        assert_eq!(parse_cursor(b"").unwrap(), 0);
        assert_eq!(parse_cursor(b"+7").unwrap(), 7);
        assert_eq!(parse_cursor(b"007").unwrap(), 7);
        assert_eq!(parse_cursor(b"-1").unwrap(), u64::MAX);
        assert_eq!(parse_cursor(b"-18446744073709551615").unwrap(), 1);
        assert_eq!(parse_cursor(b"18446744073709551615").unwrap(), u64::MAX);
        assert_eq!(parse_cursor(b"5\x00junk").unwrap(), 5);
        for bad in [
            &b" 0"[..],
            b"0 ",
            b"+",
            b"-",
            b"0x1",
            b"1.0",
            b"18446744073709551616",
            b"-18446744073709551616",
            b"\t1",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}

//! LCS: the longest common subsequence of two strings, by the classic dynamic-programming
//! table, walked back from the end to produce the string or the matched ranges exactly in
//! the order and grouping Redis 7.0 reports them.

use keyspace::value::itoa_buf::Buf;

use super::miss;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};

/// One matched range: start and end in the first string, in the second, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub a: (u32, u32),
    pub b: (u32, u32),
    pub len: u32,
}

/// The result of the walk: the common subsequence (when asked for) and the ranges.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lcs {
    pub len: u32,
    pub text: Vec<u8>,
    pub matches: Vec<Match>,
}

/// Why the table could not be built.
#[derive(Debug, PartialEq, Eq)]
pub enum TableError {
    TooLong,
    OverLimit,
    NoMemory,
}

/// Computes the LCS of `a` and `b`. `with_text` fills `text`; `min_len` filters `matches`
/// (ranges shorter are skipped). `limit` caps the table's bytes (proto-max-bulk-len).
pub fn compute(
    a: &[u8],
    b: &[u8],
    with_text: bool,
    with_ranges: bool,
    min_len: u64,
    limit: u64,
) -> Result<Lcs, TableError> {
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(TableError::TooLong);
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    let bytes = cells.checked_mul(4).ok_or(TableError::NoMemory)?;
    if bytes > limit {
        return Err(TableError::OverLimit);
    }
    let mut t: Vec<u32> = Vec::new();
    t.try_reserve_exact(cells as usize)
        .map_err(|_| TableError::NoMemory)?;
    t.resize(cells as usize, 0);
    let w = blen + 1;
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    let mut out = Lcs {
        len: total,
        ..Default::default()
    };
    if !with_text && !with_ranges {
        return Ok(out);
    }
    let mut text = vec![0u8; total as usize];
    let mut idx = total as usize;
    // `None` until a range is open: (a_start, a_end, b_start, b_end).
    let mut range: Option<(usize, usize, usize, usize)> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            text[idx - 1] = a[i - 1];
            match range.as_mut() {
                None => range = Some((i - 1, i - 1, j - 1, j - 1)),
                Some(r) if r.0 == i && r.2 == j => {
                    r.0 -= 1;
                    r.2 -= 1;
                }
                Some(_) => emit = true,
            }
            if range.is_some_and(|r| r.0 == 0 || r.2 == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if range.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(r) = range.take() {
                let len = (r.1 - r.0 + 1) as u32;
                if min_len == 0 || len as u64 >= min_len {
                    out.matches.push(Match {
                        a: (r.0 as u32, r.1 as u32),
                        b: (r.2 as u32, r.3 as u32),
                        len,
                    });
                }
            }
        }
    }
    if with_text {
        out.text = text;
    }
    Ok(out)
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
pub(super) fn lcs(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    // Both lookups count as reads; the values are then borrowed together without expiry
    // side effects (a key hidden as expired on a replica stays absent).
    let mut present = [false; 2];
    let mut wrong = false;
    for (n, p) in present.iter_mut().enumerate() {
        let key = ctx.arg(n + 1);
        match ctx.ks.get(db, key, now) {
            Some(v) => {
                *p = true;
                wrong |= !v.is_string();
            }
            None => miss(ctx, key),
        }
    }
    if wrong {
        return Err(CmdError::err(
            "The specified keys must contain string values",
        ));
    }
    let (mut get_len, mut get_idx, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut j = 3;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if ctx.is(j, "IDX") {
            get_idx = true;
        } else if ctx.is(j, "LEN") {
            get_len = true;
        } else if ctx.is(j, "WITHMATCHLEN") {
            with_len = true;
        } else if ctx.is(j, "MINMATCHLEN") && more > 0 {
            min_len = ctx.i64_arg(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    let (mut sa, mut sb) = (Buf::default(), Buf::default());
    let d = ctx.ks.db(db);
    let a = value_bytes(d, ctx.arg(1), present[0], &mut sa);
    let b = value_bytes(d, ctx.arg(2), present[1], &mut sb);
    let limit = ctx.srv.config.proto_max_bulk_len.max(0) as u64;
    let r = compute(a, b, !get_len, get_idx, min_len as u64, limit).map_err(|e| match e {
        TableError::TooLong => CmdError::err("String too long for LCS"),
        TableError::OverLimit => CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ),
        TableError::NoMemory => {
            CmdError::err("Insufficient memory, failed allocating transient memory for LCS")
        }
    })?;
    if get_idx {
        ctx.out.map(2);
        ctx.out.bulk(b"matches");
        ctx.out.array(r.matches.len());
        for m in &r.matches {
            ctx.out.array(if with_len { 3 } else { 2 });
            ctx.out.array(2);
            ctx.out.int(m.a.0 as i64);
            ctx.out.int(m.a.1 as i64);
            ctx.out.array(2);
            ctx.out.int(m.b.0 as i64);
            ctx.out.int(m.b.1 as i64);
            if with_len {
                ctx.out.int(m.len as i64);
            }
        }
        ctx.out.bulk(b"len");
        ctx.out.int(r.len as i64);
    } else if get_len {
        ctx.out.int(r.len as i64);
    } else {
        ctx.out.bulk(&r.text);
    }
    Ok(())
}

fn value_bytes<'a>(d: &'a keyspace::Db, key: &[u8], present: bool, sc: &'a mut Buf) -> &'a [u8] {
    match d.peek(key).filter(|_| present) {
        Some(slot) => slot.value.str_bytes(sc).unwrap_or(b""),
        None => b"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_len_and_ranges() {
        let r = compute(b"ohmytext", b"mynewtext", true, true, 0, u64::MAX).unwrap();
        assert_eq!(r.text, b"mytext");
        assert_eq!(r.len, 6);
        let got: Vec<_> = r.matches.iter().map(|m| (m.a, m.b, m.len)).collect();
        assert_eq!(got, vec![((4, 7), (5, 8), 4), ((2, 3), (0, 1), 2)]);
        let r = compute(b"ohmytext", b"mynewtext", false, true, 4, u64::MAX).unwrap();
        assert_eq!(r.matches.len(), 1);
    }

    #[test]
    fn empty_and_limits() {
        let r = compute(b"", b"abc", true, true, 0, u64::MAX).unwrap();
        assert_eq!((r.len, r.text.len(), r.matches.len()), (0, 0, 0));
        assert_eq!(
            compute(b"abcd", b"abcd", true, false, 0, 10),
            Err(TableError::OverLimit)
        );
    }
}

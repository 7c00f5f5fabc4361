//! Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP here, BITFIELD and BITFIELD_RO in
//! [`field`], the pure bit arithmetic in [`ops`].
//!
//! Bitmaps are strings: bit 0 is the top bit of the first byte. Writes grow the string with
//! zero bytes (turning it into `Value::Raw`, Redis's "raw"), after the offset has been checked
//! against proto-max-bulk-len, so no client number can drive a larger allocation. A write that
//! changes nothing (SETBIT of a bit to the value it has) leaves the key untouched: no
//! notification, no dirty count, no propagation, as in Redis 7.0.

pub mod field;
pub mod ops;

use keyspace::value::itoa_buf::Buf;
use keyspace::{parse_i64, Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::strings::{miss, raw_mut};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("setbit", 4, WRITE | DENYOOM, setbit)
        .keys(1, 1, 1)
        .acl("write bitmap slow"),
    Spec::new("getbit", 3, READONLY | FAST, getbit)
        .keys(1, 1, 1)
        .acl("read bitmap fast"),
    Spec::new("bitcount", -2, READONLY, bitcount)
        .keys(1, 1, 1)
        .acl("read bitmap slow"),
    Spec::new("bitpos", -3, READONLY, bitpos)
        .keys(1, 1, 1)
        .acl("read bitmap slow"),
    Spec::new("bitop", -4, WRITE | DENYOOM, bitop)
        .keys(2, -1, 1)
        .acl("write bitmap slow"),
    Spec::new("bitfield", -2, WRITE | DENYOOM, field::bitfield)
        .keys(1, 1, 1)
        .acl("write bitmap slow"),
    Spec::new("bitfield_ro", -2, READONLY | FAST, field::bitfield_ro)
        .keys(1, 1, 1)
        .acl("read bitmap fast"),
];

/// Redis's `getBitOffsetFromArgument`: a bit offset below 8 × proto-max-bulk-len. With
/// `hash_bits` > 0 an offset written `#n` means `n × hash_bits` (BITFIELD).
pub(crate) fn bit_offset(ctx: &Ctx, i: usize, hash_bits: u32) -> Result<u64, CmdError> {
    let p = ctx.arg(i);
    let hash = hash_bits > 0 && p.first() == Some(&b'#');
    let mut n = parse_i64(&p[hash as usize..]).ok_or(CmdError::BitOffset)?;
    if hash {
        n = n.wrapping_mul(hash_bits as i64);
    }
    let exempt = ctx.client.kind == crate::client::Kind::Primary;
    if n < 0 || (!exempt && (n >> 3) >= ctx.srv.config.proto_max_bulk_len) {
        return Err(CmdError::BitOffset);
    }
    Ok(n as u64)
}

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, 2, 0)?;
    let bad = || CmdError::err("bit is not an integer or out of range");
    let on = parse_i64(ctx.arg(3)).ok_or_else(bad)?;
    if on & !1 != 0 {
        return Err(bad());
    }
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let byte = (off >> 3) as usize;
    let shift = 7 - (off & 7) as u32;
    let old = match ctx.ks.peek(db, key, now) {
        None => {
            let mut r = vec![0u8; byte + 1];
            r[byte] |= (on as u8) << shift;
            ctx.ks.set(db, key, Value::Raw(Box::new(r)), Ttl::Clear);
            0
        }
        Some(v) => {
            let mut sc = Buf::default();
            let s = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
            let grows = byte >= s.len();
            let old = s.get(byte).map_or(0, |b| ((b >> shift) & 1) as i64);
            if !grows && old == on {
                ctx.out.int(old);
                return Ok(());
            }
            let Some(v) = ctx.ks.get_mut(db, key, now) else {
                return Err(CmdError::WrongType);
            };
            let r = raw_mut(v);
            if grows {
                r.resize(byte + 1, 0);
            }
            r[byte] = (r[byte] & !(1 << shift)) | ((on as u8) << shift);
            old
        }
    };
    ctx.notify(notify::STRING, "setbit", key);
    ctx.out.int(old);
    Ok(())
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, 2, 0)?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.int(0);
        miss(ctx, key);
        return Ok(());
    };
    let mut sc = Buf::default();
    let s = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    let bit = s
        .get((off >> 3) as usize)
        .map_or(0, |b| (b >> (7 - (off & 7))) & 1);
    ctx.out.int(bit as i64);
    Ok(())
}

/// A byte range to scan, with the masks of the bits outside a BIT-unit range in its first and
/// last bytes; `None` when the range is empty.
struct Span {
    start: usize,
    end: usize,
    first_mask: u8,
    last_mask: u8,
}

/// Resolves `start`/`end` (negative from the end) over a string of `len` bytes, in bits
/// when `bits`, the way BITCOUNT and BITPOS do.
fn span(mut start: i64, mut end: i64, len: usize, bits: bool) -> Option<Span> {
    let total = if bits { (len as i64) << 3 } else { len as i64 };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    if start > end {
        return None;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if bits {
        first_mask = !((1u32 << (8 - (start & 7))) - 1) as u8;
        last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Some(Span {
        start: start as usize,
        end: end as usize,
        first_mask,
        last_mask,
    })
}

/// BITCOUNT key [start end [BYTE | BIT]]
fn bitcount(ctx: &mut Ctx) -> CmdResult {
    // Redis 7.0 looks the key up before it reads any argument: a missing key answers 0
    // whatever follows.
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let argc = ctx.argc();
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.int(0);
        miss(ctx, key);
        return Ok(());
    };
    let mut sc = Buf::default();
    let s = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    let sp = match argc {
        4 | 5 => {
            let start = crate::ctx::parse_i64_arg(&ctx.args[2])?;
            let end = crate::ctx::parse_i64_arg(&ctx.args[3])?;
            if start < 0 && end < 0 && start > end {
                ctx.out.int(0);
                return Ok(());
            }
            let bits = if argc == 5 {
                unit_is_bit_arg(&ctx.args[4])?
            } else {
                false
            };
            span(start, end, s.len(), bits)
        }
        2 => span(0, -1, s.len(), false),
        _ => return Err(CmdError::Syntax),
    };
    let n = match sp {
        None => 0,
        Some(sp) => {
            let mut n = ops::popcount(&s[sp.start..=sp.end]);
            n -= (s[sp.start] & sp.first_mask).count_ones() as u64;
            n -= (s[sp.end] & sp.last_mask).count_ones() as u64;
            n
        }
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// Parses BYTE | BIT: true for BIT.
fn unit_is_bit_arg(a: &[u8]) -> Result<bool, CmdError> {
    if a.eq_ignore_ascii_case(b"BIT") {
        Ok(true)
    } else if a.eq_ignore_ascii_case(b"BYTE") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
fn bitpos(ctx: &mut Ctx) -> CmdResult {
    let bit = ctx.i64_arg(2)?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    let argc = ctx.argc();
    // The range arguments are read after the lookup, as in Redis 7.0.
    let Some(v) = ctx.ks.get(db, key, now) else {
        ctx.out.int(if bit { -1 } else { 0 });
        miss(ctx, key);
        return Ok(());
    };
    let mut sc = Buf::default();
    let s = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
    let (sp, end_given) = match argc {
        4..=6 => {
            let start = crate::ctx::parse_i64_arg(&ctx.args[3])?;
            let bits = argc == 6 && unit_is_bit_arg(&ctx.args[5])?;
            let (end, given) = if argc >= 5 {
                (crate::ctx::parse_i64_arg(&ctx.args[4])?, true)
            } else if bits {
                (((s.len() as i64) << 3) + 7, false)
            } else {
                (s.len() as i64 - 1, false)
            };
            (span(start, end, s.len(), bits), given)
        }
        3 => (span(0, -1, s.len(), false), false),
        _ => return Err(CmdError::Syntax),
    };
    let pos = match sp {
        None => -1,
        Some(sp) => bitpos_in(s, sp, bit, end_given),
    };
    ctx.out.int(pos);
    Ok(())
}

/// BITPOS over a resolved span: the masked first and last bytes are searched on their own,
/// the bytes between in one go. With an explicit end, a clear bit past the range is no
/// answer (-1) rather than "the zeros after the string".
fn bitpos_in(p: &[u8], sp: Span, bit: bool, end_given: bool) -> i64 {
    let apply = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let mut start = sp.start;
    let mut bytes = sp.end - sp.start + 1;
    let pos = 'found: {
        if sp.first_mask != 0 {
            let mut t = apply(p[start], sp.first_mask);
            if sp.last_mask != 0 && bytes == 1 {
                t = apply(t, sp.last_mask);
            }
            let pos = ops::bitpos(&[t], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let cur = bytes - usize::from(sp.last_mask != 0);
        if cur > 0 {
            let pos = ops::bitpos(&p[start..start + cur], bit);
            if bytes == cur || (pos != -1 && pos != (cur as i64) << 3) {
                break 'found pos;
            }
            start += cur;
            bytes -= cur;
        }
        ops::bitpos(&[apply(p[sp.end], sp.last_mask)], bit)
    };
    if end_given && !bit && pos == (bytes as i64) << 3 {
        return -1;
    }
    if pos == -1 {
        -1
    } else {
        pos + ((start as i64) << 3)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]
fn bitop(ctx: &mut Ctx) -> CmdResult {
    let op = if ctx.is(1, "AND") {
        Op::And
    } else if ctx.is(1, "OR") {
        Op::Or
    } else if ctx.is(1, "XOR") {
        Op::Xor
    } else if ctx.is(1, "NOT") {
        Op::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == Op::Not && ctx.argc() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let (db, now) = (ctx.db(), ctx.now);
    // First pass: the reads Redis counts (hits, misses, lazy expiry) and the type checks.
    let mut present = Vec::with_capacity(ctx.argc() - 3);
    for i in 3..ctx.argc() {
        let key = ctx.arg(i);
        match ctx.ks.get(db, key, now) {
            Some(v) if !v.is_string() => return Err(CmdError::WrongType),
            Some(_) => present.push(true),
            None => {
                present.push(false);
                miss(ctx, key);
            }
        }
    }
    // Second pass: every source borrowed at once, without further side effects.
    let mut scratch: Vec<Buf> = (0..present.len()).map(|_| Buf::default()).collect();
    let d = ctx.ks.db(db);
    let srcs: Vec<&[u8]> = ctx.args[3..]
        .iter()
        .zip(&present)
        .zip(scratch.iter_mut())
        .map(|((k, &here), sc)| match d.peek(k).filter(|_| here) {
            Some(slot) => slot.value.str_bytes(sc).unwrap_or(b""),
            None => b"",
        })
        .collect();
    let res = combine(op, &srcs);
    let (target, n) = (ctx.arg(2), res.len());
    if n > 0 {
        ctx.ks
            .set(db, target, Value::Raw(Box::new(res)), Ttl::Clear);
        ctx.notify(notify::STRING, "set", target);
    } else if ctx.ks.remove(db, target, now).is_some() {
        ctx.notify(notify::GENERIC, "del", target);
    }
    ctx.out.int(n as i64);
    Ok(())
}

/// The bitwise combination of `srcs`, shorter ones padded with zero bytes.
fn combine(op: Op, srcs: &[&[u8]]) -> Vec<u8> {
    let max = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; max];
    let Some((first, rest)) = srcs.split_first() else {
        return res;
    };
    res[..first.len()].copy_from_slice(first);
    if op == Op::Not {
        res.iter_mut().for_each(|b| *b = !*b);
    }
    for s in rest {
        match op {
            Op::And => {
                res.iter_mut().zip(s.iter()).for_each(|(r, x)| *r &= x);
                res[s.len()..].iter_mut().for_each(|r| *r = 0);
            }
            Op::Or => res.iter_mut().zip(s.iter()).for_each(|(r, x)| *r |= x),
            Op::Xor => res.iter_mut().zip(s.iter()).for_each(|(r, x)| *r ^= x),
            Op::Not => {}
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_pads_with_zeros() {
        let a: &[u8] = &[0xf0, 0xff];
        let b: &[u8] = &[0x3c];
        assert_eq!(combine(Op::And, &[a, b]), [0x30, 0x00]);
        assert_eq!(combine(Op::Or, &[a, b]), [0xfc, 0xff]);
        assert_eq!(combine(Op::Xor, &[a, b]), [0xcc, 0xff]);
        assert_eq!(combine(Op::Not, &[b]), [0xc3]);
        assert_eq!(combine(Op::And, &[b"", b""]), Vec::<u8>::new());
    }

    #[test]
    fn spans_in_bits_and_bytes() {
        let s = span(0, -1, 3, false).unwrap();
        assert_eq!((s.start, s.end, s.first_mask, s.last_mask), (0, 2, 0, 0));
        let s = span(3, 12, 3, true).unwrap();
        assert_eq!(
            (s.start, s.end, s.first_mask, s.last_mask),
            (0, 1, 0xe0, 0x07)
        );
        assert!(span(5, 2, 3, false).is_none());
        assert!(span(0, -1, 0, false).is_none());
    }

    #[test]
    fn bitpos_with_masks() {
        let p = [0x00u8, 0xff, 0x00];
        let sp = span(4, 11, 3, true).unwrap();
        assert_eq!(bitpos_in(&p, sp, true, true), 8);
        let sp = span(4, 11, 3, true).unwrap();
        assert_eq!(bitpos_in(&p, sp, false, true), 4);
        let sp = span(8, 15, 3, true).unwrap();
        assert_eq!(bitpos_in(&p, sp, false, true), -1);
        let sp = span(0, -1, 2, false).unwrap();
        assert_eq!(bitpos_in(&[0xff, 0xff], sp, false, false), 16);
    }
}

//! BITFIELD and BITFIELD_RO: integer fields of 1–64 bits at any bit offset.
//!
//! All operations are parsed before any runs. A command with only GETs is a read. Otherwise
//! the string is made long enough for the furthest write (created if missing, as Redis does
//! even when every write then fails under OVERFLOW FAIL). The operations run in order on
//! copies of just the bytes they touch (a few bytes each, merged where they overlap), so a
//! BITFIELD that changes nothing leaves the key untouched and none costs a copy of the string.

use keyspace::value::itoa_buf::Buf;
use keyspace::{parse_i64, Ttl, Value};
use resp::ReplyWriter;

use super::bit_offset;
use super::ops::{self, Overflow};
use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::strings::{miss, raw_mut};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incr,
}

#[derive(Clone, Copy)]
struct FieldOp {
    kind: Kind,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    ow: Overflow,
}

/// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value
/// | INCRBY encoding offset increment ...]
pub(super) fn bitfield(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, false)
}

/// BITFIELD_RO key [GET encoding offset ...]
pub(super) fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, true)
}

/// Parses a field type: `i1`..`i64` or `u1`..`u63` (a u64 could not be replied).
fn field_type(a: &[u8]) -> Result<(bool, u32), CmdError> {
    let bad = || {
        CmdError::err(
            "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let bits = parse_i64(&a[1..]).ok_or_else(bad)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(bad());
    }
    Ok((signed, bits as u32))
}

fn parse(ctx: &Ctx) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut ow = Overflow::Wrap;
    let mut j = 2;
    while j < ctx.argc() {
        let rem = ctx.argc() - j - 1;
        let kind = if ctx.is(j, "GET") && rem >= 2 {
            Kind::Get
        } else if ctx.is(j, "SET") && rem >= 3 {
            Kind::Set
        } else if ctx.is(j, "INCRBY") && rem >= 3 {
            Kind::Incr
        } else if ctx.is(j, "OVERFLOW") && rem >= 1 {
            ow = if ctx.is(j + 1, "WRAP") {
                Overflow::Wrap
            } else if ctx.is(j + 1, "SAT") {
                Overflow::Sat
            } else if ctx.is(j + 1, "FAIL") {
                Overflow::Fail
            } else {
                return Err(CmdError::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(ctx.arg(j + 1))?;
        let offset = bit_offset(ctx, j + 2, bits)?;
        let value = if kind == Kind::Get {
            0
        } else {
            ctx.i64_arg(j + 3)?
        };
        ops.push(FieldOp {
            kind,
            offset,
            bits,
            signed,
            value,
            ow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn generic(ctx: &mut Ctx, ro_cmd: bool) -> CmdResult {
    let ops = parse(ctx)?;
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if ops.iter().all(|o| o.kind == Kind::Get) {
        return read_only(ctx, &ops);
    }
    if ro_cmd {
        return Err(CmdError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let highest = ops
        .iter()
        .filter(|o| o.kind != Kind::Get)
        .map(|o| o.offset + o.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let need = (highest >> 3) as usize + 1;
    let mut sc = Buf::default();
    let (base, exists): (&[u8], bool) = match ctx.ks.peek(db, key, now) {
        None => (b"", false),
        Some(v) => (v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?, true),
    };
    let grows = !exists || base.len() < need;
    let mut segs = segments(&ops, base);
    let (replies, changes) = run(&ops, &mut segs, grows);
    if !exists {
        let mut r = vec![0u8; need];
        write_back(&mut r, &segs);
        ctx.ks.set(db, key, Value::Raw(Box::new(r)), Ttl::Clear);
    } else if grows || changes > 0 {
        if let Some(v) = ctx.ks.get_mut(db, key, now) {
            let r = raw_mut(v);
            if r.len() < need {
                r.resize(need, 0);
            }
            write_back(r, &segs);
        }
    }
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
    if changes > 0 {
        ctx.notify(notify::STRING, "setbit", key);
    }
    Ok(())
}

/// Only GETs: a read of the key, missing bytes reading as zero.
fn read_only(ctx: &mut Ctx, ops: &[FieldOp]) -> CmdResult {
    let (db, now, key) = (ctx.db(), ctx.now, ctx.arg(1));
    if let Some(v) = ctx.ks.get(db, key, now) {
        let mut sc = Buf::default();
        let src = v.str_bytes(&mut sc).ok_or(CmdError::WrongType)?;
        reply_gets(ctx.out, ops, src);
        return Ok(());
    }
    reply_gets(ctx.out, ops, b"");
    miss(ctx, key);
    Ok(())
}

fn reply_gets(out: &mut ReplyWriter, ops: &[FieldOp], src: &[u8]) {
    out.array(ops.len());
    for o in ops {
        out.int(if o.signed {
            ops::get_signed(src, o.offset, o.bits)
        } else {
            ops::get_unsigned(src, o.offset, o.bits) as i64
        });
    }
}

/// A copy of the bytes `lo..lo + data.len()` of the string, zero past its end.
struct Seg {
    lo: usize,
    data: Vec<u8>,
}

/// The byte windows the operations touch, merged where they overlap, sorted.
fn segments(ops: &[FieldOp], base: &[u8]) -> Vec<Seg> {
    let mut ranges: Vec<(usize, usize)> = ops
        .iter()
        .map(|o| {
            let lo = (o.offset >> 3) as usize;
            let hi = ((o.offset + o.bits as u64 - 1) >> 3) as usize;
            (lo, hi)
        })
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
        .into_iter()
        .map(|(lo, hi)| Seg {
            lo,
            data: (lo..=hi)
                .map(|i| base.get(i).copied().unwrap_or(0))
                .collect(),
        })
        .collect()
}

/// The segment holding an operation's bytes, and the operation's bit offset inside it.
fn locate<'s>(segs: &'s mut [Seg], o: &FieldOp) -> (&'s mut Vec<u8>, u64) {
    let byte = (o.offset >> 3) as usize;
    let i = segs.partition_point(|s| s.lo <= byte).saturating_sub(1);
    let s = &mut segs[i];
    (&mut s.data, o.offset - (s.lo as u64) * 8)
}

/// Runs the operations in order: each reply (None for a write refused by OVERFLOW FAIL) and
/// the number of writes that changed something (all of them when the string grew).
fn run(ops: &[FieldOp], segs: &mut [Seg], grew: bool) -> (Vec<Option<i64>>, u64) {
    let mut replies = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for o in ops {
        let (p, off) = locate(segs, o);
        if o.kind == Kind::Get {
            replies.push(Some(if o.signed {
                ops::get_signed(p, off, o.bits)
            } else {
                ops::get_unsigned(p, off, o.bits) as i64
            }));
            continue;
        }
        let (old, new, ret, failed) = if o.signed {
            let old = ops::get_signed(p, off, o.bits);
            let (new, ov) = if o.kind == Kind::Incr {
                let ov = ops::signed_overflow(old, o.value, o.bits, o.ow);
                (ov.unwrap_or(old.wrapping_add(o.value)), ov.is_some())
            } else {
                let ov = ops::signed_overflow(o.value, 0, o.bits, o.ow);
                (ov.unwrap_or(o.value), ov.is_some())
            };
            let ret = if o.kind == Kind::Incr { new } else { old };
            (old as u64, new as u64, ret, ov && o.ow == Overflow::Fail)
        } else {
            let old = ops::get_unsigned(p, off, o.bits);
            let (new, ov) = if o.kind == Kind::Incr {
                let ov = ops::unsigned_overflow(old, o.value, o.bits, o.ow);
                (ov.unwrap_or(old.wrapping_add(o.value as u64)), ov.is_some())
            } else {
                let v = o.value as u64;
                let ov = ops::unsigned_overflow(v, 0, o.bits, o.ow);
                (ov.unwrap_or(v), ov.is_some())
            };
            let ret = if o.kind == Kind::Incr { new } else { old } as i64;
            (old, new, ret, ov && o.ow == Overflow::Fail)
        };
        if failed {
            replies.push(None);
            continue;
        }
        replies.push(Some(ret));
        ops::set_field(p, off, o.bits, new);
        if grew || old != new {
            changes += 1;
        }
    }
    (replies, changes)
}

/// Copies the segments into the string, as far as it reaches (GET-only windows may lie past
/// its end; every written byte lies within it).
fn write_back(r: &mut [u8], segs: &[Seg]) {
    for s in segs {
        if s.lo >= r.len() {
            continue;
        }
        let n = s.data.len().min(r.len() - s.lo);
        r[s.lo..s.lo + n].copy_from_slice(&s.data[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: Kind, offset: u64, bits: u32, signed: bool, value: i64) -> FieldOp {
        FieldOp {
            kind,
            offset,
            bits,
            signed,
            value,
            ow: Overflow::Wrap,
        }
    }

    #[test]
    fn segments_merge_overlaps_only() {
        let ops = [
            op(Kind::Get, 0, 8, false, 0),
            op(Kind::Set, 4, 8, false, 0),
            op(Kind::Get, 800, 64, true, 0),
        ];
        let segs = segments(&ops, &[1, 2, 3]);
        let got: Vec<_> = segs.iter().map(|s| (s.lo, s.data.clone())).collect();
        assert_eq!(got, vec![(0, vec![1, 2]), (100, vec![0; 8])]);
    }

    #[test]
    fn ops_see_earlier_writes() {
        let ops = [
            op(Kind::Set, 0, 8, false, 200),
            op(Kind::Incr, 0, 8, false, 100),
            op(Kind::Get, 0, 8, true, 0),
        ];
        let mut segs = segments(&ops, &[]);
        let (replies, changes) = run(&ops, &mut segs, false);
        assert_eq!(replies, vec![Some(0), Some(44), Some(44)]);
        assert_eq!(changes, 2);
        let mut r = vec![0u8; 1];
        write_back(&mut r, &segs);
        assert_eq!(r, [44]);
    }

    #[test]
    fn unchanged_writes_are_not_changes() {
        let ops = [op(Kind::Set, 0, 8, false, 7)];
        let mut segs = segments(&ops, &[7]);
        assert_eq!(run(&ops, &mut segs, false).1, 0);
        assert_eq!(run(&ops, &mut segs, true).1, 1);
    }
}

//! Pure bit arithmetic behind the bitmap commands: population count, first set/clear bit,
//! big-endian bit fields of 1–64 bits at any bit offset, and BITFIELD's overflow rules.
//!
//! Bit 0 is the most significant bit of the first byte, as SETBIT numbers them.

/// Number of set bits in `b`.
pub fn popcount(b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from_ne_bytes(w).count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|x| x.count_ones() as u64)
        .sum::<u64>()
}

/// Position of the first bit equal to `bit` in `b`, as Redis's `redisBitpos`: for a set bit
/// `-1` when there is none; for a clear bit the string is taken as followed by zeros, so the
/// answer is `b.len() * 8` when every bit is set.
pub fn bitpos(b: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xff };
    let mut i = 0;
    // Whole words of the uninteresting value are skipped eight bytes at a time.
    let wskip = if bit { 0u64 } else { u64::MAX };
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        if u64::from_ne_bytes(w) != wskip {
            break;
        }
        i += 8;
    }
    while i < b.len() && b[i] == skip {
        i += 1;
    }
    if i == b.len() {
        return if bit { -1 } else { (b.len() as i64) * 8 };
    }
    let byte = if bit { b[i] } else { !b[i] };
    (i as i64) * 8 + byte.leading_zeros() as i64
}

/// Bit `offset` of `p`, zero beyond its end.
fn bit_at(p: &[u8], offset: u64) -> u64 {
    let byte = (offset >> 3) as usize;
    match p.get(byte) {
        Some(v) => ((v >> (7 - (offset & 7))) & 1) as u64,
        None => 0,
    }
}

/// The unsigned field of `bits` bits at bit `offset`; bytes beyond `p` read as zero.
pub fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        v = (v << 1) | bit_at(p, offset + j);
    }
    v
}

/// The two's complement field of `bits` bits at bit `offset`, sign-extended.
pub fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

/// Writes the low `bits` bits of `value` at bit `offset`; `p` must be long enough.
pub fn set_field(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let on = (value >> (bits as u64 - 1 - j)) & 1;
        let off = offset + j;
        let byte = (off >> 3) as usize;
        let shift = 7 - (off & 7);
        if let Some(b) = p.get_mut(byte) {
            *b = (*b & !(1 << shift)) | ((on as u8) << shift);
        }
    }
}

/// BITFIELD's OVERFLOW behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Checks `value + incr` against an unsigned field of `bits` (< 64) bits. `None` when it
/// fits; otherwise the value the field takes under `ow` (unused for `Fail`).
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = || {
        let res = value.wrapping_add(incr as u64);
        if bits == 64 {
            res
        } else {
            res & !(u64::MAX << bits)
        }
    };
    if value > max || (incr > 0 && incr > max_incr) {
        Some(if ow == Overflow::Sat { max } else { wrapped() })
    } else if incr < 0 && incr < min_incr {
        Some(if ow == Overflow::Sat { 0 } else { wrapped() })
    } else {
        None
    }
}

/// Checks `value + incr` against a signed field of `bits` (≤ 64) bits, as
/// [`unsigned_overflow`] does.
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        Some(if ow == Overflow::Sat { max } else { wrapped() })
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        Some(if ow == Overflow::Sat { min } else { wrapped() })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_matches_naive() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 256) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 999, 1000] {
            let naive: u64 = data[..len].iter().map(|b| b.count_ones() as u64).sum();
            assert_eq!(popcount(&data[..len]), naive);
        }
    }

    #[test]
    fn bitpos_like_redis() {
        assert_eq!(bitpos(b"", true), -1);
        assert_eq!(bitpos(b"", false), 0);
        assert_eq!(bitpos(&[0xff, 0xf0, 0x00], false), 12);
        assert_eq!(bitpos(&[0xff; 20], false), 160);
        assert_eq!(bitpos(&[0; 20], true), -1);
        let mut v = vec![0u8; 33];
        v[32] = 0x01;
        assert_eq!(bitpos(&v, true), 32 * 8 + 7);
        v[9] = 0x40;
        assert_eq!(bitpos(&v, true), 9 * 8 + 1);
    }

    #[test]
    fn fields_round_trip_at_odd_offsets() {
        let mut p = vec![0u8; 3];
        set_field(&mut p, 7, 5, 23);
        assert_eq!(p, [0b0000_0001, 0b0111_0000, 0]);
        assert_eq!(get_unsigned(&p, 7, 5), 23);
        set_field(&mut p, 3, 8, (-2i64) as u64);
        assert_eq!(get_signed(&p, 3, 8), -2);
        assert_eq!(get_unsigned(&p, 3, 8), 254);
        assert_eq!(get_unsigned(&p, 20, 16), get_unsigned(&p, 20, 4) << 12);
        let mut q = vec![0u8; 9];
        set_field(&mut q, 3, 64, 0x8000_0000_0000_0001);
        assert_eq!(get_signed(&q, 3, 64), i64::MIN + 1);
    }

    #[test]
    fn unsigned_overflow_rules() {
        use Overflow::*;
        assert_eq!(unsigned_overflow(250, 5, 8, Wrap), None);
        assert_eq!(unsigned_overflow(250, 10, 8, Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Sat), Some(255));
        assert_eq!(unsigned_overflow(3, -5, 8, Sat), Some(0));
        assert_eq!(unsigned_overflow(3, -5, 8, Wrap), Some(254));
        assert_eq!(unsigned_overflow(u64::MAX, 0, 8, Wrap), Some(255));
        assert_eq!(unsigned_overflow(0, i64::MAX, 63, Wrap), None);
        assert!(unsigned_overflow(1, i64::MAX, 63, Fail).is_some());
    }

    #[test]
    fn signed_overflow_rules() {
        use Overflow::*;
        assert_eq!(signed_overflow(120, 7, 8, Wrap), None);
        assert_eq!(signed_overflow(120, 8, 8, Wrap), Some(-128));
        assert_eq!(signed_overflow(120, 8, 8, Sat), Some(127));
        assert_eq!(signed_overflow(-120, -9, 8, Sat), Some(-128));
        assert_eq!(signed_overflow(-120, -9, 8, Wrap), Some(127));
        assert_eq!(signed_overflow(200, 0, 8, Wrap), Some(-56));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Wrap), Some(i64::MIN));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Sat), Some(i64::MAX));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Sat), Some(i64::MIN));
        assert_eq!(signed_overflow(-1, i64::MAX, 64, Fail), None);
        assert_eq!(signed_overflow(0, -1, 1, Wrap), None);
        assert_eq!(signed_overflow(-1, -1, 1, Wrap), Some(0));
    }
}

//! The listpack entry codec: Redis 7.0's compact encoding of one string or integer, used for
//! the nodes of a list, small hashes, and (in RDB files) every listpack blob.
//!
//! An entry is `<encoding+data><backlen>`. Strings that read as a 64-bit integer (Redis's
//! `string2ll` rules) are stored as integers in 1 to 9 bytes; other strings carry a 1, 2 or
//! 5 byte length. `backlen`, 1 to 5 bytes, holds the length of `<encoding+data>` so entries
//! can be walked backwards. Keeping Redis's exact byte format means a list node or a small
//! hash is written to an RDB file (and loaded from one) as one copy, and memory per element
//! matches Redis's.
//!
//! A whole listpack blob, as RDB stores it, adds a 6-byte header (total bytes u32 LE, entry
//! count u16 LE, 65535 meaning "count them") and a 0xFF terminator: see [`blob_entries`] and
//! [`write_blob`].

use crate::value::{itoa_buf, parse_i64};

/// The longest string an entry can hold (its length field is 32 bits).
pub const MAX_STRING: usize = u32::MAX as usize;

/// Bytes of the blob header plus terminator (Redis's `LP_HDR_SIZE + 1`).
pub const BLOB_OVERHEAD: usize = 7;

/// One decoded entry, borrowing its bytes from the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ent<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> Ent<'a> {
    /// The entry as bytes; integers are formatted into `buf`.
    pub fn bytes<'b>(&'b self, buf: &'b mut itoa_buf::Buf) -> &'b [u8] {
        match self {
            Ent::Str(s) => s,
            Ent::Int(n) => buf.format(*n),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut b = itoa_buf::Buf::default();
        self.bytes(&mut b).to_vec()
    }

    /// True if the entry equals `n` (a value prepared once for many comparisons), as Redis's
    /// `lpCompare` decides: strings byte for byte, integers by value.
    pub fn matches(&self, n: &Needle) -> bool {
        match self {
            Ent::Str(s) => *s == n.bytes,
            Ent::Int(v) => n.int == Some(*v),
        }
    }
}

/// A value to compare entries with: its bytes and, if it reads as one, its integer.
pub struct Needle<'a> {
    pub bytes: &'a [u8],
    pub int: Option<i64>,
}

impl<'a> Needle<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Needle {
            bytes,
            int: parse_i64(bytes),
        }
    }
}

/// A value ready to be written as an entry: its encoding header (or whole integer encoding),
/// the string data, and the backlen bytes.
pub struct Encoded<'a> {
    head: [u8; 9],
    head_len: u8,
    data: &'a [u8],
    back: [u8; 5],
    back_len: u8,
}

impl<'a> Encoded<'a> {
    /// Prepares `v`: an integer encoding when it reads as one, else a string.
    pub fn new(v: &'a [u8]) -> Self {
        match parse_i64(v) {
            Some(n) => Self::int(n),
            None => Self::str(v),
        }
    }

    /// Prepares an integer.
    pub fn int(v: i64) -> Self {
        let mut head = [0u8; 9];
        let head_len = if (0..=127).contains(&v) {
            head[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
            head[0] = 0xC0 | (u >> 8) as u8;
            head[1] = u as u8;
            2
        } else if (-32768..=32767).contains(&v) {
            head[0] = 0xF1;
            head[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-8_388_608..=8_388_607).contains(&v) {
            head[0] = 0xF2;
            head[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            head[0] = 0xF3;
            head[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            head[0] = 0xF4;
            head[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Self::finish(head, head_len, &[])
    }

    /// Prepares a string (stored as given even if it reads as an integer).
    pub fn str(v: &'a [u8]) -> Self {
        let mut head = [0u8; 9];
        let len = v.len();
        let head_len = if len < 64 {
            head[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            head[0] = 0xE0 | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            head[0] = 0xF0;
            // Callers keep strings within MAX_STRING (commands refuse longer elements).
            debug_assert!(len <= MAX_STRING);
            head[1..5].copy_from_slice(&(len.min(MAX_STRING) as u32).to_le_bytes());
            5
        };
        Self::finish(head, head_len, v)
    }

    fn finish(head: [u8; 9], head_len: u8, data: &'a [u8]) -> Self {
        let l = head_len as usize + data.len();
        let mut back = [0u8; 5];
        let back_len = encode_backlen(l, &mut back);
        Encoded {
            head,
            head_len,
            data,
            back,
            back_len,
        }
    }

    /// Total bytes of the entry.
    pub fn len(&self) -> usize {
        self.head_len as usize + self.data.len() + self.back_len as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the entry into `out`, which must be exactly `len()` bytes.
    pub fn write_to(&self, out: &mut [u8]) {
        let h = self.head_len as usize;
        let d = self.data.len();
        out[..h].copy_from_slice(&self.head[..h]);
        out[h..h + d].copy_from_slice(self.data);
        out[h + d..].copy_from_slice(&self.back[..self.back_len as usize]);
    }

    /// Appends the entry to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.head[..self.head_len as usize]);
        out.extend_from_slice(self.data);
        out.extend_from_slice(&self.back[..self.back_len as usize]);
    }
}

/// Writes the backlen of an entry whose encoding+data is `l` bytes; returns its size.
fn encode_backlen(l: usize, out: &mut [u8; 5]) -> u8 {
    let n = match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    // The first byte carries the highest bits and no continuation flag; each later byte has
    // the flag, and the last one holds the lowest seven bits (read backwards first).
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let mut b = ((l >> shift) & 127) as u8;
        if i > 0 {
            b |= 128;
        }
        *slot = b;
    }
    n as u8
}

/// Size of the backlen for an entry whose encoding+data is `l` bytes.
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Size of the encoding+data part of the entry starting at `buf[0]`, or None if the bytes
/// are not a valid entry start (or run past the buffer).
fn head_and_data_len(buf: &[u8]) -> Option<usize> {
    let b = *buf.first()?;
    let n = if b & 0x80 == 0 {
        1
    } else if b & 0xC0 == 0x80 {
        1 + (b & 0x3F) as usize
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        2 + (((b & 0x0F) as usize) << 8 | *buf.get(1)? as usize)
    } else {
        match b {
            0xF0 => 5 + u32::from_le_bytes(buf.get(1..5)?.try_into().ok()?) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            0xF4 => 9,
            _ => return None,
        }
    };
    Some(n)
}

/// Decodes the entry at `pos` of a valid buffer: the entry and the position after it.
#[inline]
pub fn next(buf: &[u8], pos: usize) -> (Ent<'_>, usize) {
    let b = buf[pos];
    // The common cases first: a short string, a small integer.
    if b & 0xC0 == 0x80 {
        let n = (b & 0x3F) as usize;
        let end = pos + 1 + n;
        // At most 64 bytes, so a one-byte backlen.
        return (Ent::Str(&buf[pos + 1..end]), end + 1);
    }
    if b & 0x80 == 0 {
        return (Ent::Int(b as i64), pos + 2);
    }
    next_slow(buf, pos, b)
}

fn next_slow(buf: &[u8], pos: usize, b: u8) -> (Ent<'_>, usize) {
    let (ent, l) = if b & 0x80 == 0 {
        (Ent::Int(b as i64), 1)
    } else if b & 0xC0 == 0x80 {
        let n = (b & 0x3F) as usize;
        (Ent::Str(&buf[pos + 1..pos + 1 + n]), 1 + n)
    } else if b & 0xE0 == 0xC0 {
        let u = ((b & 0x1F) as i64) << 8 | buf[pos + 1] as i64;
        let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
        (Ent::Int(v), 2)
    } else if b & 0xF0 == 0xE0 {
        let n = ((b & 0x0F) as usize) << 8 | buf[pos + 1] as usize;
        (Ent::Str(&buf[pos + 2..pos + 2 + n]), 2 + n)
    } else {
        let p = pos + 1;
        match b {
            0xF0 => {
                let mut l = [0u8; 4];
                l.copy_from_slice(&buf[p..p + 4]);
                let n = u32::from_le_bytes(l) as usize;
                (Ent::Str(&buf[p + 4..p + 4 + n]), 5 + n)
            }
            0xF1 => (Ent::Int(i16::from_le_bytes([buf[p], buf[p + 1]]) as i64), 3),
            0xF2 => {
                let u = i32::from_le_bytes([0, buf[p], buf[p + 1], buf[p + 2]]) >> 8;
                (Ent::Int(u as i64), 4)
            }
            0xF3 => {
                let mut l = [0u8; 4];
                l.copy_from_slice(&buf[p..p + 4]);
                (Ent::Int(i32::from_le_bytes(l) as i64), 5)
            }
            _ => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&buf[p..p + 8]);
                (Ent::Int(i64::from_le_bytes(l)), 9)
            }
        }
    };
    (ent, pos + l + backlen_size(l))
}

/// Position just after the entry at `pos` of a valid buffer, without decoding it.
pub fn skip(buf: &[u8], pos: usize) -> usize {
    let l = head_and_data_len(&buf[pos..]).unwrap_or(1);
    pos + l + backlen_size(l)
}

/// Start of the entry that ends at `end` of a valid buffer (walking backwards).
pub fn prev_start(buf: &[u8], end: usize) -> usize {
    let mut p = end - 1;
    let mut l = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[p];
        l |= ((b & 127) as usize) << shift;
        if b & 128 == 0 {
            break;
        }
        shift += 7;
        p -= 1;
    }
    end - backlen_size(l) - l
}

/// Decodes the entry that ends at `end`: the entry and its start.
pub fn prev(buf: &[u8], end: usize) -> (Ent<'_>, usize) {
    let start = prev_start(buf, end);
    (next(buf, start).0, start)
}

/// Checks that `buf` is a sequence of whole, well-formed entries (each backlen agreeing
/// with its entry); returns how many there are.
pub fn validate(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    let mut count = 0;
    while pos < buf.len() {
        let l = head_and_data_len(&buf[pos..])?;
        let end = pos.checked_add(l)?.checked_add(backlen_size(l))?;
        let mut back = [0u8; 5];
        let n = encode_backlen(l, &mut back) as usize;
        if end > buf.len() || buf[pos + l..end] != back[..n] {
            return None;
        }
        pos = end;
        count += 1;
    }
    Some(count)
}

/// The entries of a whole listpack blob and their count, after checking the header, the
/// terminator and every entry.
pub fn blob_entries(blob: &[u8]) -> Option<(&[u8], usize)> {
    if blob.len() < BLOB_OVERHEAD {
        return None;
    }
    let total = u32::from_le_bytes(blob[..4].try_into().ok()?) as usize;
    let declared = u16::from_le_bytes([blob[4], blob[5]]);
    if total != blob.len() || blob[blob.len() - 1] != 0xFF {
        return None;
    }
    let entries = &blob[6..blob.len() - 1];
    let count = validate(entries)?;
    if declared != u16::MAX && declared as usize != count {
        return None;
    }
    Some((entries, count))
}

/// Writes a whole listpack blob around `entries` (`count` of them).
pub fn write_blob(entries: &[u8], count: usize, out: &mut Vec<u8>) {
    let total = entries.len() + BLOB_OVERHEAD;
    out.reserve(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    let c = if count < u16::MAX as usize {
        count as u16
    } else {
        u16::MAX
    };
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(entries);
    out.push(0xFF);
}

/// Replaces bytes `start..end` of `v` (an entry) with `e`, growing `v` to a size class.
pub fn replace_in(v: &mut Vec<u8>, start: usize, end: usize, e: &Encoded) {
    let n = e.len();
    let old = end - start;
    if n > old {
        let grow = n - old;
        let len = v.len();
        if v.capacity() - len < grow {
            v.reserve_exact(size_class(len + grow) - len);
        }
        v.resize(len + grow, 0);
        v.copy_within(end..len, end + grow);
    } else if n < old {
        v.drain(start + n..end);
    }
    e.write_to(&mut v[start..start + n]);
}

/// The jemalloc size class an allocation of `n` bytes occupies: buffers are grown to these
/// sizes, so the spare room costs nothing the allocator would not waste anyway.
pub fn size_class(n: usize) -> usize {
    match n {
        0..=8 => 8,
        9..=128 => n.div_ceil(16) * 16,
        _ => {
            let delta = n.next_power_of_two() / 8;
            n.div_ceil(delta) * delta
        }
    }
}

/// The allocation Redis makes for an sds string of `len` bytes (header, data, NUL), by
/// jemalloc size class: what its MEMORY USAGE counts per string.
pub fn sds_alloc(len: usize) -> usize {
    let header = match len {
        1..=31 => 1,
        0..=255 => 3,
        256..=65535 => 5,
        _ if len as u64 <= u32::MAX as u64 => 9,
        _ => 17,
    };
    size_class(header + len + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: &[u8]) -> (Vec<u8>, Ent<'static>) {
        let e = Encoded::new(v);
        let mut out = vec![0u8; e.len()];
        e.write_to(&mut out);
        let mut appended = Vec::new();
        e.append_to(&mut appended);
        assert_eq!(out, appended);
        let leaked: &'static [u8] = Box::leak(out.clone().into_boxed_slice());
        let (ent, end) = next(leaked, 0);
        assert_eq!(end, leaked.len());
        assert_eq!(prev(leaked, leaked.len()), (ent, 0));
        assert_eq!(skip(leaked, 0), leaked.len());
        assert_eq!(validate(leaked), Some(1));
        (out, ent)
    }

    #[test]
    fn integers_use_redis_encodings() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00, 1]),
            (127, &[0x7F, 1]),
            (128, &[0xC0, 0x80, 2]),
            (-1, &[0xDF, 0xFF, 2]),
            (-4096, &[0xD0, 0x00, 2]),
            (4095, &[0xCF, 0xFF, 2]),
            (4096, &[0xF1, 0x00, 0x10, 3]),
            (-32768, &[0xF1, 0x00, 0x80, 3]),
            (32768, &[0xF2, 0x00, 0x80, 0x00, 4]),
            (-8_388_608, &[0xF2, 0x00, 0x00, 0x80, 4]),
            (8_388_608, &[0xF3, 0x00, 0x00, 0x80, 0x00, 5]),
            (i64::MIN, &[0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 9]),
        ];
        for (v, want) in cases {
            let (bytes, ent) = roundtrip(v.to_string().as_bytes());
            assert_eq!(&bytes[..], *want, "{v}");
            assert_eq!(ent, Ent::Int(*v));
        }
    }

    #[test]
    fn strings_and_backlens() {
        for len in [0usize, 1, 63, 64, 127, 200, 4095, 4096, 16380, 16383, 70000] {
            let v = vec![b'x'; len];
            let (bytes, ent) = roundtrip(&v);
            assert_eq!(ent, Ent::Str(&v[..]));
            let head = if len < 64 {
                1
            } else if len < 4096 {
                2
            } else {
                5
            };
            assert_eq!(bytes.len(), head + len + backlen_size(head + len));
        }
        // Not canonical integers stay strings.
        for s in ["007", "-0", "+1", " 1", "1.0", "99999999999999999999"] {
            assert_eq!(roundtrip(s.as_bytes()).1, Ent::Str(s.as_bytes()));
        }
    }

    #[test]
    fn blobs_round_trip_and_reject_damage() {
        let mut entries = Vec::new();
        for v in ["a", "12", "hello", "-70000"] {
            Encoded::new(v.as_bytes()).append_to(&mut entries);
        }
        let mut blob = Vec::new();
        write_blob(&entries, 4, &mut blob);
        assert_eq!(blob_entries(&blob), Some((&entries[..], 4)));
        let mut bad = blob.clone();
        bad[4] = 3;
        assert_eq!(blob_entries(&bad), None);
        let mut bad = blob.clone();
        *bad.last_mut().unwrap() = 0;
        assert_eq!(blob_entries(&bad), None);
        let mut bad = blob.clone();
        bad[6] = 0x85; // a 5-byte string where a 1-byte one was
        assert_eq!(blob_entries(&bad), None);
        assert_eq!(blob_entries(&blob[..5]), None);
    }

    #[test]
    fn needles_compare_like_lpcompare() {
        let n = Needle::new(b"12");
        assert!(Ent::Int(12).matches(&n));
        assert!(Ent::Str(b"12").matches(&n));
        assert!(!Ent::Int(12).matches(&Needle::new(b"012")));
    }

    #[test]
    fn size_classes() {
        assert_eq!(size_class(1), 8);
        assert_eq!(size_class(17), 32);
        assert_eq!(size_class(129), 160);
        assert_eq!(size_class(8192), 8192);
        assert_eq!(size_class(8193), 10240);
    }
}

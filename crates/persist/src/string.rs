//! RDB string encoding, as `rdbSaveRawString` / `rdbGenericLoadStringObject` do it: a
//! string that reads as a 32-bit integer is stored as 1, 2 or 4 little-endian bytes; a
//! longer one is LZF-compressed when that saves at least four bytes (and compression is
//! on); anything else is a length prefix and the bytes.

use std::io::{Read, Write};

use crate::length::{encoded_marker, read_len, read_plain_len, write_len, Len};
use crate::{lzf, Error, Result};

pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

/// Strings this short never shrink under LZF (Redis does not try).
const LZF_MIN_LEN: usize = 21;

/// A string as loaded: integer encodings come back as integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbString {
    Int(i64),
    Bytes(Vec<u8>),
}

/// Writes `v` in the shortest integer encoding, if it fits 32 bits.
fn write_int_encoding(w: &mut impl Write, v: i64) -> Result<bool> {
    if let Ok(b) = i8::try_from(v) {
        w.write_all(&[encoded_marker(ENC_INT8), b as u8])?;
    } else if let Ok(h) = i16::try_from(v) {
        w.write_all(&[encoded_marker(ENC_INT16)])?;
        w.write_all(&h.to_le_bytes())?;
    } else if let Ok(i) = i32::try_from(v) {
        w.write_all(&[encoded_marker(ENC_INT32)])?;
        w.write_all(&i.to_le_bytes())?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Writes an integer-valued string (Redis's "int" encoding): an integer encoding when it
/// fits, else its decimal digits, never compressed.
pub fn write_int(w: &mut impl Write, v: i64) -> Result<()> {
    if write_int_encoding(w, v)? {
        return Ok(());
    }
    let digits = v.to_string();
    write_len(w, digits.len() as u64)?;
    w.write_all(digits.as_bytes())?;
    Ok(())
}

/// Writes a string's bytes: integer encoding, else LZF when `compress` and it pays, else
/// verbatim.
pub fn write_bytes(w: &mut impl Write, s: &[u8], compress: bool) -> Result<()> {
    // "-2147483648" is the longest string a 32-bit encoding can stand for.
    if s.len() <= 11 {
        if let Some(v) = parse_canonical_i64(s) {
            if write_int_encoding(w, v)? {
                return Ok(());
            }
        }
    }
    if compress && s.len() >= LZF_MIN_LEN {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            w.write_all(&[encoded_marker(ENC_LZF)])?;
            write_len(w, c.len() as u64)?;
            write_len(w, s.len() as u64)?;
            w.write_all(&c)?;
            return Ok(());
        }
    }
    write_len(w, s.len() as u64)?;
    w.write_all(s)?;
    Ok(())
}

/// Reads one string in any encoding.
pub fn read_string(r: &mut impl Read) -> Result<RdbString> {
    match read_len(r)? {
        Len::Len(n) => Ok(RdbString::Bytes(read_exact_vec(r, n)?)),
        Len::Encoded(ENC_INT8) => {
            let mut b = [0u8; 1];
            r.read_exact(&mut b)?;
            Ok(RdbString::Int(i64::from(b[0] as i8)))
        }
        Len::Encoded(ENC_INT16) => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b)?;
            Ok(RdbString::Int(i64::from(i16::from_le_bytes(b))))
        }
        Len::Encoded(ENC_INT32) => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b)?;
            Ok(RdbString::Int(i64::from(i32::from_le_bytes(b))))
        }
        Len::Encoded(ENC_LZF) => {
            let clen = read_plain_len(r)?;
            let len = read_plain_len(r)?;
            let compressed = read_exact_vec(r, clen)?;
            let len = usize::try_from(len).map_err(|_| Error::Corrupt("LZF length"))?;
            if len == 0 {
                return Err(Error::Corrupt("invalid LZF compressed string"));
            }
            lzf::decompress(&compressed, len)
                .map(RdbString::Bytes)
                .ok_or(Error::Corrupt("invalid LZF compressed string"))
        }
        Len::Encoded(_) => Err(Error::Corrupt("unknown string encoding")),
    }
}

/// Reads exactly `n` bytes; the buffer grows with the bytes that actually arrive, so a huge
/// declared length in a short payload fails without a huge allocation.
fn read_exact_vec(r: &mut impl Read, n: u64) -> Result<Vec<u8>> {
    // Small strings (nearly all of them) in one exact read: `read_to_end` would follow the
    // filled buffer with a probe read for EOF, a tenth of a big load's time.
    if n <= 64 * 1024 {
        let mut v = vec![0u8; n as usize];
        return match r.read_exact(&mut v) {
            Ok(()) => Ok(v),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(Error::Truncated),
            Err(e) => Err(e.into()),
        };
    }
    let mut v = Vec::with_capacity(n.min(64 * 1024) as usize);
    let got = r.take(n).read_to_end(&mut v)?;
    if got as u64 != n {
        return Err(Error::Truncated);
    }
    Ok(v)
}

/// Redis's `string2ll` on its canonical form (what `rdbTryIntegerEncoding` accepts: no sign
/// but '-', no leading zeros, no spaces).
fn parse_canonical_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits[0] == b'0' && (digits.len() > 1 || neg) {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_bytes(&mut v, s, true).unwrap();
        v
    }

    fn int(n: i64) -> Vec<u8> {
        let mut v = Vec::new();
        write_int(&mut v, n).unwrap();
        v
    }

    #[test]
    fn integer_encodings() {
        assert_eq!(int(0), [0xc0, 0]);
        assert_eq!(int(-128), [0xc0, 0x80]);
        assert_eq!(int(128), [0xc1, 0x80, 0]);
        assert_eq!(int(-32769), [0xc2, 0xff, 0x7f, 0xff, 0xff]);
        assert_eq!(int(1 << 31), b"\x0a2147483648");
        assert_eq!(bytes(b"123"), [0xc0, 123]);
        assert_eq!(bytes(b"-2147483648"), [0xc2, 0, 0, 0, 0x80]);
        assert_eq!(bytes(b"0123"), b"\x040123");
        assert_eq!(bytes(b"-0"), b"\x02-0");
        assert_eq!(bytes(b"+1"), b"\x02+1");
        assert_eq!(bytes(b""), [0]);
    }

    #[test]
    fn lzf_when_it_pays() {
        let long = vec![b'x'; 30];
        let enc = bytes(&long);
        assert_eq!(enc[0], 0xc3);
        assert_eq!(read_string(&mut &enc[..]).unwrap(), RdbString::Bytes(long));
        let mut plain = Vec::new();
        write_bytes(&mut plain, &[b'x'; 30], false).unwrap();
        assert_eq!(plain[0], 30);
        // 20 bytes: not tried.
        assert_eq!(bytes(&[b'x'; 20])[0], 20);
    }

    #[test]
    fn read_back() {
        for n in [0, -1, 127, -129, 40000, -2147483648, i64::MAX, i64::MIN] {
            let got = read_string(&mut &int(n)[..]).unwrap();
            let want = if i32::try_from(n).is_ok() {
                RdbString::Int(n)
            } else {
                RdbString::Bytes(n.to_string().into_bytes())
            };
            assert_eq!(got, want);
        }
    }

    #[test]
    fn corrupt_strings() {
        // Declared 4 GiB, 3 bytes present: fails without allocating.
        assert!(read_string(&mut &[0x80, 0xff, 0xff, 0xff, 0xff, 1, 2, 3][..]).is_err());
        assert!(read_string(&mut &[0xc3, 0x02, 0x00, 0x00, b'a'][..]).is_err()); // len 0
        assert!(read_string(&mut &[0xc3, 0x02, 0x05, 0x00, b'a'][..]).is_err()); // short
        assert!(read_string(&mut &[0xc4][..]).is_err());
        assert!(read_string(&mut &[0xc1, 1][..]).is_err());
    }
}

//! RDB length encoding: the prefix before every string and collection size.
//!
//! The top two bits of the first byte choose the form: `00` a 6-bit length, `01` a 14-bit
//! length (big-endian over two bytes), `10` a 32-bit (`0x80`) or 64-bit (`0x81`) big-endian
//! length in the following bytes, `11` not a length but a special string encoding whose
//! number is in the low six bits (integers, LZF).

use std::io::{Read, Write};

use crate::{read_u8, Error, Result};

const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const ENCVAL: u8 = 3;

/// A decoded length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Len(u64),
    /// A special encoding (see [`crate::string`]), not a length.
    Encoded(u8),
}

/// Writes `len` in the shortest form, as Redis's `rdbSaveLen`.
pub fn write_len(w: &mut impl Write, len: u64) -> Result<()> {
    if len < 1 << 6 {
        w.write_all(&[(len as u8) | (LEN_6BIT << 6)])?;
    } else if len < 1 << 14 {
        w.write_all(&[((len >> 8) as u8) | (LEN_14BIT << 6), len as u8])?;
    } else if len <= u64::from(u32::MAX) {
        w.write_all(&[LEN_32BIT])?;
        w.write_all(&(len as u32).to_be_bytes())?;
    } else {
        w.write_all(&[LEN_64BIT])?;
        w.write_all(&len.to_be_bytes())?;
    }
    Ok(())
}

/// The first byte of a special string encoding.
pub fn encoded_marker(enc: u8) -> u8 {
    (ENCVAL << 6) | enc
}

/// Reads a length prefix or a special-encoding marker.
pub fn read_len(r: &mut impl Read) -> Result<Len> {
    let b = read_u8(r)?;
    match b >> 6 {
        ENCVAL => return Ok(Len::Encoded(b & 0x3f)),
        LEN_6BIT => return Ok(Len::Len(u64::from(b & 0x3f))),
        LEN_14BIT => {
            let lo = read_u8(r)?;
            return Ok(Len::Len((u64::from(b & 0x3f) << 8) | u64::from(lo)));
        }
        _ => {}
    }
    match b {
        LEN_32BIT => {
            let mut buf = [0u8; 4];
            r.read_exact(&mut buf)?;
            Ok(Len::Len(u64::from(u32::from_be_bytes(buf))))
        }
        LEN_64BIT => {
            let mut buf = [0u8; 8];
            r.read_exact(&mut buf)?;
            Ok(Len::Len(u64::from_be_bytes(buf)))
        }
        _ => Err(Error::Corrupt("unknown length encoding")),
    }
}

/// Reads a length that must be a plain length (a collection size, an LZF length).
pub fn read_plain_len(r: &mut impl Read) -> Result<u64> {
    match read_len(r)? {
        Len::Len(n) => Ok(n),
        Len::Encoded(_) => Err(Error::Corrupt("encoded value where a length was expected")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_len(&mut v, n).unwrap();
        v
    }

    #[test]
    fn forms_like_redis() {
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(63), [0x3f]);
        assert_eq!(enc(64), [0x40, 0x40]);
        assert_eq!(enc(100), [0x40, 0x64]);
        assert_eq!(enc(16383), [0x7f, 0xff]);
        assert_eq!(enc(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc(u64::from(u32::MAX)), [0x80, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(enc(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn round_trip_and_errors() {
        for n in [0, 1, 63, 64, 16383, 16384, 1 << 31, 1 << 40, u64::MAX] {
            assert_eq!(read_len(&mut &enc(n)[..]).unwrap(), Len::Len(n));
        }
        assert_eq!(read_len(&mut &[0xc3][..]).unwrap(), Len::Encoded(3));
        assert!(read_len(&mut &[0x82][..]).is_err());
        assert!(read_len(&mut &[0x80, 1][..]).is_err());
        assert!(read_len(&mut &[][..]).is_err());
    }
}

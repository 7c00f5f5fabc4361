//! DUMP payloads: one value as RDB encodes it, then the RDB version (2 bytes, little-endian)
//! and a CRC-64 of everything before the checksum (8 bytes, little-endian). RESTORE accepts
//! any payload of this version or older whose checksum matches.

use keyspace::Value;

use crate::crc64::crc64;
use crate::value::{read_value, write_value, SaveOptions};
use crate::{Error, RDB_VERSION};

/// Why a payload was refused, in the two ways RESTORE reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    /// Too short, a newer RDB version, or a checksum mismatch.
    VersionOrChecksum,
    /// The footer is right but the value does not decode (or is of a type not loadable yet).
    BadData,
}

/// The DUMP payload of `v`.
pub fn dump(v: &Value, opts: SaveOptions) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_value(&mut out, v, opts);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks a payload's footer: version not newer than ours, checksum right.
pub fn verify(payload: &[u8]) -> Result<u16, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(RestoreError::VersionOrChecksum);
    }
    let crc = crc64(&payload[..payload.len() - 8]);
    if crc.to_le_bytes() != footer[2..] {
        return Err(RestoreError::VersionOrChecksum);
    }
    Ok(version)
}

/// The value in a payload. Like Redis, the decoder reads from the whole payload (footer
/// included) and ignores what it does not consume.
pub fn restore(payload: &[u8]) -> Result<Value, RestoreError> {
    verify(payload)?;
    read_value(&mut &payload[..]).map_err(|_: Error| RestoreError::BadData)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_payload_as_redis() {
        // DUMP of SET k 100 on redis-server 7.0.15.
        assert_eq!(
            dump(&Value::string(b"100"), SaveOptions::default()),
            b"\x00\xc0\x64\x0a\x00\x87\x29\x95\x31\x60\x0e\x8d\xb3"
        );
    }

    #[test]
    fn round_trip() {
        for v in [
            Value::string(b"hello"),
            Value::string(b"-5"),
            Value::string(b"123456"),
            Value::string(b"9223372036854775807"),
            Value::string(&b"abc".repeat(100)),
            Value::Raw(Box::new(b"123".to_vec())),
        ] {
            let p = dump(&v, SaveOptions::default());
            let back = restore(&p).unwrap();
            let mut a = keyspace::value::itoa_buf::Buf::default();
            let mut b = keyspace::value::itoa_buf::Buf::default();
            assert_eq!(v.str_bytes(&mut a), back.str_bytes(&mut b));
        }
    }

    #[test]
    fn refused_payloads() {
        let mut p = dump(&Value::string(b"hello"), SaveOptions::default());
        assert_eq!(restore(&p[..9]), Err(RestoreError::VersionOrChecksum));
        let n = p.len();
        p[n - 1] ^= 1;
        assert_eq!(restore(&p), Err(RestoreError::VersionOrChecksum));
        // Version 11 with a correct checksum is still refused.
        let mut q = dump(&Value::string(b"hello"), SaveOptions::default());
        let n = q.len();
        q[n - 10] = 11;
        let crc = crc64(&q[..n - 8]).to_le_bytes();
        q[n - 8..].copy_from_slice(&crc);
        assert_eq!(restore(&q), Err(RestoreError::VersionOrChecksum));
        // A valid footer around a list type byte: not loadable yet.
        let mut r = vec![18u8, 0];
        r.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(&r).to_le_bytes();
        r.extend_from_slice(&crc);
        assert_eq!(restore(&r), Err(RestoreError::BadData));
    }
}

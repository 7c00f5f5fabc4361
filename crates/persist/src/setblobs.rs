//! Loading the compact set and sorted-set blobs Redis writes: an intset (type 11), a zset
//! listpack (type 17, what Redis 7.0 saves) and a zset ziplist (type 12, from RDB files of
//! Redis before 7.0). Each blob is one RDB string; the result is encoded by the current
//! `set-max-intset-entries` / `zset-max-listpack-*` limits, as Redis's loader re-encodes.
//!
//! Redoubt itself writes the plain types (2 and 5), which every Redis loads.

use keyspace::listpack::{self, Ent};
use keyspace::set::Set;
use keyspace::zset::{Limits, ZSet};
use keyspace::{SBytes, Value};

use crate::string::{read_string, RdbString};
use crate::value::rdb_type;
use crate::{Error, Result};

fn read_blob_bytes(r: &mut impl std::io::Read) -> Result<Vec<u8>> {
    Ok(match read_string(r)? {
        RdbString::Bytes(b) => b,
        RdbString::Int(_) => return Err(Error::Corrupt("compact blob stored as an integer")),
    })
}

/// Loads an object of type 11, 12 or 17.
pub fn read_compact_set(r: &mut impl std::io::Read, t: u8) -> Result<Value> {
    let blob = read_blob_bytes(r)?;
    match t {
        rdb_type::SET_INTSET => {
            let s = Set::from_intset_blob(&blob, keyspace::set::max_intset_entries())
                .ok_or(Error::Corrupt("bad intset"))?;
            Ok(Value::Set(Box::new(s)))
        }
        rdb_type::ZSET_LISTPACK => zset_from_pairs(listpack_entries(&blob)?),
        _ => zset_from_pairs(ziplist_entries(&blob)?),
    }
}

/// The entries of a listpack blob, owned.
fn listpack_entries(blob: &[u8]) -> Result<Vec<Owned>> {
    let (entries, count) = listpack::blob_entries(blob).ok_or(Error::Corrupt("bad listpack"))?;
    let mut out = Vec::with_capacity(count);
    let mut pos = 0;
    while pos < entries.len() {
        let (e, next) = listpack::next(entries, pos);
        out.push(match e {
            Ent::Str(s) => Owned::Str(s.to_vec()),
            Ent::Int(n) => Owned::Int(n),
        });
        pos = next;
    }
    Ok(out)
}

enum Owned {
    Str(Vec<u8>),
    Int(i64),
}

/// Member/score pairs to a sorted set; scores are stored as text (or integers) in both blob
/// formats.
fn zset_from_pairs(entries: Vec<Owned>) -> Result<Value> {
    if entries.is_empty() || entries.len() & 1 == 1 {
        return Err(Error::Corrupt("sorted set blob without whole pairs"));
    }
    let mut items = Vec::with_capacity(entries.len() / 2);
    let mut it = entries.into_iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let member = match m {
            Owned::Str(b) => SBytes::from(b),
            Owned::Int(n) => SBytes::from(n.to_string().into_bytes()),
        };
        let score = match s {
            Owned::Int(n) => n as f64,
            Owned::Str(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(parse_score)
                .ok_or(Error::Corrupt("bad sorted set score"))?,
        };
        items.push((score, member));
    }
    let z = ZSet::from_loaded(items, Limits::current(), true)
        .ok_or(Error::Corrupt("duplicate sorted set member"))?;
    Ok(Value::ZSet(Box::new(z)))
}

/// A score as Redis writes it into a listpack (`%.17g`, "inf", "-inf").
fn parse_score(s: &str) -> Option<f64> {
    let v = match s {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

/// Decodes a ziplist blob (Redis ≤ 6.2): `zlbytes` u32, `zltail` u32, `zllen` u16, entries
/// of `<prevlen><encoding><data>`, then 0xFF.
fn ziplist_entries(b: &[u8]) -> Result<Vec<Owned>> {
    let bad = || Error::Corrupt("bad ziplist");
    if b.len() < 11 || b[b.len() - 1] != 0xFF {
        return Err(bad());
    }
    let total = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if total != b.len() {
        return Err(bad());
    }
    let end = b.len() - 1;
    let mut pos = 10;
    let mut out = Vec::new();
    let get = |from: usize, n: usize| {
        b.get(from..from.checked_add(n)?)
            .filter(|_| from + n <= end)
    };
    while pos < end {
        // prevlen: one byte, or 0xFE and four more.
        pos += if b[pos] == 0xFE { 5 } else { 1 };
        let enc = *get(pos, 1).ok_or_else(bad)?.first().ok_or_else(bad)?;
        let (entry, len) = match enc >> 6 {
            0 => {
                let n = (enc & 0x3F) as usize;
                (Owned::Str(get(pos + 1, n).ok_or_else(bad)?.to_vec()), 1 + n)
            }
            1 => {
                let l = get(pos + 1, 1).ok_or_else(bad)?;
                let n = ((enc & 0x3F) as usize) << 8 | l[0] as usize;
                (Owned::Str(get(pos + 2, n).ok_or_else(bad)?.to_vec()), 2 + n)
            }
            2 => {
                let l = get(pos + 1, 4).ok_or_else(bad)?;
                let n = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                (Owned::Str(get(pos + 5, n).ok_or_else(bad)?.to_vec()), 5 + n)
            }
            _ => {
                let int = |n: usize| -> Result<i64> {
                    let d = get(pos + 1, n).ok_or_else(bad)?;
                    // Little-endian data, sign-extended from its width.
                    let mut le = [0u8; 8];
                    le[..n].copy_from_slice(d);
                    Ok(i64::from_le_bytes(le) << (64 - 8 * n) >> (64 - 8 * n))
                };
                match enc {
                    0xC0 => (Owned::Int(int(2)?), 3),
                    0xD0 => (Owned::Int(int(4)?), 5),
                    0xE0 => (Owned::Int(int(8)?), 9),
                    0xF0 => (Owned::Int(int(3)?), 4),
                    0xFE => (Owned::Int(int(1)?), 2),
                    0xF1..=0xFD => (Owned::Int((enc & 0x0F) as i64 - 1), 1),
                    _ => return Err(bad()),
                }
            }
        };
        out.push(entry);
        pos += len;
    }
    if pos != end {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist of ("a", 1.5) and ("b", 2) as Redis 6 wrote it.
    #[test]
    fn ziplist_pairs_load() {
        let mut body = Vec::new();
        body.extend_from_slice(&[0x00, 0x01, b'a']); // prevlen 0, 1-byte string
        body.extend_from_slice(&[0x03, 0x03, b'1', b'.', b'5']);
        body.extend_from_slice(&[0x05, 0x01, b'b']);
        body.extend_from_slice(&[0x03, 0xF3]); // immediate 2
        let mut zl = Vec::new();
        let total = 10 + body.len() + 1;
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&0u32.to_le_bytes());
        zl.extend_from_slice(&4u16.to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        let Value::ZSet(z) = zset_from_pairs(ziplist_entries(&zl).unwrap()).unwrap() else {
            panic!("zset")
        };
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.score(b"a"), Some(1.5));
        assert_eq!(z.score(b"b"), Some(2.0));
        assert!(ziplist_entries(&zl[..zl.len() - 2]).is_err());
    }

    #[test]
    fn ziplist_integers_sign_extend() {
        let mut body = Vec::new();
        body.extend_from_slice(&[0x00, 0xC0, 0xFE, 0xFF]); // int16 -2
        body.extend_from_slice(&[0x04, 0xF0, 0xFF, 0xFF, 0x7F]); // int24 8388607
        let mut zl = Vec::new();
        let total = 10 + body.len() + 1;
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&[0; 6]);
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        let e = ziplist_entries(&zl).unwrap();
        assert!(matches!(e[0], Owned::Int(-2)));
        assert!(matches!(e[1], Owned::Int(8_388_607)));
    }
}

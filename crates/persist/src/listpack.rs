//! The compact list and hash encodings of RDB files and DUMP payloads.
//!
//! Written: lists as a quicklist of listpacks (type 18, `LIST_QUICKLIST_2`), compact hashes as
//! one listpack (type 16) — what Redis 7.0 writes, so payloads match Redis's byte for byte and
//! a list node or small hash is saved as one copy of its buffer.
//!
//! Loaded, besides those: the older forms Redis still reads — a list as one ziplist (10) or
//! a quicklist of ziplists (14), a hash as a zipmap (9) or a ziplist (13). Every blob is
//! checked entry by entry before it is used (bounds, back-lengths, counts, duplicate fields),
//! so a damaged payload is refused rather than trusted.

use std::collections::HashSet;
use std::io::{Read, Write};

use keyspace::hash::{Hash, Limits};
use keyspace::list::List;
use keyspace::listpack as lp;
use keyspace::Value;

use crate::length::{read_plain_len, write_len};
use crate::string::{read_string, write_bytes, RdbString};
use crate::value::{rdb_type, SaveOptions};
use crate::{Error, Result};

/// Quicklist node containers (Redis's `QUICKLIST_NODE_CONTAINER_*`).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;
/// Elements this big are saved as plain nodes, as Redis keeps them.
const PLAIN_THRESHOLD: usize = 1 << 30;

fn corrupt(what: &'static str) -> Error {
    Error::Corrupt(what)
}

fn read_blob(r: &mut impl Read) -> Result<Vec<u8>> {
    match read_string(r)? {
        RdbString::Bytes(b) => Ok(b),
        RdbString::Int(_) => Err(corrupt("compact blob stored as an integer")),
    }
}

/// Writes a list as type 18: node count, then per node its container and listpack blob.
pub fn write_list(w: &mut impl Write, l: &List, opts: SaveOptions) -> Result<()> {
    write_len(w, l.node_count() as u64)?;
    let mut blob = Vec::new();
    for (entries, count) in l.nodes() {
        if count == 1 && entries.len() > PLAIN_THRESHOLD {
            let (e, _) = lp::next(entries, 0);
            let mut b = keyspace::value::itoa_buf::Buf::default();
            write_len(w, CONTAINER_PLAIN)?;
            write_bytes(w, e.bytes(&mut b), opts.compress)?;
            continue;
        }
        blob.clear();
        lp::write_blob(entries, count, &mut blob);
        write_len(w, CONTAINER_PACKED)?;
        write_bytes(w, &blob, opts.compress)?;
    }
    Ok(())
}

/// Writes a compact hash's listpack as type 16's one string.
pub fn write_hash_listpack(
    w: &mut impl Write,
    entries: &[u8],
    pairs: usize,
    opts: SaveOptions,
) -> Result<()> {
    let mut blob = Vec::new();
    lp::write_blob(entries, pairs * 2, &mut blob);
    write_bytes(w, &blob, opts.compress)
}

/// Writes a compact sorted set as type 17's one listpack string, as Redis 7.0 does: member
/// then score by ascending order, the score as Redis's `d2string` text (`%.17g`, `inf`), which
/// the listpack stores as an integer entry when it reads as one. Smaller than type 5's
/// binary doubles, and LZF-compressible as one blob.
pub fn write_zset_listpack(
    w: &mut impl Write,
    z: &keyspace::zset::ZSet,
    opts: SaveOptions,
) -> Result<()> {
    let mut entries = Vec::new();
    for (score, member) in z.range(0, z.len(), false) {
        lp::Encoded::new(member).append_to(&mut entries);
        let text = if score.is_infinite() {
            if score > 0.0 { "inf" } else { "-inf" }.to_string()
        } else {
            resp::writer::format_g17(score)
        };
        lp::Encoded::new(text.as_bytes()).append_to(&mut entries);
    }
    let mut blob = Vec::new();
    lp::write_blob(&entries, z.len() * 2, &mut blob);
    write_bytes(w, &blob, opts.compress)
}

/// Loads a list of type 10, 14 or 18.
pub fn read_list(r: &mut impl Read, t: u8) -> Result<Value> {
    let fill = keyspace::list::fill();
    let mut l = List::new();
    match t {
        // Redis converts each ziplist into one listpack node, keeping node boundaries.
        rdb_type::LIST_ZIPLIST => push_ziplist_node(&mut l, &read_blob(r)?)?,
        rdb_type::LIST_QUICKLIST => {
            let nodes = read_plain_len(r)?;
            for _ in 0..nodes {
                push_ziplist_node(&mut l, &read_blob(r)?)?;
            }
        }
        _ => {
            let nodes = read_plain_len(r)?;
            for _ in 0..nodes {
                let container = read_plain_len(r)?;
                let blob = read_blob(r)?;
                match container {
                    CONTAINER_PLAIN if blob.len() > lp::MAX_STRING => {
                        return Err(corrupt("list element of 4 GB or more"))
                    }
                    CONTAINER_PLAIN => l.push(&blob, false, fill),
                    CONTAINER_PACKED => {
                        let (entries, count) =
                            lp::blob_entries(&blob).ok_or(corrupt("bad listpack"))?;
                        // Redis skips empty nodes silently.
                        l.push_node(entries.to_vec(), count);
                    }
                    _ => return Err(corrupt("unknown quicklist node container")),
                }
            }
        }
    }
    if l.is_empty() {
        return Err(corrupt("empty collection"));
    }
    Ok(Value::List(Box::new(l)))
}

/// Appends a ziplist's entries as one node.
fn push_ziplist_node(l: &mut List, blob: &[u8]) -> Result<()> {
    let items = ziplist_entries(blob).ok_or(corrupt("bad ziplist"))?;
    let mut entries = Vec::new();
    for e in &items {
        lp::Encoded::new(e).append_to(&mut entries);
    }
    l.push_node(entries, items.len());
    Ok(())
}

/// Loads a hash of type 9, 13 or 16, re-encoded under the current limits.
pub fn read_hash(r: &mut impl Read, t: u8) -> Result<Value> {
    let blob = read_blob(r)?;
    let limits = Limits::current();
    let h = match t {
        rdb_type::HASH_LISTPACK => {
            let (entries, count) = lp::blob_entries(&blob).ok_or(corrupt("bad listpack"))?;
            if count % 2 != 0 {
                return Err(corrupt("odd listpack hash"));
            }
            let mut fields = HashSet::with_capacity(count / 2);
            let mut pos = 0;
            while pos < entries.len() {
                let (f, next) = lp::next(entries, pos);
                if !fields.insert(f.to_vec()) {
                    return Err(corrupt("duplicate hash field"));
                }
                pos = lp::skip(entries, next);
            }
            let mut h = Hash::from_packed(entries.to_vec(), count / 2);
            if h.len() > limits.entries {
                h.convert();
            }
            h
        }
        rdb_type::HASH_ZIPLIST => {
            let items = ziplist_entries(&blob).ok_or(corrupt("bad ziplist"))?;
            if items.len() % 2 != 0 {
                return Err(corrupt("odd ziplist hash"));
            }
            hash_from_pairs(
                items.chunks_exact(2).map(|p| (&p[0][..], &p[1][..])),
                limits,
            )?
        }
        _ => {
            let pairs = zipmap_pairs(&blob).ok_or(corrupt("bad zipmap"))?;
            hash_from_pairs(pairs.iter().map(|(f, v)| (&f[..], &v[..])), limits)?
        }
    };
    if h.is_empty() {
        return Err(corrupt("empty collection"));
    }
    Ok(Value::Hash(Box::new(h)))
}

/// A hash of the pairs, refusing duplicate fields.
pub fn hash_from_pairs<'a>(
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    limits: Limits,
) -> Result<Hash> {
    let mut h = Hash::new();
    for (f, v) in pairs {
        if !h.set(f, v, limits) {
            return Err(corrupt("duplicate hash field"));
        }
    }
    Ok(h)
}

/// The entries of a ziplist blob (Redis before 7.0), integers as their decimal text.
pub fn ziplist_entries(b: &[u8]) -> Option<Vec<Vec<u8>>> {
    if b.len() < 11 || u32::from_le_bytes(b[..4].try_into().ok()?) as usize != b.len() {
        return None;
    }
    let declared = u16::from_le_bytes([b[8], b[9]]);
    let mut out = Vec::new();
    let mut pos = 10;
    loop {
        let first = *b.get(pos)?;
        if first == 0xFF {
            break;
        }
        pos += match first {
            0..=253 => 1,
            254 => 5,
            _ => return None,
        };
        let enc = *b.get(pos)?;
        let (head, len, int) = match enc >> 6 {
            0 => (1, (enc & 0x3F) as usize, None),
            1 => (
                2,
                ((enc & 0x3F) as usize) << 8 | *b.get(pos + 1)? as usize,
                None,
            ),
            2 => {
                let l = u32::from_be_bytes(b.get(pos + 1..pos + 5)?.try_into().ok()?);
                (5, l as usize, None)
            }
            _ => {
                let d = pos + 1;
                let v: i64 = match enc {
                    0xC0 => i16::from_le_bytes(b.get(d..d + 2)?.try_into().ok()?) as i64,
                    0xD0 => i32::from_le_bytes(b.get(d..d + 4)?.try_into().ok()?) as i64,
                    0xE0 => i64::from_le_bytes(b.get(d..d + 8)?.try_into().ok()?),
                    0xF0 => {
                        let s = b.get(d..d + 3)?;
                        (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as i64
                    }
                    0xFE => *b.get(d)? as i8 as i64,
                    0xF1..=0xFD => ((enc & 0x0F) as i64) - 1,
                    _ => return None,
                };
                let size = match enc {
                    0xC0 => 2,
                    0xD0 => 4,
                    0xE0 => 8,
                    0xF0 => 3,
                    0xFE => 1,
                    _ => 0,
                };
                (1, size, Some(v))
            }
        };
        let start = pos + head;
        let end = start.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        out.push(match int {
            Some(v) => v.to_string().into_bytes(),
            None => b[start..end].to_vec(),
        });
        pos = end;
    }
    if pos != b.len() - 1 || (declared != u16::MAX && declared as usize != out.len()) {
        return None;
    }
    Some(out)
}

/// The field/value pairs of a zipmap blob (hashes of Redis 2.x).
pub fn zipmap_pairs(b: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    fn len_at(b: &[u8], pos: &mut usize) -> Option<Option<usize>> {
        let first = *b.get(*pos)?;
        match first {
            0..=253 => {
                *pos += 1;
                Some(Some(first as usize))
            }
            254 => {
                let l = u32::from_le_bytes(b.get(*pos + 1..*pos + 5)?.try_into().ok()?);
                *pos += 5;
                Some(Some(l as usize))
            }
            _ => Some(None),
        }
    }
    fn take<'a>(b: &'a [u8], pos: &mut usize, n: usize) -> Option<&'a [u8]> {
        let s = b.get(*pos..pos.checked_add(n)?)?;
        *pos += n;
        Some(s)
    }
    let mut out = Vec::new();
    let mut pos = 1;
    while let Some(flen) = len_at(b, &mut pos)? {
        let field = take(b, &mut pos, flen)?.to_vec();
        let vlen = len_at(b, &mut pos)??;
        let free = *b.get(pos)? as usize;
        pos += 1;
        let value = take(b, &mut pos, vlen)?.to_vec();
        take(b, &mut pos, free)?;
        out.push((field, value));
    }
    (pos == b.len() - 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziplist_of_every_encoding() {
        // Built by hand: "ab", 5 (immediate), 300 (int16), -2 (int8), 70000 (int24).
        let mut body = Vec::new();
        body.extend_from_slice(&[0, 0x02, b'a', b'b']);
        body.extend_from_slice(&[4, 0xF6]);
        body.extend_from_slice(&[2, 0xC0, 0x2C, 0x01]);
        body.extend_from_slice(&[4, 0xFE, 0xFE]);
        body.extend_from_slice(&[3, 0xF0, 0x70, 0x11, 0x01]);
        let total = 10 + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&0u32.to_le_bytes());
        zl.extend_from_slice(&5u16.to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        let got = ziplist_entries(&zl).unwrap();
        let want: Vec<&[u8]> = vec![b"ab", b"5", b"300", b"-2", b"70000"];
        assert_eq!(got, want);
        for cut in 0..zl.len() {
            assert!(ziplist_entries(&zl[..cut]).is_none());
        }
    }

    #[test]
    fn zipmap_pairs_parse() {
        let zm = [2, 1, b'a', 2, 0, b'x', b'y', 1, b'b', 1, 1, b'z', 0, 0xFF];
        let got = zipmap_pairs(&zm).unwrap();
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), b"xy".to_vec()),
                (b"b".to_vec(), b"z".to_vec())
            ]
        );
        assert!(zipmap_pairs(&zm[..zm.len() - 1]).is_none());
    }

    #[test]
    fn lists_and_hashes_round_trip() {
        let l: List = (0..5000).map(|i| format!("v{i}")).collect();
        let mut out = Vec::new();
        write_list(&mut out, &l, SaveOptions::default()).unwrap();
        let Value::List(back) = read_list(&mut &out[..], rdb_type::LIST_QUICKLIST_2).unwrap()
        else {
            panic!("not a list")
        };
        assert_eq!(*back, l);
        assert_eq!(back.node_count(), l.node_count());

        let mut h = Hash::new();
        for i in 0..10 {
            h.set(format!("f{i}").as_bytes(), b"v", Limits::default());
        }
        let (entries, pairs) = h.packed().unwrap();
        let mut out = Vec::new();
        write_hash_listpack(&mut out, entries, pairs, SaveOptions::default()).unwrap();
        let Value::Hash(back) = read_hash(&mut &out[..], rdb_type::HASH_LISTPACK).unwrap() else {
            panic!("not a hash")
        };
        assert_eq!(*back, h);
    }
}

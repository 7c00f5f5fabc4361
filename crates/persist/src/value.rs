//! Values: the type byte and the object that follows it, as in an RDB file's key entries and
//! in a DUMP payload. Strings are done; each collection type adds its writer and loader here
//! (or in a module of its own) behind the same two entry points.

use std::io::{Read, Write};

use keyspace::Value;

use crate::length::{read_plain_len, write_len};
use crate::string::{read_string, write_bytes, write_int, RdbString};
use crate::{read_u8, Error, Result};

/// RDB object type bytes (RDB 10, Redis 7.0).
pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;

    /// True for the bytes that start a value (Redis's `rdbIsObjectType`), as opposed to
    /// opcodes (EXPIRETIME, SELECTDB, EOF…) in a whole file.
    pub fn is_object(t: u8) -> bool {
        t <= 7 && t != 6 || (9..=19).contains(&t)
    }
}

/// How values are written.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF-compress strings when it saves space.
    pub compress: bool,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions { compress: true }
    }
}

/// The type byte `v` is written with.
pub fn type_of(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => rdb_type::STRING,
        // The plain (pre-listpack) encodings: every Redis since 2.x loads them. Compact
        // listpack/intset forms are a memory optimisation for later.
        Value::List(_) => rdb_type::LIST_QUICKLIST_2,
        Value::Hash(h) if h.is_packed() => rdb_type::HASH_LISTPACK,
        Value::Hash(_) => rdb_type::HASH,
        Value::Set(_) => rdb_type::SET,
        Value::ZSet(z) if z.encoding() == "listpack" => rdb_type::ZSET_LISTPACK,
        Value::ZSet(_) => rdb_type::ZSET_2,
    }
}

/// Writes the type byte, then the object.
pub fn write_value(w: &mut impl Write, v: &Value, opts: SaveOptions) -> Result<()> {
    w.write_all(&[type_of(v)])?;
    write_object(w, v, opts)
}

/// Writes the object alone (after a type byte written elsewhere).
pub fn write_object(w: &mut impl Write, v: &Value, opts: SaveOptions) -> Result<()> {
    match v {
        Value::Int(n) => write_int(w, *n),
        Value::Str(s) => write_bytes(w, s, opts.compress),
        Value::Raw(r) => write_bytes(w, r, opts.compress),
        Value::List(l) => crate::listpack::write_list(w, l, opts),
        Value::Hash(h) => match h.packed() {
            Some((entries, pairs)) => crate::listpack::write_hash_listpack(w, entries, pairs, opts),
            None => {
                write_len(w, h.len() as u64)?;
                let (mut fb, mut vb) = Default::default();
                h.iter().try_for_each(|(f, v)| {
                    write_bytes(w, f.bytes(&mut fb), opts.compress)?;
                    write_bytes(w, v.bytes(&mut vb), opts.compress)
                })
            }
        },
        Value::Set(s) => {
            write_len(w, s.len() as u64)?;
            s.iter().try_for_each(|m| {
                let mut b = keyspace::value::itoa_buf::Buf::default();
                write_bytes(w, m.bytes(&mut b), opts.compress)
            })
        }
        Value::ZSet(z) if z.encoding() == "listpack" => {
            crate::listpack::write_zset_listpack(w, z, opts)
        }
        Value::ZSet(z) => {
            // Highest score first, as Redis writes it (its loader then inserts at the head).
            write_len(w, z.len() as u64)?;
            z.range(0, z.len(), true).try_for_each(|(score, m)| {
                write_bytes(w, m, opts.compress)?;
                w.write_all(&score.to_le_bytes())?;
                Ok(())
            })
        }
    }
}

fn read_blob(r: &mut impl Read) -> Result<keyspace::SBytes> {
    Ok(match read_string(r)? {
        RdbString::Int(n) => keyspace::SBytes::from(n.to_string().into_bytes()),
        RdbString::Bytes(b) => keyspace::SBytes::from(b),
    })
}

fn read_count(r: &mut impl Read) -> Result<u64> {
    let n = read_plain_len(r)?;
    if n == 0 {
        // Redis never writes an empty collection: such a key would not exist.
        return Err(Error::Corrupt("empty collection"));
    }
    Ok(n)
}

/// Loads the plain collection encodings (types 1, 2, 4, 5).
fn read_collection(r: &mut impl Read, t: u8) -> Result<Value> {
    let n = read_count(r)?;
    Ok(match t {
        rdb_type::LIST => {
            let mut l = keyspace::list::List::default();
            let fill = keyspace::list::fill();
            for _ in 0..n {
                let e = read_blob(r)?;
                if e.len() > keyspace::listpack::MAX_STRING {
                    return Err(Error::Corrupt("list element of 4 GB or more"));
                }
                l.push(&e, false, fill);
            }
            Value::List(Box::new(l))
        }
        rdb_type::SET => {
            let max = keyspace::set::max_intset_entries();
            let mut s = keyspace::set::Set::for_load(n as usize, max);
            for _ in 0..n {
                if !s.add_owned(read_blob(r)?, max) {
                    return Err(Error::Corrupt("duplicate set member"));
                }
            }
            Value::Set(Box::new(s))
        }
        rdb_type::HASH => {
            let limits = keyspace::hash::Limits::current();
            let mut h = keyspace::hash::Hash::default();
            for _ in 0..n {
                let f = read_blob(r)?;
                let v = read_blob(r)?;
                if !h.set(&f, &v, limits) {
                    return Err(Error::Corrupt("duplicate hash field"));
                }
            }
            Value::Hash(Box::new(h))
        }
        _ => {
            let mut items = Vec::with_capacity((n as usize).min(1 << 16));
            for _ in 0..n {
                let m = read_blob(r)?;
                let mut b = [0u8; 8];
                r.read_exact(&mut b)?;
                let score = f64::from_le_bytes(b);
                if score.is_nan() {
                    return Err(Error::Corrupt("NaN score"));
                }
                items.push((score, m));
            }
            let lim = keyspace::zset::Limits::current();
            let z = keyspace::zset::ZSet::from_loaded(items, lim, false)
                .ok_or(Error::Corrupt("duplicate sorted set member"))?;
            Value::ZSet(Box::new(z))
        }
    })
}

/// Reads a type byte that must start a value.
pub fn read_type(r: &mut impl Read) -> Result<u8> {
    let t = read_u8(r)?;
    if rdb_type::is_object(t) {
        Ok(t)
    } else {
        Err(Error::Corrupt("not a value type"))
    }
}

/// Reads the object of type `t`, encoded as Redis's `tryObjectEncoding` would leave it: an
/// integer when the string reads as one, else a plain string.
pub fn read_object(r: &mut impl Read, t: u8) -> Result<Value> {
    match t {
        rdb_type::STRING => Ok(match read_string(r)? {
            RdbString::Int(n) => Value::Int(n),
            RdbString::Bytes(b) => Value::string(&b),
        }),
        rdb_type::LIST | rdb_type::SET | rdb_type::HASH | rdb_type::ZSET_2 => read_collection(r, t),
        rdb_type::SET_INTSET | rdb_type::ZSET_ZIPLIST | rdb_type::ZSET_LISTPACK => {
            crate::setblobs::read_compact_set(r, t)
        }
        rdb_type::LIST_ZIPLIST | rdb_type::LIST_QUICKLIST | rdb_type::LIST_QUICKLIST_2 => {
            crate::listpack::read_list(r, t)
        }
        rdb_type::HASH_ZIPMAP | rdb_type::HASH_ZIPLIST | rdb_type::HASH_LISTPACK => {
            crate::listpack::read_hash(r, t)
        }
        other => Err(Error::Unsupported(other)),
    }
}

/// Reads a type byte and its object.
pub fn read_value(r: &mut impl Read) -> Result<Value> {
    let t = read_type(r)?;
    read_object(r, t)
}

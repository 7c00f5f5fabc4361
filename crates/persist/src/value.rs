//! Values: the type byte and the object that follows it, as in an RDB file's key entries and
//! in a DUMP payload. Strings are done; each collection type adds its writer and loader here
//! (or in a module of its own) behind the same two entry points.

use std::io::{Read, Write};

use keyspace::Value;

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
    }
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
        other => Err(Error::Unsupported(other)),
    }
}

/// Reads a type byte and its object.
pub fn read_value(r: &mut impl Read) -> Result<Value> {
    let t = read_type(r)?;
    read_object(r, t)
}

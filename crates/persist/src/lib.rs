//! Persistence formats: RDB encoding of values (DUMP/RESTORE today; whole RDB files, AOF
//! and the replication transfer later), over `std::io::Read`/`Write` streams so the same code
//! serves a buffer, a file or a socket.
//!
//! Module map, one concern each:
//! - [`length`]: the RDB length prefix and its special-encoding marker.
//! - [`string`]: strings: integer encodings, LZF, verbatim.
//! - [`lzf`]: LZF compression with Redis's exact output.
//! - [`crc64`]: CRC-64/Jones, the checksum of payloads and files.
//! - [`listpack`]: the compact list and hash encodings (quicklist, listpack, ziplist, zipmap).
//! - [`value`]: type bytes and objects (strings now; one loader/writer per type to come).
//! - [`dump`]: the DUMP payload framing (version and checksum footer).
//! - [`rdb`]: whole RDB files (dump.rdb, full-resync payloads).
//! - [`check`]: `redoubt check-rdb`, a redis-check-rdb style report on an RDB file.
//! - [`setblobs`]: loading Redis's intset and zset listpack/ziplist blobs.
//! - [`aof`]: the append-only file's command stream and the multi-part manifest.

pub mod aof;
pub mod check;
pub mod crc64;
pub mod dump;
pub mod length;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod setblobs;
pub mod string;
pub mod value;

use std::io::{self, Read};

pub use dump::{dump, restore, RestoreError};
pub use value::SaveOptions;

/// The RDB version written (Redis 7.0).
pub const RDB_VERSION: u16 = 10;

#[derive(Debug)]
pub enum Error {
    Io(io::Error),
    /// The input ended inside a value.
    Truncated,
    /// The input is not valid RDB.
    Corrupt(&'static str),
    /// A value type this build cannot load yet (its type byte).
    Unsupported(u8),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::Truncated
        } else {
            Error::Io(e)
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Truncated => f.write_str("unexpected end of RDB data"),
            Error::Corrupt(what) => write!(f, "corrupt RDB data: {what}"),
            Error::Unsupported(t) => write!(f, "RDB value type {t} is not supported"),
        }
    }
}

impl std::error::Error for Error {}

pub(crate) fn read_u8(r: &mut impl Read) -> Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

//! `redoubt check-rdb`: walks an RDB file the way the loader does (the same value decoders),
//! reporting as Redis 7.0's `redis-check-rdb` does: one `[offset N]` line per aux field and
//! database, the checksum verdict, and on a problem the offset, what was being read, the key
//! and the reason, followed by the counts of keys read so far.
//!
//! Offsets count the bytes consumed before the read that failed: like Redis's `rio`, a read
//! either gets all the bytes it asked for or counts none of them.

use std::io::{self, Read, Write};

use crate::crc64::Crc64;
use crate::length::read_plain_len;
use crate::string::{read_string, RdbString};
use crate::value::{rdb_type, read_object};
use crate::{Error, RDB_VERSION};

use crate::rdb::{
    OP_AUX, OP_EOF, OP_EXPIRETIME, OP_EXPIRETIME_MS, OP_FREQ, OP_FUNCTION2, OP_FUNCTION_PRE_GA,
    OP_IDLE, OP_MODULE_AUX, OP_RESIZEDB, OP_SELECTDB,
};

/// Type names as redis-check-rdb prints them, by type byte.
const TYPE_NAMES: &[&str] = &[
    "string",
    "list-linked",
    "set-hashtable",
    "zset-v1",
    "hash-hashtable",
    "zset-v2",
    "module-pre-release",
    "module-value",
    "",
    "hash-zipmap",
    "list-ziplist",
    "set-intset",
    "zset-ziplist",
    "hash-ziplist",
    "quicklist",
    "stream",
    "hash-listpack",
    "zset-listpack",
    "quicklist-v2",
    "stream-v2",
];

/// What the checker was doing when it stopped (redis-check-rdb's "While doing").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Start,
    ReadType,
    ReadExpire,
    ReadKey,
    ReadObjectValue,
    CheckSum,
    ReadLen,
    ReadAux,
    ReadModuleAux,
    ReadFunctions,
}

impl Doing {
    fn name(self) -> &'static str {
        match self {
            Doing::Start => "start",
            Doing::ReadType => "read-type",
            Doing::ReadExpire => "read-expire",
            Doing::ReadKey => "read-key",
            Doing::ReadObjectValue => "read-object-value",
            Doing::CheckSum => "check-sum",
            Doing::ReadLen => "read-len",
            Doing::ReadAux => "read-aux",
            Doing::ReadModuleAux => "read-module-aux",
            Doing::ReadFunctions => "read-functions",
        }
    }
}

/// A reader that counts and checksums what it hands out, all-or-nothing per read.
struct Tracked<R: Read> {
    inner: R,
    offset: u64,
    crc: Crc64,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n < buf.len() {
            // A short read is a failed read: nothing counts (the bytes are past the end).
            return Ok(0);
        }
        self.offset += n as u64;
        self.crc.update(buf);
        Ok(n)
    }
}

/// The checker's state, reported with every error.
struct Check<'a, R: Read, W: Write> {
    r: Tracked<R>,
    out: &'a mut W,
    doing: Doing,
    key: Option<Vec<u8>>,
    /// Like redis-check-rdb's zero-initialised state, type 0 until the first key is done.
    key_type: Option<u8>,
    keys: u64,
    expires: u64,
    already_expired: u64,
}

/// Why the walk stopped short: the message redis-check-rdb's report leads with.
struct Stop(String);

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop(match e {
            Error::Truncated => "Unexpected EOF reading RDB file".to_string(),
            Error::Io(e) => format!("Error reading RDB file: {e}"),
            Error::Corrupt(what) => format!("Invalid RDB data: {what}"),
            Error::Unsupported(t) => format!("Unsupported object type: {t}"),
        })
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::from(Error::from(e))
    }
}

impl<R: Read, W: Write> Check<'_, R, W> {
    fn info(&mut self, msg: &str) -> io::Result<()> {
        writeln!(self.out, "[offset {}] {msg}", self.r.offset)
    }

    fn counts(&mut self) -> io::Result<()> {
        writeln!(self.out, "[info] {} keys read", self.keys)?;
        writeln!(self.out, "[info] {} expires", self.expires)?;
        writeln!(self.out, "[info] {} already expired", self.already_expired)
    }

    fn report(&mut self, msg: &str) -> io::Result<()> {
        writeln!(self.out, "--- RDB ERROR DETECTED ---")?;
        self.info(msg)?;
        writeln!(
            self.out,
            "[additional info] While doing: {}",
            self.doing.name()
        )?;
        if let Some(k) = &self.key {
            writeln!(
                self.out,
                "[additional info] Reading key '{}'",
                String::from_utf8_lossy(k)
            )?;
        }
        if let Some(t) = self.key_type {
            let name = TYPE_NAMES.get(usize::from(t)).copied().unwrap_or("unknown");
            writeln!(self.out, "[additional info] Reading type {t} ({name})")?;
        }
        self.counts()
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    fn string(&mut self) -> Result<Vec<u8>, Stop> {
        Ok(match read_string(&mut self.r)? {
            RdbString::Int(n) => n.to_string().into_bytes(),
            RdbString::Bytes(b) => b,
        })
    }

    fn walk(&mut self, now_ms: i64) -> Result<(), Stop> {
        let magic: [u8; 9] = self.bytes()?;
        if &magic[..5] != b"REDIS" {
            return Err(Stop("Wrong signature trying to load DB from file".into()));
        }
        let ver = atoi(&magic[5..]);
        if ver < 1 || ver > i64::from(RDB_VERSION) {
            return Err(Stop(format!("Can't handle RDB format version {ver}")));
        }
        let mut expire: Option<i64> = None;
        loop {
            self.doing = Doing::ReadType;
            let t = self.bytes::<1>()?[0];
            match t {
                OP_EXPIRETIME_MS => {
                    self.doing = Doing::ReadExpire;
                    expire = Some(i64::from_le_bytes(self.bytes()?));
                    continue;
                }
                OP_EXPIRETIME => {
                    self.doing = Doing::ReadExpire;
                    expire = Some(i64::from(i32::from_le_bytes(self.bytes()?)) * 1000);
                    continue;
                }
                OP_FREQ => {
                    self.bytes::<1>()?;
                    continue;
                }
                OP_IDLE => {
                    read_plain_len(&mut self.r)?;
                    continue;
                }
                OP_EOF => break,
                OP_SELECTDB => {
                    self.doing = Doing::ReadLen;
                    let db = read_plain_len(&mut self.r)?;
                    self.info(&format!("Selecting DB ID {db}"))?;
                    continue;
                }
                OP_RESIZEDB => {
                    self.doing = Doing::ReadLen;
                    read_plain_len(&mut self.r)?;
                    read_plain_len(&mut self.r)?;
                    continue;
                }
                OP_AUX => {
                    self.doing = Doing::ReadAux;
                    let k = self.string()?;
                    let v = self.string()?;
                    self.info(&format!("AUX FIELD {} = '{}'", c_str(&k), c_str(&v)))?;
                    continue;
                }
                OP_MODULE_AUX => {
                    self.doing = Doing::ReadModuleAux;
                    return Err(Stop(
                        "Module auxiliary data is not supported: Redoubt does not load Redis modules".into(),
                    ));
                }
                OP_FUNCTION_PRE_GA => {
                    return Err(Stop(format!(
                        "Pre-release function format not supported {ver}"
                    )));
                }
                OP_FUNCTION2 => {
                    self.doing = Doing::ReadFunctions;
                    return Err(Stop(
                        "Failed loading library, Redoubt does not run functions".into(),
                    ));
                }
                t if !rdb_type::is_object(t) => {
                    return Err(Stop(format!("Invalid object type: {t}")));
                }
                t => self.key_type = Some(t),
            }
            self.doing = Doing::ReadKey;
            self.key = Some(self.string()?);
            self.keys += 1;
            self.doing = Doing::ReadObjectValue;
            read_object(&mut self.r, t)?;
            if let Some(at) = expire.take() {
                self.expires += 1;
                if at < now_ms {
                    self.already_expired += 1;
                }
            }
            self.key = None;
            self.key_type = None;
        }
        if ver >= 5 {
            self.doing = Doing::CheckSum;
            let expected = self.r.crc.value();
            let stored = u64::from_le_bytes(self.bytes()?);
            if stored == 0 {
                self.info("RDB file was saved with checksum disabled: no check performed.")?;
            } else if stored != expected {
                return Err(Stop("RDB CRC error".into()));
            } else {
                self.info("Checksum OK")?;
            }
        }
        Ok(())
    }
}

/// C's `atoi` on the version digits: leading digits, 0 when there are none.
fn atoi(b: &[u8]) -> i64 {
    b.iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, c| {
            n.saturating_mul(10).saturating_add(i64::from(c - b'0'))
        })
}

/// How `%s` prints a string: up to its first NUL.
fn c_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Checks the RDB stream `r` (named `name` in the report), writing the report to `out`;
/// `now_ms` decides which expiries count as already past. True when the file is sound.
pub fn check(r: impl Read, name: &str, now_ms: i64, out: &mut impl Write) -> io::Result<bool> {
    writeln!(out, "[offset 0] Checking RDB file {name}")?;
    let mut c = Check {
        r: Tracked {
            inner: r,
            offset: 0,
            crc: Crc64::new(),
        },
        out,
        doing: Doing::Start,
        key: None,
        key_type: Some(0),
        keys: 0,
        expires: 0,
        already_expired: 0,
    };
    match c.walk(now_ms) {
        Ok(()) => {
            c.info("\\o/ RDB looks OK! \\o/")?;
            c.counts()?;
            Ok(true)
        }
        Err(Stop(msg)) => {
            c.report(&msg)?;
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::{write, Aux, WriteOptions};
    use keyspace::{Keyspace, Ttl, Value};

    fn sample() -> Vec<u8> {
        let mut ks = Keyspace::new(16);
        ks.set(0, b"foo", Value::string(b"bar"), Ttl::Clear);
        ks.set(0, b"e", Value::string(b"v"), Ttl::At(4_000_000_000_000));
        ks.set(0, b"old", Value::string(b"v"), Ttl::At(1_000));
        ks.set(2, b"z", Value::Int(1), Ttl::Clear);
        let aux = Aux {
            redis_ver: "7.0.15".into(),
            ctime: 1_700_000_000,
            used_mem: 989_040,
            repl: None,
        };
        let mut buf = Vec::new();
        write(&mut buf, &ks, &aux, &WriteOptions::default()).unwrap();
        buf
    }

    fn run(data: &[u8]) -> (bool, String) {
        let mut out = Vec::new();
        let ok = check(data, "dump.rdb", 2_000_000_000_000, &mut out).unwrap();
        (ok, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_sound_file_reads_like_redis_check_rdb() {
        let data = sample();
        let (ok, text) = run(&data);
        assert!(ok, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "[offset 0] Checking RDB file dump.rdb");
        assert_eq!(lines[1], "[offset 27] AUX FIELD redis-ver = '7.0.15'");
        assert_eq!(lines[2], "[offset 41] AUX FIELD redis-bits = '64'");
        assert!(text.contains("] Selecting DB ID 0\n"));
        assert!(text.contains("] Selecting DB ID 2\n"));
        let n = data.len();
        assert!(text.contains(&format!("[offset {n}] Checksum OK\n")));
        assert!(text.ends_with(&format!(
            "[offset {n}] \\o/ RDB looks OK! \\o/\n[info] 4 keys read\n[info] 2 expires\n[info] 1 already expired\n"
        )));
    }

    #[test]
    fn every_truncation_is_an_unexpected_eof() {
        let data = sample();
        for cut in 0..data.len() {
            let (ok, text) = run(&data[..cut]);
            assert!(!ok, "cut at {cut}");
            assert!(
                text.contains("Unexpected EOF reading RDB file"),
                "cut at {cut}: {text}"
            );
            // The offset reported is where the failed read started, never past the cut.
            let off: usize = text
                .lines()
                .find(|l| l.ends_with("Unexpected EOF reading RDB file"))
                .and_then(|l| l.strip_prefix("[offset "))
                .and_then(|l| l.split(']').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            assert!(off <= cut, "cut at {cut}: offset {off}");
        }
    }

    #[test]
    fn truncated_header_and_value_offsets_match_redis() {
        let data = sample();
        let (_, text) = run(&data[..5]);
        assert!(text.contains("[offset 0] Unexpected EOF reading RDB file\n[additional info] While doing: start\n[additional info] Reading type 0 (string)\n"), "{text}");
        let (_, text) = run(&data[..20]);
        assert!(text.contains("[offset 20] Unexpected EOF reading RDB file\n[additional info] While doing: read-aux\n"), "{text}");
    }

    #[test]
    fn a_flipped_byte_is_named() {
        let data = sample();
        let mut crc_errors = 0;
        for i in 9..data.len() - 8 {
            let mut bad = data.clone();
            bad[i] ^= 0x55;
            let (ok, text) = run(&bad);
            assert!(!ok, "flip at {i} passed:\n{text}");
            assert!(text.contains("--- RDB ERROR DETECTED ---"), "{text}");
            crc_errors += usize::from(text.contains("] RDB CRC error\n"));
        }
        assert!(crc_errors > 0);
        let mut bad = data.clone();
        bad[2] ^= 0x55;
        assert!(run(&bad)
            .1
            .contains("[offset 9] Wrong signature trying to load DB from file"));
        let mut bad = data;
        bad[8] = b'9';
        bad[7] = b'9';
        assert!(run(&bad).1.contains("Can't handle RDB format version 99"));
    }

    #[test]
    fn a_key_being_read_is_named() {
        let mut data = sample();
        // Cut inside the value of "foo" ("bar"): the report names the key.
        let at = data.windows(3).position(|w| w == b"bar").unwrap();
        data.truncate(at + 1);
        let (_, text) = run(&data);
        assert!(text.contains("While doing: read-object-value\n[additional info] Reading key 'foo'\n[additional info] Reading type 0 (string)\n"), "{text}");
    }

    #[test]
    fn a_disabled_checksum_is_reported_not_checked() {
        let mut data = sample();
        let n = data.len();
        data[n - 8..].fill(0);
        let (ok, text) = run(&data);
        assert!(ok);
        assert!(text.contains("RDB file was saved with checksum disabled: no check performed."));
    }
}

//! Whole RDB files (version 10, as Redis 7.0 writes them): the `REDIS0010` header, aux
//! fields, per database SELECTDB + RESIZEDB, each key with its expiry and value, EOF and the
//! CRC-64 checksum. The same bytes are a `dump.rdb` and the payload of a full resync.
//!
//! Under an LRU or LFU `maxmemory-policy` each key is preceded (after its expiry) by its
//! idle seconds or decayed LFU counter, and loading gives keys those back, so eviction
//! order survives a restart, a resync or an AOF base.

use std::io::{Read, Write};

use keyspace::evict::{idle_seconds, lfu_decayed};
use keyspace::{Access, Keyspace, Policy, Ttl};

use crate::crc64::Crc64;
use crate::length::{read_plain_len, write_len};
use crate::string::{read_string, write_bytes};
use crate::value::{read_object, type_of, write_object, SaveOptions};
use crate::{read_u8, Error, Result, RDB_VERSION};

// RDB opcodes (shared with `check`).
pub(crate) const OP_FUNCTION2: u8 = 245;
pub(crate) const OP_FUNCTION_PRE_GA: u8 = 246;
pub(crate) const OP_MODULE_AUX: u8 = 247;
pub(crate) const OP_IDLE: u8 = 248;
pub(crate) const OP_FREQ: u8 = 249;
pub(crate) const OP_AUX: u8 = 250;
pub(crate) const OP_RESIZEDB: u8 = 251;
pub(crate) const OP_EXPIRETIME_MS: u8 = 252;
pub(crate) const OP_EXPIRETIME: u8 = 253;
pub(crate) const OP_SELECTDB: u8 = 254;
pub(crate) const OP_EOF: u8 = 255;

/// Aux fields a snapshot carries besides the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aux {
    pub redis_ver: String,
    pub ctime: i64,
    pub used_mem: u64,
    /// Replication id, offset and the stream's current database (full resyncs, primaries).
    pub repl: Option<(String, i64, usize)>,
}

/// Options for writing.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// `rdbcompression`.
    pub compression: bool,
    /// `rdbchecksum`: without it the footer is eight zero bytes.
    pub checksum: bool,
    /// The file is an AOF base (aux `aof-base` 1).
    pub aof_base: bool,
    /// `maxmemory-policy`: an LRU policy writes each key's idle time, an LFU one its
    /// access frequency, any other neither.
    pub policy: Policy,
    /// `rdb-key-save-delay`: see [`key_save_delay`].
    pub key_delay_us: i64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: true,
            checksum: true,
            aof_base: false,
            policy: Policy::NoEviction,
            key_delay_us: 0,
        }
    }
}

/// The pause after each key that `rdb-key-save-delay` asks for, so that tests can hold a
/// snapshot in progress: `usec` microseconds when positive, one microsecond with a chance
/// of 1 in `-usec` when negative (Redis's `debugDelay`).
pub fn key_save_delay(usec: i64) {
    if usec > 0 || (usec < 0 && fastrand::i64(0..usec.saturating_neg()) == 0) {
        std::thread::sleep(std::time::Duration::from_micros(usec.max(1) as u64));
    }
}

/// A writer that keeps a running CRC-64 of everything written.
struct CrcWriter<W: Write> {
    inner: W,
    crc: Crc64,
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What each key carries of its access field under the policy being written.
#[derive(Clone, Copy)]
enum AccessInfo {
    None,
    Idle,
    /// With the decay time the counter is reported after.
    Freq(u32),
}

impl AccessInfo {
    fn of(policy: Policy, access: Access) -> AccessInfo {
        if policy.is_lru() {
            AccessInfo::Idle
        } else if policy.is_lfu() {
            // The keyspace follows the policy; Redis's default decay if it somehow did not.
            match access {
                Access::Lfu { decay_time, .. } => AccessInfo::Freq(decay_time),
                Access::Lru => AccessInfo::Freq(1),
            }
        } else {
            AccessInfo::None
        }
    }

    fn write(self, w: &mut impl Write, field: u32, clock: u32) -> Result<()> {
        match self {
            AccessInfo::None => {}
            AccessInfo::Idle => {
                w.write_all(&[OP_IDLE])?;
                write_len(w, u64::from(idle_seconds(clock, field)))?;
            }
            AccessInfo::Freq(decay) => {
                let freq = lfu_decayed(field, clock, decay).min(255) as u8;
                w.write_all(&[OP_FREQ, freq])?;
            }
        }
        Ok(())
    }
}

fn write_aux(w: &mut impl Write, key: &str, val: &[u8]) -> Result<()> {
    w.write_all(&[OP_AUX])?;
    write_bytes(w, key.as_bytes(), false)?;
    write_bytes(w, val, false)
}

/// Writes a whole keyspace as an RDB file.
pub fn write(w: impl Write, ks: &Keyspace, aux: &Aux, opts: &WriteOptions) -> Result<()> {
    let mut w = CrcWriter {
        inner: w,
        crc: Crc64::new(),
    };
    let save = SaveOptions {
        compress: opts.compression,
    };
    w.write_all(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    write_aux(&mut w, "redis-ver", aux.redis_ver.as_bytes())?;
    write_aux(&mut w, "redis-bits", b"64")?;
    write_aux(&mut w, "ctime", aux.ctime.to_string().as_bytes())?;
    write_aux(&mut w, "used-mem", aux.used_mem.to_string().as_bytes())?;
    if let Some((id, off, db)) = &aux.repl {
        write_aux(&mut w, "repl-stream-db", db.to_string().as_bytes())?;
        write_aux(&mut w, "repl-id", id.as_bytes())?;
        write_aux(&mut w, "repl-offset", off.to_string().as_bytes())?;
    }
    write_aux(&mut w, "aof-base", if opts.aof_base { b"1" } else { b"0" })?;
    let access = AccessInfo::of(opts.policy, ks.access);
    for (i, db) in ks.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.write_all(&[OP_SELECTDB])?;
        write_len(&mut w, i as u64)?;
        w.write_all(&[OP_RESIZEDB])?;
        write_len(&mut w, db.len() as u64)?;
        write_len(&mut w, db.expires_len() as u64)?;
        for (key, slot) in db.dict().iter() {
            if let Some(at) = db.expire_of(key) {
                w.write_all(&[OP_EXPIRETIME_MS])?;
                w.write_all(&at.to_le_bytes())?;
            }
            access.write(&mut w, slot.lru, ks.lru_clock)?;
            w.write_all(&[type_of(&slot.value)])?;
            write_bytes(&mut w, key, opts.compression)?;
            write_object(&mut w, &slot.value, save)?;
            if opts.key_delay_us != 0 {
                key_save_delay(opts.key_delay_us);
            }
        }
    }
    w.write_all(&[OP_EOF])?;
    let crc = if opts.checksum { w.crc.value() } else { 0 };
    w.inner.write_all(&crc.to_le_bytes())?;
    w.flush()?;
    Ok(())
}

/// A reader that keeps a running CRC-64 of everything read.
struct CrcReader<R: Read> {
    inner: R,
    crc: Crc64,
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

fn read_array<const N: usize>(r: &mut impl Read) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_blob(r: &mut impl Read) -> Result<Vec<u8>> {
    Ok(match read_string(r)? {
        crate::string::RdbString::Int(n) => n.to_string().into_bytes(),
        crate::string::RdbString::Bytes(b) => b,
    })
}

/// What loading found besides the keys.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    pub keys: u64,
    pub expired_skipped: u64,
    pub repl_id: Option<String>,
    pub repl_offset: Option<i64>,
    pub repl_stream_db: Option<usize>,
}

/// Loads an RDB stream into `ks` (which the caller has emptied). Keys already expired at
/// `skip_expired_before` (a primary loading a file) are skipped; a replica passes `None`.
/// A key's recorded idle time or frequency is applied if `ks` tracks that kind (its
/// `access` and `lru_clock` must be set before loading).
pub fn load(r: impl Read, ks: &mut Keyspace, skip_expired_before: Option<i64>) -> Result<Loaded> {
    // Keys read from a file are not created by a command: no `new` event for them (Redis's
    // `dbAddRDBLoad`).
    let track_new = std::mem::replace(&mut ks.track_new, false);
    let loaded = load_keys(r, ks, skip_expired_before);
    ks.track_new = track_new;
    loaded
}

fn load_keys(r: impl Read, ks: &mut Keyspace, skip_expired_before: Option<i64>) -> Result<Loaded> {
    let mut r = CrcReader {
        inner: r,
        crc: Crc64::new(),
    };
    let magic: [u8; 9] = read_array(&mut r)?;
    if &magic[..5] != b"REDIS" {
        return Err(Error::Corrupt(
            "Wrong signature trying to load DB from file",
        ));
    }
    let ver: u16 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&ver) {
        return Err(Error::Corrupt("Can't handle this RDB format version"));
    }
    let mut info = Loaded::default();
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut freq: Option<u8> = None;
    let mut idle: Option<u64> = None;
    loop {
        let t = read_u8(&mut r)?;
        match t {
            OP_EXPIRETIME_MS => expire = Some(i64::from_le_bytes(read_array(&mut r)?)),
            OP_EXPIRETIME => expire = Some(i32::from_le_bytes(read_array(&mut r)?) as i64 * 1000),
            OP_FREQ => freq = Some(read_u8(&mut r)?),
            OP_IDLE => idle = Some(read_plain_len(&mut r)?),
            OP_EOF => break,
            OP_SELECTDB => {
                let n = read_plain_len(&mut r)?;
                if n >= ks.db_count() as u64 {
                    return Err(Error::Corrupt(
                        "the file uses a database number beyond 'databases'",
                    ));
                }
                db = n as usize;
            }
            OP_RESIZEDB => {
                // Size the tables once, as Redis does, instead of rehashing as they grow
                // (a fifth of a big load's time). A damaged count cannot ask for more than
                // 2^26 slots.
                let keys = read_plain_len(&mut r)?.min(1 << 26) as usize;
                let expires = read_plain_len(&mut r)?.min(1 << 26) as usize;
                ks.reserve(db, keys, expires);
            }
            OP_AUX => {
                let k = read_blob(&mut r)?;
                let v = String::from_utf8_lossy(&read_blob(&mut r)?).into_owned();
                match &k[..] {
                    b"repl-id" => info.repl_id = Some(v),
                    b"repl-offset" => info.repl_offset = v.parse().ok(),
                    b"repl-stream-db" => info.repl_stream_db = v.parse().ok(),
                    _ => {}
                }
            }
            OP_MODULE_AUX | OP_FUNCTION2 => return Err(Error::Unsupported(t)),
            _ => {
                let key = read_blob(&mut r)?;
                let value = read_object(&mut r, t)?;
                let at = expire.take();
                let (freq, idle) = (freq.take(), idle.take());
                if let (Some(at), Some(now)) = (at, skip_expired_before) {
                    if at < now {
                        info.expired_skipped += 1;
                        continue;
                    }
                }
                ks.set(db, &key, value, at.map_or(Ttl::Clear, Ttl::At));
                if freq.is_some() || idle.is_some() {
                    // Past i64 Redis's signed idle time reads as negative: not applied.
                    let idle = idle.and_then(|n| i64::try_from(n).ok());
                    ks.set_lru_or_lfu(db, &key, freq, idle);
                }
                info.keys += 1;
            }
        }
    }
    let computed = r.crc.value();
    let stored = u64::from_le_bytes(read_array(&mut r.inner)?);
    if ver >= 5 && stored != 0 && stored != computed {
        return Err(Error::Corrupt("Wrong RDB checksum"));
    }
    ks.dirty = 0;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyspace::Value;

    #[test]
    fn round_trip_with_expiry_and_dbs() {
        let mut ks = Keyspace::new(16);
        ks.set(0, b"a", Value::string(b"1"), Ttl::Clear);
        ks.set(
            0,
            b"b",
            Value::string(&b"xyz".repeat(50)),
            Ttl::At(4_000_000_000_000),
        );
        ks.set(3, b"c", Value::string(b"hello"), Ttl::Clear);
        let mut buf = Vec::new();
        let aux = Aux {
            redis_ver: "7.0.15".into(),
            repl: Some(("id".into(), 42, 0)),
            ..Default::default()
        };
        write(&mut buf, &ks, &aux, &WriteOptions::default()).unwrap();
        let mut back = Keyspace::new(16);
        let info = load(&buf[..], &mut back, Some(0)).unwrap();
        assert_eq!(info.keys, 3);
        assert_eq!(info.repl_offset, Some(42));
        assert_eq!(back.get(0, b"a", 0), Some(&Value::Int(1)));
        assert_eq!(back.expire_of(0, b"b"), Some(4_000_000_000_000));
        assert_eq!(back.get(3, b"c", 0), Some(&Value::string(b"hello")));
    }

    /// A file of one key with an expiry, written under `policy` by a keyspace tracking
    /// `access`, the key `idle` seconds idle or accessed `freq` times.
    fn one_key_file(
        policy: Policy,
        access: Access,
        freq: Option<u8>,
        idle: Option<i64>,
    ) -> Vec<u8> {
        let mut ks = Keyspace::new(1);
        ks.lru_clock = 1_000_000;
        ks.access = access;
        ks.set(0, b"k", Value::string(b"v"), Ttl::At(4_000_000_000_000));
        ks.set_lru_or_lfu(0, b"k", freq, idle);
        let opts = WriteOptions {
            policy,
            ..Default::default()
        };
        let mut buf = Vec::new();
        write(&mut buf, &ks, &Aux::default(), &opts).unwrap();
        buf
    }

    /// The bytes between the expiry's eight bytes and the key's type byte.
    fn between_expiry_and_type(buf: &[u8]) -> &[u8] {
        let at = buf.iter().position(|&b| b == OP_EXPIRETIME_MS).unwrap() + 9;
        let ty = buf[at..].iter().position(|&b| b == 0).unwrap();
        &buf[at..at + ty]
    }

    #[test]
    fn access_opcodes_follow_the_policy_kind() {
        let lfu = Access::Lfu {
            log_factor: 10,
            decay_time: 1,
        };
        let b = one_key_file(Policy::AllKeysLru, Access::Lru, None, Some(300));
        assert_eq!(between_expiry_and_type(&b), [OP_IDLE, 0x41, 0x2c]);
        let b = one_key_file(Policy::VolatileLfu, lfu, Some(77), None);
        assert_eq!(between_expiry_and_type(&b), [OP_FREQ, 77]);
        for p in [
            Policy::NoEviction,
            Policy::AllKeysRandom,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let b = one_key_file(p, Access::Lru, None, Some(300));
            assert_eq!(between_expiry_and_type(&b), [], "{p:?}");
        }
    }

    #[test]
    fn loading_applies_what_the_current_policy_tracks() {
        let lfu = Access::Lfu {
            log_factor: 10,
            decay_time: 1,
        };
        let clock = 2_000_000;
        let load_into = |access: Access, buf: &[u8]| {
            let mut ks = Keyspace::new(1);
            ks.lru_clock = clock;
            ks.access = access;
            load(buf, &mut ks, None).unwrap();
            ks.db(0).peek(b"k").unwrap().lru
        };
        let idle_file = one_key_file(Policy::AllKeysLru, Access::Lru, None, Some(300));
        let freq_file = one_key_file(Policy::AllKeysLfu, lfu, Some(77), None);
        // Idle seconds against the loading server's clock.
        assert_eq!(idle_seconds(clock, load_into(Access::Lru, &idle_file)), 300);
        assert_eq!(lfu_decayed(load_into(lfu, &freq_file), clock, 1), 77);
        // The other kind is ignored: a new key's field.
        assert_eq!(load_into(Access::Lru, &freq_file), clock);
        assert_eq!(lfu_decayed(load_into(lfu, &idle_file), clock, 1), 5);
    }

    #[test]
    fn truncated_and_corrupt_files_are_errors() {
        let mut ks = Keyspace::new(16);
        ks.set(0, b"a", Value::string(b"hello"), Ttl::Clear);
        let mut buf = Vec::new();
        write(&mut buf, &ks, &Aux::default(), &WriteOptions::default()).unwrap();
        for cut in 0..buf.len() {
            let mut k = Keyspace::new(16);
            assert!(load(&buf[..cut], &mut k, None).is_err(), "cut at {cut}");
        }
        let n = buf.len();
        buf[n - 12] ^= 0x55;
        assert!(load(&buf[..], &mut Keyspace::new(16), None).is_err());
    }
}

//! One numbered database: the key table, the table of expiry times (only keys that have one,
//! as in Redis, so persistent keys pay nothing for expiry), and the keys that clients WATCH.
//!
//! Reads and writes go through methods that apply *lazy expiry* and record what happened
//! (expired keys, touched watched keys) in [`Events`], so that the executor can propagate the
//! deletions and break transactions without each command handler remembering to.

use crate::dict::Dict;
use crate::evict::Access;
use crate::sbytes::SBytes;
use crate::value::Value;
use crate::Events;

/// A key's value with its access metadata.
#[derive(Clone, Debug)]
pub struct Slot {
    pub value: Value,
    /// Last access: the LRU clock in seconds, or under an LFU policy the LFU time and
    /// counter (see [`crate::evict`]). Lives in what would be the entry's padding.
    pub lru: u32,
}

/// What to do with an existing expiry when a key is overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Drop any expiry (plain SET).
    Clear,
    /// Keep the key's expiry (KEEPTTL, SETRANGE, APPEND, INCR…).
    Keep,
    /// Expire at this absolute Unix time in milliseconds.
    At(i64),
}

#[derive(Default, Clone, Debug)]
pub struct Db {
    pub(crate) keys: Dict<SBytes, Slot>,
    pub(crate) expires: Dict<SBytes, i64>,
    /// Keys some client WATCHes, with how many clients watch each.
    pub(crate) watched: Dict<SBytes, u32>,
    /// Where the next active-expiry cycle resumes its scan of `expires`.
    pub(crate) expire_cursor: u64,
    /// Sum of remaining TTLs seen by the last active-expiry samples (INFO keyspace avg_ttl).
    pub avg_ttl: i64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The absolute expiry (ms) of a key, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    pub fn is_expired(&self, key: &[u8], now: i64) -> bool {
        matches!(self.expire_of(key), Some(t) if t <= now)
    }

    /// A key's slot without expiry checks or events (SCAN, persistence, DEBUG).
    pub fn peek(&self, key: &[u8]) -> Option<&Slot> {
        self.keys.get(key)
    }

    pub fn peek_key_value(&self, key: &[u8]) -> Option<(&SBytes, &Slot)> {
        self.keys.get_key_value(key)
    }

    pub fn dict(&self) -> &Dict<SBytes, Slot> {
        &self.keys
    }

    pub fn expires(&self) -> &Dict<SBytes, i64> {
        &self.expires
    }

    pub(crate) fn touch_watched(&self, db: usize, key: &[u8], ev: &mut Events) {
        if !self.watched.is_empty() && self.watched.contains_key(key) {
            ev.touched.push((db, SBytes::new(key)));
        }
    }

    pub(crate) fn remove_raw(&mut self, key: &[u8]) -> Option<Slot> {
        let (_, slot) = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(slot)
    }

    pub(crate) fn set_expire_raw(&mut self, key: &[u8], at: i64) {
        if let Some(t) = self.expires.get_mut(key) {
            *t = at;
        } else if let Some((k, _)) = self.keys.get_key_value(key) {
            let k = k.clone();
            self.expires.insert(k, at);
        }
    }

    /// Writes `value` under `key`; `ttl` says what happens to its expiry. An overwrite counts
    /// as an access of the key (under LFU the counter carries over, as in Redis).
    pub(crate) fn put(
        &mut self,
        key: &[u8],
        value: Value,
        ttl: Ttl,
        clock: u32,
        access: Access,
    ) -> bool {
        let (slot, inserted) = self.keys.get_or_insert_with(
            key,
            || SBytes::new(key),
            || Slot {
                value: Value::Int(0),
                lru: access.fresh(clock),
            },
        );
        slot.value = value;
        if !inserted {
            access.touch(&mut slot.lru, clock);
        }
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => {
                if !inserted && !self.expires.is_empty() {
                    self.expires.remove(key);
                }
            }
            Ttl::At(at) => self.set_expire_raw(key, at),
        }
        inserted
    }

    pub fn random_key(&self) -> Option<&SBytes> {
        self.keys.random_entry().map(|(k, _)| k)
    }

    pub fn scan(&self, cursor: u64, f: impl FnMut(&SBytes, &Slot)) -> u64 {
        self.keys.scan(cursor, f)
    }
}

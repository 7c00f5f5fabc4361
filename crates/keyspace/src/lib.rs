//! The keyspace: numbered databases of keys to typed values, with expiry.
//!
//! Module map:
//! - [`dict`]: the hash table under every database (incremental rehash, Redis-style SCAN cursors).
//! - [`sbytes`]: `SBytes`, a 24-byte byte string that keeps short keys and values inline.
//! - [`value`]: the `Value` enum, one variant per type and encoding.
//! - [`db`]: one database: key table, expiry table, watched keys.
//! - [`expire`]: the active expiry cycle.
//! - [`evict`]: access tracking (LRU clock / LFU counter) and the choice of keys to evict.
//! - [`list`], [`hash`], [`set`], [`zset`]: the collection types.
//! - [`listpack`]: Redis's compact entry encoding (list nodes, small hashes, RDB blobs).
//!
//! Pure and synchronous: no I/O, no RESP. The [`Keyspace`] applies lazy expiry on every access
//! and records in [`Events`] what the caller must act on (deleted-by-expiry keys to propagate
//! and notify, watched keys touched), so command handlers cannot forget those duties.

pub mod db;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod list;
pub mod listpack;
pub mod sbytes;
pub mod set;
pub mod value;
pub mod zset;

pub use db::{Db, Slot, Ttl};
pub use dict::Dict;
pub use evict::{Access, Policy};
pub use sbytes::SBytes;
pub use value::{parse_i64, Value};

/// Side effects of keyspace operations, drained by the executor after each command.
#[derive(Default, Debug)]
pub struct Events {
    /// Keys deleted because they expired: propagate `DEL`, notify `expired`.
    pub expired: Vec<(usize, SBytes)>,
    /// Watched keys that changed: transactions watching them must fail.
    pub touched: Vec<(usize, SBytes)>,
    /// Keys that were given a list or sorted set while `track_ready` was on: clients blocked
    /// on them may now be served (Redis's `signalKeyAsReady` from `dbAdd`).
    pub ready: Vec<(usize, SBytes)>,
    /// Databases swapped while `track_ready` was on: any of their keys may now be ready.
    pub ready_dbs: Vec<usize>,
    /// Keys created while `track_new` was on (Redis's `new` event, sent from `dbAdd`), each
    /// with the length `expired` had then, so that both go out in the order they happened.
    pub created: Vec<(usize, SBytes, usize)>,
}

/// Counters INFO stats reports.
#[derive(Default, Debug, Clone)]
pub struct KsStats {
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
}

/// The value returned when a key holds another type than the command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

pub struct Keyspace {
    dbs: Vec<Db>,
    pub events: Events,
    pub stats: KsStats,
    /// Writes since the last successful save (`rdb_changes_since_last_save`).
    pub dirty: u64,
    /// On a replica, expired keys are hidden from reads but only the primary deletes them.
    pub is_replica: bool,
    /// Set while a replica applies its primary's stream: keys the replica sees as logically
    /// expired still exist for the primary's commands (only the primary's DEL removes them).
    pub applying_primary_stream: bool,
    /// The LRU clock, seconds, advanced by the cron.
    pub lru_clock: u32,
    /// What an access records in a key's access field (follows `maxmemory-policy`).
    pub access: Access,
    /// Eviction candidates kept between evictions.
    pub(crate) evict_pool: evict::EvictPool,
    /// Some client is blocked on keys: writes of lists and sorted sets go to `events.ready`.
    pub track_ready: bool,
    /// The `n` class of `notify-keyspace-events` is on: keys created go to `events.created`.
    /// Loaders clear it while they read a file (Redis's `dbAddRDBLoad` sends no event).
    pub track_new: bool,
    /// A forked child is writing a snapshot: lookups leave access fields alone, so that a
    /// read does not make the kernel copy the page the key sits on (Redis's lookupKey makes
    /// the same exception while it has a child).
    pub child_active: bool,
}

impl Keyspace {
    pub fn new(databases: usize) -> Self {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            events: Events::default(),
            stats: KsStats::default(),
            dirty: 0,
            is_replica: false,
            applying_primary_stream: false,
            lru_clock: 0,
            access: Access::Lru,
            evict_pool: Default::default(),
            track_ready: false,
            track_new: false,
            child_active: false,
        }
    }

    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Deletes `key` if its time has passed (and this is a primary); `true` if it is expired,
    /// deleted or not.
    fn expire_if_needed(&mut self, db: usize, key: &[u8], now: i64) -> bool {
        if self.applying_primary_stream || !self.dbs[db].is_expired(key, now) {
            return false;
        }
        if !self.is_replica {
            self.delete_expired(db, key);
        }
        true
    }

    pub(crate) fn delete_expired(&mut self, db: usize, key: &[u8]) {
        let d = &mut self.dbs[db];
        d.touch_watched(db, key, &mut self.events);
        d.remove_raw(key);
        self.stats.expired_keys += 1;
        self.events.expired.push((db, SBytes::new(key)));
    }

    /// What a lookup records in the key's access field, unless a child is snapshotting.
    fn lookup_access(&self) -> Option<(Access, u32)> {
        (!self.child_active).then_some((self.access, self.lru_clock))
    }

    /// Reads a key (lazy expiry, LRU update, hit/miss counted).
    pub fn get(&mut self, db: usize, key: &[u8], now: i64) -> Option<&Value> {
        if self.expire_if_needed(db, key, now) {
            self.stats.keyspace_misses += 1;
            return None;
        }
        let touch = self.lookup_access();
        match self.dbs[db].keys.get_mut(key) {
            Some(slot) => {
                self.stats.keyspace_hits += 1;
                if let Some((access, clock)) = touch {
                    access.touch(&mut slot.lru, clock);
                }
                Some(&slot.value)
            }
            None => {
                self.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Reads a key as Redis's `LOOKUP_NOTOUCH` lookups do (EXISTS, TYPE, TTL, OBJECT): lazy
    /// expiry and the hit/miss count as [`Keyspace::get`], the access time left alone.
    pub fn get_no_touch(&mut self, db: usize, key: &[u8], now: i64) -> Option<&Value> {
        if self.expire_if_needed(db, key, now) {
            self.stats.keyspace_misses += 1;
            return None;
        }
        match self.dbs[db].keys.get(key) {
            Some(slot) => {
                self.stats.keyspace_hits += 1;
                Some(&slot.value)
            }
            None => {
                self.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Looks a key up without counting a hit or miss or touching its LRU time (EXISTS, TYPE…),
    /// still honouring expiry.
    /// Makes room in `db` for `keys` more keys, `expires` of them with a TTL (a load's
    /// RESIZEDB), so the tables do not rehash as they fill.
    pub fn reserve(&mut self, db: usize, keys: usize, expires: usize) {
        if let Some(d) = self.dbs.get_mut(db) {
            d.keys.reserve(keys);
            d.expires.reserve(expires);
        }
    }

    /// Warms the cache for lookups of `keys` in `db` (a pipelined batch's first arguments);
    /// see [`dict::Dict::prefetch`]. Wrong guesses (a command whose first argument is not a
    /// key) cost a wasted prefetch, nothing more.
    pub fn prefetch(&self, db: usize, keys: &[&[u8]]) {
        if let Some(d) = self.dbs.get(db) {
            d.keys.prefetch(keys);
        }
    }

    pub fn peek(&mut self, db: usize, key: &[u8], now: i64) -> Option<&Value> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        self.dbs[db].keys.get(key).map(|s| &s.value)
    }

    pub fn exists(&mut self, db: usize, key: &[u8], now: i64) -> bool {
        self.peek(db, key, now).is_some()
    }

    /// A key's value for modification in place; counts as a write (dirty, WATCH).
    pub fn get_mut(&mut self, db: usize, key: &[u8], now: i64) -> Option<&mut Value> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        let touch = self.lookup_access();
        let d = &mut self.dbs[db];
        // One lookup: the watched-key check reads another field of the same db.
        let slot = d.keys.get_mut(key)?;
        if !d.watched.is_empty() && d.watched.contains_key(key) {
            self.events.touched.push((db, SBytes::new(key)));
        }
        self.dirty += 1;
        if let Some((access, clock)) = touch {
            access.touch(&mut slot.lru, clock);
        }
        Some(&mut slot.value)
    }

    /// A key's value for a change that may not happen (LREM that finds nothing): lazy expiry
    /// only. Once it did change, call [`Keyspace::modified`].
    pub fn get_mut_untracked(&mut self, db: usize, key: &[u8], now: i64) -> Option<&mut Value> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        let touch = self.lookup_access();
        let slot = self.dbs[db].keys.get_mut(key)?;
        if let Some((access, clock)) = touch {
            access.touch(&mut slot.lru, clock);
        }
        Some(&mut slot.value)
    }

    /// A key's value, inserting `make()` when it is missing, with one lookup (INCR on a new
    /// counter). Untracked like [`Keyspace::get_mut_untracked`]: call
    /// [`Keyspace::modified`] once the change is made (a creation's `new` event is recorded
    /// here all the same). `true` when the key was created.
    pub fn get_or_insert_untracked(
        &mut self,
        db: usize,
        key: &[u8],
        now: i64,
        make: impl FnOnce() -> Value,
    ) -> (&mut Value, bool) {
        self.expire_if_needed(db, key, now);
        let (clock, access) = (self.lru_clock, self.access);
        let touch = self.lookup_access();
        let (slot, created) = self.dbs[db].keys.get_or_insert_with(
            key,
            || SBytes::new(key),
            || Slot {
                value: make(),
                lru: access.fresh(clock),
            },
        );
        if let (false, Some((access, clock))) = (created, touch) {
            access.touch(&mut slot.lru, clock);
        }
        if created && self.track_new {
            let after = self.events.expired.len();
            self.events.created.push((db, SBytes::new(key), after));
        }
        (&mut slot.value, created)
    }

    /// Records `changes` changes to `key` made through [`Keyspace::get_mut_untracked`]:
    /// watchers are touched and the dirty count grows.
    pub fn modified(&mut self, db: usize, key: &[u8], changes: u64) {
        self.dbs[db].touch_watched(db, key, &mut self.events);
        self.dirty += changes;
    }

    /// Writes a key as Redis's `setKey` does. Returns true when the key was created.
    ///
    /// Blocked clients are signalled, and the `new` event recorded, only when the key is
    /// created (Redis does both from `dbAdd`): a list or sorted set that overwrites a key
    /// (SORT, ZUNIONSTORE… STORE onto a string, say) leaves them waiting in Redis 7.0. See
    /// [`Keyspace::add`].
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) -> bool {
        self.write(db, key, value, ttl, false)
    }

    /// Writes a key as Redis's `dbDelete` + `dbAdd` do (COPY … REPLACE, RENAME, MOVE):
    /// blocked clients are signalled, and `new` recorded, even when a value was replaced.
    /// True when created.
    pub fn add(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) -> bool {
        self.write(db, key, value, ttl, true)
    }

    fn write(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl, signal: bool) -> bool {
        let blocks = self.track_ready && matches!(value, Value::List(_) | Value::ZSet(_));
        let (clock, access) = (self.lru_clock, self.access);
        let d = &mut self.dbs[db];
        d.touch_watched(db, key, &mut self.events);
        self.dirty += 1;
        let created = d.put(key, value, ttl, clock, access);
        if blocks && (created || signal) {
            self.events.ready.push((db, SBytes::new(key)));
        }
        if self.track_new && (created || signal) {
            let after = self.events.expired.len();
            self.events.created.push((db, SBytes::new(key), after));
        }
        created
    }

    /// Deletes a key, returning its value (an expired key counts as absent).
    pub fn remove(&mut self, db: usize, key: &[u8], now: i64) -> Option<Value> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        let d = &mut self.dbs[db];
        let slot = d.remove_raw(key)?;
        d.touch_watched(db, key, &mut self.events);
        self.dirty += 1;
        Some(slot.value)
    }

    /// Sets an absolute expiry on an existing key (the caller has checked it exists).
    pub fn set_expire(&mut self, db: usize, key: &[u8], at: i64) {
        let d = &mut self.dbs[db];
        d.touch_watched(db, key, &mut self.events);
        self.dirty += 1;
        d.set_expire_raw(key, at);
    }

    /// Removes a key's expiry; true if it had one.
    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if d.expires.remove(key).is_none() {
            return false;
        }
        d.touch_watched(db, key, &mut self.events);
        self.dirty += 1;
        true
    }

    pub fn expire_of(&self, db: usize, key: &[u8]) -> Option<i64> {
        self.dbs[db].expire_of(key)
    }

    /// The whole slot of a live key, for commands that move keys (RENAME, MOVE, COPY, DUMP).
    pub fn slot(&mut self, db: usize, key: &[u8], now: i64) -> Option<&Slot> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        self.dbs[db].keys.get(key)
    }

    /// Empties one database, returning how many keys it held.
    pub fn flush_db(&mut self, db: usize) -> usize {
        self.touch_all_watched(db, None);
        let d = &mut self.dbs[db];
        let n = d.keys.len();
        d.keys.clear();
        d.expires.clear();
        d.expire_cursor = 0;
        d.avg_ttl = 0;
        self.dirty += n as u64;
        n
    }

    pub fn flush_all(&mut self) -> usize {
        (0..self.dbs.len()).map(|db| self.flush_db(db)).sum()
    }

    /// Swaps two databases' contents (SWAPDB); watched keys stay with their db number and
    /// are touched when they exist in either.
    pub fn swap_db(&mut self, a: usize, b: usize) {
        self.touch_all_watched(a, Some(b));
        self.touch_all_watched(b, Some(a));
        if self.track_ready {
            self.events.ready_dbs.extend([a, b]);
        }
        let (x, y) = if a < b { (a, b) } else { (b, a) };
        if x != y {
            let (lo, hi) = self.dbs.split_at_mut(y);
            let (l, h) = (&mut lo[x], &mut hi[0]);
            std::mem::swap(&mut l.keys, &mut h.keys);
            std::mem::swap(&mut l.expires, &mut h.expires);
            std::mem::swap(&mut l.avg_ttl, &mut h.avg_ttl);
            l.expire_cursor = 0;
            h.expire_cursor = 0;
        }
        self.dirty += 1;
    }

    /// Touches every key watched in `db` that exists there (or in `other`).
    fn touch_all_watched(&mut self, db: usize, other: Option<usize>) {
        if self.dbs[db].watched.is_empty() {
            return;
        }
        let mut hit = Vec::new();
        for (k, _) in self.dbs[db].watched.iter() {
            let here = self.dbs[db].keys.contains_key(k);
            let there = other.is_some_and(|o| self.dbs[o].keys.contains_key(k));
            if here || there {
                hit.push((db, k.clone()));
            }
        }
        self.events.touched.extend(hit);
    }

    /// Registers one more watcher of `key`.
    pub fn watch(&mut self, db: usize, key: &[u8]) {
        let (n, _) = self.dbs[db]
            .watched
            .get_or_insert_with(key, || SBytes::new(key), || 0);
        *n += 1;
    }

    /// Drops one watcher of `key`.
    pub fn unwatch(&mut self, db: usize, key: &[u8]) {
        let w = &mut self.dbs[db].watched;
        if let Some(n) = w.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                w.remove(key);
            }
        }
    }

    /// Records whether a forked child shares the process's pages (see `child_active`) and
    /// makes every table avoid resizing meanwhile ([`dict::avoid_resize`]).
    pub fn set_child_active(&mut self, active: bool) {
        self.child_active = active;
        dict::avoid_resize(active);
    }

    /// The cron's table upkeep (Redis's `databasesCron`): shrinks tables under 10% full, then,
    /// when `rehash` (`activerehashing`), spends up to `budget` moving buckets of the first
    /// database whose keys or expiries are mid-rehash. Nothing while a forked child shares
    /// the pages: moving entries would make the kernel copy every page they sit on.
    pub fn rehash_and_resize(&mut self, rehash: bool, budget: std::time::Duration) {
        if self.child_active {
            return;
        }
        for d in &mut self.dbs {
            d.keys.maybe_shrink();
            d.expires.maybe_shrink();
        }
        if !rehash {
            return;
        }
        let start = std::time::Instant::now();
        if let Some(d) = self
            .dbs
            .iter_mut()
            .find(|d| d.keys.is_rehashing() || d.expires.is_rehashing())
        {
            if d.keys.is_rehashing() {
                while d.keys.rehash_steps(100) && start.elapsed() < budget {}
            } else {
                while d.expires.rehash_steps(100) && start.elapsed() < budget {}
            }
        }
    }

    /// Moves a live key's slot out (RENAME, MOVE), with its expiry.
    pub fn take(&mut self, db: usize, key: &[u8], now: i64) -> Option<(Slot, Option<i64>)> {
        if self.expire_if_needed(db, key, now) {
            return None;
        }
        let at = self.dbs[db].expire_of(key);
        let d = &mut self.dbs[db];
        let slot = d.remove_raw(key)?;
        d.touch_watched(db, key, &mut self.events);
        self.dirty += 1;
        Some((slot, at))
    }

    /// Puts a slot under `key`, replacing what was there, with expiry `at` (as
    /// [`Keyspace::add`]: RENAME and MOVE signal blocked clients).
    pub fn put_slot(&mut self, db: usize, key: &[u8], slot: Slot, at: Option<i64>) {
        let ttl = at.map_or(Ttl::Clear, Ttl::At);
        self.add(db, key, slot.value, ttl);
    }
}

#[cfg(test)]
mod tests;

//! `Dict<K, V>`: the chained hash table under every database and every hash/set value.
//!
//! It owns key placement, growth and shrinking, and the SCAN cursor. Callers (databases,
//! the cron, SCAN/RANDOMKEY handlers) only see a map with a few Redis-specific extras.
//!
//! Hand-written because no crate offers the two Redis behaviours clients and operators rely on:
//! - **Incremental rehashing.** Growing or shrinking allocates a second table and moves one
//!   bucket per write (plus whatever the cron asks for), so a 10M-key table never stalls.
//! - **SCAN's guarantee.** Cursors walk a power-of-two bucket array in reverse-binary order
//!   (Redis's `dictScan`), so every entry present for a whole scan is returned at least once
//!   even if the table is resized between calls.
//!
//! Memory per key matters more than raw speed: buckets are one pointer each (the `Box` niche
//! makes `Option<Box<_>>` 8 bytes), entries are singly linked boxes without a cached hash, and
//! the load factor is 1 like Redis's.
//!
//! Submodules: `iter` (the borrowing, mutable and owning iterators) and `tests`.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::mem;
use std::sync::OnceLock;
use std::vec;

use foldhash::fast::RandomState;

mod iter;
#[cfg(test)]
mod tests;

pub use iter::{IntoIter, Iter, IterMut};

/// Smallest table; also the shrink floor (Redis's `DICT_HT_INITIAL_SIZE`).
const INITIAL_SIZE: usize = 4;
/// Below this fill percentage the cron shrinks the table (Redis's `HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;
/// Empty buckets a rehash step may skip per bucket it is allowed to move, bounding the
/// step's cost on sparse tables (as Redis's `dictRehash` does).
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Random bucket probes before `random_entry` falls back to a linear walk; only sparse tables
/// the cron has not shrunk yet get that far.
const RANDOM_PROBES: usize = 64;
/// While growth is avoided, a table still grows past this many entries per bucket (Redis's
/// `dict_force_resize_ratio`).
const FORCE_RESIZE_RATIO: usize = 5;

thread_local! {
    /// Set while a forked child (BGSAVE, BGREWRITEAOF, a full sync) shares the parent's
    /// pages: tables then grow only when badly overfull and never shrink, since moving
    /// entries to a new table writes to every page they sit on and makes the kernel copy
    /// each one (Redis's `dict_can_resize`). Per thread rather than per process: the server
    /// keeps its key space on one thread, and tests running side by side stay independent.
    static RESIZE_AVOIDED: Cell<bool> = const { Cell::new(false) };
}

/// Turns [`RESIZE_AVOIDED`] on or off for every table of this thread.
pub fn avoid_resize(avoid: bool) {
    RESIZE_AVOIDED.with(|a| a.set(avoid));
}

fn resize_avoided() -> bool {
    RESIZE_AVOIDED.with(Cell::get)
}

type Link<K, V> = Option<Box<Entry<K, V>>>;

struct Entry<K, V> {
    next: Link<K, V>,
    key: K,
    val: V,
}

/// One process-wide random seed: hash flooding needs an unpredictable seed, and sharing it lets
/// cloned dicts keep their layout.
fn hash_key(key: &[u8]) -> u64 {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    let mut hasher = STATE.get_or_init(RandomState::default).build_hasher();
    // `write` directly rather than `Hash for [u8]`, which would also hash the length prefix.
    hasher.write(key);
    hasher.finish()
}

/// Frees a chain front to back; dropping the head `Box` directly would recurse once per entry.
fn drop_chain<K, V>(mut link: Link<K, V>) {
    while let Some(mut entry) = link {
        link = entry.next.take();
    }
}

fn find_in_chain<'a, K: AsRef<[u8]>, V>(
    mut link: Option<&'a Entry<K, V>>,
    key: &[u8],
) -> Option<&'a Entry<K, V>> {
    while let Some(entry) = link {
        if entry.key.as_ref() == key {
            return Some(entry);
        }
        link = entry.next.as_deref();
    }
    None
}

/// Unlinks and returns the entry for `key` from the chain starting at `link`.
fn unlink<K: AsRef<[u8]>, V>(mut link: &mut Link<K, V>, key: &[u8]) -> Option<Box<Entry<K, V>>> {
    while link.as_ref().is_some_and(|e| e.key.as_ref() != key) {
        link = &mut link.as_mut()?.next;
    }
    let mut entry = link.take()?;
    *link = entry.next.take();
    Some(entry)
}

/// Keeps the entries of one chain for which `f` is true; returns how many were removed.
fn retain_chain<K, V>(mut link: &mut Link<K, V>, f: &mut impl FnMut(&K, &mut V) -> bool) -> usize {
    let mut removed = 0;
    // Re-borrowing through `link` instead of advancing to `&mut entry.next` keeps today's
    // borrow checker happy (the direct form needs Polonius); the `expect`s cannot fire.
    while let Some(entry) = link {
        if f(&entry.key, &mut entry.val) {
            link = &mut link.as_mut().expect("checked by the loop condition").next;
        } else {
            let mut gone = link.take().expect("checked by the loop condition");
            *link = gone.next.take();
            removed += 1;
        }
    }
    removed
}

/// Copies a chain in order without recursion.
fn clone_chain<K: Clone, V: Clone>(src: &Link<K, V>) -> Link<K, V> {
    let mut head = None;
    let mut tail = &mut head;
    let mut cur = src.as_deref();
    while let Some(entry) = cur {
        let node = tail.insert(Box::new(Entry {
            next: None,
            key: entry.key.clone(),
            val: entry.val.clone(),
        }));
        tail = &mut node.next;
        cur = entry.next.as_deref();
    }
    head
}

/// One power-of-two bucket array (or none at all) and its entry count.
struct Table<K, V> {
    buckets: Box<[Link<K, V>]>,
    used: usize,
}

impl<K, V> Table<K, V> {
    /// Allocates the buckets zeroed (all `None`) through `alloc_zeroed`, which the allocator
    /// serves with fresh demand-zero pages for large sizes. A big grow then costs no memset
    /// stall: pages fault in one by one as the incremental rehash reaches them. (Collecting
    /// `None`s instead compiled to a memset of the whole array: 10 ms for 2^21 buckets.)
    fn with_size(size: usize) -> Self {
        debug_assert!(size.is_power_of_two());
        let layout = std::alloc::Layout::array::<Link<K, V>>(size).expect("bucket array size");
        // SAFETY: `layout` has a non-zero size (size ≥ 1, a bucket is one pointer). All-zero
        // bytes are a valid `None` for `Option<Box<_>>` (the null-pointer niche Rust
        // guarantees), so the slice is initialised; `Box` frees it with the same layout,
        // that of a `[Link; size]`, through the same global allocator.
        let buckets = unsafe {
            let ptr = std::alloc::alloc_zeroed(layout).cast::<Link<K, V>>();
            if ptr.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, size))
        };
        Table { buckets, used: 0 }
    }

    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// Only meaningful for an allocated table.
    fn index(&self, hash: u64) -> usize {
        hash as usize & (self.buckets.len() - 1)
    }

    fn into_buckets(mut self) -> vec::IntoIter<Link<K, V>> {
        self.used = 0;
        mem::take(&mut self.buckets).into_vec().into_iter()
    }
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            buckets: Box::default(),
            used: 0,
        }
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // Stop once every entry is freed: the table left behind by a finished rehash is empty
        // and may have millions of buckets, walking them would be a stall for nothing.
        let mut left = self.used;
        for bucket in self.buckets.iter_mut() {
            if left == 0 {
                break;
            }
            if bucket.is_some() {
                let mut chain = bucket.take();
                while let Some(mut entry) = chain {
                    chain = entry.next.take();
                    left = left.saturating_sub(1);
                }
            }
        }
    }
}

impl<K: Clone, V: Clone> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table {
            buckets: self.buckets.iter().map(clone_chain).collect(),
            used: self.used,
        }
    }
}

/// A hash table keyed by byte strings, with incremental rehashing and Redis SCAN cursors.
///
/// While rehashing, `tables[0]` is the old table (its buckets below `rehash_idx` are already
/// empty) and `tables[1]` the new one, which receives all inserts.
pub struct Dict<K, V> {
    tables: [Table<K, V>; 2],
    rehash_idx: usize,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> Dict<K, V> {
    /// An empty dict; allocates nothing until the first insert.
    pub fn new() -> Self {
        Dict {
            tables: [Table::default(), Table::default()],
            rehash_idx: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_rehashing(&self) -> bool {
        self.tables[1].size() != 0
    }

    /// Buckets of both tables.
    pub fn bucket_count(&self) -> usize {
        self.tables[0].size() + self.tables[1].size()
    }

    /// Heap bytes of the structure itself: bucket arrays plus one entry box per key. Heap data
    /// owned by keys and values is the caller's to count.
    pub fn overhead_bytes(&self) -> usize {
        self.bucket_count() * mem::size_of::<Link<K, V>>()
            + self.len() * mem::size_of::<Entry<K, V>>()
    }

    /// Removes everything and frees the tables.
    pub fn clear(&mut self) {
        self.tables = Default::default();
        self.rehash_idx = 0;
    }

    /// Entries in unspecified order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        let [t0, t1] = &self.tables;
        Iter {
            buckets: t0.buckets.iter().chain(t1.buckets.iter()),
            cur: None,
            remaining: self.len(),
        }
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.tables;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            cur: None,
            remaining,
        }
    }

    /// Empties the dict (freeing its tables) and yields the entries it held. Entries not
    /// consumed are dropped with the iterator.
    pub fn drain(&mut self) -> IntoIter<K, V> {
        let remaining = self.len();
        let [t0, t1] = mem::take(&mut self.tables);
        self.rehash_idx = 0;
        IntoIter {
            buckets: t0.into_buckets().chain(t1.into_buckets()),
            cur: None,
            remaining,
        }
    }

    /// Keeps only the entries for which `f` returns true.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        for table in &mut self.tables {
            for bucket in table.buckets.iter_mut() {
                table.used -= retain_chain(bucket, &mut f);
            }
        }
    }

    /// The bucket at `index` when both tables are laid end to end.
    fn bucket_at(&self, index: usize) -> Option<&Entry<K, V>> {
        let size0 = self.tables[0].size();
        if index < size0 {
            self.tables[0].buckets[index].as_deref()
        } else {
            self.tables[1].buckets[index - size0].as_deref()
        }
    }

    /// A random entry: a random non-empty bucket of either table, then a random chain member.
    /// Entries in longer chains are less likely, as in Redis's `dictGetRandomKey`.
    pub fn random_entry(&self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        // Buckets of the old table below `rehash_idx` are known to be empty.
        let lo = if self.is_rehashing() {
            self.rehash_idx
        } else {
            0
        };
        let span = self.bucket_count() - lo;
        let head = (0..RANDOM_PROBES)
            .find_map(|_| self.bucket_at(lo + fastrand::usize(..span)))
            .or_else(|| {
                let start = fastrand::usize(..span);
                (0..span).find_map(|i| self.bucket_at(lo + (start + i) % span))
            })?;
        let chain_len = std::iter::successors(Some(head), |e| e.next.as_deref()).count();
        let entry = std::iter::successors(Some(head), |e| e.next.as_deref())
            .nth(fastrand::usize(..chain_len))?;
        Some((&entry.key, &entry.val))
    }

    /// Does up to `n` bucket moves of incremental rehash; returns true if more remain.
    pub fn rehash_steps(&mut self, n: usize) -> bool
    where
        K: AsRef<[u8]>,
    {
        if !self.is_rehashing() {
            return false;
        }
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        for _ in 0..n {
            if self.tables[0].used == 0 {
                break;
            }
            // Terminates in bounds: `used > 0` means a non-empty bucket at or after the index.
            while self.tables[0].buckets[self.rehash_idx].is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            self.move_bucket(self.rehash_idx);
            self.rehash_idx += 1;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = mem::take(&mut self.tables[1]);
            self.rehash_idx = 0;
            return false;
        }
        true
    }

    /// Moves every entry of old-table bucket `index` into the new table.
    fn move_bucket(&mut self, index: usize)
    where
        K: AsRef<[u8]>,
    {
        let [from, to] = &mut self.tables;
        let mut chain = from.buckets[index].take();
        while let Some(mut entry) = chain {
            chain = entry.next.take();
            let slot = &mut to.buckets[to.index(hash_key(entry.key.as_ref()))];
            entry.next = slot.take();
            *slot = Some(entry);
            from.used -= 1;
            to.used += 1;
        }
    }

    /// One step per keyed write, so a resize completes within about as many writes as the
    /// table has buckets (Redis's `_dictRehashStep`).
    fn rehash_step(&mut self)
    where
        K: AsRef<[u8]>,
    {
        if self.is_rehashing() {
            self.rehash_steps(1);
        }
    }

    /// Resizes to the smallest power of two ≥ `min_size` (and ≥ 4), starting an incremental
    /// rehash unless the current table is empty. Callers ensure no rehash is in progress.
    fn resize(&mut self, min_size: usize) {
        debug_assert!(!self.is_rehashing());
        let size = min_size
            .max(INITIAL_SIZE)
            .checked_next_power_of_two()
            .unwrap_or(1 << (usize::BITS - 1));
        if size == self.tables[0].size() {
            return;
        }
        let table = Table::with_size(size);
        if self.tables[0].used == 0 {
            self.tables[0] = table;
        } else {
            self.tables[1] = table;
            self.rehash_idx = 0;
        }
    }

    /// Grows at load factor 1, or [`FORCE_RESIZE_RATIO`] while growth is avoided (Redis's
    /// `_dictExpandIfNeeded`); never during a rehash, which is at most a bucket-count of
    /// writes away from finishing.
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let t0 = &self.tables[0];
        if t0.size() == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if t0.used >= t0.size()
            && (!resize_avoided() || t0.used / t0.size() > FORCE_RESIZE_RATIO)
        {
            self.resize(t0.used.saturating_mul(2));
        }
    }

    /// Makes room for `additional` more entries without further growth, unless a rehash is in
    /// progress (then it does nothing). Useful before bulk loads.
    pub fn reserve(&mut self, additional: usize) {
        if self.is_rehashing() {
            return;
        }
        let needed = self.len().saturating_add(additional);
        if needed > self.tables[0].size() {
            self.resize(needed);
        }
    }

    /// Shrinks when under 10% full (Redis's `htNeedsResize`; the cron calls this). An empty
    /// table is freed outright.
    pub fn maybe_shrink(&mut self) {
        if self.is_rehashing() || resize_avoided() {
            return;
        }
        let t0 = &self.tables[0];
        let size = t0.size();
        if size > INITIAL_SIZE && t0.used * 100 / size < MIN_FILL_PERCENT {
            if t0.used == 0 {
                self.tables[0] = Table::default();
            } else {
                self.resize(t0.used);
            }
        }
    }

    /// Tables that may hold entries.
    fn live_tables(&self) -> &[Table<K, V>] {
        let n = if self.is_rehashing() { 2 } else { 1 };
        &self.tables[..n]
    }
}

/// Most keys one [`Dict::prefetch`] call looks at.
pub const PREFETCH_MAX: usize = 32;

/// Asks the CPU to start loading the cache line at `p`; a hint with no effect on results.
#[inline(always)]
fn prefetch_line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    /// Starts loading what lookups of `keys` will touch: first every bucket slot, then the
    /// head entry of every chain. A pipelined batch thus waits for its cache misses in two
    /// overlapped rounds instead of two misses per command one after the other — on a big
    /// table these misses are most of a GET's, SET's or INCR's cost.
    pub fn prefetch(&self, keys: &[&[u8]]) {
        if self.is_empty() {
            return;
        }
        let mut hashes = [0u64; PREFETCH_MAX];
        let n = keys.len().min(PREFETCH_MAX);
        for (h, k) in hashes.iter_mut().zip(keys) {
            *h = hash_key(k);
            for t in self.live_tables() {
                prefetch_line(&t.buckets[t.index(*h)]);
            }
        }
        for &h in &hashes[..n] {
            for t in self.live_tables() {
                if let Some(e) = t.buckets[t.index(h)].as_deref() {
                    prefetch_line(e);
                }
            }
        }
    }

    fn find(&self, key: &[u8]) -> Option<&Entry<K, V>> {
        if self.is_empty() {
            return None;
        }
        let hash = hash_key(key);
        self.live_tables()
            .iter()
            .find_map(|t| find_in_chain(t.buckets[t.index(hash)].as_deref(), key))
    }

    fn find_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry<K, V>> {
        if self.is_empty() {
            return None;
        }
        let n = if self.is_rehashing() { 2 } else { 1 };
        for table in &mut self.tables[..n] {
            let index = table.index(hash);
            let mut link = table.buckets[index].as_deref_mut();
            while let Some(entry) = link {
                if entry.key.as_ref() == key {
                    return Some(entry);
                }
                link = entry.next.as_deref_mut();
            }
        }
        None
    }

    /// Where `key` lives as (table, bucket, depth in chain). A position rather than a reference
    /// so callers can go on to insert when it is absent.
    fn locate(&self, hash: u64, key: &[u8]) -> Option<(usize, usize, usize)> {
        if self.is_empty() {
            return None;
        }
        self.live_tables()
            .iter()
            .enumerate()
            .find_map(|(t, table)| {
                let bucket = table.index(hash);
                std::iter::successors(table.buckets[bucket].as_deref(), |e| e.next.as_deref())
                    .position(|e| e.key.as_ref() == key)
                    .map(|depth| (t, bucket, depth))
            })
    }

    fn entry_at_mut(&mut self, (t, bucket, depth): (usize, usize, usize)) -> &mut Entry<K, V> {
        let mut entry = self.tables[t].buckets[bucket]
            .as_deref_mut()
            .expect("position came from locate");
        for _ in 0..depth {
            entry = entry
                .next
                .as_deref_mut()
                .expect("position came from locate");
        }
        entry
    }

    /// Links a new entry (the key must be absent) and returns its value.
    fn add_new(&mut self, hash: u64, key: K, val: V) -> &mut V {
        self.expand_if_needed();
        let table = &mut self.tables[usize::from(self.is_rehashing())];
        let slot = &mut table.buckets[table.index(hash)];
        let next = slot.take();
        table.used += 1;
        &mut slot.insert(Box::new(Entry { next, key, val })).val
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|e| &e.val)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&K, &V)> {
        self.find(key).map(|e| (&e.key, &e.val))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Also advances a pending rehash by one bucket, like a Redis lookup.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.rehash_step();
        self.find_mut(hash_key(key), key).map(|e| &mut e.val)
    }

    /// The stored key itself, mutably, for keys that carry more than their lookup bytes (a
    /// hash's field-and-value pair). The caller must not change the bytes `as_ref` returns.
    pub fn get_key_mut(&mut self, key: &[u8]) -> Option<&mut K> {
        self.rehash_step();
        self.find_mut(hash_key(key), key).map(|e| &mut e.key)
    }

    /// The stored key for `key` (see [`Dict::get_key_mut`]), or, when absent, inserts
    /// `make_key()`, `make_val()` and returns None: one hash and one lookup either way.
    pub fn get_key_mut_or_insert(
        &mut self,
        key: &[u8],
        make_key: impl FnOnce() -> K,
        make_val: impl FnOnce() -> V,
    ) -> Option<&mut K> {
        self.rehash_step();
        let hash = hash_key(key);
        if let Some(pos) = self.locate(hash, key) {
            return Some(&mut self.entry_at_mut(pos).key);
        }
        let new_key = make_key();
        debug_assert!(new_key.as_ref() == key, "make_key returned a different key");
        self.add_new(hash, new_key, make_val());
        None
    }

    /// Inserts or replaces; on replace the stored key is kept and the old value returned.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        self.rehash_step();
        let hash = hash_key(key.as_ref());
        if let Some(entry) = self.find_mut(hash, key.as_ref()) {
            return Some(mem::replace(&mut entry.val, val));
        }
        self.add_new(hash, key, val);
        None
    }

    /// Returns the value for `key`, inserting `make_key()`, `make_val()` when absent; the bool
    /// is true if it inserted. `make_key()` must return a key whose bytes equal `key`.
    pub fn get_or_insert_with(
        &mut self,
        key: &[u8],
        make_key: impl FnOnce() -> K,
        make_val: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
        self.rehash_step();
        let hash = hash_key(key);
        if let Some(pos) = self.locate(hash, key) {
            return (&mut self.entry_at_mut(pos).val, false);
        }
        let new_key = make_key();
        debug_assert!(new_key.as_ref() == key, "make_key returned a different key");
        (self.add_new(hash, new_key, make_val()), true)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(K, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = hash_key(key);
        let n = if self.is_rehashing() { 2 } else { 1 };
        for table in &mut self.tables[..n] {
            let index = table.index(hash);
            if let Some(entry) = unlink(&mut table.buckets[index], key) {
                table.used -= 1;
                let Entry { key, val, .. } = *entry;
                return Some((key, val));
            }
        }
        None
    }

    /// Visits the bucket(s) named by `cursor` and returns the next cursor (0 when done), with
    /// Redis's guarantee: an entry present from the first call to the last is visited at least
    /// once, however the table is resized in between. Entries may be visited more than once.
    ///
    /// The cursor counts with its bits reversed, so the unvisited buckets of a table are
    /// exactly the expansions (or contractions) of the unvisited buckets of any other size.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        fn visit<K, V>(table: &Table<K, V>, cursor: u64, f: &mut impl FnMut(&K, &V)) {
            let index = cursor as usize & (table.size() - 1);
            let chain = table.buckets[index].as_deref();
            for entry in std::iter::successors(chain, |e| e.next.as_deref()) {
                f(&entry.key, &entry.val);
            }
        }
        /// Increments the masked-in bits of `v` as a bit-reversed number.
        fn next_cursor(v: u64, mask: u64) -> u64 {
            (v | !mask).reverse_bits().wrapping_add(1).reverse_bits()
        }

        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let t0 = &self.tables[0];
            visit(t0, v, &mut f);
            return next_cursor(v, t0.size() as u64 - 1);
        }
        let [mut small, mut large] = [&self.tables[0], &self.tables[1]];
        if small.size() > large.size() {
            mem::swap(&mut small, &mut large);
        }
        let small_mask = small.size() as u64 - 1;
        let large_mask = large.size() as u64 - 1;
        visit(small, v, &mut f);
        // Then every bucket of the larger table that the small bucket expands into.
        loop {
            visit(large, v, &mut f);
            v = next_cursor(v, large_mask);
            if v & (small_mask ^ large_mask) == 0 {
                return v;
            }
        }
    }
}

impl<K: Clone, V: Clone> Clone for Dict<K, V> {
    /// A structural copy (same tables, same rehash progress), so a cursor from the original is
    /// also valid on the copy.
    fn clone(&self) -> Self {
        Dict {
            tables: self.tables.clone(),
            rehash_idx: self.rehash_idx,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<[u8]>, V> Extend<(K, V)> for Dict<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, val) in iter {
            self.insert(key, val);
        }
    }
}

impl<K: AsRef<[u8]>, V> FromIterator<(K, V)> for Dict<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut dict = Dict::new();
        dict.extend(iter);
        dict
    }
}

impl<'a, K, V> IntoIterator for &'a Dict<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut Dict<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K, V> IntoIterator for Dict<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    fn into_iter(mut self) -> IntoIter<K, V> {
        self.drain()
    }
}

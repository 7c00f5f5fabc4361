//! The sorted set type, encoded as Redis 7.0 encodes it:
//!
//! - `listpack` ([`Pack`]): one byte buffer of (member, score) entries in order, while there
//!   are at most `zset-max-listpack-entries` members of at most `zset-max-listpack-value`
//!   bytes. Operations walk it linearly, as Redis's listpack code does.
//! - `skiplist` ([`Sorted`]): a member → score [`Dict`] (O(1) ZSCORE, SCAN cursors for ZSCAN)
//!   beside an order-statistic B+tree ([`Tree`]) of (score, member) for O(log n) rank and range
//!   queries. OBJECT ENCODING still says "skiplist", the name clients and tools know; tree.rs
//!   says why a B+tree does that job here.
//!
//! Order is by score, then member bytes (Redis's `memcmp` order); -0 and 0 compare equal as
//! scores, as with C's `<`. Scores are never NaN. Conversion goes listpack → skiplist as a
//! set grows; only commands that build a new set (ZUNIONSTORE…, loading) choose again.

pub mod pack;
pub mod tree;

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use crate::dict::Dict;
use crate::sbytes::SBytes;
pub use pack::Pack;
pub use tree::Tree;

/// `zset-max-listpack-entries` and `-value` for code with no configuration at hand (the RDB
/// and DUMP loaders); the command layer keeps them in step with CONFIG SET.
pub static MAX_LISTPACK_ENTRIES: AtomicUsize = AtomicUsize::new(128);
pub static MAX_LISTPACK_VALUE: AtomicUsize = AtomicUsize::new(64);

/// The two limits that decide the encoding.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    /// The limits as last published by the configuration.
    pub fn current() -> Limits {
        Limits {
            entries: MAX_LISTPACK_ENTRIES.load(AtomicOrdering::Relaxed),
            value: MAX_LISTPACK_VALUE.load(AtomicOrdering::Relaxed),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 128,
            value: 64,
        }
    }
}

/// (score, member) order.
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

/// The large form: member → score, and the ordered index.
#[derive(Clone, Default)]
pub struct Sorted {
    pub dict: Dict<SBytes, f64>,
    pub tree: Tree,
}

#[derive(Clone)]
pub enum ZSet {
    Pack(Pack),
    Sorted(Box<Sorted>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Pack(Pack::default())
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.range(0, self.len(), false))
            .finish()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .range(0, self.len(), false)
                .zip(other.range(0, other.len(), false))
                .all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

/// Items of a rank range, either direction.
pub enum Range<'a> {
    Pack(std::vec::IntoIter<(f64, &'a [u8])>),
    Tree(tree::Iter<'a>),
}

impl<'a> Iterator for Range<'a> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<(f64, &'a [u8])> {
        match self {
            Range::Pack(it) => it.next(),
            Range::Tree(it) => it.next().map(|(s, m)| (s, &m[..])),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Range::Pack(it) => it.size_hint(),
            Range::Tree(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Range<'_> {}

impl ZSet {
    /// The empty set a ZADD starts (Redis 7.0's `zaddGenericCommand`): listpack unless the
    /// listpack is disabled or the first member is already too long for it.
    pub fn new_for(first_member_len: usize, lim: Limits) -> ZSet {
        if lim.entries == 0 || lim.value < first_member_len {
            ZSet::Sorted(Box::default())
        } else {
            ZSet::Pack(Pack::default())
        }
    }

    /// A set of `items` (any order, distinct members), encoded as Redis encodes the result of
    /// a store command or an RDB load: listpack if it fits both limits.
    pub fn from_items(items: Vec<(f64, SBytes)>, lim: Limits) -> ZSet {
        let max_len = items.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let compact = items.len() <= lim.entries && max_len <= lim.value;
        Self::build(items, compact)
    }

    /// Like [`ZSet::from_items`] for untrusted input (loaders): `None` if a member repeats.
    /// `listpack_source` applies Redis's rule for a loaded listpack, which stays compact on
    /// its entry count alone.
    pub fn from_loaded(
        items: Vec<(f64, SBytes)>,
        lim: Limits,
        listpack_source: bool,
    ) -> Option<ZSet> {
        let mut names: Vec<&SBytes> = items.iter().map(|(_, m)| m).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        Some(if listpack_source {
            let compact = items.len() <= lim.entries;
            Self::build(items, compact)
        } else {
            Self::from_items(items, lim)
        })
    }

    fn build(mut items: Vec<(f64, SBytes)>, compact: bool) -> ZSet {
        items.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
        if compact {
            let mut p = Pack::default();
            for (s, m) in &items {
                p.push_sorted(m, *s);
            }
            p.shrink_to_fit();
            return ZSet::Pack(p);
        }
        let mut dict = Dict::new();
        dict.reserve(items.len());
        for (s, m) in &items {
            dict.insert(m.clone(), *s);
        }
        ZSet::Sorted(Box::new(Sorted {
            dict,
            tree: Tree::from_sorted(items),
        }))
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Pack(p) => p.len(),
            ZSet::Sorted(s) => s.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Pack(_) => "listpack",
            ZSet::Sorted(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Pack(p) => p.score(member),
            ZSet::Sorted(s) => s.dict.get(member).copied(),
        }
    }

    /// Turns a listpack into the large form.
    pub fn to_sorted(&mut self) {
        if let ZSet::Pack(p) = self {
            let items: Vec<(f64, SBytes)> =
                p.iter().map(|e| (e.score, SBytes::new(e.member))).collect();
            let mut dict = Dict::new();
            dict.reserve(items.len() + 1);
            for (s, m) in &items {
                dict.insert(m.clone(), *s);
            }
            *self = ZSet::Sorted(Box::new(Sorted {
                dict,
                tree: Tree::from_sorted(items),
            }));
        }
    }

    /// Inserts a member known to be absent, converting to the large form first when the
    /// listpack would pass a limit (Redis's `zsetAdd`).
    pub fn insert(&mut self, member: &[u8], score: f64, lim: Limits) {
        if let ZSet::Pack(p) = self {
            if p.len() + 1 > lim.entries || member.len() > lim.value {
                self.to_sorted();
            }
        }
        match self {
            ZSet::Pack(p) => p.insert(member, score),
            ZSet::Sorted(s) => {
                let m = SBytes::new(member);
                s.dict.insert(m.clone(), score);
                s.tree.insert(score, m);
            }
        }
    }

    /// Changes the score of a present member from `old` to `new`.
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Pack(p) => {
                p.remove(member);
                p.insert(member, new);
            }
            ZSet::Sorted(s) => {
                if let Some(v) = s.dict.get_mut(member) {
                    *v = new;
                }
                if s.tree.remove(old, member) {
                    s.tree.insert(new, SBytes::new(member));
                }
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Pack(p) => p.remove(member),
            ZSet::Sorted(s) => {
                let (_, score) = s.dict.remove(member)?;
                s.tree.remove(score, member);
                s.dict.maybe_shrink();
                Some(score)
            }
        }
    }

    /// The 0-based rank of `member` in ascending order (or descending with `rev`), and its
    /// score.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<(usize, f64)> {
        let (r, score) = match self {
            ZSet::Pack(p) => p.find(member).map(|(i, e)| (i, e.score))?,
            ZSet::Sorted(s) => {
                let score = *s.dict.get(member)?;
                (s.tree.rank(score, member)?, score)
            }
        };
        Some((if rev { self.len() - 1 - r } else { r }, score))
    }

    /// The item at `rank` (ascending).
    pub fn get(&self, rank: usize) -> Option<(f64, &[u8])> {
        match self {
            ZSet::Pack(p) => p.iter().nth(rank).map(|e| (e.score, e.member)),
            ZSet::Sorted(s) => s.tree.get(rank).map(|(sc, m)| (sc, &m[..])),
        }
    }

    /// `count` items from ascending rank `start`, walking up; with `rev`, from descending
    /// rank `start` walking down.
    pub fn range(&self, start: usize, count: usize, rev: bool) -> Range<'_> {
        let n = self.len();
        if start >= n {
            return Range::Pack(Vec::new().into_iter());
        }
        let count = count.min(n - start);
        match self {
            ZSet::Pack(p) => {
                let mut e = p.entries();
                if rev {
                    e.reverse();
                }
                e.truncate(start + count);
                e.drain(..start);
                Range::Pack(e.into_iter())
            }
            ZSet::Sorted(s) => {
                let mut it = if rev {
                    s.tree.iter_rev_from(n - 1 - start)
                } else {
                    s.tree.iter_from(start)
                };
                it.limit(count);
                Range::Tree(it)
            }
        }
    }

    /// The ranks `lo..hi` of the items past `below_min` (false from the range's start on) and
    /// within `within_max` (true up to its end). A listpack is walked from the first item past
    /// the minimum while items stay within the maximum, as Redis walks it; the tree assumes
    /// both predicates monotone, which they are for score ranges and for lex ranges over
    /// equal scores (the only case Redis defines).
    pub fn span(
        &self,
        below_min: impl Fn(f64, &[u8]) -> bool,
        within_max: impl Fn(f64, &[u8]) -> bool,
    ) -> (usize, usize) {
        match self {
            ZSet::Pack(p) => {
                let mut lo = p.len();
                let mut hi = lo;
                for (i, e) in p.iter().enumerate() {
                    if lo == p.len() {
                        if below_min(e.score, e.member) {
                            continue;
                        }
                        lo = i;
                    }
                    if !within_max(e.score, e.member) {
                        hi = i;
                        break;
                    }
                }
                (lo, hi.max(lo))
            }
            ZSet::Sorted(s) => {
                let lo = s.tree.partition_point(&below_min);
                let hi = s.tree.partition_point(&within_max);
                (lo, hi.max(lo))
            }
        }
    }

    /// Removes the items of ranks `lo..hi` (ascending), returning how many went.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match self {
            ZSet::Pack(p) => p.remove_ranks(lo, hi),
            ZSet::Sorted(s) => {
                let gone: Vec<(f64, SBytes)> = s
                    .tree
                    .iter_from(lo)
                    .take(hi - lo)
                    .map(|(sc, m)| (sc, m.clone()))
                    .collect();
                for (sc, m) in &gone {
                    s.tree.remove(*sc, m);
                    s.dict.remove(m);
                }
                s.dict.maybe_shrink();
            }
        }
        hi - lo
    }

    /// Every (member, score), in order (RDB writing, set operations).
    pub fn iter(&self) -> Range<'_> {
        self.range(0, self.len(), false)
    }

    /// A ZSCAN step: a listpack is returned whole with cursor 0, as in Redis.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Pack(p) => {
                p.iter().for_each(|e| f(e.member, e.score));
                0
            }
            ZSet::Sorted(s) => s.dict.scan(cursor, |m, sc| f(m, *sc)),
        }
    }

    /// The longest member (for choosing the encoding of a copy).
    pub fn max_member_len(&self) -> usize {
        match self {
            ZSet::Pack(p) => p.max_member_len(),
            ZSet::Sorted(s) => s.dict.iter().map(|(m, _)| m.len()).max().unwrap_or(0),
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Pack(p) => p.heap_size(),
            ZSet::Sorted(s) => {
                std::mem::size_of::<Sorted>()
                    + s.dict.overhead_bytes()
                    + s.dict.iter().map(|(m, _)| m.heap_size()).sum::<usize>()
                    + s.tree.heap_size()
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The set type, encoded as Redis 7.0 encodes it (7.0 has no listpack sets; that is 7.2):
//!
//! - `intset` ([`IntSet`]): while every member reads as a 64-bit integer (Redis's `string2ll`
//!   rules: no leading zeros, no '+') and there are at most `set-max-intset-entries` members.
//!   Sorted, so SMEMBERS and friends reply in ascending order, as Redis does.
//! - `hashtable`: the keyspace [`Dict`] otherwise, which gives SSCAN Redis's cursor guarantee.
//!
//! Conversion goes one way, intset → hashtable, as in Redis; only commands that build a new
//! set (SINTERSTORE…, loading) pick the compact form again.

pub mod intset;

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::dict::Dict;
use crate::sbytes::SBytes;
use crate::value::{itoa_buf, parse_i64};
pub use intset::IntSet;

/// `set-max-intset-entries`, for code that has no configuration at hand (the RDB and DUMP
/// loaders). The command layer keeps it in step with CONFIG SET.
pub static MAX_INTSET_ENTRIES: AtomicUsize = AtomicUsize::new(512);

pub fn max_intset_entries() -> usize {
    MAX_INTSET_ENTRIES.load(Ordering::Relaxed)
}

#[derive(Clone, Debug)]
pub enum Set {
    Ints(IntSet),
    Table(Dict<SBytes, ()>),
}

/// A member as stored: an integer of an intset, or the bytes of a hashtable member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes; integers are formatted into `buf`.
    pub fn bytes<'b>(&'b self, buf: &'b mut itoa_buf::Buf) -> &'b [u8] {
        match self {
            Member::Int(n) => buf.format(*n),
            Member::Bytes(b) => b,
        }
    }

    pub fn to_sbytes(self) -> SBytes {
        let mut buf = itoa_buf::Buf::default();
        SBytes::new(self.bytes(&mut buf))
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(IntSet::default())
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_member(m))
    }
}

impl Set {
    /// The empty set a first member starts (Redis's `setTypeCreate`): an intset if that member
    /// is an integer, else a hashtable.
    pub fn new_for(first: &[u8]) -> Set {
        match parse_i64(first) {
            Some(_) => Set::Ints(IntSet::default()),
            None => Set::Table(Dict::new()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Adds `m`; true if it was not there. An intset turns into a hashtable when `m` is not an
    /// integer or the count passes `max_intset`.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let Set::Ints(s) = self {
            match parse_i64(m) {
                Some(n) => {
                    if !s.insert(n) {
                        return false;
                    }
                    if s.len() > max_intset {
                        self.to_table(0);
                    }
                    return true;
                }
                None => self.to_table(1),
            }
        }
        match self {
            Set::Table(d) => {
                let (_, added) = d.get_or_insert_with(m, || SBytes::new(m), || ());
                added
            }
            Set::Ints(_) => unreachable!("converted above"),
        }
    }

    /// Adds a member already known to be absent from a hashtable set, or any member of an
    /// intset (loaders and set operations building a new set).
    pub fn add_member(&mut self, m: Member, max_intset: usize) -> bool {
        match (m, &mut *self) {
            (Member::Int(n), Set::Ints(s)) => {
                let added = s.insert(n);
                if s.len() > max_intset {
                    self.to_table(0);
                }
                added
            }
            (m, _) => {
                let mut buf = itoa_buf::Buf::default();
                let b = m.bytes(&mut buf);
                self.add(b, max_intset)
            }
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(m).is_some_and(|n| s.remove(n)),
            Set::Table(d) => {
                let gone = d.remove(m).is_some();
                if gone {
                    d.maybe_shrink();
                }
                gone
            }
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(m).is_some_and(|n| s.contains(n)),
            Set::Table(d) => d.contains_key(m),
        }
    }

    pub fn contains_member(&self, m: Member) -> bool {
        match (self, m) {
            (Set::Ints(s), Member::Int(n)) => s.contains(n),
            (_, Member::Bytes(b)) => self.contains(b),
            (Set::Table(d), Member::Int(n)) => {
                let mut buf = itoa_buf::Buf::default();
                d.contains_key(buf.format(n))
            }
        }
    }

    /// Every member: ascending for an intset, table order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(s) => Iter::Ints(s, 0),
            Set::Table(d) => Iter::Table(d.iter()),
        }
    }

    /// A random member (uniform for an intset; a random bucket then a random chain entry for
    /// a hashtable, as Redis's `dictGetRandomKey`).
    pub fn random(&self) -> Option<Member<'_>> {
        match self {
            Set::Ints(s) if s.is_empty() => None,
            Set::Ints(s) => s.get(fastrand::usize(..s.len())).map(Member::Int),
            Set::Table(d) => d.random_entry().map(|(k, _)| Member::Bytes(k)),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self) -> Option<SBytes> {
        let m = self.random()?.to_sbytes();
        self.remove(&m);
        Some(m)
    }

    /// One SSCAN step: an intset is returned whole with cursor 0, as in Redis.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Member)) -> u64 {
        match self {
            Set::Ints(s) => {
                s.iter().for_each(|n| f(Member::Int(n)));
                0
            }
            Set::Table(d) => d.scan(cursor, |k, _| f(Member::Bytes(k))),
        }
    }

    /// Turns an intset into a hashtable with room for `extra` more members.
    pub fn to_table(&mut self, extra: usize) {
        if let Set::Ints(s) = self {
            let mut d = Dict::new();
            d.reserve(s.len() + extra);
            let mut buf = itoa_buf::Buf::default();
            for n in s.iter() {
                d.insert(SBytes::new(buf.format(n)), ());
            }
            *self = Set::Table(d);
        }
    }

    /// The empty set a loader fills with `count` members (RDB type 2): a hashtable when the
    /// count is already over `max_intset`, as Redis's loader decides, else an intset that
    /// [`Set::add_owned`] converts if a member is not an integer.
    pub fn for_load(count: usize, max_intset: usize) -> Set {
        if count > max_intset {
            let mut d = Dict::new();
            d.reserve(count.min(1 << 20));
            Set::Table(d)
        } else {
            Set::Ints(IntSet::default())
        }
    }

    /// [`Set::add`] for a member already owned (loaders); false if it was there.
    pub fn add_owned(&mut self, m: SBytes, max_intset: usize) -> bool {
        match self {
            Set::Table(d) => d.insert(m, ()).is_none(),
            Set::Ints(_) => self.add(&m, max_intset),
        }
    }

    /// A set of `members`, built as a loader builds it. `None` on a duplicate member.
    pub fn from_members(
        count: usize,
        members: impl IntoIterator<Item = SBytes>,
        max_intset: usize,
    ) -> Option<Set> {
        let mut s = Set::for_load(count, max_intset);
        for m in members {
            if !s.add_owned(m, max_intset) {
                return None;
            }
        }
        Some(s)
    }

    /// A set from an intset blob (RDB type 11), a hashtable if it is over `max_intset`.
    pub fn from_intset_blob(blob: &[u8], max_intset: usize) -> Option<Set> {
        let mut s = Set::Ints(IntSet::from_blob(blob)?);
        if s.len() > max_intset {
            s.to_table(0);
        }
        Some(s)
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Ints(s) => s.heap_size(),
            Set::Table(d) => {
                d.overhead_bytes() + d.iter().map(|(k, _)| k.heap_size()).sum::<usize>()
            }
        }
    }
}

pub enum Iter<'a> {
    Ints(&'a IntSet, usize),
    Table(crate::dict::Iter<'a, SBytes, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(s, i) => {
                let n = s.get(*i)?;
                *i += 1;
                Some(Member::Int(n))
            }
            Iter::Table(it) => it.next().map(|(k, _)| Member::Bytes(k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_sbytes().to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn encodings_follow_redis_rules() {
        let mut s = Set::new_for(b"1");
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"1", 3) && s.add(b"2", 3) && s.add(b"3", 3));
        assert!(!s.add(b"2", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 3), "a fourth member passes the limit");
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(
            members(&s),
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec(), b"4".to_vec()]
        );

        let mut s = Set::new_for(b"7");
        s.add(b"7", 512);
        s.add(b"07", 512);
        assert_eq!(s.encoding(), "hashtable", "leading zero is not an integer");
        assert!(s.contains(b"7") && s.contains(b"07") && !s.contains(b"0"));
        assert_eq!(Set::new_for(b"a").encoding(), "hashtable");
    }

    #[test]
    fn remove_pop_and_equality() {
        let mut s = Set::from_members(3, ["1", "2", "x"].map(SBytes::from), 512).unwrap();
        assert_eq!(s.encoding(), "hashtable");
        let t = Set::from_members(3, ["x", "2", "1"].map(SBytes::from), 512).unwrap();
        assert_eq!(s, t);
        assert!(s.remove(b"x") && !s.remove(b"x"));
        assert_ne!(s, t);
        let p = s.pop_random().unwrap();
        assert!(p.as_bytes() == b"1" || p.as_bytes() == b"2");
        assert_eq!(s.len(), 1);
        assert!(Set::from_members(2, ["1", "1"].map(SBytes::from), 512).is_none());
        let ints = Set::from_members(2, ["5", "-1"].map(SBytes::from), 512).unwrap();
        assert_eq!(ints.encoding(), "intset");
        assert_eq!(
            ints.iter().collect::<Vec<_>>(),
            vec![Member::Int(-1), Member::Int(5)]
        );
    }
}

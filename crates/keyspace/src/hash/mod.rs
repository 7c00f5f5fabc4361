//! The hash type, in Redis 7.0's two encodings:
//!
//! - **listpack**: while the hash has at most `hash-max-listpack-entries` fields and every
//!   field and value written to it is at most `hash-max-listpack-value` bytes, fields and
//!   values alternate as listpack entries in one buffer, in insertion order. Lookups scan it,
//!   as Redis does; the buffer is also the RDB payload.
//! - **hashtable**: beyond either limit the hash converts, for good, to a [`Dict`] of
//!   [`Pair`]s (field and value in one table entry).
//!
//! Conversion follows Redis's `hashTypeSet`: a field or value longer than the value limit
//! converts before it is written, and a field count past the entry limit converts after.

mod pair;
#[cfg(test)]
mod tests;

pub use pair::Pair;

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::dict::Dict;
use crate::listpack::{self as lp, size_class, Encoded, Ent, Needle};

/// `hash-max-listpack-entries` and `-value` for code with no configuration at hand (the RDB
/// and DUMP loaders); the command layer keeps them in step with CONFIG SET.
pub static MAX_LISTPACK_ENTRIES: AtomicUsize = AtomicUsize::new(512);
pub static MAX_LISTPACK_VALUE: AtomicUsize = AtomicUsize::new(64);

/// The conversion thresholds (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    /// The limits as last published by the configuration.
    pub fn current() -> Limits {
        Limits {
            entries: MAX_LISTPACK_ENTRIES.load(Ordering::Relaxed),
            value: MAX_LISTPACK_VALUE.load(Ordering::Relaxed),
        }
    }

    /// Publishes the configured limits for the loaders.
    pub fn publish(self) {
        MAX_LISTPACK_ENTRIES.store(self.entries, Ordering::Relaxed);
        MAX_LISTPACK_VALUE.store(self.value, Ordering::Relaxed);
    }
}

impl Default for Limits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        Limits {
            entries: 512,
            value: 64,
        }
    }
}

#[derive(Clone)]
enum Repr {
    /// Listpack entries: field, value, field, value…; `pairs` fields.
    Pack { entries: Vec<u8>, pairs: usize },
    /// Boxed so a small hash (the common case) stays a 32-byte allocation.
    Table(Box<Dict<Pair, ()>>),
}

#[derive(Clone)]
pub struct Hash(Repr);

impl Default for Hash {
    fn default() -> Self {
        Hash(Repr::Pack {
            entries: Vec::new(),
            pairs: 0,
        })
    }
}

/// Where a field sits in the listpack: field start, value start, value end.
type PackPos = (usize, usize, usize);

fn pack_find(entries: &[u8], field: &[u8]) -> Option<PackPos> {
    let needle = Needle::new(field);
    let mut pos = 0;
    while pos < entries.len() {
        let (f, vstart) = lp::next(entries, pos);
        let vend = lp::skip(entries, vstart);
        if f.matches(&needle) {
            return Some((pos, vstart, vend));
        }
        pos = vend;
    }
    None
}

/// Makes room for `n` more bytes, growing to the next size class.
fn reserve(v: &mut Vec<u8>, n: usize) {
    if v.capacity() - v.len() < n {
        let want = size_class(v.len() + n);
        v.reserve_exact(want - v.len());
    }
}

impl Hash {
    pub fn new() -> Self {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Pack { pairs, .. } => *pairs,
            Repr::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Pack { .. } => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn is_packed(&self) -> bool {
        matches!(self.0, Repr::Pack { .. })
    }

    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Pack { entries, .. } => entries.capacity(),
            Repr::Table(d) => {
                d.overhead_bytes() + d.iter().map(|(p, _)| p.heap_size()).sum::<usize>()
            }
        }
    }

    /// What Redis 7.0's MEMORY USAGE counts for this hash beside the object header: its
    /// listpack allocation; or the dict (56 bytes), its buckets, and, averaged over the first
    /// `samples` fields (all when 0), a table entry and two sds strings, times the fields.
    pub fn redis_usage(&self, samples: usize) -> usize {
        match &self.0 {
            Repr::Pack { entries, .. } => size_class(entries.len() + lp::BLOB_OVERHEAD),
            Repr::Table(d) => {
                let n = d.len();
                let take = if samples == 0 { n } else { samples.min(n) };
                let sampled: usize = d
                    .iter()
                    .take(take)
                    .map(|(p, _)| {
                        24 + lp::sds_alloc(p.field().len()) + lp::sds_alloc(p.value().len())
                    })
                    .sum();
                let per = if take == 0 {
                    0.0
                } else {
                    sampled as f64 / take as f64
                };
                56 + 8 * d.bucket_count() + (per * n as f64) as usize
            }
        }
    }

    /// The listpack entries and field count, when in the compact encoding (RDB writing).
    pub fn packed(&self) -> Option<(&[u8], usize)> {
        match &self.0 {
            Repr::Pack { entries, pairs } => Some((entries, *pairs)),
            Repr::Table(_) => None,
        }
    }

    /// A compact hash from validated listpack entries (field, value… with distinct fields).
    pub fn from_packed(entries: Vec<u8>, pairs: usize) -> Hash {
        Hash(Repr::Pack { entries, pairs })
    }

    pub fn get(&self, field: &[u8]) -> Option<Ent<'_>> {
        match &self.0 {
            Repr::Pack { entries, .. } => {
                let (_, v, _) = pack_find(entries, field)?;
                Some(lp::next(entries, v).0)
            }
            Repr::Table(d) => d.get_key_value(field).map(|(p, _)| Ent::Str(p.value())),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.0 {
            Repr::Pack { entries, .. } => pack_find(entries, field).is_some(),
            Repr::Table(d) => d.contains_key(field),
        }
    }

    /// Sets a field (Redis's `hashTypeSet`); true if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        let too_long = |n: usize| n > limits.value || n > lp::MAX_STRING;
        if self.is_packed() && (too_long(field.len()) || too_long(value.len())) {
            self.convert();
        }
        match &mut self.0 {
            Repr::Pack { entries, pairs } => {
                let ev = Encoded::new(value);
                if let Some((_, vstart, vend)) = pack_find(entries, field) {
                    lp::replace_in(entries, vstart, vend, &ev);
                    return false;
                }
                let ef = Encoded::new(field);
                reserve(entries, ef.len() + ev.len());
                ef.append_to(entries);
                ev.append_to(entries);
                *pairs += 1;
                if *pairs > limits.entries {
                    self.convert();
                }
                true
            }
            Repr::Table(d) => {
                match d.get_key_mut_or_insert(field, || Pair::new(field, value), || ()) {
                    Some(p) => {
                        p.set_value(value);
                        false
                    }
                    None => true,
                }
            }
        }
    }

    /// Removes a field; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Pack { entries, pairs } => {
                let Some((start, _, end)) = pack_find(entries, field) else {
                    return false;
                };
                entries.drain(start..end);
                *pairs -= 1;
                let want = size_class(entries.len().max(1));
                if entries.capacity() > want * 2 {
                    entries.shrink_to(want);
                }
                true
            }
            Repr::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Converts to the hashtable encoding.
    pub fn convert(&mut self) {
        if let Repr::Pack { entries, pairs } = &self.0 {
            let mut d = Dict::new();
            d.reserve(*pairs);
            let mut fb = crate::value::itoa_buf::Buf::default();
            let mut vb = crate::value::itoa_buf::Buf::default();
            for (f, v) in pack_iter(entries) {
                d.insert(Pair::new(f.bytes(&mut fb), v.bytes(&mut vb)), ());
            }
            self.0 = Repr::Table(Box::new(d));
        }
    }

    /// Every field and value: listpack order, or table order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Pack { entries, .. } => Iter::Pack(pack_iter(entries)),
            Repr::Table(d) => Iter::Table(d.iter()),
        }
    }

    /// A random field and value (HRANDFIELD); None when empty.
    pub fn random(&self) -> Option<(Ent<'_>, Ent<'_>)> {
        match &self.0 {
            Repr::Pack { pairs, .. } if *pairs == 0 => None,
            Repr::Pack { pairs, .. } => self.iter().nth(fastrand::usize(..*pairs)),
            Repr::Table(d) => d
                .random_entry()
                .map(|(p, _)| (Ent::Str(p.field()), Ent::Str(p.value()))),
        }
    }

    /// One step of HSCAN over the hashtable encoding: visits the bucket(s) of `cursor` and
    /// returns the next cursor. A compact hash is visited whole, returning 0.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Ent<'_>, Ent<'_>)) -> u64 {
        match &self.0 {
            Repr::Pack { entries, .. } => {
                for (k, v) in pack_iter(entries) {
                    f(k, v);
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, |p, _| f(Ent::Str(p.field()), Ent::Str(p.value()))),
        }
    }
}

fn pack_iter(entries: &[u8]) -> PackIter<'_> {
    PackIter { entries, pos: 0 }
}

pub struct PackIter<'a> {
    entries: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (Ent<'a>, Ent<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.entries.len() {
            return None;
        }
        let (f, p) = lp::next(self.entries, self.pos);
        let (v, p) = lp::next(self.entries, p);
        self.pos = p;
        Some((f, v))
    }
}

/// Fields and values of either encoding.
pub enum Iter<'a> {
    Pack(PackIter<'a>),
    Table(crate::dict::Iter<'a, Pair, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Ent<'a>, Ent<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(i) => i.next(),
            Iter::Table(i) => i
                .next()
                .map(|(p, _)| (Ent::Str(p.field()), Ent::Str(p.value()))),
        }
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values, whatever the encoding or order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().all(|(f, v)| {
                other
                    .get(&f.to_vec())
                    .is_some_and(|w| w.to_vec() == v.to_vec())
            })
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k.to_vec()).into_owned(),
                    String::from_utf8_lossy(&v.to_vec()).into_owned(),
                )
            }))
            .finish()
    }
}

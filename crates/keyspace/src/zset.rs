//! The sorted set type. (Representation owned by the collections work: listpack-like form
//! below `zset-max-listpack-entries`/`-value`, a rank-indexed ordered structure plus a dict
//! above, so ZRANK and ranged ZRANGE are O(log n) as Redis documents.)

use crate::sbytes::SBytes;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSet {
    /// Members ordered by (score, member).
    pub entries: Vec<(f64, SBytes)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }

    pub fn heap_size(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(f64, SBytes)>()
            + self
                .entries
                .iter()
                .map(|(_, m)| m.heap_size())
                .sum::<usize>()
    }
}

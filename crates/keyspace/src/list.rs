//! The list type. (Representation owned by the collections work: a quicklist-like sequence
//! of compact nodes is the target, for Redis's memory per element and O(1) ends.)

use std::collections::VecDeque;

use crate::sbytes::SBytes;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {
    pub items: VecDeque<SBytes>,
}

impl List {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn heap_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<SBytes>()
            + self.items.iter().map(|s| s.heap_size()).sum::<usize>()
    }
}

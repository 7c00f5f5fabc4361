//! The set type. (Representation owned by the collections work: an intset-like sorted
//! integer array below `set-max-intset-entries`, a dict above, as Redis 7.0 does.)

use crate::dict::Dict;
use crate::sbytes::SBytes;

#[derive(Clone, Debug, Default)]
pub struct Set {
    pub members: Dict<SBytes, ()>,
}

impl PartialEq for Set {
    fn eq(&self, other: &Self) -> bool {
        self.members.len() == other.members.len()
            && self
                .members
                .iter()
                .all(|(k, _)| other.members.contains_key(k))
    }
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }

    pub fn heap_size(&self) -> usize {
        self.members.overhead_bytes()
            + self
                .members
                .iter()
                .map(|(k, _)| k.heap_size())
                .sum::<usize>()
    }
}

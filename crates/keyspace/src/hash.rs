//! The hash type. (Representation owned by the collections work: listpack-like compact
//! form below `hash-max-listpack-entries`/`-value`, a dict above, as Redis does.)

use crate::dict::Dict;
use crate::sbytes::SBytes;

#[derive(Clone, Debug, Default)]
pub struct Hash {
    pub fields: Dict<SBytes, SBytes>,
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.fields.len() == other.fields.len()
            && self
                .fields
                .iter()
                .all(|(k, v)| other.fields.get(k) == Some(v))
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }

    pub fn heap_size(&self) -> usize {
        self.fields.overhead_bytes()
            + self
                .fields
                .iter()
                .map(|(k, v)| k.heap_size() + v.heap_size())
                .sum::<usize>()
    }
}

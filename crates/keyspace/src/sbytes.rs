//! `SBytes`: an immutable byte string in 24 bytes that keeps up to 22 bytes inline.
//!
//! Keys and small string values are the bulk of a Redis dataset; storing them inline saves an
//! allocation and its allocator overhead per key, which is how Redoubt stays under Redis's
//! memory per key. Longer strings live in one boxed slice.

use std::fmt;
use std::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

/// A compact, immutable byte string.
#[derive(Clone)]
pub struct SBytes(Repr);

impl SBytes {
    pub fn new(b: &[u8]) -> Self {
        if b.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..b.len()].copy_from_slice(b);
            SBytes(Repr::Inline {
                len: b.len() as u8,
                data,
            })
        } else {
            SBytes(Repr::Heap(b.into()))
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(b) => b,
        }
    }

    /// Bytes allocated on the heap for the contents (0 when inline).
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(b) => b.len(),
        }
    }

    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for SBytes {
    fn default() -> Self {
        SBytes::new(b"")
    }
}

impl From<Vec<u8>> for SBytes {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE {
            SBytes::new(&v)
        } else {
            SBytes(Repr::Heap(v.into_boxed_slice()))
        }
    }
}

impl From<&[u8]> for SBytes {
    fn from(v: &[u8]) -> Self {
        SBytes::new(v)
    }
}

impl From<&str> for SBytes {
    fn from(v: &str) -> Self {
        SBytes::new(v.as_bytes())
    }
}

impl Deref for SBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for SBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for SBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SBytes {}

impl PartialOrd for SBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for SBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for SBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_24_bytes_and_round_trips() {
        assert_eq!(std::mem::size_of::<SBytes>(), 24);
        for n in [0, 1, 22, 23, 100] {
            let v = vec![7u8; n];
            let s = SBytes::new(&v);
            assert_eq!(&*s, &v[..]);
            assert_eq!(s.is_inline(), n <= 22);
            assert_eq!(SBytes::from(v.clone()), s);
        }
    }
}

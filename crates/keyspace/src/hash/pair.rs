//! `Pair`: one field and its value in a single 40-byte key of the hash table, so a field of
//! a large hash costs one 48-byte table entry (next pointer + pair) when field and value
//! together fit 37 bytes, instead of an entry plus two strings as in Redis.

use std::fmt;

const INLINE: usize = 37;

#[derive(Clone)]
enum Repr {
    Inline {
        flen: u8,
        vlen: u8,
        data: [u8; INLINE],
    },
    /// Field then value in one allocation; `flen` splits them.
    Heap { flen: u32, data: Box<[u8]> },
}

/// A hash field with its value. Looks up (and hashes) by the field alone.
#[derive(Clone)]
pub struct Pair(Repr);

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let (f, v) = (field.len(), value.len());
        if f + v <= INLINE {
            let mut data = [0u8; INLINE];
            data[..f].copy_from_slice(field);
            data[f..f + v].copy_from_slice(value);
            Pair(Repr::Inline {
                flen: f as u8,
                vlen: v as u8,
                data,
            })
        } else {
            let mut data = Vec::with_capacity(f + v);
            data.extend_from_slice(field);
            data.extend_from_slice(value);
            Pair(Repr::Heap {
                flen: f as u32,
                data: data.into_boxed_slice(),
            })
        }
    }

    pub fn field(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { flen, data, .. } => &data[..*flen as usize],
            Repr::Heap { flen, data } => &data[..*flen as usize],
        }
    }

    pub fn value(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { flen, vlen, data } => {
                &data[*flen as usize..*flen as usize + *vlen as usize]
            }
            Repr::Heap { flen, data } => &data[*flen as usize..],
        }
    }

    /// Replaces the value, keeping the field.
    pub fn set_value(&mut self, value: &[u8]) {
        if let Repr::Inline { flen, vlen, data } = &mut self.0 {
            let f = *flen as usize;
            if f + value.len() <= INLINE {
                data[f..f + value.len()].copy_from_slice(value);
                *vlen = value.len() as u8;
                return;
            }
        }
        *self = Pair::new(self.field(), value);
    }

    /// Bytes allocated outside the pair itself.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap { data, .. } => data.len(),
        }
    }
}

impl AsRef<[u8]> for Pair {
    fn as_ref(&self) -> &[u8] {
        self.field()
    }
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}={:?}",
            String::from_utf8_lossy(self.field()),
            String::from_utf8_lossy(self.value())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_bytes_and_round_trips() {
        assert_eq!(std::mem::size_of::<Pair>(), 40);
        for (f, v) in [(0, 0), (10, 27), (37, 0), (20, 20), (100, 3)] {
            let (field, value) = (vec![b'f'; f], vec![b'v'; v]);
            let mut p = Pair::new(&field, &value);
            assert_eq!((p.field(), p.value()), (&field[..], &value[..]));
            for nv in [0, 5, 17, 40, 300] {
                let value = vec![b'w'; nv];
                p.set_value(&value);
                assert_eq!((p.field(), p.value()), (&field[..], &value[..]));
            }
        }
    }
}

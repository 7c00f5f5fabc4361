//! `IntSet`: a sorted array of distinct integers stored at the narrowest width (16, 32 or 64
//! bits) that holds them all, like Redis's intset. A set of small integers costs 2 bytes per
//! member; lookups are binary searches; the width only grows (an insert that does not fit
//! widens every element), never shrinks, as in Redis.

/// The integers, at one width for all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntSet {
    W16(Vec<i16>),
    W32(Vec<i32>),
    W64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::W16(Vec::new())
    }
}

/// Grows `v` by one slot with little slack: small sets stay compact (Redis reallocates its
/// intset to the exact size on every insert), large ones still grow geometrically enough.
fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        let extra = (v.len() / 8).max(1);
        v.reserve_exact(extra);
    }
}

fn insert_sorted<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(_) => false,
        Err(pos) => {
            reserve_one(v);
            v.insert(pos, x);
            true
        }
    }
}

fn remove_sorted<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(pos) => {
            v.remove(pos);
            true
        }
        Err(_) => false,
    }
}

impl IntSet {
    pub fn len(&self) -> usize {
        match self {
            IntSet::W16(v) => v.len(),
            IntSet::W32(v) => v.len(),
            IntSet::W64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element (2, 4 or 8): the encoding Redis's intset header records.
    pub fn width(&self) -> usize {
        match self {
            IntSet::W16(_) => 2,
            IntSet::W32(_) => 4,
            IntSet::W64(_) => 8,
        }
    }

    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            IntSet::W16(v) => v.get(i).map(|&x| x as i64),
            IntSet::W32(v) => v.get(i).map(|&x| x as i64),
            IntSet::W64(v) => v.get(i).copied(),
        }
    }

    pub fn contains(&self, x: i64) -> bool {
        match self {
            IntSet::W16(v) => i16::try_from(x).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::W32(v) => i32::try_from(x).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::W64(v) => v.binary_search(&x).is_ok(),
        }
    }

    /// Adds `x`; false if it was already there.
    pub fn insert(&mut self, x: i64) -> bool {
        self.widen_for(x);
        match self {
            IntSet::W16(v) => insert_sorted(v, x as i16),
            IntSet::W32(v) => insert_sorted(v, x as i32),
            IntSet::W64(v) => insert_sorted(v, x),
        }
    }

    pub fn remove(&mut self, x: i64) -> bool {
        match self {
            IntSet::W16(v) => i16::try_from(x).is_ok_and(|x| remove_sorted(v, x)),
            IntSet::W32(v) => i32::try_from(x).is_ok_and(|x| remove_sorted(v, x)),
            IntSet::W64(v) => remove_sorted(v, x),
        }
    }

    /// Removes and returns the element at index `i`.
    pub fn remove_at(&mut self, i: usize) -> Option<i64> {
        if i >= self.len() {
            return None;
        }
        Some(match self {
            IntSet::W16(v) => v.remove(i) as i64,
            IntSet::W32(v) => v.remove(i) as i64,
            IntSet::W64(v) => v.remove(i),
        })
    }

    /// Re-encodes every element at the width `x` needs, if wider than the current one.
    fn widen_for(&mut self, x: i64) {
        let need = if i16::try_from(x).is_ok() {
            2
        } else if i32::try_from(x).is_ok() {
            4
        } else {
            8
        };
        if need <= self.width() {
            return;
        }
        let all: Vec<i64> = self.iter().collect();
        *self = if need == 4 {
            IntSet::W32(all.into_iter().map(|x| x as i32).collect())
        } else {
            IntSet::W64(all)
        };
    }

    /// Ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }

    pub fn heap_size(&self) -> usize {
        match self {
            IntSet::W16(v) => v.capacity() * 2,
            IntSet::W32(v) => v.capacity() * 4,
            IntSet::W64(v) => v.capacity() * 8,
        }
    }

    /// Redis's intset blob (RDB type 11): width, count, then the elements, all little-endian.
    pub fn to_blob(&self) -> Vec<u8> {
        let w = self.width();
        let mut out = Vec::with_capacity(8 + w * self.len());
        out.extend_from_slice(&(w as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for x in self.iter() {
            out.extend_from_slice(&x.to_le_bytes()[..w]);
        }
        out
    }

    /// Parses an intset blob, checking what Redis's `intsetValidateIntegrity` checks: a known
    /// width, the exact size, and strictly ascending elements.
    pub fn from_blob(b: &[u8]) -> Option<IntSet> {
        let w = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?) as usize;
        let n = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize;
        if !matches!(w, 2 | 4 | 8) || b.len() - 8 != n.checked_mul(w)? || n == 0 {
            return None;
        }
        let body = &b[8..];
        let read = |i: usize| -> i64 {
            let c = &body[i * w..(i + 1) * w];
            match w {
                2 => i16::from_le_bytes([c[0], c[1]]) as i64,
                4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
                _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
            }
        };
        let vals: Vec<i64> = (0..n).map(read).collect();
        if vals.windows(2).any(|p| p[0] >= p[1]) {
            return None;
        }
        Some(match w {
            2 => IntSet::W16(vals.into_iter().map(|x| x as i16).collect()),
            4 => IntSet::W32(vals.into_iter().map(|x| x as i32).collect()),
            _ => IntSet::W64(vals),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_and_stays_sorted() {
        let mut s = IntSet::default();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(100_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 100_000]);
        assert!(s.contains(-3) && !s.contains(4));
        assert!(s.remove(i64::MIN));
        assert_eq!(s.width(), 8, "never narrows");
        let blob = s.to_blob();
        assert_eq!(IntSet::from_blob(&blob), Some(s));
    }

    #[test]
    fn narrow_sets_answer_wide_queries() {
        let mut s = IntSet::default();
        s.insert(1);
        assert!(!s.contains(1 << 40));
        assert!(!s.remove(1 << 40));
    }

    #[test]
    fn bad_blobs_are_refused() {
        assert!(IntSet::from_blob(b"").is_none());
        let mut b = IntSet::W16(vec![1, 2]).to_blob();
        b.swap(8, 10);
        assert!(IntSet::from_blob(&b).is_none(), "not ascending");
        let mut b = IntSet::W16(vec![1, 2]).to_blob();
        b.push(0);
        assert!(IntSet::from_blob(&b).is_none(), "wrong size");
        let mut b = IntSet::W16(vec![1]).to_blob();
        b[0] = 3;
        assert!(IntSet::from_blob(&b).is_none(), "bad width");
    }
}

//! The iterators of [`Dict`]: borrowing, mutable and owning (drain).

use std::iter::{Chain, FusedIterator};
use std::{slice, vec};

#[cfg(doc)]
use super::Dict;

/// The old table's buckets, then the new table's.
type BothTables<I> = Chain<I, I>;
use super::{drop_chain, Entry, Link};

/// Borrowing iterator from [`Dict::iter`].
pub struct Iter<'a, K, V> {
    pub(super) buckets: BothTables<slice::Iter<'a, Link<K, V>>>,
    pub(super) cur: Option<&'a Entry<K, V>>,
    pub(super) remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        // Counting lets a sparse table's trailing empty buckets go unvisited.
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(entry) = self.cur {
                self.cur = entry.next.as_deref();
                self.remaining -= 1;
                return Some((&entry.key, &entry.val));
            }
            self.cur = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

/// Iterator with mutable values from [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    pub(super) buckets: BothTables<slice::IterMut<'a, Link<K, V>>>,
    pub(super) cur: Option<&'a mut Entry<K, V>>,
    pub(super) remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(entry) = self.cur.take() {
                let Entry { next, key, val } = entry;
                self.cur = next.as_deref_mut();
                self.remaining -= 1;
                return Some((key, val));
            }
            self.cur = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

/// Owning iterator from [`Dict::drain`] and `Dict::into_iter`.
pub struct IntoIter<K, V> {
    pub(super) buckets: BothTables<vec::IntoIter<Link<K, V>>>,
    pub(super) cur: Link<K, V>,
    pub(super) remaining: usize,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(mut entry) = self.cur.take() {
                self.cur = entry.next.take();
                self.remaining -= 1;
                let Entry { key, val, .. } = *entry;
                return Some((key, val));
            }
            self.cur = self.buckets.next()?;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}
impl<K, V> FusedIterator for IntoIter<K, V> {}

impl<K, V> Drop for IntoIter<K, V> {
    fn drop(&mut self) {
        drop_chain(self.cur.take());
        if self.remaining == 0 {
            return;
        }
        for bucket in &mut self.buckets {
            drop_chain(bucket);
        }
    }
}

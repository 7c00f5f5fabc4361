//! One quicklist node: a run of listpack entries in one buffer, with free room kept at the
//! front as well as at the back so that pushes and pops at either end of the list cost no
//! memmove of the node (Redis moves the whole listpack on every LPUSH).
//!
//! Buffers grow to jemalloc size classes, so the spare room is memory the allocator would
//! round up to anyway; a node that lost much of its content gives the room back.

use crate::listpack::{self as lp, size_class, Encoded, Ent, BLOB_OVERHEAD};

#[derive(Clone, Default)]
pub(crate) struct Node {
    /// `buf[head..]` are the entries; `buf[..head]` is free room for pushes at the front.
    buf: Vec<u8>,
    head: u32,
    count: u32,
}

impl Node {
    /// A node holding `entries` (valid listpack entries, `count` of them).
    pub fn from_entries(entries: Vec<u8>, count: usize) -> Node {
        Node {
            buf: entries,
            head: 0,
            count: count as u32,
        }
    }

    pub fn with_entry(e: &Encoded) -> Node {
        let mut n = Node {
            buf: Vec::with_capacity(size_class(e.len())),
            head: 0,
            count: 0,
        };
        n.push_back(e);
        n
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.head as usize..]
    }

    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// The size of this node as a Redis listpack (header and terminator included): what the
    /// fill rules measure.
    pub fn lp_size(&self) -> usize {
        self.buf.len() - self.head as usize + BLOB_OVERHEAD
    }

    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    pub fn push_back(&mut self, e: &Encoded) {
        let n = e.len();
        if self.buf.capacity() - self.buf.len() < n {
            self.make_back_room(n);
        }
        e.append_to(&mut self.buf);
        self.count += 1;
    }

    fn make_back_room(&mut self, n: usize) {
        let head = self.head as usize;
        let live = self.buf.len() - head;
        if head >= n && head >= live {
            // Mostly free room at the front (a queue drained from there): reuse it.
            self.buf.drain(..head);
            self.head = 0;
            if self.buf.capacity() - self.buf.len() >= n {
                return;
            }
        }
        let want = size_class(self.buf.len() + n);
        self.buf.reserve_exact(want - self.buf.len());
    }

    pub fn push_front(&mut self, e: &Encoded) {
        let n = e.len();
        if (self.head as usize) < n {
            let live = &self.buf[self.head as usize..];
            let cap = size_class(live.len() + n);
            let gap = cap - live.len();
            let mut nb = Vec::with_capacity(cap);
            nb.resize(gap, 0);
            nb.extend_from_slice(live);
            self.buf = nb;
            self.head = gap as u32;
        }
        let h = self.head as usize - n;
        e.write_to(&mut self.buf[h..h + n]);
        self.head = h as u32;
        self.count += 1;
    }

    pub fn first(&self) -> Ent<'_> {
        lp::next(self.bytes(), 0).0
    }

    pub fn last(&self) -> Ent<'_> {
        let b = self.bytes();
        lp::prev(b, b.len()).0
    }

    pub fn pop_front(&mut self) {
        let end = lp::skip(self.bytes(), 0);
        self.head += end as u32;
        self.count -= 1;
        self.give_back_room();
    }

    pub fn pop_back(&mut self) {
        let b = self.bytes();
        let start = lp::prev_start(b, b.len());
        self.buf.truncate(self.head as usize + start);
        self.count -= 1;
        self.give_back_room();
    }

    /// Frees room once more than half the buffer is unused, so a node emptied by pops or
    /// deletes does not keep its peak size; the hysteresis keeps push/pop cycles cheap.
    fn give_back_room(&mut self) {
        let cap = self.buf.capacity();
        let live = self.buf.len() - self.head as usize;
        if cap >= 256 && live < cap / 2 {
            self.compact();
        }
    }

    /// Moves the entries to the start of a buffer of their size class.
    fn compact(&mut self) {
        let head = self.head as usize;
        if head > 0 {
            self.buf.drain(..head);
            self.head = 0;
        }
        let want = size_class(self.buf.len().max(1));
        if self.buf.capacity() > want {
            self.buf.shrink_to(want);
        }
    }

    /// Byte offset of entry `k` (walking from the nearer end).
    pub fn offset_of(&self, k: usize) -> usize {
        let b = self.bytes();
        if k <= self.count() / 2 {
            (0..k).fold(0, |pos, _| lp::skip(b, pos))
        } else {
            (k..self.count()).fold(b.len(), |end, _| lp::prev_start(b, end))
        }
    }

    /// Inserts `e` at byte offset `pos` (an entry boundary).
    pub fn insert_at(&mut self, pos: usize, e: &Encoded) {
        let n = e.len();
        let hole = self.open(pos, n);
        e.write_to(hole);
        self.count += 1;
    }

    /// Opens `n` bytes at entry offset `pos` and returns them.
    fn open(&mut self, pos: usize, n: usize) -> &mut [u8] {
        let old = self.buf.len();
        if self.buf.capacity() - old < n {
            let want = size_class(old + n);
            self.buf.reserve_exact(want - old);
        }
        let abs = self.head as usize + pos;
        self.buf.resize(old + n, 0);
        self.buf.copy_within(abs..old, abs + n);
        &mut self.buf[abs..abs + n]
    }

    /// Replaces the entry at bytes `start..end` with `e`.
    pub fn replace(&mut self, start: usize, end: usize, e: &Encoded) {
        let n = e.len();
        let old = end - start;
        if n > old {
            self.open(end, n - old);
        } else if n < old {
            let abs = self.head as usize;
            self.buf.drain(abs + start + n..abs + end);
        }
        let abs = self.head as usize + start;
        e.write_to(&mut self.buf[abs..abs + n]);
        if n < old {
            self.give_back_room();
        }
    }

    /// Removes the entries at the given byte ranges (ascending, disjoint) in one pass.
    pub fn remove_ranges(&mut self, ranges: &[(usize, usize)]) {
        let Some(&(first, _)) = ranges.first() else {
            return;
        };
        let head = self.head as usize;
        let live_end = self.buf.len() - head;
        let mut w = head + first;
        for (i, &(_, end)) in ranges.iter().enumerate() {
            let keep_to = ranges.get(i + 1).map_or(live_end, |r| r.0);
            self.buf.copy_within(head + end..head + keep_to, w);
            w += keep_to - end;
        }
        self.buf.truncate(w);
        self.count -= ranges.len() as u32;
        self.give_back_room();
    }

    /// Drops the first `k` entries, which end at byte `pos`.
    pub fn cut_front(&mut self, pos: usize, k: usize) {
        self.head += pos as u32;
        self.count -= k as u32;
        self.give_back_room();
    }

    /// Keeps the first `k` entries, which end at byte `pos`.
    pub fn cut_back(&mut self, pos: usize, k: usize) {
        self.buf.truncate(self.head as usize + pos);
        self.count = k as u32;
        self.give_back_room();
    }

    /// Appends another node's entries.
    pub fn append(&mut self, other: Node) {
        let add = other.bytes();
        let len = self.buf.len();
        if self.buf.capacity() - len < add.len() {
            let want = size_class(len - self.head as usize + add.len());
            self.compact();
            self.buf.reserve_exact(want.saturating_sub(self.buf.len()));
        }
        self.buf.extend_from_slice(add);
        self.count += other.count;
    }

    /// Splits at byte `pos` (after `k` entries): this node keeps the front part, the back
    /// part is returned as a new node.
    pub fn split_off(&mut self, pos: usize, k: usize) -> Node {
        let abs = self.head as usize + pos;
        let tail = &self.buf[abs..];
        let mut right = Vec::with_capacity(size_class(tail.len().max(1)));
        right.extend_from_slice(tail);
        let right = Node::from_entries(right, self.count() - k);
        self.cut_back(pos, k);
        self.compact();
        right
    }
}

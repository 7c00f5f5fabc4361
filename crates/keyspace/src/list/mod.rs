//! The list type: a quicklist — a deque of nodes, each a run of listpack entries of at most
//! `list-max-listpack-size` (8 KB by default) — as Redis 7.0 stores every list.
//!
//! Elements cost what they cost in Redis (a 3-byte string is 5 bytes, a small integer 2),
//! pushes and pops at either end are O(1), and index access walks node counts from the
//! nearer end. Nodes fill by Redis's own rule ([`allow_insert`]), so node boundaries, and
//! with them RDB payloads, match Redis's for the same commands.
//!
//! Elements are handed out as [`Ent`] (bytes or an integer) borrowed from the node; callers
//! format integers when they reply.

mod node;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};

use node::Node;

use crate::listpack::{self as lp, Encoded, Ent, Needle};

/// `list-max-listpack-size` for code with no configuration at hand (the RDB and DUMP
/// loaders); the command layer keeps it in step with CONFIG SET.
pub static FILL: AtomicI32 = AtomicI32::new(-2);

/// The fill as last published by the configuration.
pub fn fill() -> i32 {
    FILL.load(Ordering::Relaxed)
}

/// Elements of this size or more get a node of their own (Redis's `packed_threshold`).
const LARGE_ELEMENT: usize = 1 << 30;
/// A node's size limit when the fill counts elements (Redis's `SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Node size limits for fills -1 to -5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// What Redis adds to an element's length to estimate its entry size.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;

/// The fill as Redis's `quicklistSetFill` stores it: -5 to 32767.
fn clamp_fill(fill: i32) -> i32 {
    fill.clamp(-5, 32767)
}

/// Redis's `quicklistNodeExceedsLimit`: would a node of `new_sz` bytes and `new_count`
/// elements be over the limit `fill` sets?
fn exceeds_limit(fill: i32, new_sz: usize, new_count: usize) -> bool {
    let fill = clamp_fill(fill);
    if fill < 0 {
        return new_sz > OPTIMIZATION_LEVEL[(-(fill as i64) - 1) as usize];
    }
    let count_limit = if fill == 0 { 1 } else { fill as usize };
    new_sz > SIZE_SAFETY_LIMIT || new_count > count_limit
}

/// Redis's `_quicklistNodeAllowInsert`: may a value of `sz` bytes join `node`? The entry
/// size is estimated from the raw length, as Redis does.
fn allow_insert(node: &Node, fill: i32, sz: usize) -> bool {
    sz < LARGE_ELEMENT
        && !exceeds_limit(
            fill,
            node.lp_size() + sz + SIZE_ESTIMATE_OVERHEAD,
            node.count() + 1,
        )
}

/// Redis's `_quicklistNodeAllowMerge`.
fn allow_merge(a: &Node, b: &Node, fill: i32) -> bool {
    !exceeds_limit(fill, a.lp_size() + b.lp_size() - 7, a.count() + b.count())
}

#[derive(Clone, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

impl List {
    pub fn new() -> Self {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// OBJECT ENCODING: Redis 7.0 stores every list as a quicklist.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// What Redis 7.0's MEMORY USAGE counts for this list beside the object header: the
    /// quicklist (40 bytes) and, averaged over the first `samples` nodes (all when 0), a
    /// node (40 bytes) and its listpack allocation, times the nodes.
    pub fn redis_usage(&self, samples: usize) -> usize {
        let n = self.nodes.len();
        let take = if samples == 0 { n } else { samples.min(n) }.max(1);
        let sampled: usize = self
            .nodes
            .iter()
            .take(take)
            .map(|node| 40 + crate::listpack::size_class(node.lp_size()))
            .sum();
        40 + (sampled as f64 / take as f64 * n as f64) as usize
    }

    /// The nodes' sizes as listpacks, summed (DEBUG OBJECT's `ql_uncompressed_size`).
    pub fn packed_size(&self) -> usize {
        self.nodes.iter().map(Node::lp_size).sum()
    }

    /// The fill a list stores for `list-max-listpack-size` (DEBUG OBJECT's
    /// `ql_listpack_max`): clamped to -5..=32767 as Redis does.
    pub fn stored_fill(fill: i32) -> i32 {
        clamp_fill(fill)
    }

    /// Number of nodes (DEBUG OBJECT's `ql_nodes`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Each node's entries (valid listpack entries) and count, head to tail: what an RDB
    /// file stores per node.
    pub fn nodes(&self) -> impl Iterator<Item = (&[u8], usize)> + '_ {
        self.nodes.iter().map(|n| (n.bytes(), n.count()))
    }

    /// Appends a whole node of already validated listpack entries (RDB loading).
    pub fn push_node(&mut self, entries: Vec<u8>, count: usize) {
        if count > 0 {
            self.reserve_node();
            self.nodes.push_back(Node::from_entries(entries, count));
            self.len += count;
        }
    }

    /// LPUSH / RPUSH of one value.
    pub fn push(&mut self, v: &[u8], front: bool, fill: i32) {
        let e = Encoded::new(v);
        if front {
            match self.nodes.front_mut() {
                Some(n) if allow_insert(n, fill, v.len()) => n.push_front(&e),
                _ => {
                    self.reserve_node();
                    self.nodes.push_front(Node::with_entry(&e))
                }
            }
        } else {
            match self.nodes.back_mut() {
                Some(n) if allow_insert(n, fill, v.len()) => n.push_back(&e),
                _ => {
                    self.reserve_node();
                    self.nodes.push_back(Node::with_entry(&e))
                }
            }
        }
        self.len += 1;
    }

    /// Room for one more node: exactly one for small lists (most lists have one node),
    /// a quarter more for long ones.
    fn reserve_node(&mut self) {
        let n = self.nodes.len();
        if self.nodes.capacity() == n {
            self.nodes.reserve_exact((n / 4).max(1));
        }
    }

    /// The element at one end.
    pub fn end(&self, front: bool) -> Option<Ent<'_>> {
        if front {
            self.nodes.front().map(Node::first)
        } else {
            self.nodes.back().map(Node::last)
        }
    }

    /// Removes the element at one end, handing it to `f` first; false if the list is empty.
    pub fn pop_with(&mut self, front: bool, f: impl FnOnce(Ent<'_>)) -> bool {
        let Some(node) = (if front {
            self.nodes.front_mut()
        } else {
            self.nodes.back_mut()
        }) else {
            return false;
        };
        f(if front { node.first() } else { node.last() });
        if front {
            node.pop_front();
        } else {
            node.pop_back();
        }
        if node.count() == 0 {
            if front {
                self.nodes.pop_front();
            } else {
                self.nodes.pop_back();
            }
        }
        self.len -= 1;
        true
    }

    /// Removes the element at one end and returns it as bytes.
    pub fn pop(&mut self, front: bool) -> Option<Vec<u8>> {
        let mut out = None;
        self.pop_with(front, |e| out = Some(e.to_vec()));
        out
    }

    /// (node, entry within node) of element `index` (< len), walking from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.len / 2 {
            let mut i = index;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.count() {
                    return (ni, i);
                }
                i -= n.count();
            }
        } else {
            let mut i = self.len - 1 - index;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if i < n.count() {
                    return (ni, n.count() - 1 - i);
                }
                i -= n.count();
            }
        }
        unreachable!("index {index} checked against len {}", self.len)
    }

    /// The element at `index` (0-based from the head).
    pub fn get(&self, index: usize) -> Option<Ent<'_>> {
        if index >= self.len {
            return None;
        }
        let (ni, k) = self.locate(index);
        let node = &self.nodes[ni];
        Some(lp::next(node.bytes(), node.offset_of(k)).0)
    }

    /// LSET: replaces the element at `index`; false if out of range. As in Redis 7.0 the
    /// node may grow past its fill limit.
    pub fn set(&mut self, index: usize, v: &[u8]) -> bool {
        if index >= self.len {
            return false;
        }
        let (ni, k) = self.locate(index);
        let node = &mut self.nodes[ni];
        let start = node.offset_of(k);
        let end = lp::skip(node.bytes(), start);
        node.replace(start, end, &Encoded::new(v));
        true
    }

    /// LINSERT: puts `v` before or after the first element equal to `pivot`; false if there
    /// is none. Where it goes follows Redis's `_quicklistInsert` (into the node, a
    /// neighbour, a new node, or a split node whose pieces are then merged when they fit),
    /// so node boundaries stay Redis's.
    pub fn insert(&mut self, pivot: &Needle, v: &[u8], after: bool, fill: i32) -> bool {
        let Some((ni, k, start, end)) = self.find(pivot) else {
            return false;
        };
        let e = Encoded::new(v);
        let sz = v.len();
        let node = &self.nodes[ni];
        let full = !allow_insert(node, fill, sz);
        let at_tail = after && k == node.count() - 1;
        let at_head = !after && k == 0;
        let avail_next = at_tail
            && self
                .nodes
                .get(ni + 1)
                .is_some_and(|n| allow_insert(n, fill, sz));
        let avail_prev = at_head && ni > 0 && allow_insert(&self.nodes[ni - 1], fill, sz);
        let pos = if after { end } else { start };
        self.len += 1;
        if sz >= LARGE_ELEMENT {
            if at_tail || at_head {
                self.reserve_node();
                self.nodes
                    .insert(if after { ni + 1 } else { ni }, Node::with_entry(&e));
            } else {
                let right = self.nodes[ni].split_off(pos, if after { k + 1 } else { k });
                self.reserve_node();
                self.nodes.insert(ni + 1, right);
                self.reserve_node();
                self.nodes.insert(ni + 1, Node::with_entry(&e));
            }
            return true;
        }
        if !full {
            self.nodes[ni].insert_at(pos, &e);
        } else if at_tail && avail_next {
            self.nodes[ni + 1].push_front(&e);
        } else if at_head && avail_prev {
            self.nodes[ni - 1].push_back(&e);
        } else if at_tail || at_head {
            self.reserve_node();
            self.nodes
                .insert(if after { ni + 1 } else { ni }, Node::with_entry(&e));
        } else if after {
            // The node keeps [0, k]; the rest, led by the value, follows it.
            let mut right = self.nodes[ni].split_off(end, k + 1);
            right.push_front(&e);
            self.reserve_node();
            self.nodes.insert(ni + 1, right);
            self.merge_around(ni, fill);
        } else {
            // The node keeps [k, end]; what came before, then the value, precedes it.
            let right = self.nodes[ni].split_off(start, k);
            let mut left = std::mem::replace(&mut self.nodes[ni], right);
            left.push_back(&e);
            self.reserve_node();
            self.nodes.insert(ni, left);
            self.merge_around(ni + 1, fill);
        }
        true
    }

    /// Redis's `_quicklistMergeNodes`: merges the pairs around node `c` that fit together.
    fn merge_around(&mut self, mut c: usize, fill: i32) {
        if c >= 2 && allow_merge(&self.nodes[c - 1], &self.nodes[c - 2], fill) {
            self.merge_pair(c - 2);
            c -= 1;
        }
        if c + 2 < self.nodes.len() && allow_merge(&self.nodes[c + 1], &self.nodes[c + 2], fill) {
            self.merge_pair(c + 1);
        }
        let target = if c >= 1 && allow_merge(&self.nodes[c], &self.nodes[c - 1], fill) {
            self.merge_pair(c - 1);
            c - 1
        } else {
            c
        };
        if target + 1 < self.nodes.len()
            && allow_merge(&self.nodes[target], &self.nodes[target + 1], fill)
        {
            self.merge_pair(target);
        }
    }

    /// Appends node `i + 1` to node `i`.
    fn merge_pair(&mut self, i: usize) {
        if let Some(next) = self.nodes.remove(i + 1) {
            self.nodes[i].append(next);
        }
    }

    /// The first element equal to `needle`: (node, entry in node, byte start, byte end).
    fn find(&self, needle: &Needle) -> Option<(usize, usize, usize, usize)> {
        for (ni, node) in self.nodes.iter().enumerate() {
            let b = node.bytes();
            let mut pos = 0;
            for k in 0..node.count() {
                let (e, end) = lp::next(b, pos);
                if e.matches(needle) {
                    return Some((ni, k, pos, end));
                }
                pos = end;
            }
        }
        None
    }

    /// LREM: removes up to `limit` elements equal to `needle` (all when 0), scanning from
    /// the tail when `from_tail`; returns how many it removed.
    pub fn remove(&mut self, needle: &Needle, limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut ranges = Vec::new();
        let order: Box<dyn Iterator<Item = usize>> = if from_tail {
            Box::new((0..self.nodes.len()).rev())
        } else {
            Box::new(0..self.nodes.len())
        };
        for ni in order {
            if limit != 0 && removed == limit {
                break;
            }
            ranges.clear();
            let node = &self.nodes[ni];
            let b = node.bytes();
            if from_tail {
                let mut end = b.len();
                while end > 0 && (limit == 0 || removed + ranges.len() < limit) {
                    let (e, start) = lp::prev(b, end);
                    if e.matches(needle) {
                        ranges.push((start, end));
                    }
                    end = start;
                }
                ranges.reverse();
            } else {
                let mut pos = 0;
                while pos < b.len() && (limit == 0 || removed + ranges.len() < limit) {
                    let (e, end) = lp::next(b, pos);
                    if e.matches(needle) {
                        ranges.push((pos, end));
                    }
                    pos = end;
                }
            }
            if !ranges.is_empty() {
                removed += ranges.len();
                self.nodes[ni].remove_ranges(&ranges);
            }
        }
        if removed > 0 {
            self.nodes.retain(|n| n.count() > 0);
            self.len -= removed;
        }
        removed
    }

    /// Removes the first `n` elements.
    pub fn trim_front(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(node) = self.nodes.front_mut() else {
                break;
            };
            if node.count() <= n {
                n -= node.count();
                self.nodes.pop_front();
            } else {
                let pos = node.offset_of(n);
                node.cut_front(pos, n);
                n = 0;
            }
        }
    }

    /// Removes the last `n` elements.
    pub fn trim_back(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(node) = self.nodes.back_mut() else {
                break;
            };
            if node.count() <= n {
                n -= node.count();
                self.nodes.pop_back();
            } else {
                let keep = node.count() - n;
                let pos = node.offset_of(keep);
                node.cut_back(pos, keep);
                n = 0;
            }
        }
    }

    /// Elements from `index` towards the tail.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        if index >= self.len {
            return Iter {
                nodes: &self.nodes,
                node: self.nodes.len(),
                cur: &[],
                pos: 0,
                left: 0,
            };
        }
        let (ni, k) = self.locate(index);
        Iter {
            nodes: &self.nodes,
            node: ni,
            cur: self.nodes[ni].bytes(),
            pos: self.nodes[ni].offset_of(k),
            left: self.len - index,
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements from `index` towards the head.
    pub fn iter_rev_from(&self, index: usize) -> RevIter<'_> {
        if index >= self.len {
            return RevIter {
                nodes: &self.nodes,
                node: 0,
                end: 0,
                left: 0,
            };
        }
        let (ni, k) = self.locate(index);
        let node = &self.nodes[ni];
        RevIter {
            nodes: &self.nodes,
            node: ni,
            end: lp::skip(node.bytes(), node.offset_of(k)),
            left: index + 1,
        }
    }
}

/// Forward iterator over elements.
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    node: usize,
    /// The current node's entries, so each step is one decode.
    cur: &'a [u8],
    pos: usize,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Ent<'a>;

    #[inline]
    fn next(&mut self) -> Option<Ent<'a>> {
        if self.left == 0 {
            return None;
        }
        if self.pos >= self.cur.len() {
            self.node += 1;
            self.cur = self.nodes[self.node].bytes();
            self.pos = 0;
        }
        let (e, next) = lp::next(self.cur, self.pos);
        self.pos = next;
        self.left -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Backward iterator over elements.
pub struct RevIter<'a> {
    nodes: &'a VecDeque<Node>,
    node: usize,
    end: usize,
    left: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Ent<'a>;

    fn next(&mut self) -> Option<Ent<'a>> {
        if self.left == 0 {
            return None;
        }
        if self.end == 0 {
            self.node -= 1;
            self.end = self.nodes[self.node].bytes().len();
        }
        let (e, start) = lp::prev(self.nodes[self.node].bytes(), self.end);
        self.end = start;
        self.left -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|e| String::from_utf8_lossy(&e.to_vec()).into_owned()),
            )
            .finish()
    }
}

impl<A: AsRef<[u8]>> FromIterator<A> for List {
    /// A list of the items, with Redis's default fill (-2).
    fn from_iter<I: IntoIterator<Item = A>>(iter: I) -> Self {
        let mut l = List::new();
        for v in iter {
            l.push(v.as_ref(), false, -2);
        }
        l
    }
}

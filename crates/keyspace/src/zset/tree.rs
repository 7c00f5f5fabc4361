//! `Tree`: an order-statistic B+tree of `(score, member)` items, the ordered half of a large
//! sorted set (the other half is the member → score dict in [`super::Sorted`]).
//!
//! Why a B+tree rather than Redis's skiplist: the skiplist spends a node allocation per
//! member plus 16 bytes per level and chases one pointer per step; here items sit in arrays
//! of up to [`LEAF_MAX`] (32 bytes each, the member inline when ≤ 22 bytes), so memory per
//! member is lower and a search touches four or five cache-friendly nodes for a million
//! members. Every inner node keeps the item count of each child, which makes rank ↔ item in
//! O(log n) — what the skiplist's span counts give Redis (ZRANK, ZRANGE by rank,
//! ZREMRANGEBYRANK).
//!
//! Separators: `seps[j]` is a key no greater than every item of child `j + 1` and greater than
//! every item of child `j`. Deleting items never invalidates a separator, so removals only
//! touch the path. Searches take a monotone predicate over keys ([`Tree::partition_point`]),
//! which serves member lookups, score ranges and lex ranges alike.

use std::cmp::Ordering;

use super::cmp_entry;
use crate::sbytes::SBytes;

/// Items per leaf at most.
pub const LEAF_MAX: usize = 64;
/// Children per inner node at most.
pub const INNER_MAX: usize = 64;
/// Below these a node borrows from or merges with a sibling.
const LEAF_MIN: usize = LEAF_MAX / 4;
const INNER_MIN: usize = INNER_MAX / 4;
/// Bulk-built leaves are left a little room so the first inserts do not split them all.
const BULK_FILL: usize = LEAF_MAX * 7 / 8;

pub type Item = (f64, SBytes);

enum Node {
    Leaf(Vec<Item>),
    Inner(Box<Inner>),
}

struct Inner {
    seps: Vec<Item>,
    children: Vec<Node>,
    counts: Vec<usize>,
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    fn width(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.children.len(),
        }
    }

    fn first(&self) -> Option<&Item> {
        match self {
            Node::Leaf(v) => v.first(),
            Node::Inner(n) => n.children.first()?.first(),
        }
    }
}

fn cmp_items(a: &Item, b: &Item) -> Ordering {
    cmp_entry(a.0, &a.1, b.0, &b.1)
}

/// Leaf vectors grow by a quarter at a time: with jemalloc's size classes that keeps the
/// slack near an eighth of the leaf, where doubling would waste a third on average.
fn grow(v: &mut Vec<Item>) {
    if v.len() == v.capacity() {
        let room = LEAF_MAX.saturating_sub(v.len()).max(1);
        v.reserve_exact((v.len() / 4).max(4).min(room));
    }
}

fn trim(v: &mut Vec<Item>) {
    if v.capacity() > v.len() * 2 + 8 {
        v.shrink_to(v.len() + v.len() / 4);
    }
}

#[derive(Default)]
pub struct Tree {
    root: Option<Node>,
    len: usize,
}

impl Clone for Tree {
    fn clone(&self) -> Self {
        let items: Vec<Item> = self.iter_from(0).map(|(s, m)| (s, m.clone())).collect();
        Tree::from_sorted(items)
    }
}

impl Tree {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many leading items satisfy `pred`, which must be monotone over the key order
    /// (true for a prefix of all possible keys, false after).
    pub fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut acc = 0;
        let mut node = match &self.root {
            Some(n) => n,
            None => return 0,
        };
        loop {
            match node {
                Node::Leaf(v) => return acc + v.partition_point(|(s, m)| pred(*s, m)),
                Node::Inner(n) => {
                    let j = n.seps.partition_point(|(s, m)| pred(*s, m));
                    acc += n.counts[..j].iter().sum::<usize>();
                    node = &n.children[j];
                }
            }
        }
    }

    /// The rank of `(score, member)` if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let r = self.partition_point(|s, m| cmp_entry(s, m, score, member) == Ordering::Less);
        let (s, m) = self.get(r)?;
        (cmp_entry(s, m, score, member) == Ordering::Equal).then_some(r)
    }

    pub fn get(&self, mut rank: usize) -> Option<(f64, &SBytes)> {
        if rank >= self.len {
            return None;
        }
        let mut node = self.root.as_ref()?;
        loop {
            match node {
                Node::Leaf(v) => return v.get(rank).map(|(s, m)| (*s, m)),
                Node::Inner(n) => {
                    let mut j = 0;
                    while j + 1 < n.counts.len() && rank >= n.counts[j] {
                        rank -= n.counts[j];
                        j += 1;
                    }
                    node = &n.children[j];
                }
            }
        }
    }

    /// Inserts an item whose member is not in the tree.
    pub fn insert(&mut self, score: f64, member: SBytes) {
        self.len += 1;
        let root = self.root.get_or_insert_with(|| Node::Leaf(Vec::new()));
        if let Some((sep, right)) = insert_rec(root, (score, member)) {
            let left = self.root.take().unwrap_or(Node::Leaf(Vec::new()));
            let counts = vec![left.count(), right.count()];
            self.root = Some(Node::Inner(Box::new(Inner {
                seps: vec![sep],
                children: vec![left, right],
                counts,
            })));
        }
    }

    /// Removes `(score, member)`; false if absent.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let Some(root) = self.root.as_mut() else {
            return false;
        };
        if !remove_rec(root, score, member) {
            return false;
        }
        self.len -= 1;
        if self.len == 0 {
            self.root = None;
        } else if let Some(Node::Inner(n)) = &mut self.root {
            if n.children.len() == 1 {
                self.root = n.children.pop();
            }
        }
        true
    }

    /// Builds a tree from items already in order, leaves 7/8 full.
    pub fn from_sorted(items: Vec<Item>) -> Tree {
        let len = items.len();
        if len == 0 {
            return Tree::default();
        }
        let mut level: Vec<Node> = Vec::with_capacity(len / BULK_FILL + 1);
        let mut it = items.into_iter();
        for size in even_chunks(len) {
            let mut v = Vec::with_capacity(size + size / 8);
            v.extend(it.by_ref().take(size));
            level.push(Node::Leaf(v));
        }
        while level.len() > 1 {
            let mut up = Vec::with_capacity(level.len() / BULK_FILL + 1);
            let mut it = level.into_iter();
            for size in even_chunks(it.len()) {
                let children: Vec<Node> = it.by_ref().take(size).collect();
                let seps = children[1..]
                    .iter()
                    .filter_map(|c| c.first().cloned())
                    .collect();
                let counts = children.iter().map(Node::count).collect();
                up.push(Node::Inner(Box::new(Inner {
                    seps,
                    children,
                    counts,
                })));
            }
            level = up;
        }
        Tree {
            root: level.pop(),
            len,
        }
    }

    /// Items from rank `rank` upwards.
    pub fn iter_from(&self, rank: usize) -> Iter<'_> {
        Iter {
            cur: Cursor::seek(self, rank),
            forward: true,
            left: self.len.saturating_sub(rank),
        }
    }

    /// Items from rank `rank` downwards (to rank 0).
    pub fn iter_rev_from(&self, rank: usize) -> Iter<'_> {
        let left = if rank < self.len { rank + 1 } else { 0 };
        Iter {
            cur: Cursor::seek(self, rank),
            forward: false,
            left,
        }
    }

    pub fn heap_size(&self) -> usize {
        fn walk(n: &Node) -> usize {
            match n {
                Node::Leaf(v) => {
                    v.capacity() * std::mem::size_of::<Item>()
                        + v.iter().map(|(_, m)| m.heap_size()).sum::<usize>()
                }
                Node::Inner(n) => {
                    std::mem::size_of::<Inner>()
                        + n.seps.capacity() * std::mem::size_of::<Item>()
                        + n.children.capacity() * std::mem::size_of::<Node>()
                        + n.counts.capacity() * std::mem::size_of::<usize>()
                        + n.children.iter().map(walk).sum::<usize>()
                }
            }
        }
        self.root.as_ref().map_or(0, walk)
    }

    /// Checks every structural invariant (tests).
    #[cfg(test)]
    pub fn check(&self) {
        fn walk(n: &Node, lo: Option<&Item>, hi: Option<&Item>, root: bool) -> usize {
            match n {
                Node::Leaf(v) => {
                    assert!(v.len() <= LEAF_MAX);
                    assert!(!v.is_empty());
                    for w in v.windows(2) {
                        assert_eq!(cmp_items(&w[0], &w[1]), Ordering::Less);
                    }
                    if let (Some(lo), Some(f)) = (lo, v.first()) {
                        assert_ne!(cmp_items(lo, f), Ordering::Greater);
                    }
                    if let (Some(hi), Some(l)) = (hi, v.last()) {
                        assert_eq!(cmp_items(l, hi), Ordering::Less);
                    }
                    v.len()
                }
                Node::Inner(n) => {
                    assert_eq!(n.seps.len() + 1, n.children.len());
                    assert_eq!(n.counts.len(), n.children.len());
                    assert!(n.children.len() <= INNER_MAX);
                    assert!(root || n.children.len() >= 2);
                    let mut total = 0;
                    for (j, c) in n.children.iter().enumerate() {
                        let l = if j == 0 { lo } else { Some(&n.seps[j - 1]) };
                        let h = n.seps.get(j).or(hi);
                        let k = walk(c, l, h, false);
                        assert_eq!(k, n.counts[j]);
                        total += k;
                    }
                    total
                }
            }
        }
        match &self.root {
            None => assert_eq!(self.len, 0),
            Some(r) => assert_eq!(walk(r, None, None, true), self.len),
        }
    }
}

/// Chunk sizes of at most [`BULK_FILL`], as even as possible, adding up to `n`.
fn even_chunks(n: usize) -> impl Iterator<Item = usize> {
    let k = n.div_ceil(BULK_FILL).max(1);
    (0..k).map(move |i| n / k + usize::from(i < n % k))
}

/// Splits a full leaf around insert position `pos`: appends and prepends leave the old leaf
/// full (sequential inserts then fill leaves completely); inserts elsewhere split it in half.
fn split_point(pos: usize, len: usize) -> usize {
    if pos == len {
        len
    } else if pos == 0 {
        0
    } else {
        len / 2
    }
}

fn insert_rec(node: &mut Node, item: Item) -> Option<(Item, Node)> {
    match node {
        Node::Leaf(v) => {
            let pos = v.partition_point(|e| cmp_items(e, &item) == Ordering::Less);
            if v.len() < LEAF_MAX {
                grow(v);
                v.insert(pos, item);
                return None;
            }
            let mid = split_point(pos, v.len());
            let mut right = Vec::with_capacity(LEAF_MAX / 2);
            right.extend(v.drain(mid..));
            let into_left = if mid == LEAF_MAX {
                false
            } else {
                mid == 0 || pos <= mid
            };
            if into_left {
                v.insert(pos, item);
            } else {
                right.insert(pos - mid, item);
            }
            // The left half keeps its old buffer: give back what it will not soon need.
            if v.capacity() > v.len() + v.len() / 4 + 4 {
                v.shrink_to(v.len() + v.len() / 4);
            }
            let sep = right.first().cloned()?;
            Some((sep, Node::Leaf(right)))
        }
        Node::Inner(n) => {
            let j = n
                .seps
                .partition_point(|s| cmp_items(s, &item) != Ordering::Greater);
            n.counts[j] += 1;
            let (sep, right) = insert_rec(&mut n.children[j], item)?;
            let rc = right.count();
            n.counts[j] -= rc;
            n.children.insert(j + 1, right);
            n.counts.insert(j + 1, rc);
            n.seps.insert(j, sep);
            if n.children.len() <= INNER_MAX {
                return None;
            }
            // Appends keep the left node full; otherwise halve.
            let m = if j + 2 == n.children.len() {
                INNER_MAX
            } else {
                n.children.len() / 2
            };
            let children: Vec<Node> = n.children.drain(m..).collect();
            let counts: Vec<usize> = n.counts.drain(m..).collect();
            let seps: Vec<Item> = n.seps.drain(m..).collect();
            let up = n.seps.pop()?;
            Some((
                up,
                Node::Inner(Box::new(Inner {
                    seps,
                    children,
                    counts,
                })),
            ))
        }
    }
}

fn remove_rec(node: &mut Node, score: f64, member: &[u8]) -> bool {
    match node {
        Node::Leaf(v) => {
            let pos = v.partition_point(|(s, m)| cmp_entry(*s, m, score, member) == Ordering::Less);
            match v.get(pos) {
                Some((s, m)) if cmp_entry(*s, m, score, member) == Ordering::Equal => {
                    v.remove(pos);
                    trim(v);
                    true
                }
                _ => false,
            }
        }
        Node::Inner(n) => {
            let j = n
                .seps
                .partition_point(|(s, m)| cmp_entry(*s, m, score, member) != Ordering::Greater);
            if !remove_rec(&mut n.children[j], score, member) {
                return false;
            }
            n.counts[j] -= 1;
            let min = match n.children[j] {
                Node::Leaf(_) => LEAF_MIN,
                Node::Inner(_) => INNER_MIN,
            };
            if n.children[j].width() < min && n.children.len() > 1 {
                rebalance(n, j);
            }
            true
        }
    }
}

/// Fixes an underfull child `j` with a neighbour: merge when both fit in one node, else
/// move items (or children) across until the two are even.
fn rebalance(n: &mut Inner, j: usize) {
    let l = if j + 1 < n.children.len() { j } else { j - 1 };
    let r = l + 1;
    let (left_part, right_part) = n.children.split_at_mut(r);
    let (a, b) = (&mut left_part[l], &mut right_part[0]);
    match (a, b) {
        (Node::Leaf(a), Node::Leaf(b)) => {
            if a.len() + b.len() <= LEAF_MAX {
                a.reserve_exact(b.len());
                a.append(b);
                merge_at(n, l);
                return;
            }
            let total = a.len() + b.len();
            if a.len() < b.len() {
                let k = b.len() - total / 2;
                a.extend(b.drain(..k));
            } else {
                let k = a.len() - total / 2;
                let moved: Vec<Item> = a.drain(a.len() - k..).collect();
                b.splice(0..0, moved);
            }
            n.counts[l] = a.len();
            n.counts[r] = b.len();
            if let Some(f) = b.first() {
                n.seps[l] = f.clone();
            }
        }
        (Node::Inner(a), Node::Inner(b)) => {
            if a.children.len() + b.children.len() <= INNER_MAX {
                let sep = n.seps[l].clone();
                a.seps.push(sep);
                a.seps.append(&mut b.seps);
                a.children.append(&mut b.children);
                a.counts.append(&mut b.counts);
                merge_at(n, l);
                return;
            }
            while a.children.len() + 1 < b.children.len() {
                let c = b.children.remove(0);
                let k = b.counts.remove(0);
                let up = b.seps.remove(0);
                a.seps.push(std::mem::replace(&mut n.seps[l], up));
                a.children.push(c);
                a.counts.push(k);
                n.counts[l] += k;
                n.counts[r] -= k;
            }
            while b.children.len() + 1 < a.children.len() {
                let (Some(c), Some(k), Some(down)) =
                    (a.children.pop(), a.counts.pop(), a.seps.pop())
                else {
                    break;
                };
                b.seps.insert(0, std::mem::replace(&mut n.seps[l], down));
                b.children.insert(0, c);
                b.counts.insert(0, k);
                n.counts[l] -= k;
                n.counts[r] += k;
            }
        }
        // Siblings are always at the same depth.
        _ => {}
    }
}

/// Drops child `l + 1` (already merged into `l`) and the separator between them.
fn merge_at(n: &mut Inner, l: usize) {
    n.children.remove(l + 1);
    let k = n.counts.remove(l + 1);
    n.counts[l] += k;
    n.seps.remove(l);
}

/// A position in the tree: the path of inner nodes and the index in the current leaf.
struct Cursor<'a> {
    stack: Vec<(&'a Inner, usize)>,
    leaf: &'a [Item],
    idx: usize,
}

impl<'a> Cursor<'a> {
    fn seek(t: &'a Tree, mut rank: usize) -> Cursor<'a> {
        let mut stack = Vec::new();
        let Some(mut node) = t.root.as_ref() else {
            return Cursor {
                stack,
                leaf: &[],
                idx: 0,
            };
        };
        loop {
            match node {
                Node::Leaf(v) => {
                    return Cursor {
                        stack,
                        leaf: v,
                        idx: rank,
                    }
                }
                Node::Inner(n) => {
                    let mut j = 0;
                    while j + 1 < n.counts.len() && rank >= n.counts[j] {
                        rank -= n.counts[j];
                        j += 1;
                    }
                    stack.push((&**n, j));
                    node = &n.children[j];
                }
            }
        }
    }

    /// Descends from `node` to its first (or last) leaf.
    fn descend(&mut self, mut node: &'a Node, last: bool) {
        loop {
            match node {
                Node::Leaf(v) => {
                    self.leaf = v;
                    self.idx = if last { v.len().saturating_sub(1) } else { 0 };
                    return;
                }
                Node::Inner(n) => {
                    let j = if last { n.children.len() - 1 } else { 0 };
                    self.stack.push((n, j));
                    node = &n.children[j];
                }
            }
        }
    }

    fn next_leaf(&mut self) -> bool {
        while let Some((n, j)) = self.stack.pop() {
            if j + 1 < n.children.len() {
                self.stack.push((n, j + 1));
                self.descend(&n.children[j + 1], false);
                return true;
            }
        }
        false
    }

    fn prev_leaf(&mut self) -> bool {
        while let Some((n, j)) = self.stack.pop() {
            if j > 0 {
                self.stack.push((n, j - 1));
                self.descend(&n.children[j - 1], true);
                return true;
            }
        }
        false
    }
}

/// Walks items forwards or backwards from a rank.
pub struct Iter<'a> {
    cur: Cursor<'a>,
    forward: bool,
    left: usize,
}

impl Iter<'_> {
    /// Stops the walk after at most `n` more items.
    pub fn limit(&mut self, n: usize) {
        self.left = self.left.min(n);
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (f64, &'a SBytes);

    fn next(&mut self) -> Option<(f64, &'a SBytes)> {
        if self.left == 0 {
            return None;
        }
        if self.forward {
            while self.cur.idx >= self.cur.leaf.len() {
                if !self.cur.next_leaf() {
                    self.left = 0;
                    return None;
                }
            }
            let (s, m) = &self.cur.leaf[self.cur.idx];
            self.cur.idx += 1;
            self.left -= 1;
            Some((*s, m))
        } else {
            while self.cur.idx >= self.cur.leaf.len() {
                if !self.cur.prev_leaf() {
                    self.left = 0;
                    return None;
                }
            }
            let (s, m) = &self.cur.leaf[self.cur.idx];
            self.left -= 1;
            if self.cur.idx == 0 {
                // Park past the end so the next call moves to the previous leaf.
                self.cur.idx = usize::MAX;
            } else {
                self.cur.idx -= 1;
            }
            Some((*s, m))
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

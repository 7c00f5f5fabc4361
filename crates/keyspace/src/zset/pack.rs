//! `Pack`: the compact form of a small sorted set (Redis's "listpack" encoding), one byte
//! buffer holding `(member, score)` entries in (score, member) order.
//!
//! An entry is the member's length as a LEB128 varint, the member's bytes, then the score as
//! 8 little-endian bytes. A 10-byte member costs 19 bytes, about what Redis's listpack spends,
//! and a whole small set is one allocation. Every operation is a linear walk, as in Redis:
//! the set is small by construction (`zset-max-listpack-entries`).

use std::cmp::Ordering;

use super::cmp_entry;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pack {
    buf: Vec<u8>,
    len: usize,
}

fn read_varint(b: &[u8], mut at: usize) -> (usize, usize) {
    let mut v = 0usize;
    let mut shift = 0;
    while let Some(&c) = b.get(at) {
        at += 1;
        v |= ((c & 0x7f) as usize) << shift.min(63);
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (v, at)
}

fn write_varint(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let c = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(c);
            return;
        }
        out.push(c | 0x80);
    }
}

/// Redis stores an integral score as a listpack integer, which has no negative zero: -0
/// comes back as 0 from the compact form (and only from it).
fn integral_zero(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

/// One entry seen in place: where it starts and ends in the buffer.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub member: &'a [u8],
    pub score: f64,
    pub start: usize,
    pub end: usize,
}

/// Walks the entries from the start.
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = At<'a>;

    fn next(&mut self) -> Option<At<'a>> {
        if self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let (mlen, p) = read_varint(self.buf, start);
        let member = self.buf.get(p..p + mlen)?;
        let s = self.buf.get(p + mlen..p + mlen + 8)?;
        let score = f64::from_le_bytes(s.try_into().ok()?);
        self.at = p + mlen + 8;
        Some(At {
            member,
            score,
            start,
            end: self.at,
        })
    }
}

impl Pack {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Entries as (score, member), for walks in reverse or by index.
    pub fn entries(&self) -> Vec<(f64, &[u8])> {
        self.iter().map(|e| (e.score, e.member)).collect()
    }

    pub fn find(&self, member: &[u8]) -> Option<(usize, At<'_>)> {
        self.iter().enumerate().find(|(_, e)| e.member == member)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, e)| e.score)
    }

    /// Inserts a member known to be absent, at its place in (score, member) order.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let score = integral_zero(score);
        let at = self
            .iter()
            .find(|e| cmp_entry(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |e| e.start);
        let mut enc = Vec::with_capacity(member.len() + 10);
        write_varint(&mut enc, member.len());
        enc.extend_from_slice(member);
        enc.extend_from_slice(&score.to_le_bytes());
        // Little slack: small sorted sets are many, and their bytes are the point of this form.
        if self.buf.capacity() - self.buf.len() < enc.len() {
            self.buf.reserve_exact(enc.len() + self.buf.len() / 8);
        }
        self.buf.splice(at..at, enc);
        self.len += 1;
    }

    /// Appends an entry that sorts after every other (bulk building in order).
    pub fn push_sorted(&mut self, member: &[u8], score: f64) {
        let score = integral_zero(score);
        write_varint(&mut self.buf, member.len());
        self.buf.extend_from_slice(member);
        self.buf.extend_from_slice(&score.to_le_bytes());
        self.len += 1;
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (_, e) = self.find(member)?;
        let (score, start, end) = (e.score, e.start, e.end);
        self.buf.drain(start..end);
        self.len -= 1;
        Some(score)
    }

    /// Removes the entries of ranks `lo..hi`.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) {
        if lo >= hi {
            return;
        }
        let mut it = self.iter().skip(lo);
        let Some(first) = it.next() else { return };
        let start = first.start;
        let end = it.take(hi - lo - 1).last().map_or(first.end, |e| e.end);
        self.buf.drain(start..end);
        self.len -= hi - lo;
    }

    /// The longest member, for deciding whether the set may stay compact.
    pub fn max_member_len(&self) -> usize {
        self.iter().map(|e| e.member.len()).max().unwrap_or(0)
    }

    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_score_then_member_order() {
        let mut p = Pack::default();
        p.insert(b"b", 1.0);
        p.insert(b"a", 1.0);
        p.insert(b"z", -1.0);
        p.insert(&[b'x'; 200], 5.0);
        assert_eq!(p.len(), 4);
        let e = p.entries();
        assert_eq!(e[0], (-1.0, &b"z"[..]));
        assert_eq!(e[1], (1.0, &b"a"[..]));
        assert_eq!(e[2], (1.0, &b"b"[..]));
        assert_eq!(e[3].1.len(), 200);
        assert_eq!(p.score(b"a"), Some(1.0));
        assert_eq!(p.remove(b"a"), Some(1.0));
        assert_eq!(p.remove(b"a"), None);
        p.remove_ranks(0, 2);
        assert_eq!(p.len(), 1);
        assert_eq!(p.entries()[0].1.len(), 200);
    }
}

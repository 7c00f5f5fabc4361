//! The replication backlog: a fixed-size ring holding the most recent bytes of the write
//! stream, addressed by replication offset, so a replica that reconnects (or follows a newly
//! promoted primary) can continue from its offset instead of copying the whole dataset.

/// A ring buffer of the stream's last `capacity` bytes.
#[derive(Debug, Clone)]
pub struct Backlog {
    buf: Vec<u8>,
    /// Next write position in `buf`.
    idx: usize,
    /// Bytes held (≤ capacity).
    histlen: usize,
    /// Replication offset of the byte after the last one written (master_repl_offset).
    end_offset: i64,
}

impl Backlog {
    /// A backlog of `capacity` bytes whose stream continues from `offset`.
    pub fn new(capacity: usize, offset: i64) -> Backlog {
        Backlog {
            buf: vec![0; capacity.max(1)],
            idx: 0,
            histlen: 0,
            end_offset: offset,
        }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes currently held (INFO repl_backlog_histlen).
    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// The offset just past the newest byte (master_repl_offset).
    pub fn end_offset(&self) -> i64 {
        self.end_offset
    }

    /// The offset of the oldest byte held (INFO repl_backlog_first_byte_offset, 1-based as
    /// Redis reports it is `start_offset() + 1`).
    pub fn start_offset(&self) -> i64 {
        self.end_offset - self.histlen as i64
    }

    /// Appends stream bytes.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.end_offset += data.len() as i64;
        let cap = self.buf.len();
        if data.len() > cap {
            data = &data[data.len() - cap..];
        }
        while !data.is_empty() {
            let n = (cap - self.idx).min(data.len());
            self.buf[self.idx..self.idx + n].copy_from_slice(&data[..n]);
            self.idx = (self.idx + n) % cap;
            self.histlen = (self.histlen + n).min(cap);
            data = &data[n..];
        }
    }

    /// Whether a replica that has processed everything up to `offset` can continue from here.
    pub fn covers(&self, offset: i64) -> bool {
        offset >= self.start_offset() && offset <= self.end_offset
    }

    /// The bytes from `offset` to the end, if the backlog still holds them.
    pub fn since(&self, offset: i64) -> Option<Vec<u8>> {
        if !self.covers(offset) {
            return None;
        }
        let n = (self.end_offset - offset) as usize;
        let cap = self.buf.len();
        let start = (self.idx + cap - n % cap) % cap;
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return Some(out);
        }
        if start + n <= cap {
            out.extend_from_slice(&self.buf[start..start + n]);
        } else {
            out.extend_from_slice(&self.buf[start..]);
            out.extend_from_slice(&self.buf[..n - (cap - start)]);
        }
        Some(out)
    }

    /// Changes the capacity keeping the newest bytes (CONFIG SET repl-backlog-size).
    pub fn resize(&mut self, capacity: usize) {
        let keep = self.since(self.start_offset()).unwrap_or_default();
        let end = self.end_offset;
        *self = Backlog::new(capacity, end - keep.len() as i64);
        self.feed(&keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes_and_answers_by_offset() {
        let mut b = Backlog::new(8, 100);
        b.feed(b"abcde");
        assert_eq!(b.end_offset(), 105);
        assert_eq!(b.since(100).unwrap(), b"abcde");
        assert_eq!(b.since(103).unwrap(), b"de");
        assert_eq!(b.since(105).unwrap(), b"");
        b.feed(b"fghij");
        assert_eq!(b.start_offset(), 102);
        assert!(b.since(101).is_none());
        assert_eq!(b.since(102).unwrap(), b"cdefghij");
        assert!(b.since(111).is_none());
        b.feed(b"0123456789xyz");
        assert_eq!(b.since(b.start_offset()).unwrap(), b"56789xyz");
    }

    #[test]
    fn resize_keeps_what_fits() {
        let mut b = Backlog::new(8, 0);
        b.feed(b"abcdefgh");
        b.resize(4);
        assert_eq!(b.since(4).unwrap(), b"efgh");
        assert_eq!(b.end_offset(), 8);
        b.resize(16);
        b.feed(b"ij");
        assert_eq!(b.since(4).unwrap(), b"efghij");
    }
}

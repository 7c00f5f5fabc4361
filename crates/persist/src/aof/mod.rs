//! The append-only file format: a stream of RESP multibulk commands, optionally preceded by
//! an RDB preamble (a base file written with `aof-use-rdb-preamble yes`) and interleaved with
//! `#` annotation lines (`#TS:<unix time>`). [`CommandReader`] reads it the way Redis 7.0's
//! loader does, one command at a time, keeping the byte offset of the end of the last whole
//! command so a caller can truncate a torn tail there; [`manifest`] is the multi-part AOF's
//! index of files.
//!
//! The reader follows the loader's rules, not a strict RESP parser's: the line that starts a
//! command must begin with `*`, each argument's with `$`, the numbers are read as C's
//! `atoi`/`strtol` would, and the two bytes after an argument are skipped unchecked. Input
//! that ends inside a command is [`ReadError::Truncated`]; anything else malformed is
//! [`ReadError::Format`].

pub mod manifest;

use std::io::{self, BufRead, Read};

/// The longest line the loader reads at once (Redis's `AOF_ANNOTATION_LINE_MAX_LEN`).
pub const LINE_MAX: usize = 1024;

/// A buffered reader that counts the bytes consumed from it.
pub struct Counted<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Counted<R> {
    pub fn new(inner: R) -> Self {
        Counted { inner, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> u64 {
        self.pos
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// One entry of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Command(Vec<Vec<u8>>),
    /// A `#…` line, without its line ending.
    Annotation(Vec<u8>),
}

#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// The input ended inside a command.
    Truncated,
    /// The input is not in the AOF format.
    Format,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Truncated => f.write_str("unexpected end of file"),
            ReadError::Format => f.write_str("bad file format"),
        }
    }
}

/// Reads commands from an AOF stream.
pub struct CommandReader<R> {
    r: Counted<R>,
    line: Vec<u8>,
}

impl<R: BufRead> CommandReader<R> {
    pub fn new(r: Counted<R>) -> Self {
        CommandReader {
            r,
            line: Vec::with_capacity(64),
        }
    }

    /// Bytes consumed so far: after a successful [`Self::next_item`], the end of that item.
    pub fn pos(&self) -> u64 {
        self.r.pos()
    }

    /// The next command or annotation; `Ok(None)` at a clean end of input.
    pub fn next_item(&mut self) -> Result<Option<Item>, ReadError> {
        if !self.read_line()? {
            return Ok(None);
        }
        match self.line.first() {
            Some(b'#') => {
                let mut a = std::mem::take(&mut self.line);
                while matches!(a.last(), Some(b'\n' | b'\r')) {
                    a.pop();
                }
                return Ok(Some(Item::Annotation(a)));
            }
            Some(b'*') => {}
            _ => return Err(ReadError::Format),
        }
        // A lone `*` at the very end is a torn header, not a malformed one.
        if self.line.len() == 1 {
            return Err(ReadError::Truncated);
        }
        let argc = c_atol(&self.line[1..]);
        if argc < 1 {
            return Err(ReadError::Format);
        }
        let mut args = Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            if !self.read_line()? {
                return Err(ReadError::Truncated);
            }
            if self.line.first() != Some(&b'$') {
                return Err(ReadError::Format);
            }
            let len = c_atol(&self.line[1..]);
            if len < 0 {
                return Err(ReadError::Format);
            }
            args.push(self.read_exact_vec(len as u64)?);
            // The line ending after the argument, skipped like Redis skips it.
            self.read_exact_vec(2)?;
        }
        Ok(Some(Item::Command(args)))
    }

    /// Reads one line as `fgets` with a `LINE_MAX` buffer would: up to and including `\n`,
    /// at most `LINE_MAX - 1` bytes. False at the end of input with nothing read.
    fn read_line(&mut self) -> Result<bool, ReadError> {
        self.line.clear();
        while self.line.len() < LINE_MAX - 1 {
            let avail = self.r.fill_buf().map_err(ReadError::Io)?;
            if avail.is_empty() {
                break;
            }
            let room = LINE_MAX - 1 - self.line.len();
            let take = avail.len().min(room);
            match memchr_nl(&avail[..take]) {
                Some(i) => {
                    self.line.extend_from_slice(&avail[..=i]);
                    self.r.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    self.line.extend_from_slice(&avail[..take]);
                    self.r.consume(take);
                }
            }
        }
        Ok(!self.line.is_empty())
    }

    /// Reads exactly `len` bytes without trusting `len` for the allocation.
    fn read_exact_vec(&mut self, len: u64) -> Result<Vec<u8>, ReadError> {
        let mut v = Vec::with_capacity(len.min(1 << 20) as usize);
        let got = (&mut self.r)
            .take(len)
            .read_to_end(&mut v)
            .map_err(ReadError::Io)?;
        if (got as u64) < len {
            return Err(ReadError::Truncated);
        }
        Ok(v)
    }

    /// The underlying reader (to read an RDB preamble before the commands).
    pub fn get_mut(&mut self) -> &mut Counted<R> {
        &mut self.r
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// C's `strtol(s, NULL, 10)`: optional leading whitespace and sign, then digits up to the
/// first non-digit; 0 when there are none. Saturates instead of overflowing.
pub fn c_atol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    if neg {
        -n
    } else {
        n
    }
}

/// Whether a file's first bytes are an RDB signature (a base or old-style preamble AOF).
pub fn is_rdb(head: &[u8]) -> bool {
    head.starts_with(b"REDIS")
}

#[cfg(test)]
mod tests;

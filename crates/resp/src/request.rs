//! Server-side request decoding: RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
//! commands (`GET k\n`, for telnet), following Redis 7.0's `processMultibulkBuffer` and
//! `processInlineBuffer` so that the same bytes give the same commands and the same errors.
//!
//! Check-then-parse: [`parse_request`] looks at the buffer without consuming it and answers
//! "not yet" (`Ok(None)`), one whole request, or the protocol error Redis would report.
//! Multibulk arguments come back as byte ranges into the buffer, so the caller can slice them
//! out of a frozen buffer without copying.

use std::ops::Range;

/// Largest inline request, and largest multibulk or bulk header line still without its `\r`.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// A protocol error: the message after `-ERR ` that Redis sends before closing the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: &str) -> Self {
        ProtocolError(format!("Protocol error: {s}"))
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// Limits that depend on configuration and on the client.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// Whether the client has authenticated; before that Redis accepts only small requests.
    pub authenticated: bool,
    /// A primary's replication stream is trusted with any bulk length.
    pub from_primary: bool,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_bulk_len: 512 * 1024 * 1024,
            authenticated: true,
            from_primary: false,
        }
    }
}

/// One decoded request.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// A multibulk request; its arguments were pushed as ranges. May have zero arguments
    /// (`*0\r\n`, `*-1\r\n`), which the caller skips.
    Multibulk { consumed: usize },
    /// An inline request with its (unquoted) arguments; may be empty (a blank line).
    Inline { consumed: usize, args: Vec<Vec<u8>> },
}

impl Request {
    pub fn consumed(&self) -> usize {
        match self {
            Request::Multibulk { consumed } | Request::Inline { consumed, .. } => *consumed,
        }
    }
}

/// Decodes one request from the start of `buf`. For a multibulk request the argument ranges
/// are appended to `ranges` (which is left untouched when the answer is `Ok(None)` or an error).
pub fn parse_request(
    buf: &[u8],
    limits: &RequestLimits,
    ranges: &mut Vec<Range<usize>>,
) -> Result<Option<Request>, ProtocolError> {
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] == b'*' {
        let start = ranges.len();
        let r = parse_multibulk(buf, limits, ranges);
        if !matches!(r, Ok(Some(_))) {
            ranges.truncate(start);
        }
        r
    } else {
        parse_inline(buf)
    }
}

/// Finds the header line starting at `pos`: returns the index of its `\r`, provided the byte
/// after it is also in the buffer (Redis does not check that it is `\n`).
fn header_end(buf: &[u8], pos: usize) -> Option<usize> {
    let cr = pos + memchr::memchr(b'\r', &buf[pos..])?;
    (cr + 1 < buf.len()).then_some(cr)
}

fn parse_multibulk(
    buf: &[u8],
    limits: &RequestLimits,
    ranges: &mut Vec<Range<usize>>,
) -> Result<Option<Request>, ProtocolError> {
    let Some(cr) = header_end(buf, 0) else {
        if buf.len() > PROTO_INLINE_MAX_SIZE {
            return Err(ProtocolError::new("too big mbulk count string"));
        }
        return Ok(None);
    };
    let count = match crate::parse_i64(&buf[1..cr]) {
        Some(n) if n <= i32::MAX as i64 => n,
        _ => return Err(ProtocolError::new("invalid multibulk length")),
    };
    if !limits.authenticated && count > 10 {
        return Err(ProtocolError::new("unauthenticated multibulk length"));
    }
    let mut pos = cr + 2;
    if count <= 0 {
        return Ok(Some(Request::Multibulk { consumed: pos }));
    }
    for _ in 0..count {
        if pos >= buf.len() {
            return Ok(None);
        }
        let Some(cr) = header_end(buf, pos) else {
            if buf.len() - pos > PROTO_INLINE_MAX_SIZE {
                return Err(ProtocolError::new("too big bulk count string"));
            }
            return Ok(None);
        };
        if buf[pos] != b'$' {
            return Err(ProtocolError(format!(
                "Protocol error: expected '$', got '{}'",
                buf[pos] as char
            )));
        }
        let len = match crate::parse_i64(&buf[pos + 1..cr]) {
            Some(n) if n >= 0 && (limits.from_primary || n <= limits.max_bulk_len) => n as usize,
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        if !limits.authenticated && len > 16384 {
            return Err(ProtocolError::new("unauthenticated bulk length"));
        }
        let data = cr + 2;
        // Redis skips the two bytes after the payload without looking at them.
        if buf.len() < data + len + 2 {
            return Ok(None);
        }
        ranges.push(data..data + len);
        pos = data + len + 2;
    }
    Ok(Some(Request::Multibulk { consumed: pos }))
}

fn parse_inline(buf: &[u8]) -> Result<Option<Request>, ProtocolError> {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        if buf.len() > PROTO_INLINE_MAX_SIZE {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    let args = split_inline_args(line)
        .ok_or_else(|| ProtocolError::new("unbalanced quotes in request"))?;
    Ok(Some(Request::Inline {
        consumed: nl + 1,
        args,
    }))
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// A quoted, escaped form of `b` as Redis's `sdscatrepr` writes it (the inverse of
/// [`split_inline_args`]'s double quotes): MONITOR lines, redis.conf values, AOF manifests.
pub fn repr(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Splits a line into arguments the way Redis's `sdssplitargs` does: white space separates,
/// "double quotes" understand `\n \r \t \b \a \\ \" \xHH`, 'single quotes' only `\'`, and a
/// closing quote must be followed by white space or the end. `None` for unbalanced quotes.
/// A NUL byte ends the line, as it does for the C string Redis scans.
pub fn split_inline_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let end = memchr::memchr(0, line).unwrap_or(line.len());
    let line = &line[..end];
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i == line.len() {
            return Some(args);
        }
        let mut cur = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            if in_dq {
                let c = *line.get(i)?;
                if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(line[i + 2]), hex_val(line[i + 3])) {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                let c = *line.get(i)?;
                if c == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(&c) if is_space(c) => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(&c) => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests;

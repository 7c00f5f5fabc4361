//! A general RESP2/RESP3 value and its decoder, for the client side of the protocol: tests,
//! replicas reading their primary's replies, sentinels reading INFO. Servers decode requests
//! with [`crate::request`] instead, which follows Redis's own (laxer) request rules.

use bytes::{BufMut, Bytes, BytesMut};

/// One RESP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(Bytes),
    Error(Bytes),
    Integer(i64),
    Bulk(Bytes),
    /// `$-1`, `*-1` or RESP3's `_`.
    Null,
    Array(Vec<Frame>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Double(f64),
    Boolean(bool),
    BigNumber(Bytes),
    /// Format (e.g. `txt`) and text.
    Verbatim(Bytes, Bytes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RESP decode error: {}", self.0)
    }
}

impl std::error::Error for FrameError {}

fn bad(s: impl Into<String>) -> FrameError {
    FrameError(s.into())
}

impl Frame {
    /// Decodes one frame from the start of `buf`: `Ok(None)` while incomplete, else the frame
    /// and the number of bytes it used.
    pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let mut pos = 0;
        match decode_at(buf, &mut pos)? {
            Some(f) => Ok(Some((f, pos))),
            None => Ok(None),
        }
    }

    /// Encodes the frame (RESP3 forms where the frame is RESP3-only).
    pub fn encode(&self, out: &mut BytesMut) {
        fn head(out: &mut BytesMut, p: u8, n: usize) {
            out.put_u8(p);
            out.put_slice(n.to_string().as_bytes());
            out.put_slice(b"\r\n");
        }
        match self {
            Frame::Simple(s) => {
                out.put_u8(b'+');
                out.put_slice(s);
                out.put_slice(b"\r\n");
            }
            Frame::Error(s) => {
                out.put_u8(b'-');
                out.put_slice(s);
                out.put_slice(b"\r\n");
            }
            Frame::Integer(n) => {
                out.put_u8(b':');
                out.put_slice(n.to_string().as_bytes());
                out.put_slice(b"\r\n");
            }
            Frame::Bulk(b) => {
                head(out, b'$', b.len());
                out.put_slice(b);
                out.put_slice(b"\r\n");
            }
            Frame::Null => out.put_slice(b"_\r\n"),
            Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => {
                let p = match self {
                    Frame::Array(_) => b'*',
                    Frame::Set(_) => b'~',
                    _ => b'>',
                };
                head(out, p, v.len());
                v.iter().for_each(|f| f.encode(out));
            }
            Frame::Map(v) => {
                head(out, b'%', v.len());
                for (k, val) in v {
                    k.encode(out);
                    val.encode(out);
                }
            }
            Frame::Double(d) => {
                out.put_u8(b',');
                out.put_slice(crate::writer::format_g17(*d).as_bytes());
                out.put_slice(b"\r\n");
            }
            Frame::Boolean(b) => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::BigNumber(n) => {
                out.put_u8(b'(');
                out.put_slice(n);
                out.put_slice(b"\r\n");
            }
            Frame::Verbatim(f, t) => {
                head(out, b'=', f.len() + 1 + t.len());
                out.put_slice(f);
                out.put_u8(b':');
                out.put_slice(t);
                out.put_slice(b"\r\n");
            }
        }
    }

    /// Encodes a command as a multibulk request.
    pub fn command<A: AsRef<[u8]>>(args: &[A]) -> BytesMut {
        let mut out = BytesMut::new();
        out.put_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            let a = a.as_ref();
            out.put_slice(format!("${}\r\n", a.len()).as_bytes());
            out.put_slice(a);
            out.put_slice(b"\r\n");
        }
        out
    }

    /// The bytes of a simple, bulk or verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(b) | Frame::Bulk(b) | Frame::Verbatim(_, b) => Some(b),
            _ => None,
        }
    }
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let nl = memchr::memchr(b'\n', &buf[start..])?;
    let end = start + nl;
    *pos = end + 1;
    Some(
        buf[start..end]
            .strip_suffix(b"\r")
            .unwrap_or(&buf[start..end]),
    )
}

fn int_of(s: &[u8]) -> Result<i64, FrameError> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad integer {:?}", String::from_utf8_lossy(s))))
}

fn decode_at(buf: &[u8], pos: &mut usize) -> Result<Option<Frame>, FrameError> {
    if *pos >= buf.len() {
        return Ok(None);
    }
    let kind = buf[*pos];
    *pos += 1;
    let Some(l) = line(buf, pos) else {
        return Ok(None);
    };
    let text = Bytes::copy_from_slice(l);
    let frame = match kind {
        b'+' => Frame::Simple(text),
        b'-' => Frame::Error(text),
        b':' => Frame::Integer(int_of(l)?),
        b'(' => Frame::BigNumber(text),
        b'#' => Frame::Boolean(l == b"t"),
        b'_' => Frame::Null,
        b',' => Frame::Double(match l {
            b"inf" => f64::INFINITY,
            b"-inf" => f64::NEG_INFINITY,
            _ => std::str::from_utf8(l)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("bad double"))?,
        }),
        b'$' | b'=' => {
            let n = int_of(l)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let n = n as usize;
            if buf.len() < *pos + n + 2 {
                return Ok(None);
            }
            let data = &buf[*pos..*pos + n];
            *pos += n + 2;
            if kind == b'=' {
                if n < 4 {
                    return Err(bad("short verbatim string"));
                }
                Frame::Verbatim(
                    Bytes::copy_from_slice(&data[..3]),
                    Bytes::copy_from_slice(&data[4..]),
                )
            } else {
                Frame::Bulk(Bytes::copy_from_slice(data))
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = int_of(l)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let items = if matches!(kind, b'%' | b'|') {
                2 * n
            } else {
                n
            } as usize;
            let mut v = Vec::with_capacity(items.min(1024));
            for _ in 0..items {
                match decode_at(buf, pos)? {
                    Some(f) => v.push(f),
                    None => return Ok(None),
                }
            }
            match kind {
                b'*' => Frame::Array(v),
                b'~' => Frame::Set(v),
                b'>' => Frame::Push(v),
                b'|' => {
                    // An attribute precedes the real reply; keep the reply.
                    return decode_at(buf, pos);
                }
                _ => {
                    let mut pairs = Vec::with_capacity(v.len() / 2);
                    let mut it = v.into_iter();
                    while let (Some(k), Some(val)) = (it.next(), it.next()) {
                        pairs.push((k, val));
                    }
                    Frame::Map(pairs)
                }
            }
        }
        other => return Err(bad(format!("unexpected type byte {:?}", other as char))),
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_nested_and_incomplete() {
        let data = b"*3\r\n:1\r\n$3\r\nabc\r\n%1\r\n+k\r\n,1.5\r\n";
        let (f, n) = Frame::decode(data).unwrap().unwrap();
        assert_eq!(n, data.len());
        assert_eq!(
            f,
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Bulk(Bytes::from_static(b"abc")),
                Frame::Map(vec![(
                    Frame::Simple(Bytes::from_static(b"k")),
                    Frame::Double(1.5)
                )]),
            ])
        );
        for cut in 0..data.len() {
            assert_eq!(Frame::decode(&data[..cut]).unwrap(), None);
        }
    }

    #[test]
    fn encode_round_trips() {
        let f = Frame::Array(vec![Frame::Null, Frame::Boolean(true), Frame::Integer(-3)]);
        let mut out = BytesMut::new();
        f.encode(&mut out);
        assert_eq!(Frame::decode(&out).unwrap().unwrap().0, f);
    }
}

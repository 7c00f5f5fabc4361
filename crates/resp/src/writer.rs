//! Reply encoding. One [`ReplyWriter`] per connection collects every reply of a read batch
//! into one buffer, flushed once. It knows the connection's protocol (HELLO 2/3) so handlers
//! say *what* they reply (a map, a null, a double) and the writer picks the RESP2 or RESP3 form.

use bytes::{BufMut, BytesMut};

/// The protocol a connection speaks, chosen with HELLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Proto {
    #[default]
    Resp2,
    Resp3,
}

/// A reply buffer in the connection's protocol.
#[derive(Debug, Default)]
pub struct ReplyWriter {
    pub buf: BytesMut,
    pub proto: Proto,
}

impl ReplyWriter {
    pub fn new(proto: Proto) -> Self {
        ReplyWriter {
            buf: BytesMut::new(),
            proto,
        }
    }

    pub fn is_resp3(&self) -> bool {
        self.proto == Proto::Resp3
    }

    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.reserve(body.len() + 3);
        self.buf.put_u8(prefix);
        self.buf.put_slice(body);
        self.buf.put_slice(b"\r\n");
    }

    fn len_line(&mut self, prefix: u8, n: i64) {
        let mut b = itoa::Buffer::new();
        self.line(prefix, b.format(n).as_bytes());
    }

    pub fn ok(&mut self) {
        self.buf.put_slice(b"+OK\r\n");
    }

    /// A status reply. Redis replaces CR and LF with spaces so the line stays one line.
    pub fn simple(&mut self, s: &str) {
        self.line(b'+', s.as_bytes());
        sanitize_tail(&mut self.buf, s.len() + 2);
    }

    /// An error reply; `msg` is everything after `-` (e.g. `ERR syntax error`).
    pub fn error(&mut self, msg: &str) {
        self.line(b'-', msg.as_bytes());
        sanitize_tail(&mut self.buf, msg.len() + 2);
    }

    pub fn int(&mut self, n: i64) {
        if n == 0 {
            self.buf.put_slice(b":0\r\n");
        } else if n == 1 {
            self.buf.put_slice(b":1\r\n");
        } else {
            self.len_line(b':', n);
        }
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.len_line(b'$', data.len() as i64);
        self.buf.reserve(data.len() + 2);
        self.buf.put_slice(data);
        self.buf.put_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n` (e.g. GET of an integer-encoded value).
    pub fn bulk_int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n);
        self.bulk(s.as_bytes());
    }

    /// The null bulk string (`$-1` / `_`).
    pub fn null(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.put_slice(b"$-1\r\n"),
            Proto::Resp3 => self.buf.put_slice(b"_\r\n"),
        }
    }

    /// The null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.put_slice(b"*-1\r\n"),
            Proto::Resp3 => self.buf.put_slice(b"_\r\n"),
        }
    }

    pub fn array(&mut self, n: usize) {
        self.len_line(b'*', n as i64);
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of `2n` elements in RESP2.
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.len_line(b'*', 2 * n as i64),
            Proto::Resp3 => self.len_line(b'%', n as i64),
        }
    }

    pub fn set(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.len_line(b'*', n as i64),
            Proto::Resp3 => self.len_line(b'~', n as i64),
        }
    }

    /// An out-of-band push (pub/sub messages, invalidations): `>` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.len_line(b'*', n as i64),
            Proto::Resp3 => self.len_line(b'>', n as i64),
        }
    }

    /// A double as Redis 7.0 sends it: `%.17g` in a bulk string (RESP2) or `,` (RESP3).
    pub fn double(&mut self, d: f64) {
        let s = if d.is_infinite() {
            if d > 0.0 {
                "inf".to_string()
            } else {
                "-inf".to_string()
            }
        } else {
            format_g17(d)
        };
        match self.proto {
            Proto::Resp2 => self.bulk(s.as_bytes()),
            Proto::Resp3 => self.line(b',', s.as_bytes()),
        }
    }

    pub fn bool(&mut self, b: bool) {
        match (self.proto, b) {
            (Proto::Resp2, b) => self.int(b as i64),
            (Proto::Resp3, true) => self.buf.put_slice(b"#t\r\n"),
            (Proto::Resp3, false) => self.buf.put_slice(b"#f\r\n"),
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, format: &str, data: &[u8]) {
        match self.proto {
            Proto::Resp2 => self.bulk(data),
            Proto::Resp3 => {
                self.len_line(b'=', (data.len() + 4) as i64);
                self.buf.put_slice(format.as_bytes());
                self.buf.put_u8(b':');
                self.buf.put_slice(data);
                self.buf.put_slice(b"\r\n");
            }
        }
    }

    /// Bytes already encoded (a reply prepared elsewhere).
    pub fn raw(&mut self, data: &[u8]) {
        self.buf.put_slice(data);
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Replaces CR/LF in the `n - 2` bytes before the final CRLF with spaces.
fn sanitize_tail(buf: &mut BytesMut, n: usize) {
    let end = buf.len() - 2;
    for b in &mut buf[end + 2 - n..end] {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
}

/// Formats like C's `printf("%.17g", d)`, which Redis 7.0 uses for doubles in replies.
pub fn format_g17(d: f64) -> String {
    format_g(d, 17)
}

/// C's `%.{prec}g`: scientific notation when the exponent is below -4 or at least `prec`,
/// fixed otherwise, trailing zeros (and a trailing point) removed.
pub fn format_g(d: f64, prec: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, d);
    let (mant, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{d:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_printf() {
        assert_eq!(format_g17(1.1), "1.1000000000000001");
        assert_eq!(format_g17(1.0), "1");
        assert_eq!(format_g17(0.0), "0");
        assert_eq!(format_g17(-2.5), "-2.5");
        assert_eq!(format_g17(1e20), "1e+20");
        assert_eq!(format_g17(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(format_g17(0.0001), "0.0001");
        assert_eq!(format_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_g(100.0, 3), "100");
        assert_eq!(format_g(1000.0, 3), "1e+03");
    }

    #[test]
    fn resp2_and_resp3_forms() {
        let mut w = ReplyWriter::new(Proto::Resp2);
        w.null();
        w.map(1);
        w.double(1.5);
        w.error("ERR a\r\nb");
        assert_eq!(&w.buf[..], b"$-1\r\n*2\r\n$3\r\n1.5\r\n-ERR a  b\r\n");
        let mut w = ReplyWriter::new(Proto::Resp3);
        w.null();
        w.map(1);
        w.double(1.5);
        w.bool(true);
        assert_eq!(&w.buf[..], b"_\r\n%1\r\n,1.5\r\n#t\r\n");
    }
}

//! `Value`: what a key holds, one variant per type and encoding, 24 bytes in all so that a
//! whole keyspace entry fits one 64-byte allocation.

use crate::hash::Hash;
use crate::list::List;
use crate::sbytes::SBytes;
use crate::set::Set;
use crate::zset::ZSet;

/// Strings longer than this are "raw" in OBJECT ENCODING; shorter ones "embstr" (Redis 7.0).
pub const EMBSTR_MAX: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string that reads as a 64-bit integer (Redis's "int" encoding).
    Int(i64),
    /// A string as written by SET and friends.
    Str(SBytes),
    /// A string grown in place by APPEND, SETRANGE or SETBIT (Redis's "raw", with spare room).
    Raw(Box<Vec<u8>>),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
}

impl Value {
    /// Stores `b` the way Redis's `tryObjectEncoding` would: an integer when it reads as one.
    pub fn string(b: &[u8]) -> Value {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return Value::Int(n);
            }
        }
        Value::Str(SBytes::new(b))
    }

    /// The TYPE name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Str(_) | Value::Raw(_))
    }

    /// The bytes of a string value; integers are formatted into `scratch`.
    pub fn str_bytes<'a>(&'a self, scratch: &'a mut itoa_buf::Buf) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(scratch.format(*n)),
            Value::Str(s) => Some(s),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// A string value's bytes as an owned vector (for in-place growth).
    pub fn to_vec(&self) -> Option<Vec<u8>> {
        let mut b = itoa_buf::Buf::default();
        self.str_bytes(&mut b).map(|s| s.to_vec())
    }

    /// Approximate heap bytes held by the value (MEMORY USAGE, eviction accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Str(s) => s.heap_size(),
            Value::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::List(l) => std::mem::size_of::<List>() + l.heap_size(),
            Value::Hash(h) => std::mem::size_of::<Hash>() + h.heap_size(),
            Value::Set(s) => std::mem::size_of::<Set>() + s.heap_size(),
            Value::ZSet(z) => std::mem::size_of::<ZSet>() + z.heap_size(),
        }
    }
}

/// Redis's `string2ll` (no '+', no leading zeros, no spaces).
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        (v <= i64::MAX as u64 + 1).then(|| (v as i64).wrapping_neg())
    } else {
        (v <= i64::MAX as u64).then_some(v as i64)
    }
}

/// A small stack buffer to format an integer without allocating.
pub mod itoa_buf {
    #[derive(Default)]
    pub struct Buf {
        data: [u8; 20],
        len: usize,
    }

    impl Buf {
        pub fn format(&mut self, n: i64) -> &[u8] {
            let mut tmp = [0u8; 20];
            let mut i = tmp.len();
            let neg = n < 0;
            let mut u = n.unsigned_abs();
            loop {
                i -= 1;
                tmp[i] = b'0' + (u % 10) as u8;
                u /= 10;
                if u == 0 {
                    break;
                }
            }
            if neg {
                i -= 1;
                tmp[i] = b'-';
            }
            self.len = tmp.len() - i;
            self.data[..self.len].copy_from_slice(&tmp[i..]);
            &self.data[..self.len]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_like_redis() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"0123").encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        let mut b = itoa_buf::Buf::default();
        assert_eq!(
            Value::Int(i64::MIN).str_bytes(&mut b).unwrap(),
            b"-9223372036854775808"
        );
    }
}

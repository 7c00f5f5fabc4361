//! RESP2/RESP3 wire format: no tokio, no server types.
//!
//! Module map:
//! - [`request`]: the server-side request decoder (multibulk and inline commands), check-then-parse:
//!   an incomplete request is `Ok(None)`, garbage is a [`ProtocolError`] carrying Redis's message.
//! - [`frame`]: a general RESP3 [`Frame`] and its decoder, for the client side (tests, replicas,
//!   sentinels talking to servers).
//! - [`writer`]: [`ReplyWriter`], the reply encoder that speaks RESP2 or RESP3 per connection.

pub mod frame;
pub mod request;
pub mod writer;

pub use frame::{Frame, FrameError};
pub use request::{parse_request, repr, split_inline_args, ProtocolError, RequestLimits};
pub use writer::{Proto, ReplyWriter};

/// Parses a decimal `i64` exactly as Redis's `string2ll` does: optional '-', no '+', no leading
/// zeros (except "0" itself), no spaces, at most 20 characters.
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
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_i64;

    #[test]
    fn parse_i64_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
    }
}

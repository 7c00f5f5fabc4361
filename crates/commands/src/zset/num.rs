//! Number parsing the way Redis's sorted set code does it, on top of C's `strtod`:
//!
//! - [`double_arg`]: scores, increments and weights (`getDoubleFromObject`): the whole
//!   argument, no leading space, no NaN, no overflow to ±HUGE_VAL, no underflow to zero.
//! - [`range_double`]: the ends of a score range (`zslParseRange`): `strtod` up to the end of
//!   the C string, so leading spaces pass, "" reads as 0, and overflow reads as ±inf.

/// What C's `strtod` makes of `s`: the value, how many bytes it consumed (0 when no number
/// was found) and whether it set ERANGE.
fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
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
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    let lower: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"inf") {
        let n = if lower.starts_with(b"infinity") { 8 } else { 3 };
        return (sign(f64::INFINITY), i + n, false);
    }
    if lower.starts_with(b"nan") {
        let mut n = i + 3;
        // "nan(chars)" is one token.
        if s.get(n) == Some(&b'(') {
            if let Some(close) = s[n..].iter().position(|&c| c == b')') {
                if s[n + 1..n + close]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    n += close + 1;
                }
            }
        }
        return (f64::NAN, n, false);
    }
    if lower.starts_with(b"0x")
        && rest.get(2).is_some_and(|c| {
            c.is_ascii_hexdigit() || (*c == b'.' && rest.get(3).is_some_and(u8::is_ascii_hexdigit))
        })
    {
        let (v, n, erange) = hex_float(&rest[2..]);
        return (sign(v), i + 2 + n, erange);
    }
    // Decimal: digits, optional fraction, optional exponent; at least one mantissa digit.
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        j += 1;
        digits += 1;
    }
    if j < rest.len() && rest[j] == b'.' {
        j += 1;
        while j < rest.len() && rest[j].is_ascii_digit() {
            nonzero |= rest[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if j < rest.len() && (rest[j] == b'e' || rest[j] == b'E') {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange =
        v.is_infinite() || (v == 0.0 && nonzero) || (v != 0.0 && v.abs() < f64::MIN_POSITIVE);
    (sign(v), i + j, erange)
}

/// The hex digits (and optional `.` fraction and `p` exponent) after "0x".
fn hex_float(s: &[u8]) -> (f64, usize, bool) {
    let mut v = 0f64;
    let mut j = 0;
    let mut scale = 0i32;
    while j < s.len() && s[j].is_ascii_hexdigit() {
        v = v * 16.0 + (s[j] as char).to_digit(16).unwrap_or(0) as f64;
        j += 1;
    }
    if j < s.len() && s[j] == b'.' {
        j += 1;
        while j < s.len() && s[j].is_ascii_hexdigit() {
            v = v * 16.0 + (s[j] as char).to_digit(16).unwrap_or(0) as f64;
            scale -= 4;
            j += 1;
        }
    }
    if j < s.len() && (s[j] == b'p' || s[j] == b'P') {
        let mut k = j + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e = 0i32;
            while k < s.len() && s[k].is_ascii_digit() {
                e = e.saturating_mul(10).saturating_add((s[k] - b'0') as i32);
                k += 1;
            }
            scale = scale.saturating_add(if neg { -e } else { e });
            j = k;
        }
    }
    let r = v * 2f64.powi(scale);
    (r, j, r.is_infinite() || (r == 0.0 && v != 0.0))
}

/// `getDoubleFromObject`: scores, increments, weights.
pub fn double_arg(b: &[u8]) -> Option<f64> {
    if b.is_empty() || matches!(b[0], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return None;
    }
    let (v, n, erange) = strtod(b);
    if n != b.len() || v.is_nan() || (erange && (v.is_infinite() || v == 0.0)) {
        return None;
    }
    Some(v)
}

/// One end of a score range, without its `(` (`zslParseRange`): the text up to the first NUL
/// must be all number, or empty.
pub fn range_double(b: &[u8]) -> Option<f64> {
    let s = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    let (v, n, _) = strtod(s);
    if n == 0 {
        // No conversion: strtod points back at the start, which is fine only at the end.
        return s.is_empty().then_some(0.0);
    }
    (n == s.len() && !v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_like_get_double_from_object() {
        assert_eq!(double_arg(b"1.5"), Some(1.5));
        assert_eq!(double_arg(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(double_arg(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(double_arg(b"0x10"), Some(16.0));
        assert_eq!(double_arg(b"1e3"), Some(1000.0));
        assert_eq!(double_arg(b".5"), Some(0.5));
        assert_eq!(double_arg(b"5."), Some(5.0));
        assert_eq!(double_arg(b"1e-310").map(|v| v > 0.0), Some(true));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e999",
            b"-1e999",
            b"1e-400",
            b"abc",
            b"1\x002",
            b"0x",
            b".",
            b"e5",
        ] {
            assert_eq!(double_arg(bad), None, "{bad:?}");
        }
        assert_eq!(double_arg(b"0"), Some(0.0));
        assert_eq!(double_arg(b"0e10"), Some(0.0));
    }

    #[test]
    fn range_ends_like_zsl_parse_range() {
        assert_eq!(range_double(b""), Some(0.0));
        assert_eq!(range_double(b" 1"), Some(1.0));
        assert_eq!(range_double(b"1e999"), Some(f64::INFINITY));
        assert_eq!(range_double(b"3\x00junk"), Some(3.0));
        assert_eq!(range_double(b"1 "), None);
        assert_eq!(range_double(b" "), None);
        assert_eq!(range_double(b"nan"), None);
        assert_eq!(range_double(b"x"), None);
        assert_eq!(range_double(b"0x1p4"), Some(16.0));
    }
}

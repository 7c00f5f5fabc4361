//! The text rules of configuration values, as Redis's C helpers apply them: memory units
//! (`memtoull`), `strtoll`'s leniency where Redis uses it, quoting for redis.conf
//! (`sdscatrepr`), `%f` with trailing zeros trimmed, and memory values written with units.

/// Parses a memory value the way Redis 7.0's `memtoull` does: digits, then an optional unit
/// (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any case). An empty digit string reads as 0, too many
/// digits saturate, and the multiplication wraps, all as in Redis.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = s[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[..digits] {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` followed by a check that `end` reached the end of the string.
/// Returns (value, the whole string was consumed, overflowed). Leading white space and a sign
/// are accepted; no digits at all leaves `end` at the start, so only "" passes.
pub fn strtoll(s: &[u8], base: u32) -> (i64, bool, bool) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut mag: u128 = 0;
    while i < s.len() {
        let Some(d) = (s[i] as char).to_digit(base) else {
            break;
        };
        mag = (mag * base as u128 + d as u128).min(1 << 64);
        i += 1;
    }
    if i == start {
        return (0, s.is_empty(), false);
    }
    let limit = if neg {
        i64::MAX as u128 + 1
    } else {
        i64::MAX as u128
    };
    let overflow = mag > limit;
    let mag = mag.min(limit);
    let v = if neg {
        (mag as i128).wrapping_neg() as i64
    } else {
        mag as i64
    };
    (v, i == s.len(), overflow)
}

/// `strtoll` in base 10 that must consume the whole string.
pub fn strtoll_full(s: &[u8]) -> Option<i64> {
    let (v, all, _) = strtoll(s, 10);
    all.then_some(v)
}

/// Quotes a value for redis.conf the way `sdscatrepr` does.
pub fn repr(s: &[u8]) -> Vec<u8> {
    resp::repr(s).into_bytes()
}

/// A memory value in redis.conf notation: `1gb`, `64mb`, `3kb` when exact, else bytes.
pub fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * KB;
    const GB: i64 = 1024 * MB;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// `%f` with trailing zeros (and a trailing dot) removed, as Redis's `trimDoubleString`.
pub fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Splits a redis.conf line into arguments with quotes and escapes (`sdssplitargs`);
/// `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    resp::split_inline_args(line)
}

/// Splits a CONFIG SET value of a multi-argument directive on single spaces, like
/// `sdssplitlen(value, " ")`: consecutive spaces give empty arguments, "" gives none.
pub fn split_spaces(v: &[u8]) -> Vec<Vec<u8>> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&c| c == b' ').map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtoull_follows_redis() {
        assert_eq!(memtoull(b"1gb"), Some(1 << 30));
        assert_eq!(memtoull(b"1GB"), Some(1 << 30));
        assert_eq!(memtoull(b"1g"), Some(1_000_000_000));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"gb"), Some(0));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b" 1"), None);
        assert_eq!(memtoull(b"+1"), None);
        assert_eq!(memtoull(b"1.5gb"), None);
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(
            memtoull(b"99999999999999999999gb"),
            Some(18446744072635809792)
        );
    }

    #[test]
    fn strtoll_like_c() {
        assert_eq!(strtoll_full(b""), Some(0));
        assert_eq!(strtoll_full(b" 5"), Some(5));
        assert_eq!(strtoll_full(b"+5"), Some(5));
        assert_eq!(strtoll_full(b"-5"), Some(-5));
        assert_eq!(strtoll_full(b" "), None);
        assert_eq!(strtoll_full(b"-"), None);
        assert_eq!(strtoll_full(b"5x"), None);
        assert_eq!(strtoll_full(b"99999999999999999999"), Some(i64::MAX));
        assert_eq!(strtoll(b"777", 8), (511, true, false));
        assert!(!strtoll(b"8", 8).1);
    }

    #[test]
    fn repr_and_formats() {
        assert_eq!(
            repr(b"a b\"c\\\n\x01"),
            b"\"a b\\\"c\\\\\\n\\x01\"".to_vec()
        );
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(-1), "-1");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.123456789), "99.123457");
        assert_eq!(
            split_spaces(b"a  b"),
            vec![b"a".to_vec(), vec![], b"b".to_vec()]
        );
        assert!(split_spaces(b"").is_empty());
    }
}

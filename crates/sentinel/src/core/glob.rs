//! Glob matching for `SENTINEL RESET <pattern>` (Redis's `stringmatch`, case-sensitive):
//! `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes.

pub(crate) fn matches(pattern: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    // Where to resume after the most recent `*`: (pattern index after it, string index).
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(pattern, p, s[i]) {
                        if ok {
                            p = next;
                            i += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == s[i] {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[i] {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[p] == b'['`; returns (matched, index
/// after the class), or None for an unterminated class (treated as a mismatch).
fn class(pattern: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let negate = pattern.get(j) == Some(&b'^');
    if negate {
        j += 1;
    }
    let mut hit = false;
    loop {
        let b = *pattern.get(j)?;
        if b == b']' {
            break;
        }
        if b == b'\\' && j + 1 < pattern.len() {
            hit |= pattern[j + 1] == c;
            j += 2;
        } else if pattern.get(j + 1) == Some(&b'-')
            && j + 2 < pattern.len()
            && pattern[j + 2] != b']'
        {
            let (lo, hi) = (b.min(pattern[j + 2]), b.max(pattern[j + 2]));
            hit |= lo <= c && c <= hi;
            j += 3;
        } else {
            hit |= b == c;
            j += 1;
        }
    }
    Some((hit != negate, j + 1))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| matches(p.as_bytes(), s.as_bytes());
        assert!(m("*", "mymaster"));
        assert!(m("my*", "mymaster"));
        assert!(!m("my*", "other"));
        assert!(m("m?master", "mymaster"));
        assert!(m("*ster", "mymaster"));
        assert!(m("[mn]ymaster", "mymaster"));
        assert!(!m("[^m]ymaster", "mymaster"));
        assert!(m("[a-z]y*", "mymaster"));
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(!m("[abc", "a"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("", "a"));
        assert!(m("", ""));
    }
}

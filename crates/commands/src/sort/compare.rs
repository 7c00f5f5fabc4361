//! How SORT compares elements: Redis's `sortCompare` rules and its numeric weights (C's
//! `strtod`). The sorts themselves (Redis's partial quicksort for BY … LIMIT) are shared
//! with the GEO searches in `crate::qsort`.

use std::cmp::Ordering;

use super::pattern::cstr;
use super::Item;

/// The comparison settings of one SORT.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    pub desc: bool,
    pub alpha: bool,
    /// Weights come from a BY pattern.
    pub by: bool,
    /// STORE: ALPHA compares binary strings instead of collating.
    pub store: bool,
}

impl Mode {
    pub fn compare(&self, a: &Item, b: &Item) -> Ordering {
        let c = if !self.alpha {
            match a.score.partial_cmp(&b.score) {
                Some(Ordering::Equal) | None => a.obj[..].cmp(&b.obj[..]),
                Some(o) => o,
            }
        } else if self.by {
            match (&a.cmp, &b.cmp) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => self.strings(x, y),
            }
        } else {
            self.strings(&a.obj, &b.obj)
        };
        if self.desc {
            c.reverse()
        } else {
            c
        }
    }

    fn strings(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.store {
            a.cmp(b)
        } else {
            collate(a, b)
        }
    }
}

/// `strcoll` under the C and C.UTF-8 collations: `strcmp`, which stops at a NUL byte.
pub(crate) fn collate(a: &[u8], b: &[u8]) -> Ordering {
    cstr(a).cmp(cstr(b))
}

/// A numeric weight as Redis reads it: C's `strtod` over the C string (up to a NUL), which
/// must be consumed whole, not overflow or underflow (`ERANGE`) and not be NaN. Leading
/// spaces, hex floats, `inf` and the empty string (0) are accepted, as `strtod` does.
pub(crate) fn parse_score(b: &[u8]) -> Option<f64> {
    if let Some(n) = keyspace::parse_i64(b) {
        // A canonical integer reads the same through strtod (both round to nearest).
        return Some(n as f64);
    }
    let s = cstr(b);
    let mut small = [0u8; 64];
    let mut large = Vec::new();
    let buf: &[u8] = if s.len() < small.len() {
        small[..s.len()].copy_from_slice(s);
        &small[..=s.len()]
    } else {
        large.extend_from_slice(s);
        large.push(0);
        &large
    };
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; `end` points into it after.
    // errno is this thread's; it is cleared first so a stale ERANGE is not read back.
    let (v, errno, rest) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
        (v, *libc::__errno_location(), *end)
    };
    (rest == 0 && errno != libc::ERANGE && !v.is_nan()).then_some(v)
}

//! BY and GET patterns (Redis's `lookupKeyByPattern`): `#` is the element itself; otherwise
//! the first `*` becomes the element, and a `->field` after the `*` reads that field of a
//! hash instead of a string. Redis scans patterns as C strings, so a NUL byte ends the
//! search for `*` and `->` (but not the key or field text taken by length).

use keyspace::value::itoa_buf;
use keyspace::Value;

use crate::config::notify;
use crate::ctx::Ctx;

/// The part of `b` a C function sees: up to the first NUL byte.
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// Where the key and the optional hash field come from in a pattern.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: nothing to look up.
    Constant,
    /// Key `prefix + element + suffix`, and the hash field if any.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

pub(crate) fn parse(pat: &[u8]) -> Parsed<'_> {
    let c = cstr(pat);
    if c == b"#" {
        return Parsed::Element;
    }
    let Some(star) = c.iter().position(|&b| b == b'*') else {
        return Parsed::Constant;
    };
    let after = &c[star + 1..];
    // "->" counts only with at least one byte of field name after it (before any NUL).
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    match arrow {
        Some(i) => {
            let at = star + 1 + i;
            Parsed::Key {
                prefix: &pat[..star],
                suffix: &pat[star + 1..at],
                field: Some(&pat[at + 2..]),
            }
        }
        None => Parsed::Key {
            prefix: &pat[..star],
            suffix: &pat[star + 1..],
            field: None,
        },
    }
}

/// A BY or GET pattern parsed once, with a scratch buffer for the keys it forms.
pub(crate) struct Pattern<'a> {
    parsed: Parsed<'a>,
    key: Vec<u8>,
}

impl<'a> Pattern<'a> {
    pub fn new(pattern: &'a [u8]) -> Self {
        Pattern {
            parsed: parse(pattern),
            key: Vec::new(),
        }
    }

    /// Looks the pattern up for element `elem`, leaving the value in `out`; false when there
    /// is nothing (no `*`, missing key, wrong type, missing field). Lookups are reads: lazy
    /// expiry, hit/miss counts and `keymiss` for a missing key.
    pub fn fetch(&mut self, ctx: &mut Ctx, elem: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        let (prefix, suffix, field) = match self.parsed {
            Parsed::Element => {
                out.extend_from_slice(elem);
                return true;
            }
            Parsed::Constant => return false,
            Parsed::Key {
                prefix,
                suffix,
                field,
            } => (prefix, suffix, field),
        };
        let key = &mut self.key;
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(elem);
        key.extend_from_slice(suffix);
        let (db, now) = (ctx.db(), ctx.now);
        let mut buf = itoa_buf::Buf::default();
        // Some(found) when the key exists (a hit even if it has the wrong type).
        let found = ctx.ks.get(db, key, now).map(|v| match (v, field) {
            (Value::Hash(h), Some(f)) => h.get(f).map(|e| out.extend_from_slice(e.bytes(&mut buf))),
            (v, None) => v.str_bytes(&mut buf).map(|b| out.extend_from_slice(b)),
            _ => None,
        });
        match found {
            Some(v) => v.is_some(),
            None => {
                ctx.notify(notify::KEY_MISS, "keymiss", key);
                false
            }
        }
    }
}

//! SORT and SORT_RO: sort a list, set or sorted set by its elements or by weights in other
//! keys, optionally fetch other keys per element, reply or STORE the result as a list.
//!
//! The flow follows Redis 7.0's `sortCommandGeneric` step by step, because its corners are
//! observable: options are parsed first (syntax and LIMIT errors before WRONGTYPE), a
//! constant BY pattern means "don't sort" (sticky across several BYs), lists and sorted sets
//! unsorted are read in their own order with LIMIT applied while reading, a set unsorted but
//! STOREd is sorted ALPHA for determinism, and a sorted set is converted to its skiplist
//! encoding as a side effect. Scores come from C's `strtod` and ALPHA compares with `strcoll`
//! (C-string, byte order: the C/C.UTF-8 collation) unless STORE asks for binary comparison.
//! A BY sort narrowed by LIMIT uses Redis's partial quicksort (`crate::qsort`, shared with
//! GEO) so that ties land exactly where Redis puts them; full sorts are stable, as glibc's
//! merge-sort `qsort` is.
//!
//! - [`pattern`]: `*` substitution, `->field` hash lookups and `#` (Redis's
//!   `lookupKeyByPattern`).
//! - [`compare`]: the comparison rules and numeric weights.

mod compare;
mod pattern;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use keyspace::list::List;
use keyspace::value::itoa_buf;
use keyspace::{SBytes, Ttl, Value};

use crate::config::notify;
use crate::ctx::{parse_i64_arg, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::qsort;
use crate::table::{flag::*, Spec};
use pattern::Pattern;

pub const TABLE: &[Spec] = &[
    Spec::new("sort", -2, WRITE | DENYOOM | MOVABLEKEYS, sort)
        .keys(1, 1, 1)
        .acl("write set sortedset list slow dangerous"),
    Spec::new("sort_ro", -2, READONLY | MOVABLEKEYS, sort_ro)
        .keys(1, 1, 1)
        .acl("read set sortedset list slow dangerous"),
];

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
/// [ALPHA] [STORE destination]
pub fn sort(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
/// [ALPHA]
pub fn sort_ro(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

/// The options as parsed; the last LIMIT, BY, STORE, ASC/DESC wins, ALPHA and "don't sort"
/// stick once seen.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    offset: i64,
    count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

/// One element to sort: its value, its numeric weight, and for ALPHA BY the weight's bytes
/// (`None` when the weight key is missing, which sorts first).
pub(crate) struct Item {
    pub obj: SBytes,
    pub score: f64,
    pub cmp: Option<SBytes>,
}

impl Item {
    fn new(obj: &[u8]) -> Item {
        Item {
            obj: SBytes::new(obj),
            score: 0.0,
            cmp: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// Redis compares option names with `strcasecmp`, which stops at a NUL byte.
fn word_is(arg: &[u8], word: &str) -> bool {
    pattern::cstr(arg).eq_ignore_ascii_case(word.as_bytes())
}

fn parse(args: &[Bytes], readonly: bool) -> Result<Opts<'_>, CmdError> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        offset: 0,
        count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j][..];
        if word_is(a, "asc") {
            o.desc = false;
        } else if word_is(a, "desc") {
            o.desc = true;
        } else if word_is(a, "alpha") {
            o.alpha = true;
        } else if word_is(a, "limit") && left >= 2 {
            o.offset = parse_i64_arg(&args[j + 1])?;
            o.count = parse_i64_arg(&args[j + 2])?;
            j += 2;
        } else if !readonly && word_is(a, "store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if word_is(a, "by") && left >= 1 {
            let p = &args[j + 1][..];
            o.by = Some(p);
            if !pattern::cstr(p).contains(&b'*') {
                o.dontsort = true;
            }
            j += 1;
        } else if word_is(a, "get") && left >= 1 {
            o.gets.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's LIMIT arithmetic: `start..=end` of the `len` elements, clamped so that no
/// client number overflows; an empty range is `end == start - 1`.
fn limit_range(offset: i64, count: i64, len: i64) -> (i64, i64) {
    let mut start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let args = ctx.args;
    let mut o = parse(args, readonly)?;
    let (db, now, key) = (ctx.db(), ctx.now, &args[1][..]);
    let kind = match ctx.ks.get(db, key, now) {
        None => {
            ctx.notify(notify::KEY_MISS, "keymiss", key);
            None
        }
        Some(Value::List(_)) => Some(Kind::List),
        Some(Value::Set(_)) => Some(Kind::Set),
        Some(Value::ZSet(_)) => Some(Kind::ZSet),
        Some(_) => return Err(CmdError::WrongType),
    };
    // An unsorted set would be stored in hash-table order; Redis sorts it for replicas.
    if o.dontsort && kind == Some(Kind::Set) && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    if kind == Some(Kind::ZSet) {
        // Redis converts the sorted set in place (not a write: no dirty, no WATCH touch).
        if let Some(Value::ZSet(z)) = ctx.ks.get_mut_untracked(db, key, now) {
            z.to_sorted();
        }
    }
    let (mut items, start, end) = load(ctx, key, &o);
    if !o.dontsort && !score(ctx, &o, &mut items) {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }
    if !o.dontsort {
        let mode = compare::Mode {
            desc: o.desc,
            alpha: o.alpha,
            by: o.by.is_some(),
            store: o.store.is_some(),
        };
        let full = start == 0 && end == items.len() as i64 - 1;
        if o.by.is_some() && !full {
            qsort::partial_sort(&mut items, start, end, |a, b| mode.compare(a, b));
        } else {
            // Redis's glibc `qsort` is a stable merge sort. `Mode::compare` is a total order
            // (weights are never NaN), for which every stable sort gives the same result, so
            // Rust's needs no copies of the items as `qsort::merge_sort` would.
            items.sort_by(|a, b| mode.compare(a, b));
        }
    }
    let picked: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    match o.store {
        None => reply(ctx, &o, picked),
        Some(dst) => store(ctx, &o, picked, dst),
    }
    Ok(())
}

/// Reads the elements to sort, with the LIMIT range they will be cut to. Unsorted lists and
/// sorted sets are read in their own order (reversed by DESC) from the offset on, so the
/// range returned is then relative to what was read.
fn load(ctx: &mut Ctx, key: &[u8], o: &Opts) -> (Vec<Item>, i64, i64) {
    let (db, now) = (ctx.db(), ctx.now);
    let val = ctx.ks.peek(db, key, now);
    let len = match val {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    };
    let (start, end) = limit_range(o.offset, o.count, len as i64);
    let mut buf = itoa_buf::Buf::default();
    match val {
        Some(Value::List(l)) if o.dontsort => {
            if end < start {
                return (Vec::new(), start, end);
            }
            let n = (end - start + 1) as usize;
            let s = start as usize;
            let items = if o.desc {
                l.iter_rev_from(len - s - 1)
                    .take(n)
                    .map(|e| Item::new(e.bytes(&mut buf)))
                    .collect()
            } else {
                l.iter_from(s)
                    .take(n)
                    .map(|e| Item::new(e.bytes(&mut buf)))
                    .collect()
            };
            (items, 0, end - start)
        }
        Some(Value::ZSet(z)) if o.dontsort => {
            let n = (end - start + 1).max(0) as usize;
            let items = z
                .range(start.max(0) as usize, n, o.desc)
                .map(|(_, m)| Item::new(m))
                .collect();
            (items, 0, end - start)
        }
        Some(Value::List(l)) => {
            let items = l.iter().map(|e| Item::new(e.bytes(&mut buf))).collect();
            (items, start, end)
        }
        Some(Value::Set(s)) => {
            let items = s.iter().map(|m| Item::new(m.bytes(&mut buf))).collect();
            (items, start, end)
        }
        Some(Value::ZSet(z)) => {
            let items = z.iter().map(|(_, m)| Item::new(m)).collect();
            (items, start, end)
        }
        _ => (Vec::new(), start, end),
    }
}

/// Loads each element's weight (itself or its BY key); false if some numeric weight is not
/// a number. Every weight is looked up even after a failure, as Redis does.
fn score(ctx: &mut Ctx, o: &Opts, items: &mut [Item]) -> bool {
    let mut ok = true;
    let mut buf = Vec::new();
    let mut by = o.by.map(Pattern::new);
    for it in items.iter_mut() {
        let val: &[u8] = match &mut by {
            Some(p) => {
                if !p.fetch(ctx, &it.obj, &mut buf) {
                    continue;
                }
                &buf
            }
            None => &it.obj,
        };
        if o.alpha {
            if o.by.is_some() {
                it.cmp = Some(SBytes::new(val));
            }
        } else {
            match compare::parse_score(val) {
                Some(s) => it.score = s,
                None => ok = false,
            }
        }
    }
    ok
}

fn reply(ctx: &mut Ctx, o: &Opts, picked: &[Item]) {
    let per = o.gets.len().max(1);
    ctx.out.array(picked.len() * per);
    let mut buf = Vec::new();
    let mut gets: Vec<Pattern> = o.gets.iter().map(|p| Pattern::new(p)).collect();
    for it in picked {
        if gets.is_empty() {
            ctx.out.bulk(&it.obj);
        }
        for p in &mut gets {
            if p.fetch(ctx, &it.obj, &mut buf) {
                ctx.out.bulk(&buf);
            } else {
                ctx.out.null();
            }
        }
    }
}

/// STORE: the result replaces `dst` as a list (a GET of a missing key stores ""), or
/// deletes it when empty.
fn store(ctx: &mut Ctx, o: &Opts, picked: &[Item], dst: &[u8]) {
    let (db, now, fill) = (ctx.db(), ctx.now, crate::list::fill(ctx));
    let mut list = List::new();
    let mut buf = Vec::new();
    let mut gets: Vec<Pattern> = o.gets.iter().map(|p| Pattern::new(p)).collect();
    for it in picked {
        if gets.is_empty() {
            list.push(&it.obj, false, fill);
        }
        for p in &mut gets {
            if !p.fetch(ctx, &it.obj, &mut buf) {
                buf.clear();
            }
            list.push(&buf, false, fill);
        }
    }
    let n = list.len();
    if n > 0 {
        ctx.ks.set(db, dst, Value::List(Box::new(list)), Ttl::Clear);
        // Redis counts one change per stored element.
        ctx.ks.dirty += n as u64 - 1;
        ctx.notify(notify::LIST, "sortstore", dst);
    } else if ctx.ks.remove(db, dst, now).is_some() {
        ctx.notify(notify::GENERIC, "del", dst);
    }
    ctx.out.int(n as i64);
}

//! COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP]: the command table
//! as Redis 7.0 describes it, and key extraction from a full command line by its key specs
//! (the same rules Redis's `getKeysFromCommandWithSpecs` applies, with its special cases for
//! the commands whose keys specs cannot describe).

use bytes::Bytes;
use resp::ReplyWriter;

use super::meta::{self, Begin, Find, KeySpec};
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::glob;
use crate::table::{flag, flag::*, table, Entry, Spec};

const SUB: u32 = LOADING | STALE;
const ACL: &str = "slow connection";

pub const SPEC: Spec = Spec::new("command", -1, LOADING | STALE, command)
    .acl(ACL)
    .subs(&[
        Spec::new("count", 2, SUB, count).acl(ACL),
        Spec::new("getkeysandflags", -4, SUB, getkeysandflags).acl(ACL),
        Spec::new("info", -2, SUB, info).acl(ACL),
        Spec::new("docs", -2, SUB, docs).acl(ACL),
        Spec::new("help", 2, SUB, help).acl(ACL),
        Spec::new("list", -2, SUB, list).acl(ACL),
        Spec::new("getkeys", -4, SUB, getkeys).acl(ACL),
    ]);

/// ACL categories in the order COMMAND INFO prints them.
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Flags Redis 7.0 keeps out of COMMAND INFO on purpose.
const HIDDEN_FLAGS: u32 = MAY_REPLICATE | SENTINEL | ONLY_SENTINEL | PROTECTED;

fn category_bit(name: &str) -> u32 {
    CATEGORIES
        .iter()
        .position(|c| *c == name)
        .map_or(0, |i| 1 << i)
}

/// A command's ACL categories as a bit set over [`CATEGORIES`]: the declared ones plus
/// those its flags imply (write, read, admin + dangerous, pubsub, fast, blocking; slow when
/// not fast), as Redis's `setImplicitACLCategories` adds them.
pub fn categories(spec: &Spec) -> u32 {
    let mut c = spec.acl.split_whitespace().map(category_bit).sum::<u32>();
    let add = |c: &mut u32, f: u32, name: &str| {
        if spec.is(f) {
            *c |= category_bit(name);
        }
    };
    add(&mut c, WRITE, "write");
    if spec.is(READONLY) && c & category_bit("scripting") == 0 {
        c |= category_bit("read");
    }
    add(&mut c, ADMIN, "admin");
    add(&mut c, ADMIN, "dangerous");
    add(&mut c, PUBSUB, "pubsub");
    add(&mut c, FAST, "fast");
    add(&mut c, BLOCKING, "blocking");
    if c & category_bit("fast") == 0 {
        c |= category_bit("slow");
    }
    c
}

/// Looks up `name` or `container|sub` as COMMAND INFO/DOCS accept it.
pub fn lookup_fullname(name: &[u8]) -> Option<&'static Entry> {
    let t = table();
    let mut parts = name.split(|&b| b == b'|');
    let base = t.get(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) if !base.subs.is_empty() => t.sub(base, sub),
        _ => None,
    }
}

/// Looks up the command a full command line would run (`CONFIG GET x` → `config|get`).
pub fn lookup_line(args: &[Bytes]) -> Option<&'static Entry> {
    let t = table();
    let base = t.get(args.first()?)?;
    if base.subs.is_empty() || args.len() < 2 {
        return Some(base);
    }
    t.sub(base, &args[1])
}

fn subcommands(e: &Entry) -> impl Iterator<Item = &'static Entry> + '_ {
    let t = table();
    let mut ids: Vec<usize> = e.subs.values().copied().collect();
    ids.sort_unstable();
    ids.into_iter().map(move |i| &t.entries[i])
}

/// One COMMAND INFO entry in Redis 7.0's ten-element form.
pub fn reply_info(out: &mut ReplyWriter, e: &Entry) {
    let spec = e.spec;
    out.array(10);
    out.bulk(e.fullname.as_bytes());
    out.int(spec.arity as i64);
    let flags: Vec<&str> = flag::NAMES
        .iter()
        .filter(|(f, _)| spec.flags & f & !HIDDEN_FLAGS != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    let (first, last, step) = spec.keys;
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats = categories(spec);
    out.set(cats.count_ones() as usize);
    for (i, c) in CATEGORIES.iter().enumerate() {
        if cats & (1 << i) != 0 {
            out.simple(&format!("@{c}"));
        }
    }
    let m = meta::meta(&e.fullname);
    let tips = m.map_or(&[][..], |m| &m.tips[..]);
    out.set(tips.len());
    for t in tips {
        out.bulk(t.as_bytes());
    }
    let specs = m.map_or(&[][..], |m| &m.specs[..]);
    out.set(specs.len());
    for s in specs {
        reply_key_spec(out, s);
    }
    if e.subs.is_empty() {
        out.set(0);
    } else {
        out.array(e.subs.len());
        for sub in subcommands(e) {
            reply_info(out, sub);
        }
    }
}

fn reply_key_spec(out: &mut ReplyWriter, s: &KeySpec) {
    out.map(3);
    out.bulk(b"flags");
    out.set(s.flags.len());
    for f in &s.flags {
        out.simple(f);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match s.begin {
        Begin::Index(i) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i as i64);
        }
        Begin::Keyword(k, from) => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(k.as_bytes());
            out.bulk(b"startfrom");
            out.int(from as i64);
        }
        Begin::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match s.find {
        Find::Range {
            lastkey,
            step,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            for (k, v) in [("lastkey", lastkey), ("keystep", step), ("limit", limit)] {
                out.bulk(k.as_bytes());
                out.int(v as i64);
            }
        }
        Find::Keynum { idx, first, step } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            for (k, v) in [("keynumidx", idx), ("firstkey", first), ("keystep", step)] {
                out.bulk(k.as_bytes());
                out.int(v as i64);
            }
        }
        Find::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// COMMAND
fn command(ctx: &mut Ctx) -> CmdResult {
    let t = table();
    let n = t.top_level().count();
    ctx.out.array(n);
    for e in t.top_level() {
        reply_info(ctx.out, e);
    }
    Ok(())
}

/// COMMAND COUNT
fn count(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(table().top_level().count() as i64);
    Ok(())
}

/// COMMAND INFO [command-name ...]
fn info(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 2 {
        return command(ctx);
    }
    ctx.out.array(ctx.argc() - 2);
    for name in &ctx.args[2..] {
        match lookup_fullname(name) {
            Some(e) => reply_info(ctx.out, e),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// A minimal COMMAND DOCS entry: group and version from Redis's data, no prose.
fn reply_docs(out: &mut ReplyWriter, e: &Entry) {
    let m = meta::meta(&e.fullname);
    let mut n = if m.is_some() { 2 } else { 0 };
    if !e.subs.is_empty() {
        n += 1;
    }
    out.map(n);
    if let Some(m) = m {
        out.bulk(b"since");
        out.bulk(m.since.as_bytes());
        out.bulk(b"group");
        out.bulk(m.group.as_bytes());
    }
    if !e.subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(e.subs.len());
        for sub in subcommands(e) {
            out.bulk(sub.fullname.as_bytes());
            reply_docs(out, sub);
        }
    }
}

/// COMMAND DOCS [command-name ...]
fn docs(ctx: &mut Ctx) -> CmdResult {
    let found: Vec<&Entry> = if ctx.argc() == 2 {
        table().top_level().collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|n| lookup_fullname(n))
            .collect()
    };
    ctx.out.map(found.len());
    for e in found {
        ctx.out.bulk(e.fullname.as_bytes());
        reply_docs(ctx.out, e);
    }
    Ok(())
}

enum Filter<'a> {
    None,
    Module,
    AclCat(u32),
    Pattern(&'a [u8]),
}

/// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
fn list(ctx: &mut Ctx) -> CmdResult {
    let mut filter = Filter::None;
    let mut i = 2;
    while i < ctx.argc() {
        if ctx.is(i, "filterby") && ctx.argc() - 1 - i == 2 {
            let arg = ctx.arg(i + 2);
            filter = if ctx.is(i + 1, "module") {
                Filter::Module
            } else if ctx.is(i + 1, "aclcat") {
                let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
                Filter::AclCat(category_bit(&name))
            } else if ctx.is(i + 1, "pattern") {
                Filter::Pattern(arg)
            } else {
                return Err(CmdError::Syntax);
            };
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let names: Vec<&str> = table()
        .entries
        .iter()
        .filter(|e| match filter {
            Filter::None => true,
            Filter::Module => false,
            Filter::AclCat(bit) => categories(e.spec) & bit != 0,
            Filter::Pattern(p) => glob::matches(p, e.fullname.as_bytes(), true),
        })
        .map(|e| e.fullname.as_str())
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

/// A key found in a command line: its argument index and access flags.
pub type KeyRef = (usize, &'static [&'static str]);

const RO_ACCESS: &[&str] = &["RO", "access"];
const RW_ACCESS_UPDATE: &[&str] = &["RW", "access", "update"];
const OW_UPDATE: &[&str] = &["OW", "update"];
const RW_ACCESS_DELETE: &[&str] = &["RW", "access", "delete"];

/// Commands whose keys Redis finds with a function rather than key specs alone.
fn special_keys(name: &str, args: &[Bytes]) -> Option<Vec<KeyRef>> {
    let is = |i: usize, w: &str| args[i].eq_ignore_ascii_case(w.as_bytes());
    match name {
        "set" => {
            let get = (3..args.len()).any(|i| is(i, "get"));
            Some(vec![(1, if get { RW_ACCESS_UPDATE } else { OW_UPDATE })])
        }
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < args.len() {
                let rem = args.len() - i - 1;
                if is(i, "get") && rem >= 2 {
                    i += 3;
                } else if (is(i, "set") || is(i, "incrby")) && rem >= 3 {
                    readonly = false;
                    break;
                } else if is(i, "overflow") && rem >= 1 {
                    i += 2;
                } else {
                    readonly = false;
                    break;
                }
            }
            Some(vec![(
                1,
                if readonly {
                    RO_ACCESS
                } else {
                    RW_ACCESS_UPDATE
                },
            )])
        }
        "sort" | "sort_ro" => {
            let mut keys = vec![(1, RO_ACCESS)];
            let mut store = None;
            if name == "sort" {
                let mut i = 2;
                while i < args.len() {
                    if is(i, "limit") {
                        i += 2;
                    } else if is(i, "get") || is(i, "by") {
                        i += 1;
                    } else if is(i, "store") && i + 1 < args.len() {
                        store = Some(i + 1);
                    }
                    i += 1;
                }
            }
            keys.extend(store.map(|s| (s, OW_UPDATE)));
            Some(keys)
        }
        "migrate" => {
            let (mut first, mut num) = (3, 1);
            let mut i = 6;
            while args.len() > 6 && i < args.len() {
                if is(i, "keys") {
                    if args[3].is_empty() {
                        first = i + 1;
                        num = args.len() - first;
                    }
                    break;
                }
                if is(i, "auth") {
                    i += 1;
                } else if is(i, "auth2") {
                    i += 2;
                }
                i += 1;
            }
            Some(
                (first..first + num)
                    .map(|p| (p, RW_ACCESS_DELETE))
                    .collect(),
            )
        }
        _ => None,
    }
}

fn has_special_keys(name: &str) -> bool {
    matches!(name, "set" | "bitfield" | "sort" | "sort_ro" | "migrate")
}

/// Whether a command can have key arguments at all (Redis's `doesCommandHaveKeys`).
pub fn has_keys(e: &Entry) -> bool {
    if has_special_keys(&e.fullname) {
        return true;
    }
    match meta::meta(&e.fullname) {
        Some(m) => m.specs.iter().any(|s| !s.has("not_key")),
        None => e.spec.keys.0 > 0,
    }
}

/// Applies key specs to a command line; `None` when a spec cannot be applied (unknown
/// search, bad key count, out of range, incomplete).
fn keys_by_specs(specs: &'static [KeySpec], args: &[Bytes]) -> Option<Vec<KeyRef>> {
    let argc = args.len() as i64;
    let mut out = Vec::new();
    for s in specs {
        if s.has("not_key") {
            continue;
        }
        let mut first = match s.begin {
            Begin::Index(i) => i as i64,
            Begin::Keyword(kw, from) => {
                let hit = |i: &i64| args[*i as usize].eq_ignore_ascii_case(kw.as_bytes());
                // Redis searches forwards up to (not including) the last argument, or
                // backwards down to (not including) the first.
                let found = if from > 0 {
                    (from as i64..argc - 1).find(hit)
                } else {
                    (2..=(argc + from as i64).min(argc - 1)).rev().find(hit)
                };
                match found {
                    Some(i) => i + 1,
                    None => continue,
                }
            }
            Begin::Unknown => return None,
        };
        let (last, step) = match s.find {
            Find::Range {
                lastkey,
                step,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + ((argc - first) / limit as i64 + lastkey as i64)
                };
                (last, step as i64)
            }
            Find::Keynum {
                idx,
                first: off,
                step,
            } => {
                let at = first + idx as i64;
                if idx as i64 >= argc || at >= argc {
                    return None;
                }
                let n = keyspace::parse_i64(&args[at as usize]).filter(|n| *n >= 0)?;
                first += off as i64;
                (first.saturating_add(n) - 1, step as i64)
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, &s.flags[..]));
            i += step;
        }
        if s.has("incomplete") {
            return None;
        }
    }
    Some(out)
}

/// The key arguments of a full command line (`args[0]` is the command name), as Redis's
/// `getKeysFromCommandWithSpecs` finds them. An empty result means no keys (or arguments
/// too malformed to find them).
pub fn command_keys(e: &Entry, args: &[Bytes]) -> Vec<KeyRef> {
    if let Some(m) = meta::meta(&e.fullname) {
        let varflags = m.specs.iter().any(|s| s.has("variable_flags"));
        if !varflags && m.specs.iter().any(|s| !s.has("not_key")) {
            if let Some(k) = keys_by_specs(&m.specs, args) {
                return k;
            }
        }
        return special_keys(&e.fullname, args).unwrap_or_default();
    }
    let (first, last, step) = e.spec.keys;
    if first <= 0 || step <= 0 {
        return Vec::new();
    }
    let argc = args.len() as i64;
    let last = if last < 0 {
        argc + last as i64
    } else {
        last as i64
    };
    (first as i64..=last.min(argc - 1))
        .step_by(step as usize)
        .map(|i| (i as usize, &[][..]))
        .collect()
}

fn getkeys_impl(ctx: &mut Ctx, with_flags: bool) -> CmdResult {
    let line = &ctx.args[2..];
    let Some(e) = lookup_line(line) else {
        return Err(CmdError::err("Invalid command specified"));
    };
    if !has_keys(e) {
        return Err(CmdError::err("The command has no key arguments"));
    }
    if !e.spec.arity_ok(line.len()) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys = command_keys(e, line);
    if keys.is_empty() {
        if e.spec.is(NO_MANDATORY_KEYS) {
            ctx.out.array(0);
            return Ok(());
        }
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    ctx.out.array(keys.len());
    for (pos, flags) in keys {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(&line[pos]);
            ctx.out.set(flags.len());
            for f in flags {
                ctx.out.simple(f);
            }
        } else {
            ctx.out.bulk(&line[pos]);
        }
    }
    Ok(())
}

/// COMMAND GETKEYS command [arg ...]
fn getkeys(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn getkeysandflags(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::from(a.to_string())).collect()
    }

    fn spec_keys(name: &str, s: &str) -> Option<Vec<usize>> {
        let m = meta::meta(name).unwrap();
        keys_by_specs(&m.specs, &line(s)).map(|v| v.into_iter().map(|k| k.0).collect())
    }

    #[test]
    fn key_specs_find_keys() {
        assert_eq!(spec_keys("get", "get a"), Some(vec![1]));
        assert_eq!(spec_keys("mset", "mset a 1 b 2"), Some(vec![1, 3]));
        assert_eq!(
            spec_keys("zunionstore", "zunionstore d 2 a b"),
            Some(vec![1, 3, 4])
        );
        assert_eq!(spec_keys("zunionstore", "zunionstore d 5 a b"), None);
        assert_eq!(spec_keys("eval", "eval s 0"), None);
        assert_eq!(spec_keys("eval", "eval s 1 k a"), Some(vec![3]));
        assert_eq!(
            spec_keys("xread", "xread COUNT 2 STREAMS a b 0 0"),
            Some(vec![4, 5])
        );
        assert_eq!(spec_keys("migrate", "migrate h p k 0 5"), Some(vec![3]));
        assert_eq!(spec_keys("migrate", "migrate h p \"\" 0 5 KEYS a"), None);
        assert_eq!(spec_keys("sort", "sort k"), None);
    }

    #[test]
    fn special_cases() {
        let keys = |n: &str, s: &str| -> Vec<(usize, Vec<&str>)> {
            special_keys(n, &line(s))
                .unwrap()
                .into_iter()
                .map(|(p, f)| (p, f.to_vec()))
                .collect()
        };
        assert_eq!(keys("set", "set k v"), vec![(1, vec!["OW", "update"])]);
        assert_eq!(
            keys("set", "set k v GET"),
            vec![(1, vec!["RW", "access", "update"])]
        );
        assert_eq!(
            keys("sort", "sort k LIMIT 0 1 STORE d"),
            vec![(1, vec!["RO", "access"]), (6, vec!["OW", "update"])]
        );
        assert_eq!(
            keys("migrate", "migrate h p  0 5 COPY KEYS a b")
                .iter()
                .map(|k| k.0)
                .collect::<Vec<_>>(),
            vec![8, 9]
        );
        assert_eq!(
            keys("bitfield", "bitfield k GET u8 0")[0].1,
            vec!["RO", "access"]
        );
    }

    #[test]
    fn implicit_categories() {
        let s = Spec::new("x", 1, WRITE | ADMIN, crate::help_only).acl("keyspace");
        let c = categories(&s);
        let names: Vec<&str> = CATEGORIES
            .iter()
            .enumerate()
            .filter(|(i, _)| c & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(
            names,
            vec!["keyspace", "write", "admin", "slow", "dangerous"]
        );
    }
}

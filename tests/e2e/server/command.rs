//! COMMAND against redis-server: every command and subcommand Redoubt has that Redis also
//! has must describe itself identically (name, arity, flags, key positions, ACL categories,
//! tips, key specs); subcommand lists are compared as sets since Redis lists them in hash
//! order. GETKEYS / GETKEYSANDFLAGS are compared line by line.

use std::collections::{BTreeMap, BTreeSet};

use resp::Frame;

use super::{frame, items, pairs, text};
use crate::kit::Diff;

/// One COMMAND INFO entry, order-independent where Redis's order is a hash table's.
#[derive(Debug, PartialEq)]
struct Info {
    arity: i64,
    flags: BTreeSet<String>,
    keys: (i64, i64, i64),
    acl: BTreeSet<String>,
    tips: BTreeSet<String>,
    specs: Vec<String>,
    subs: BTreeMap<String, Info>,
}

fn int(f: &Frame) -> i64 {
    match f {
        Frame::Integer(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn set(f: &Frame) -> BTreeSet<String> {
    items(f).iter().map(text).collect()
}

/// A key spec as sorted `key=value` text, without Redis's prose notes.
fn spec_text(f: &Frame) -> String {
    match f {
        Frame::Map(_) | Frame::Array(_) if is_map_like(f) => {
            let mut kv: Vec<String> = pairs(f)
                .into_iter()
                .filter(|(k, _)| k != "notes")
                .map(|(k, v)| format!("{k}={}", spec_text(&v)))
                .collect();
            kv.sort();
            format!("{{{}}}", kv.join(","))
        }
        Frame::Array(v) | Frame::Set(v) => {
            format!(
                "[{}]",
                v.iter().map(spec_text).collect::<Vec<_>>().join(",")
            )
        }
        other => text(other),
    }
}

/// Key-spec maps arrive as flat arrays in RESP2; their keys are the known field names.
fn is_map_like(f: &Frame) -> bool {
    match f {
        Frame::Map(_) => true,
        Frame::Array(v) => {
            v.len() % 2 == 0
                && !v.is_empty()
                && v.chunks(2).all(|c| {
                    matches!(&c[0], Frame::Bulk(k) if [
                        &b"flags"[..], b"begin_search", b"find_keys", b"notes", b"type",
                        b"spec", b"index", b"keyword", b"startfrom", b"lastkey", b"keystep",
                        b"limit", b"keynumidx", b"firstkey",
                    ].contains(&&k[..]))
                })
        }
        _ => false,
    }
}

fn parse_info(f: &Frame) -> (String, Info) {
    let v = items(f);
    assert_eq!(v.len(), 10, "COMMAND INFO entries have ten fields: {f:?}");
    let subs = items(&v[9]).iter().map(parse_info).collect();
    (
        text(&v[0]),
        Info {
            arity: int(&v[1]),
            flags: set(&v[2]),
            keys: (int(&v[3]), int(&v[4]), int(&v[5])),
            acl: set(&v[6]),
            tips: set(&v[7]),
            specs: items(&v[8]).iter().map(spec_text).collect(),
            subs,
        },
    )
}

/// Subcommands Redis 7.0 has that Redoubt deliberately lacks (see differences.md).
const MISSING_SUBS: &[&str] = &["client|caching", "client|tracking"];
/// Containers whose subcommands this suite owns: the sets must match.
const OWNED: &[&str] = &["client", "command", "slowlog", "memory", "latency"];

fn compare(name: &str, ours: &Info, theirs: &Info, bad: &mut Vec<String>) {
    let mut field = |what: &str, a: String, b: String| {
        if a != b {
            bad.push(format!("{name} {what}: redoubt {a} / redis {b}"));
        }
    };
    field("arity", ours.arity.to_string(), theirs.arity.to_string());
    field(
        "flags",
        format!("{:?}", ours.flags),
        format!("{:?}", theirs.flags),
    );
    field(
        "keys",
        format!("{:?}", ours.keys),
        format!("{:?}", theirs.keys),
    );
    field(
        "acl",
        format!("{:?}", ours.acl),
        format!("{:?}", theirs.acl),
    );
    field(
        "tips",
        format!("{:?}", ours.tips),
        format!("{:?}", theirs.tips),
    );
    field(
        "key specs",
        format!("{:?}", ours.specs),
        format!("{:?}", theirs.specs),
    );
    for (sub, info) in &ours.subs {
        match theirs.subs.get(sub) {
            Some(t) => compare(sub, info, t, bad),
            None => bad.push(format!("{sub}: not a Redis 7.0 subcommand")),
        }
    }
    if OWNED.contains(&name) {
        for sub in theirs.subs.keys() {
            if !ours.subs.contains_key(sub) && !MISSING_SUBS.contains(&sub.as_str()) {
                bad.push(format!("{sub}: missing"));
            }
        }
    }
}

#[test]
fn command_info_matches_redis_for_every_shared_command() {
    let mut d = Diff::new(&[]);
    let ours: BTreeMap<String, Info> = items(&frame(&d.a.call(&["COMMAND"])))
        .iter()
        .map(parse_info)
        .collect();
    let count = frame(&d.a.call(&["COMMAND", "COUNT"]));
    assert_eq!(int(&count) as usize, ours.len());
    let mut bad = Vec::new();
    let mut compared = 0;
    for (name, info) in &ours {
        let reply = frame(&d.b.call(&["COMMAND", "INFO", name]));
        let entry = &items(&reply)[0];
        if *entry == Frame::Null {
            continue; // A Redoubt-only command: nothing to compare with.
        }
        let (_, theirs) = parse_info(entry);
        compare(name, info, &theirs, &mut bad);
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} commands compared");
    assert!(
        bad.is_empty(),
        "COMMAND INFO differences:\n{}",
        bad.join("\n")
    );
    // Lookup by full name and unknown names.
    d.check(&[
        "COMMAND",
        "INFO",
        "client|id",
        "nosuch",
        "get|x",
        "client|nosuch",
    ]);
    d.check(&["COMMAND", "INFO", "GET"]);
}

#[test]
fn command_info_in_resp3() {
    let mut d = Diff::new(&[]);
    super::hello3(&mut d);
    for name in [
        "get",
        "set",
        "client",
        "dbsize",
        "command|info",
        "memory|usage",
    ] {
        let a = frame(&d.a.call(&["COMMAND", "INFO", name]));
        let b = frame(&d.b.call(&["COMMAND", "INFO", name]));
        let (na, ia) = parse_info(&items(&a)[0]);
        let (nb, ib) = parse_info(&items(&b)[0]);
        assert_eq!(na, nb);
        let mut bad = Vec::new();
        compare(&na, &ia, &ib, &mut bad);
        assert!(bad.is_empty(), "{bad:?}");
    }
    // Leaf entries are byte-identical, sets and maps included.
    d.check(&["COMMAND", "INFO", "get", "dbsize"]);
    d.check(&["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]);
}

#[test]
fn command_list_and_docs() {
    let mut d = Diff::new(&[]);
    let names = |raw: &[u8]| -> BTreeSet<String> { set(&frame(raw)) };
    let ours = names(&d.a.call(&["COMMAND", "LIST"]));
    let theirs = names(&d.b.call(&["COMMAND", "LIST"]));
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    assert!(only_ours.is_empty(), "not in Redis 7.0: {only_ours:?}");
    for filter in [
        ["FILTERBY", "PATTERN", "client*"],
        ["FILTERBY", "PATTERN", "COMMAND|*"],
        ["FILTERBY", "ACLCAT", "connection"],
        ["FILTERBY", "ACLCAT", "keyspace"],
    ] {
        let mut args = vec!["COMMAND", "LIST"];
        args.extend(filter);
        let a = names(&d.a.call(&args));
        let b: BTreeSet<String> = names(&d.b.call(&args))
            .intersection(&ours)
            .cloned()
            .collect();
        assert_eq!(a, b, "{args:?}");
        assert!(!a.is_empty(), "{args:?} found nothing");
    }
    d.run(
        r#"
        COMMAND LIST FILTERBY MODULE foo
        COMMAND LIST FILTERBY ACLCAT nosuch
        COMMAND LIST FILTERBY ACLCAT @read
        COMMAND LIST FILTERBY PATTERN nosuch*
        COMMAND LIST foo
        COMMAND LIST FILTERBY foo bar
        COMMAND LIST FILTERBY PATTERN
        COMMAND DOCS nosuch
        COMMAND HELP
        COMMAND COUNT x
        COMMAND FOO
        "#,
    );
    // DOCS: a map keyed by full name with group and version (no prose; see differences.md).
    let docs = frame(&d.a.call(&["COMMAND", "DOCS", "get", "client", "nosuch"]));
    let kv = pairs(&docs);
    assert_eq!(kv.len(), 2);
    let get: BTreeMap<String, String> = pairs(&kv[0].1)
        .into_iter()
        .map(|(k, v)| (k, text(&v)))
        .collect();
    assert_eq!(get["group"], "string");
    assert_eq!(get["since"], "1.0.0");
    let client = pairs(&kv[1].1);
    let subs = &client.iter().find(|(k, _)| k == "subcommands").unwrap().1;
    assert!(pairs(subs).iter().any(|(k, _)| k == "client|kill"));
}

/// Lines for COMMAND GETKEYS; those whose command Redoubt lacks are left out.
const GETKEYS: &[&str] = &[
    "get k",
    "set k v",
    "set k v GET",
    "set k v EX 10 get",
    "mset a 1 b 2 c 3",
    "mget a b c",
    "del a b c",
    "exists a",
    "watch a b",
    "rename a b",
    "copy a b DB 1",
    "expire k 10",
    "object encoding k",
    "memory usage k",
    "bitfield k GET u8 0",
    "bitfield k SET u8 0 1",
    "bitfield_ro k GET u8 0",
    "bitop and d a b",
    "getex k",
    "lmove a b left right",
    "zunionstore d 2 a b",
    "zunionstore d 5 a b",
    "zunionstore d x a b",
    "eval s 0",
    "eval s 2 a b c",
    "eval s 5 a",
    "xread COUNT 1 STREAMS a b 0 0",
    "sort k LIMIT 0 1 STORE d",
    "sort k BY x GET y",
    "sort_ro k",
    "migrate h 1 k 0 5",
    "migrate h 1 \"\" 0 5 COPY AUTH p KEYS a b",
    "georadius k 0 0 1 km STORE d",
    "publish c m",
    "ping",
    "client list",
    "dbsize",
    "get",
    "get a b",
    "nosuchcmd a",
    "config get x",
    "client nosuch",
];

#[test]
fn command_getkeys_matches_redis() {
    let mut d = Diff::new(&[]);
    let mut compared = 0;
    for line in GETKEYS {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        let known = frame(&d.a.call(&[&b"COMMAND"[..], &b"INFO"[..], &args[0][..]]));
        if items(&known)[0] == Frame::Null && line != &"nosuchcmd a" {
            continue;
        }
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut full: Vec<Vec<u8>> = vec![b"COMMAND".to_vec(), sub.as_bytes().to_vec()];
            full.extend(args.iter().cloned());
            d.check(&full);
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} GETKEYS lines compared");
    d.run(
        r#"
        COMMAND GETKEYS
        COMMAND GETKEYS get
        COMMAND GETKEYSANDFLAGS
        "#,
    );
}

//! Random differential sequences mixing every data type: proptest generates commands from
//! every family (strings and bitmaps, lists, hashes, sets, sorted sets, HyperLogLog, GEO,
//! SORT, generic key commands, DUMP/RESTORE round trips, MULTI/EXEC with WATCH) over one
//! key space of six keys, so keys change type under each other and WRONGTYPE paths are
//! walked. Half the cases lower the encoding limits to 4 entries / 16 bytes on both servers
//! (conversions at every few writes), half keep the defaults (crossed by long values and
//! occasional crowds of members); half the cases speak RESP3. Each sequence runs on Redoubt
//! and redis-server 7.0, then every key is read back; every reply must be byte-identical
//! except where `tests/e2e/differences.md` says otherwise:
//! - replies in a hash table's order (SMEMBERS, SINTER/SUNION/SDIFF, KEYS, SCAN, and
//!   HGETALL/HKEYS/HVALS of a table-encoded hash) are compared sorted;
//! - TTL/PTTL/EXPIRETIME are compared by sign; random picks (SRANDMEMBER, HRANDFIELD,
//!   ZRANDMEMBER, RANDOMKEY) by shape (array length, nil or not);
//! - DUMP payloads of sets, sorted sets and table-encoded hashes are not compared (Redoubt
//!   writes the plain encodings), but each payload is RESTOREd, sometimes into the *other*
//!   server, and what comes out is compared by the commands that follow;
//! - SORT of a table-encoded set or a sorted set runs only where ties cannot occur (ALPHA
//!   without BY, or a sorted set BY nosort), lex ranges only over equal scores;
//! - once SETBIT has run in a case, OBJECT ENCODING's int/embstr/raw are one answer.
//!
//! A failure is shrunk to a minimal sequence and printed with both replies.
//!
//! Knobs (shared with `random`): `REDOUBT_RANDOM_CASES=N` cases per round (256),
//! `REDOUBT_RANDOM_SECONDS=S` keeps running rounds for S seconds, `REDOUBT_RANDOM_SKIP=A,B`
//! leaves commands out, `REDOUBT_RANDOM_VERBOSE=1` prints replies and errors per command.
//! The blocking scenario takes `REDOUBT_BLOCKING_CASES` (12).

mod blocking;
mod gen;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use proptest::test_runner::TestCaseError;
use resp::Frame;

use crate::kit::{env_num, random_rounds, random_skip, Diff};
use gen::Cmd;

/// How two replies to one command are compared.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Exact,
    /// Arrays sorted (recursively).
    Unordered,
    /// Exact for a listpack hash, sorted for a table-encoded one.
    HashOrder,
    /// Positive integers are equal.
    Timed,
    /// Array lengths, nil or not.
    Shape,
    /// OBJECT ENCODING: string encodings equal once SETBIT ran.
    Encoding,
}

fn mode(c: &Cmd) -> Mode {
    match c[0].as_str() {
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "KEYS" | "SCAN" => Mode::Unordered,
        "HGETALL" | "HKEYS" | "HVALS" => Mode::HashOrder,
        "TTL" | "PTTL" | "EXPIRETIME" => Mode::Timed,
        "SRANDMEMBER" | "HRANDFIELD" | "ZRANDMEMBER" | "RANDOMKEY" => Mode::Shape,
        "OBJECT" => Mode::Encoding,
        _ => Mode::Exact,
    }
}

fn decode(r: &[u8]) -> Option<Frame> {
    match Frame::decode(r) {
        Ok(Some((f, _))) => Some(f),
        _ => None,
    }
}

fn encode(f: &Frame) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    f.encode(&mut out);
    out.to_vec()
}

/// The text of a simple or bulk reply.
fn text(r: &[u8]) -> String {
    match decode(r) {
        Some(Frame::Simple(b)) | Some(Frame::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::from_utf8_lossy(r).into_owned(),
    }
}

/// A reply with its collections sorted, recursively: arrays and sets by element, maps
/// (RESP3 HGETALL) by pair, and with `pairs`, a flat array (RESP2 HGETALL) by pair.
fn unordered(r: &[u8], pairs: bool) -> String {
    fn norm(f: &Frame, pairs: bool) -> String {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            format!("[{}]", v.join(","))
        };
        match f {
            Frame::Array(v) if pairs => sorted(v.chunks(2).map(|p| format!("{p:?}")).collect()),
            Frame::Array(v) | Frame::Set(v) => sorted(v.iter().map(|x| norm(x, false)).collect()),
            Frame::Map(v) => sorted(v.iter().map(|p| format!("{p:?}")).collect()),
            other => format!("{other:?}"),
        }
    }
    match decode(r) {
        Some(f) => norm(&f, pairs),
        None => String::from_utf8_lossy(r).into_owned(),
    }
}

fn shape(r: &[u8]) -> String {
    match decode(r) {
        Some(Frame::Array(v)) | Some(Frame::Set(v)) => format!("collection of {}", v.len()),
        Some(Frame::Map(v)) => format!("map of {}", v.len()),
        Some(Frame::Bulk(_)) => "bulk".into(),
        _ => String::from_utf8_lossy(r).into_owned(),
    }
}

fn timed(r: &[u8]) -> Vec<u8> {
    match r.strip_prefix(b":") {
        Some(n) if !n.starts_with(b"-") => b":<positive>\r\n".to_vec(),
        _ => r.to_vec(),
    }
}

/// What one case knows while it runs.
#[derive(Default)]
struct CaseState {
    setbit: bool,
    /// A SORT … STORE ran with the list limits lowered.
    sort_stored: bool,
    low: bool,
    erange: bool,
    in_multi: bool,
    queued: Vec<Cmd>,
}

/// Whether two differing replies still agree under the command's mode. `hash_enc` gives
/// redis-server's encoding of the command's key, when it can be asked (outside MULTI).
fn agree(
    c: &Cmd,
    ra: &[u8],
    rb: &[u8],
    st: &CaseState,
    hash_enc: &mut dyn FnMut() -> Option<String>,
) -> bool {
    if ra == rb {
        return true;
    }
    match mode(c) {
        Mode::Exact => false,
        Mode::Unordered => unordered(ra, false) == unordered(rb, false),
        Mode::HashOrder => {
            let table = !matches!(hash_enc(), Some(e) if e != "hashtable");
            let pairs = c[0] == "HGETALL";
            table && unordered(ra, pairs) == unordered(rb, pairs)
        }
        Mode::Timed => timed(ra) == timed(rb),
        Mode::Shape => shape(ra) == shape(rb),
        Mode::Encoding => {
            let string = |r: &[u8]| ["int", "embstr", "raw"].contains(&text(r).as_str());
            st.setbit && string(ra) && string(rb)
        }
    }
}

/// Replies seen, for the summary.
#[derive(Default)]
struct Tally {
    replies: u64,
    errors: u64,
    wrongtype: u64,
    /// RESP3-only reply types (maps, sets, doubles).
    resp3: u64,
    skipped: u64,
    /// Replies and errors per command name.
    per_command: BTreeMap<String, (u64, u64)>,
    encodings: BTreeSet<String>,
}

impl Tally {
    fn count(&mut self, c: &Cmd, rb: &[u8]) {
        self.replies += 1;
        self.errors += u64::from(rb.starts_with(b"-"));
        self.wrongtype += u64::from(rb.starts_with(b"-WRONGTYPE"));
        self.resp3 += u64::from(matches!(rb.first(), Some(b'%' | b'~' | b',')));
        let e = self.per_command.entry(c[0].clone()).or_default();
        e.0 += 1;
        e.1 += u64::from(rb.starts_with(b"-"));
        if let (true, Some(Frame::Bulk(e))) = (c[0] == "OBJECT", decode(rb)) {
            self.encodings
                .insert(String::from_utf8_lossy(&e).into_owned());
        }
    }
}

const LOW_LIMITS: [&str; 12] = [
    "hash-max-listpack-entries",
    "4",
    "hash-max-listpack-value",
    "16",
    "set-max-intset-entries",
    "4",
    "zset-max-listpack-entries",
    "4",
    "zset-max-listpack-value",
    "16",
    "list-max-listpack-size",
    "4",
];

const DEFAULT_LIMITS: [&str; 12] = [
    "hash-max-listpack-entries",
    "128",
    "hash-max-listpack-value",
    "64",
    "set-max-intset-entries",
    "512",
    "zset-max-listpack-entries",
    "128",
    "zset-max-listpack-value",
    "64",
    "list-max-listpack-size",
    "-2",
];

/// Asks redis-server only (a read that changes nothing the test compares).
fn ask(d: &mut Diff, args: &[&str]) -> String {
    text(&d.b.call(args))
}

const LEX: [&str; 5] = [
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZLEXCOUNT",
    "ZREMRANGEBYLEX",
    "ZRANGESTORE",
];

/// Commands run only after a look at their key (or pseudo-commands).
fn needs_look(c: &Cmd) -> bool {
    c[0] == "@DUMPRESTORE"
        || c[0].starts_with("SORT")
        || LEX.contains(&c[0].as_str())
        || (c[0] == "ZRANGE" && c.iter().any(|a| a == "BYLEX"))
}

/// Lex ranges over a sorted set whose scores differ are unspecified in Redis (a skiplist's
/// answer depends on its random levels, a listpack's on where its walk starts and stops;
/// differences.md): such commands are not run.
fn lex_defined(d: &mut Diff, c: &Cmd) -> bool {
    let bylex = c.iter().any(|a| a.eq_ignore_ascii_case("BYLEX"));
    let key = match c[0].as_str() {
        "ZRANGE" if bylex => &c[1],
        "ZRANGESTORE" if bylex => &c[2],
        "ZRANGESTORE" | "ZRANGE" => return true,
        n if LEX.contains(&n) => &c[1],
        _ => return true,
    };
    if ask(d, &["TYPE", key]) != "zset" {
        return true;
    }
    let first = d.b.call(&["ZRANGE", key, "0", "0", "WITHSCORES"]);
    let last = d.b.call(&["ZRANGE", key, "-1", "-1", "WITHSCORES"]);
    // RESP2: [member, score]; RESP3: [[member, score]].
    let score = |r: &[u8]| match decode(r) {
        Some(Frame::Array(v)) => match v.first() {
            Some(Frame::Array(p)) => p.get(1).cloned(),
            _ => v.get(1).cloned(),
        },
        _ => None,
    };
    score(&first) == score(&last)
}

/// SORT's order is defined unless its input comes in a hash table's order and may tie
/// (differences.md): a table-encoded set, or a sorted set (which Redis reads from its dict),
/// unless sorted ALPHA on the members themselves, or a sorted set BY nosort.
///
/// Numeric weights are also skipped once the case has used a number `strtod` over- or
/// underflows: Redis's SORT reads a stale `errno` (differences.md, SORT), which only a
/// new connection resets.
fn sort_defined(d: &mut Diff, c: &Cmd, st: &CaseState) -> bool {
    let arg = |w: &str| c.iter().position(|a| a.eq_ignore_ascii_case(w));
    let alpha = arg("ALPHA").is_some();
    let by = arg("BY").and_then(|i| c.get(i + 1)).cloned();
    let nosort = by.as_deref() == Some("nosort");
    if st.erange && !alpha && !nosort {
        return false;
    }
    let unique = alpha && by.is_none();
    match ask(d, &["TYPE", &c[1]]).as_str() {
        "set" => {
            unique
                || ask(d, &["OBJECT", "ENCODING", &c[1]]) == "intset"
                || (nosort && arg("STORE").is_some())
        }
        "zset" => unique || nosort,
        _ => true,
    }
}

fn fail(log: &str, sa: &[u8], sb: &[u8]) -> TestCaseError {
    TestCaseError::fail(format!(
        "replies differ at the last command:\n{log}redoubt: {:.600}\nredis:   {:.600}",
        format!("{:?}", String::from_utf8_lossy(sa)),
        format!("{:?}", String::from_utf8_lossy(sb)),
    ))
}

fn bulk_bytes(r: &[u8]) -> Option<Vec<u8>> {
    match decode(r) {
        Some(Frame::Bulk(b)) => Some(b.to_vec()),
        _ => None,
    }
}

/// `@DUMPRESTORE src dst own|cross REPLACE|"" ttl`: DUMP on each server, then RESTORE of
/// its own payload or of the other server's.
fn dump_restore(
    d: &mut Diff,
    c: &Cmd,
    st: &CaseState,
    tally: &mut Tally,
    log: &mut String,
) -> Result<(), TestCaseError> {
    let (src, dst) = (&c[1], &c[2]);
    let ty = ask(d, &["TYPE", src]);
    let enc = ask(d, &["OBJECT", "ENCODING", src]);
    let dump = ["DUMP", src.as_str()];
    let (da, db) = (d.a.call(&dump), d.b.call(&dump));
    tally.count(&vec!["DUMP".into()], &db);
    log.push_str(&format!(
        "DUMP {src} -> {:.80}\n",
        format!("{:?}", String::from_utf8_lossy(&db))
    ));
    // Sets, sorted sets and table hashes are written in other encodings (differences.md).
    // So are lists stored by SORT under a lowered list-max-listpack-size (Redis gives
    // them the default fill; differences.md, SORT).
    let list = ty == "list" && !st.sort_stored;
    let comparable =
        matches!(ty.as_str(), "string" | "none") || list || (ty == "hash" && enc == "listpack");
    let (pa, pb) = (bulk_bytes(&da), bulk_bytes(&db));
    if (comparable && da != db) || pa.is_some() != pb.is_some() {
        return Err(fail(log, &da, &db));
    }
    let (Some(pa), Some(pb)) = (pa, pb) else {
        return Ok(());
    };
    let cross = c[3] == "cross";
    let (for_a, for_b) = if ty == "hash" && enc == "hashtable" {
        // A table's fields come in each server's own order, and a RESTORE that makes a
        // listpack of them keeps that order: both load the same payload instead.
        let p = if cross { pa } else { pb };
        (p.clone(), p)
    } else if cross {
        (pb, pa)
    } else {
        (pa, pb)
    };
    let restore = |p: Vec<u8>| {
        let mut v: Vec<Vec<u8>> = vec![
            b"RESTORE".to_vec(),
            dst.clone().into(),
            c[5].clone().into(),
            p,
        ];
        if !c[4].is_empty() {
            v.push(c[4].clone().into());
        }
        v
    };
    let (ra, rb) = (d.a.call(&restore(for_a)), d.b.call(&restore(for_b)));
    tally.count(&vec!["RESTORE".into()], &rb);
    log.push_str(&format!(
        "RESTORE {dst} {} <{} payload> {} -> {:?}\n",
        c[5],
        c[3],
        c[4],
        String::from_utf8_lossy(&rb)
    ));
    if ra != rb {
        return Err(fail(log, &ra, &rb));
    }
    Ok(())
}

fn run_case(
    d: &mut Diff,
    tally: &mut Tally,
    low: bool,
    resp3: bool,
    seq: &[Cmd],
    skip: &[String],
) -> Result<(), TestCaseError> {
    d.reconnect();
    let limits = if low { LOW_LIMITS } else { DEFAULT_LIMITS };
    for conn in [&mut d.a, &mut d.b] {
        assert_eq!(conn.call(&["FLUSHALL"]), b"+OK\r\n");
        let mut set = vec!["CONFIG", "SET"];
        set.extend(limits);
        assert_eq!(conn.call(&set), b"+OK\r\n", "CONFIG SET {set:?}");
        if resp3 {
            // Not compared: server name, version and client id differ by nature.
            assert!(conn.call(&["HELLO", "3"]).starts_with(b"%"));
        }
    }
    let mut st = CaseState {
        low,
        ..CaseState::default()
    };
    let mut log = format!(
        "(limits {}, RESP{})\n",
        if low { "lowered" } else { "default" },
        if resp3 { 3 } else { 2 }
    );
    for c in seq.iter().filter(|c| !skip.contains(&c[0])) {
        if needs_look(c) && st.in_multi {
            // Only shrinking moves these into a transaction; they need a look first.
            tally.skipped += 1;
            continue;
        }
        if c[0] == "@DUMPRESTORE" {
            dump_restore(d, c, &st, tally, &mut log)?;
            continue;
        }
        if (c[0].starts_with("SORT") && !sort_defined(d, c, &st)) || !lex_defined(d, c) {
            tally.skipped += 1;
            log.push_str(&format!("({} not run: order undefined)\n", c.join(" ")));
            continue;
        }
        seq_one(d, tally, &mut st, &mut log, c)?;
    }
    if st.in_multi {
        seq_one(d, tally, &mut st, &mut log, &vec!["DISCARD".into()])?;
    }
    // The final state of every key, through the same comparisons.
    for i in 0..gen::KEYS {
        let k = format!("k{i}");
        let read = match ask(d, &["TYPE", &k]).as_str() {
            "list" => vec!["LRANGE", &k, "0", "-1"],
            "zset" => vec!["ZRANGE", &k, "0", "-1", "WITHSCORES"],
            "set" => vec!["SMEMBERS", &k],
            "hash" => vec!["HGETALL", &k],
            _ => vec!["GET", &k],
        };
        for c in [read, vec!["OBJECT", "ENCODING", &k], vec!["TTL", &k]] {
            let c: Cmd = c.into_iter().map(String::from).collect();
            seq_one(d, tally, &mut st, &mut log, &c)?;
        }
    }
    Ok(())
}

/// Runs one command on both servers and compares the replies under its mode.
fn seq_one(
    d: &mut Diff,
    tally: &mut Tally,
    st: &mut CaseState,
    log: &mut String,
    c: &Cmd,
) -> Result<(), TestCaseError> {
    if c[0] == "SETBIT" {
        st.setbit = true;
    }
    st.sort_stored |= st.low && c[0] == "SORT" && c.iter().any(|a| a == "STORE");
    // Out of a double's range: strtod sets ERANGE (and stored denormals set it again
    // whenever a listpack score is read).
    st.erange |= c.iter().any(|a| a == "5e-324" || a == "1e400");
    let (ra, rb) = (d.a.call(c), d.b.call(c));
    tally.count(c, &rb);
    log.push_str(&format!(
        "{} -> {:.300}\n",
        c.join(" "),
        format!("{:?}", String::from_utf8_lossy(&rb))
    ));
    let same = if c[0] == "EXEC" && st.in_multi {
        exec_agrees(&ra, &rb, st)
    } else if st.in_multi {
        ra == rb
    } else {
        let key = c.get(1).cloned().unwrap_or_default();
        agree(c, &ra, &rb, st, &mut || {
            Some(ask(d, &["OBJECT", "ENCODING", &key]))
        })
    };
    if !same {
        return Err(fail(log, &ra, &rb));
    }
    match c[0].as_str() {
        "MULTI" if rb == b"+OK\r\n" => {
            st.in_multi = true;
            st.queued.clear();
        }
        "EXEC" | "DISCARD" => st.in_multi = false,
        _ if st.in_multi && rb == b"+QUEUED\r\n" => st.queued.push(c.clone()),
        _ => {}
    }
    Ok(())
}

/// EXEC's array compared element by element under each queued command's mode.
fn exec_agrees(ra: &[u8], rb: &[u8], st: &CaseState) -> bool {
    if ra == rb {
        return true;
    }
    match (decode(ra), decode(rb)) {
        (Some(Frame::Array(a)), Some(Frame::Array(b)))
            if a.len() == b.len() && a.len() == st.queued.len() =>
        {
            a.iter()
                .zip(&b)
                .zip(&st.queued)
                .all(|((x, y), c)| agree(c, &encode(x), &encode(y), st, &mut || None))
        }
        _ => false,
    }
}

#[test]
fn random_mixed_type_sequences_match_redis() {
    let cases = env_num("REDOUBT_RANDOM_CASES").unwrap_or(256) as u32;
    let budget = Duration::from_secs(env_num("REDOUBT_RANDOM_SECONDS").unwrap_or(0));
    let d = RefCell::new(Diff::new(&[]));
    let tally = RefCell::new(Tally::default());
    let skip = random_skip();
    let start = Instant::now();
    let rounds = random_rounds(
        cases,
        budget,
        gen::case(),
        |(low, resp3, seq)| {
            let (mut d, mut t) = (d.borrow_mut(), tally.borrow_mut());
            run_case(&mut d, &mut t, low, resp3, &seq, &skip)
        },
        |(_, _, seq)| seq,
    );
    let t = tally.borrow();
    eprintln!(
        "mixed random differential: {rounds} round(s) of {cases} cases in {:.1}s, {} replies \
         compared ({} errors, {} WRONGTYPE, {} RESP3 maps/sets/doubles), {} commands not run \
         (undefined order), {} command names, encodings seen: {:?}",
        start.elapsed().as_secs_f64(),
        t.replies,
        t.errors,
        t.wrongtype,
        t.resp3,
        t.skipped,
        t.per_command.len(),
        t.encodings
    );
    if std::env::var_os("REDOUBT_RANDOM_VERBOSE").is_some() {
        for (name, (n, e)) in &t.per_command {
            eprintln!("  {name:<20} {n:>8} replies, {e:>7} errors");
        }
    }
    assert!(
        t.wrongtype > 0 && t.resp3 > 0 && t.encodings.len() >= 7,
        "the generator lost its reach"
    );
}

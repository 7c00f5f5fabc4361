//! DEBUG RELOAD and DEBUG POPULATE against redis-server 7.0: replies and errors, every type
//! and TTL surviving a reload, the MERGE/NOFLUSH/NOSAVE variants, the fatal cases (a clash
//! without MERGE, a damaged file) that stop both servers, INFO persistence, nothing
//! propagated, replicas in sync across a reload on their primary, and POPULATE's exact keys
//! and values.

use std::time::Duration;

use crate::kit::{check_pair, check_pair_reply, Diff, Raw, Server};
use crate::repl_tap::assert_same_stream;
use crate::replication::{text, wait_until};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

fn frame(raw: &[u8]) -> resp::Frame {
    resp::Frame::decode(raw).unwrap().unwrap().0
}

fn strings(raw: &[u8]) -> Vec<Vec<u8>> {
    match frame(raw) {
        resp::Frame::Array(v) => v
            .into_iter()
            .map(|f| f.as_bytes().unwrap().to_vec())
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// The named fields of an INFO section, one `name:value` line each.
fn info_fields(c: &mut Raw, section: &str, names: &[&str]) -> String {
    let info = text(&c.call(&["INFO", section]));
    names
        .iter()
        .map(|n| {
            info.lines()
                .find(|l| l.split(':').next() == Some(n))
                .unwrap_or_else(|| panic!("no {n} in {info}"))
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const LOAD_FIELDS: &[&str] = &[
    "rdb_changes_since_last_save",
    "rdb_saves",
    "rdb_last_load_keys_expired",
    "rdb_last_load_keys_loaded",
];

/// Asserts both servers report the same save/load figures.
fn same_load_figures(d: &mut Diff) {
    let a = info_fields(&mut d.a, "persistence", LOAD_FIELDS);
    let b = info_fields(&mut d.b, "persistence", LOAD_FIELDS);
    assert_eq!(
        a, b,
        "INFO persistence (left: redoubt, right: redis-server)"
    );
}

/// One key of a snapshot: db, name, content, PTTL, OBJECT ENCODING.
type KeyState = (usize, Vec<u8>, Vec<Vec<u8>>, i64, Vec<u8>);

/// A value's content: its DUMP payload, or for hash-table encodings, whose DUMP follows the
/// table's order (which a reload may change), the sorted fields and values or members.
fn content(c: &mut Raw, key: &[u8], enc: &[u8]) -> Vec<Vec<u8>> {
    if enc != b"$9\r\nhashtable\r\n" {
        return vec![c.call(&[&b"DUMP"[..], key])];
    }
    let ty = c.call(&[&b"TYPE"[..], key]);
    let read = if ty == b"+hash\r\n" {
        "HGETALL"
    } else {
        "SMEMBERS"
    };
    let mut v = strings(&c.call(&[read.as_bytes(), key]));
    if read == "HGETALL" {
        let mut pairs: Vec<Vec<u8>> = v.chunks(2).map(|p| p.concat()).collect();
        pairs.sort();
        return pairs;
    }
    v.sort();
    v
}

/// Every key of dbs 0–3 with its content, PTTL and encoding, sorted.
fn snapshot(c: &mut Raw) -> Vec<KeyState> {
    let mut out = Vec::new();
    for db in 0..4usize {
        c.call(&["SELECT", &db.to_string()]);
        for k in strings(&c.call(&["KEYS", "*"])) {
            let enc = c.call(&[&b"OBJECT"[..], b"ENCODING", &k]);
            let content = content(c, &k, &enc);
            let pttl = text(&c.call(&[&b"PTTL"[..], &k]));
            let pttl: i64 = pttl.trim_start_matches(':').trim().parse().unwrap();
            out.push((db, k, content, pttl, enc));
        }
    }
    c.call(&["SELECT", "0"]);
    out.sort();
    out
}

/// A dataset of every type in several encodings, some with TTLs, in dbs 0 and 3.
fn fill_every_type(d: &mut Diff) {
    let long = "x".repeat(100);
    d.run(&format!(
        "SET str hello
        SET int 12345
        SET neg -7
        SET long {long}
        SET ttl v PX 500000
        SET at v PXAT 4000000000000
        RPUSH list a b c 1 2 3
        HSET hash f1 v1 f2 2
        SADD intset 1 2 3 -5
        SADD set a b c
        ZADD zset 1 a 2.5 b -3 c
        PEXPIRE list 400000
        EXPIRE hash 300000
        SELECT 3
        SET other in-db-3
        ZADD z3 1 x
        EXPIRE z3 200000
        SELECT 0"
    ));
    for i in 0..300 {
        let v = format!("{i}-{}", "y".repeat(90));
        d.check(&["RPUSH", "biglist", &v]);
        d.check(&["HSET", "bighash", &format!("f{i}"), &v]);
        d.check(&["SADD", "bigset", &v]);
        d.check(&["SADD", "bigintset", &i.to_string()]);
        d.check(&["ZADD", "bigzset", &i.to_string(), &v]);
    }
    d.run("EXPIRE bigzset 100000");
}

/// DUMP payloads and encodings equal, TTLs at most `slack` ms lower.
fn assert_kept(before: &[KeyState], after: &[KeyState], slack: i64, who: &str) {
    assert_eq!(before.len(), after.len(), "{who}: key count changed");
    for (b, a) in before.iter().zip(after) {
        let key = String::from_utf8_lossy(&b.1);
        assert_eq!((b.0, &b.1), (a.0, &a.1), "{who}: keys differ");
        assert_eq!(b.2, a.2, "{who}: content of {key} changed");
        assert_eq!(b.4, a.4, "{who}: encoding of {key} changed");
        if b.3 < 0 {
            assert_eq!(b.3, a.3, "{who}: PTTL of {key}");
        } else {
            assert!(
                a.3 <= b.3 && a.3 >= b.3 - slack,
                "{who}: PTTL of {key} {} -> {}",
                b.3,
                a.3
            );
        }
    }
}

#[test]
fn reload_errors_and_replies_match_redis() {
    let mut d = Diff::new(DEBUG_ON);
    d.run(
        "DEBUG RELOAD foo
        DEBUG RELOAD merge noflush nosave bar
        DEBUG RELOAD NOSAVE NOSAVE x
        SET a 1
        DEBUG RELOAD NOSAVE NOFLUSH
        DBSIZE
        DEBUG RELOAD NOSAVE
        DBSIZE
        SET a 1
        SET b 2
        DEBUG RELOAD
        DBSIZE
        DEBUG RELOAD MERGE
        DEBUG RELOAD noflush MERGE
        DEBUG RELOAD nosave merge NOFLUSH
        DEBUG reload
        MGET a b
        DEBUG OBJECT nokey",
    );
    same_load_figures(&mut d);
    // Inside a transaction too.
    d.run(
        "MULTI
        SET c 3
        DEBUG RELOAD
        DEBUG RELOAD bad
        GET c
        EXEC",
    );
    same_load_figures(&mut d);
}

#[test]
fn reload_keeps_every_type_and_ttl() {
    let mut d = Diff::new(DEBUG_ON);
    fill_every_type(&mut d);
    let before = (snapshot(&mut d.a), snapshot(&mut d.b));
    let info_before = info_fields(&mut d.a, "persistence", &["rdb_last_save_time"]);
    std::thread::sleep(Duration::from_millis(1100));
    d.check(&["DEBUG", "RELOAD"]);
    let after = (snapshot(&mut d.a), snapshot(&mut d.b));
    assert_kept(&before.0, &after.0, 3000, "redoubt");
    assert_kept(&before.1, &after.1, 3000, "redis-server");
    // The same keys and encodings on both servers.
    let shape = |s: &[KeyState]| {
        s.iter()
            .map(|k| (k.0, k.1.clone(), k.4.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shape(&after.0),
        shape(&after.1),
        "keys/encodings (left: redoubt)"
    );
    same_load_figures(&mut d);
    assert_ne!(
        info_before,
        info_fields(&mut d.a, "persistence", &["rdb_last_save_time"]),
        "the reload saves: LASTSAVE moves"
    );
    // Twice more, with NOSAVE and with NOFLUSH MERGE: still the same data.
    d.check(&["DEBUG", "RELOAD", "NOSAVE"]);
    d.check(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"]);
    assert_kept(&before.0, &snapshot(&mut d.a), 5000, "redoubt");
    assert_kept(&before.1, &snapshot(&mut d.b), 5000, "redis-server");
    same_load_figures(&mut d);
}

#[test]
fn reload_merge_noflush_nosave_semantics() {
    let mut d = Diff::new(DEBUG_ON);
    d.run(
        "SET a 1
        SET b 2
        SELECT 1
        SET one x
        SELECT 0
        SAVE
        SET a changed
        SET c 3 EX 1000
        DEBUG RELOAD NOSAVE
        MGET a b c
        SELECT 1
        GET one
        SELECT 0
        SET c 3
        SET a other PX 100000
        DEBUG SET-ACTIVE-EXPIRE 0
        SET b 3 PX 1
        DEBUG SLEEP 0.01
        DEBUG RELOAD NOSAVE NOFLUSH MERGE
        MGET a b c
        PTTL a
        PTTL b
        DBSIZE
        DEBUG SET-ACTIVE-EXPIRE 1
        SET big 123
        DEBUG RELOAD NOFLUSH MERGE
        DBSIZE
        MGET a b c big",
    );
    same_load_figures(&mut d);
    // Keys whose time passed are skipped at load and counted.
    d.run(
        "FLUSHALL
        DEBUG SET-ACTIVE-EXPIRE 0
        SET soon v PX 100
        SET later v PX 100000
        SAVE
        DEBUG SLEEP 0.15
        DEBUG RELOAD NOSAVE
        DBSIZE
        EXISTS soon later",
    );
    same_load_figures(&mut d);
    // A missing file: the flush has happened, the figures stay.
    for s in [&d.ours, &d.redis] {
        std::fs::remove_file(s.dir.join("dump.rdb")).unwrap();
    }
    d.run(
        "SET x 1
        DEBUG RELOAD NOSAVE NOFLUSH
        DBSIZE
        DEBUG RELOAD NOSAVE
        DBSIZE",
    );
    same_load_figures(&mut d);
    // Not an RDB file, or a version neither reads: refused; the load figures restart.
    for content in [&b"garbage-file\n"[..], b"REDIS0099\xff\xff\xff"] {
        d.run("SET x 1\nSAVE\nDEBUG RELOAD");
        for s in [&d.ours, &d.redis] {
            std::fs::write(s.dir.join("dump.rdb"), content).unwrap();
        }
        d.run("DEBUG RELOAD NOSAVE\nDBSIZE");
        same_load_figures(&mut d);
    }
}

#[test]
fn reload_breaks_transactions_as_redis_does() {
    let mut d = Diff::new(DEBUG_ON);
    d.run("SET kept 1\nSET later 2\nSAVE\nDEL later");
    let (mut wa, mut wb) = d.second();
    // The flush touches watched keys that exist; loading touches none, and neither does a
    // key MERGE replaces.
    for (watch, reload, aborted) in [
        ("later", "DEBUG RELOAD NOSAVE", false),
        ("kept", "DEBUG RELOAD", true),
        ("kept", "DEBUG RELOAD NOSAVE NOFLUSH MERGE", false),
        ("absent", "DEBUG RELOAD", false),
    ] {
        let exists = if watch == "kept" { ":1\r\n" } else { ":0\r\n" };
        assert_eq!(text(&d.check(&["EXISTS", watch])), exists, "{watch} before");
        check_pair(&mut wa, &mut wb, &["WATCH", watch]);
        check_pair(&mut wa, &mut wb, &["MULTI"]);
        check_pair(&mut wa, &mut wb, &["PING"]);
        d.run(reload);
        let exec = text(&check_pair(&mut wa, &mut wb, &["EXEC"]));
        assert_eq!(
            exec.starts_with("*-1"),
            aborted,
            "{reload} with {watch} watched: {exec}"
        );
    }
}

#[test]
fn a_reload_leaves_blocked_clients_blocked() {
    let mut d = Diff::new(DEBUG_ON);
    d.run("RPUSH later a b\nSAVE\nDEL later");
    let (mut ba, mut bb) = d.second();
    ba.cmd(&["BLPOP", "later", "0"]);
    bb.cmd(&["BLPOP", "later", "0"]);
    std::thread::sleep(Duration::from_millis(100));
    // Redis's loader signals no key as ready: the list is there, the client still waits,
    // and pushes onto a list that exists do not signal either (Redis 7.0 signals when a
    // key is created).
    let quiet = Duration::from_millis(300);
    for step in ["DEBUG RELOAD NOSAVE\nLRANGE later 0 -1", "RPUSH later c"] {
        d.run(step);
        assert_eq!(
            text(&ba.read_for(quiet)),
            "",
            "redoubt served the client: {step}"
        );
        assert_eq!(
            text(&bb.read_for(quiet)),
            "",
            "redis-server served the client: {step}"
        );
    }
    d.run("DEL later\nRPUSH later x y");
    check_pair_reply(&mut ba, &mut bb);
    d.run("LRANGE later 0 -1");
}

/// Both servers have exited: the connection closed and nothing listens.
fn assert_both_gone(d: &mut Diff) {
    d.assert_both_closed();
    for (who, port) in [("redoubt", d.ours.port), ("redis-server", d.redis.port)] {
        wait_until(&format!("{who} to exit"), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        });
    }
}

#[test]
fn a_clash_without_merge_stops_the_server() {
    let mut d = Diff::new(DEBUG_ON);
    d.run("SET k v\nSET other 1\nSAVE\nDEL other");
    d.a.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]);
    d.b.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]);
    assert_both_gone(&mut d);
}

#[test]
fn a_damaged_file_is_refused_and_keeps_what_was_read() {
    let mut d = Diff::new(&["--enable-debug-command", "yes", "--rdbcompression", "no"]);
    // Redis's own file, damaged in several ways and given to both servers.
    let text_value: String = (0..200)
        .map(|i| char::from(b'!' + (i % 90) as u8))
        .collect();
    d.check(&["SET", "a", "1"]);
    d.check(&["RPUSH", "l", "x", "y", "z"]);
    d.check(&["SET", "s", &text_value]);
    d.check(&["HSET", "h", "f", "v"]);
    d.check(&["SAVE"]);
    let good = std::fs::read(d.redis.dir.join("dump.rdb")).unwrap();
    let content_at = good
        .windows(text_value.len())
        .position(|w| w == text_value.as_bytes())
        .expect("the string is stored as is");
    let mut flipped = good.clone();
    flipped[content_at + 100] ^= 1;
    let n = good.len();
    let damaged = [
        good[..n - 3].to_vec(),
        good[..n - 9].to_vec(),
        good[..content_at + 50].to_vec(),
        good[..n / 3].to_vec(),
        good[..9].to_vec(),
        good[..4].to_vec(),
        flipped,
    ];
    for (i, bytes) in damaged.iter().enumerate() {
        for s in [&d.ours, &d.redis] {
            std::fs::write(s.dir.join("dump.rdb"), bytes).unwrap();
        }
        let flush = if i % 2 == 0 { "" } else { " NOFLUSH MERGE" };
        d.run(&format!(
            "SET x 1\nDEBUG RELOAD NOSAVE{flush}\nDBSIZE\nMGET a s x"
        ));
        same_load_figures(&mut d);
    }
}

#[test]
fn a_failed_save_answers_a_bare_err() {
    let mut args = DEBUG_ON.to_vec();
    args.extend(["--enable-protected-configs", "yes"]);
    let mut d = Diff::new(&args);
    let gone = (d.ours.dir.join("gone"), d.redis.dir.join("gone"));
    for dir in [&gone.0, &gone.1] {
        std::fs::create_dir(dir).unwrap();
    }
    check_pair(&mut d.a, &mut d.b, &["SET", "k", "v"]);
    d.a.call(&["CONFIG", "SET", "dir", gone.0.to_str().unwrap()]);
    d.b.call(&["CONFIG", "SET", "dir", gone.1.to_str().unwrap()]);
    for dir in [&gone.0, &gone.1] {
        std::fs::remove_dir(dir).unwrap();
    }
    assert_eq!(text(&d.check(&["DEBUG", "RELOAD"])), "-ERR\r\n");
    d.run("DBSIZE\nGET k");
    same_load_figures(&mut d);
}

#[test]
fn reload_and_populate_propagate_nothing() {
    // Only the DEL of the expired key POPULATE finds in its way goes out, as in Redis.
    // An absolute time, so that both streams carry the same SET.
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 50;
    assert_same_stream(
        DEBUG_ON,
        &format!(
            "SET a 1
        DEBUG SET-ACTIVE-EXPIRE 0
        SET p:0 old PXAT {soon}
        DEBUG SLEEP 0.2
        DEBUG RELOAD
        SAVE
        SET b 2
        DEBUG RELOAD NOSAVE
        DEBUG RELOAD NOFLUSH MERGE
        DEBUG POPULATE 10
        DEBUG POPULATE 3 p 20
        SET marker done"
        ),
    );
}

/// Regression: the executor propagated any command that changed the dirty count, so SAVE
/// (which resets it) went to replicas and the AOF.
#[test]
fn save_is_not_propagated() {
    assert_same_stream(&[], "SET a 1\nSAVE\nSET b 2\nSAVE\nSET marker done");
}

#[test]
fn replicas_stay_in_sync_across_a_reload() {
    let p = Server::start(DEBUG_ON);
    let mut pc = p.raw();
    for i in 0..200 {
        pc.call(&["SET", &format!("k{i}"), &format!("v{i}")]);
        if i < 100 {
            // A listpack hash: its DUMP is the same bytes on every server.
            pc.call(&["HSET", "h", &format!("f{i}"), "x"]);
        }
    }
    pc.call(&["SET", "ttl", "v", "EX", "1000"]);
    pc.call(&["SELECT", "2"]);
    pc.call(&["RPUSH", "l2", "a", "b"]);
    pc.call(&["SELECT", "0"]);
    let port = p.port.to_string();
    let ours = Server::start(&["--replicaof", "127.0.0.1", &port]);
    let redis = Server::start_redis(&["--replicaof", "127.0.0.1", &port]);
    let converged = |pc: &mut Raw| {
        let want = snapshot(pc);
        for r in [&ours, &redis] {
            wait_until("the replica to hold the primary's dataset", || {
                let got = snapshot(&mut r.raw());
                got.len() == want.len()
                    && got.iter().zip(&want).all(|(g, w)| g.1 == w.1 && g.2 == w.2)
            });
        }
    };
    converged(&mut pc);
    let ids = ["master_replid", "master_repl_offset", "connected_slaves"];
    let before = info_fields(&mut pc, "replication", &ids);
    let syncs = info_fields(&mut pc, "stats", &["sync_full", "sync_partial_ok"]);
    assert_eq!(text(&pc.call(&["DEBUG", "RELOAD"])), "+OK\r\n");
    // Offset and id unchanged: nothing went out (a keepalive PING may follow later).
    assert_eq!(before, info_fields(&mut pc, "replication", &ids));
    pc.call(&["SET", "after", "1"]);
    pc.call(&["HDEL", "h", "f3"]);
    pc.call(&["EXPIRE", "k5", "5000"]);
    converged(&mut pc);
    assert_eq!(
        syncs,
        info_fields(&mut pc, "stats", &["sync_full", "sync_partial_ok"])
    );
    // POPULATE stays on the primary.
    let offset = info_fields(&mut pc, "replication", &["master_repl_offset"]);
    assert_eq!(text(&pc.call(&["DEBUG", "POPULATE", "50"])), "+OK\r\n");
    assert_eq!(
        offset,
        info_fields(&mut pc, "replication", &["master_repl_offset"])
    );
    assert_eq!(text(&pc.call(&["EXISTS", "key:7"])), ":1\r\n");
    pc.call(&["SET", "marker", "1"]);
    for r in [&ours, &redis] {
        let mut rc = r.raw();
        wait_until("the marker", || {
            text(&rc.call(&["GET", "marker"])) == "$1\r\n1\r\n"
        });
        assert_eq!(text(&rc.call(&["EXISTS", "key:7"])), ":0\r\n");
    }
}

#[test]
fn populate_errors_and_replies_match_redis() {
    let mut d = Diff::new(DEBUG_ON);
    d.run(
        "DEBUG POPULATE
        DEBUG POPULATE -1
        DEBUG POPULATE x
        DEBUG POPULATE 1.5
        DEBUG POPULATE 99999999999999999999
        DEBUG POPULATE 1 a b c
        DEBUG POPULATE 1 a -1
        DEBUG POPULATE 1 a x
        DEBUG POPULATE 0
        DBSIZE
        DEBUG POPULATE 1 a 0
        GET a:0
        DEBUG POPULATE 2 a -1
        EXISTS a:1",
    );
    same_load_figures(&mut d);
}

#[test]
fn populate_writes_redis_keys_and_values() {
    let mut d = Diff::new(DEBUG_ON);
    d.run(
        "SET key:1 mine
        LPUSH key:2 a
        SET key:3 soon PX 1
        DEBUG SLEEP 0.01
        DEBUG POPULATE 12
        DBSIZE
        GET key:1
        TYPE key:2
        GET key:3
        GET key:11
        PTTL key:3
        OBJECT ENCODING key:4
        SELECT 5
        DEBUG POPULATE 3 other
        DBSIZE
        SELECT 0
        DEBUG POPULATE 3 ''
        SET key:17 mine
        SET key:32 mine
        DEBUG POPULATE 40
        DBSIZE
        MGET key:15 key:16 key:17 key:31 key:32 key:33 key:39 key:40",
    );
    for size in [1usize, 3, 6, 7, 8, 9, 12, 44, 45, 100, 1000] {
        let prefix = format!("s{size}");
        d.check(&["DEBUG", "POPULATE", "12", &prefix, &size.to_string()]);
        for i in [0, 9, 10, 11] {
            let k = format!("{prefix}:{i}");
            d.check(&["GET", &k]);
            d.check(&["STRLEN", &k]);
            d.check(&["OBJECT", "ENCODING", &k]);
        }
    }
    // Names are cut to 127 bytes, and the prefix ends at a NUL byte, as Redis's C strings.
    d.check(&["DEBUG", "POPULATE", "3", &"x".repeat(130)]);
    d.check(&["DEBUG", "POPULATE", "3", &"y".repeat(125)]);
    d.check(&[&b"DEBUG"[..], b"POPULATE", b"2", b"nul\0after"]);
    let mut a = strings(&d.a.call(&["KEYS", "*"]));
    let mut b = strings(&d.b.call(&["KEYS", "*"]));
    a.sort();
    b.sort();
    assert_eq!(a, b, "key names (left: redoubt)");
    d.run("GET nul:1\nDBSIZE");
    same_load_figures(&mut d);
}

#[test]
fn populate_notifies_new_keys_and_touches_watchers() {
    let mut d = Diff::new(&[
        "--enable-debug-command",
        "yes",
        "--notify-keyspace-events",
        "KEAn",
    ]);
    // Made before subscribing, so that only POPULATE's events are read below.
    d.run("DEBUG SET-ACTIVE-EXPIRE 0\nSET e:0 old PX 1\nDEBUG SLEEP 0.01");
    let (mut sa, mut sb) = d.keyspace_subscribers();
    d.run("DEBUG POPULATE 2 e\nDEBUG POPULATE 2 e");
    // e:0's expiry, then `new` for e:0 and e:1, each as keyspace and keyevent messages.
    for _ in 0..6 {
        check_pair_reply(&mut sa, &mut sb);
    }
    let quiet = Duration::from_millis(200);
    assert_eq!(text(&sa.read_for(quiet)), "", "redoubt sent more");
    assert_eq!(text(&sb.read_for(quiet)), "", "redis-server sent more");
    // A watched key POPULATE creates aborts the transaction; one it skips does not.
    let (mut wa, mut wb) = d.second();
    for (watch, key) in [("w:0", "w"), ("marker", "v")] {
        check_pair(&mut wa, &mut wb, &["WATCH", watch]);
        check_pair(&mut wa, &mut wb, &["MULTI"]);
        check_pair(&mut wa, &mut wb, &["PING"]);
        d.check(&["DEBUG", "POPULATE", "1", key]);
        check_pair(&mut wa, &mut wb, &["EXEC"]);
    }
}

#[test]
fn populate_a_million_keys() {
    let s = Server::start(DEBUG_ON);
    let mut c = s.raw();
    let start = std::time::Instant::now();
    assert_eq!(text(&c.call(&["DEBUG", "POPULATE", "1000000"])), "+OK\r\n");
    let took = start.elapsed();
    assert_eq!(text(&c.call(&["DBSIZE"])), ":1000000\r\n");
    assert_eq!(
        text(&c.call(&["GET", "key:999999"])),
        "$12\r\nvalue:999999\r\n"
    );
    // A generous bound for unoptimised test builds on a shared machine; release builds take
    // a fraction of a second.
    assert!(
        took < Duration::from_secs(10),
        "DEBUG POPULATE 1000000 took {took:?}"
    );
}

#[test]
fn help_lists_reload_and_populate_in_redis_words() {
    let mut d = Diff::new(DEBUG_ON);
    let ours = strings(&d.a.call(&["DEBUG", "HELP"]));
    let redis = strings(&d.b.call(&["DEBUG", "HELP"]));
    // Every line of ours is Redis's, in Redis's order (ours lists a subset of subcommands).
    let mut at = 0;
    for line in &ours {
        let found = redis[at..].iter().position(|l| l == line);
        let Some(i) = found else {
            panic!(
                "not in Redis's DEBUG HELP (in order): {}",
                String::from_utf8_lossy(line)
            );
        };
        at += i + 1;
    }
    for sub in [
        "POPULATE <count> [<prefix>] [<size>]",
        "RELOAD [option ...]",
    ] {
        assert!(ours.iter().any(|l| l == sub.as_bytes()), "no {sub}");
    }
}

//! maxmemory and eviction: every policy keeps used memory near the limit and evicts the keys
//! its semantics allow (volatile-* only keys with a TTL, LRU/LFU the idle or rarely used,
//! volatile-ttl the nearest expiry); the OOM refusal and OBJECT FREQ/IDLETIME against
//! redis-server; evictions propagated as DEL and notified as `evicted`; replicas leave
//! eviction to their primary; a lowered limit evicts at once.

use std::time::{Duration, Instant};

use crate::kit::{Diff, Raw, Server};
use crate::repl_tap::Tap;

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const MB: u64 = 1024 * 1024;
/// How far INFO's used_memory may be over the limit: one command's worth of working memory,
/// allocated after the check that runs before each command.
const SLACK: u64 = 64 * 1024;

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

fn field_of(info: &str, field: &str) -> String {
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .trim()
        .to_string()
}

fn info_field(c: &mut Raw, field: &str) -> String {
    field_of(&text(&c.call(&["INFO", "everything"])), field)
}

fn info_u64(c: &mut Raw, field: &str) -> u64 {
    info_field(c, field).parse().unwrap()
}

fn int_reply(r: &[u8]) -> i64 {
    let t = text(r);
    t.trim_start_matches(':')
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not an integer: {t}"))
}

/// Pipelines `SET prefix:i <size bytes> [extra…]` for each i, 200 at a time; returns how
/// many were refused with OOM (any other error fails the test).
fn fill(
    c: &mut Raw,
    prefix: &str,
    range: std::ops::Range<usize>,
    size: usize,
    extra: &[&str],
) -> usize {
    let value = "x".repeat(size);
    let mut ooms = 0;
    let keys: Vec<usize> = range.collect();
    for chunk in keys.chunks(200) {
        let mut req = Vec::new();
        for i in chunk {
            let k = format!("{prefix}:{i}");
            let mut args = vec!["SET", k.as_str(), value.as_str()];
            args.extend_from_slice(extra);
            req.extend(resp::Frame::command(&args));
        }
        c.send(&req);
        for _ in chunk {
            let r = text(&c.reply());
            if r == OOM {
                ooms += 1;
            } else {
                assert_eq!(r, "+OK\r\n");
            }
        }
    }
    ooms
}

/// How many of `prefix:i` for i in `range` still exist.
fn surviving(c: &mut Raw, prefix: &str, range: std::ops::Range<usize>) -> usize {
    let keys: Vec<String> = range.map(|i| format!("{prefix}:{i}")).collect();
    let mut n = 0;
    for chunk in keys.chunks(500) {
        let mut args = vec!["EXISTS"];
        args.extend(chunk.iter().map(String::as_str));
        n += int_reply(&c.call(&args)) as usize;
    }
    n
}

/// Reads every key of `prefix` in `range` (GET, `times` rounds): the hot set.
fn touch(c: &mut Raw, prefix: &str, range: std::ops::Range<usize>, times: usize) {
    let mut req = Vec::new();
    let mut n = 0;
    for _ in 0..times {
        for i in range.clone() {
            req.extend(resp::Frame::command(&["GET", &format!("{prefix}:{i}")]));
            n += 1;
        }
    }
    c.send(&req);
    for _ in 0..n {
        c.reply();
    }
}

/// Used memory stays at the limit: not above it (beyond one command's worth) and not far
/// below it (eviction stops once under).
fn assert_near_limit(c: &mut Raw, limit: u64) {
    let used = info_u64(c, "used_memory");
    assert!(
        used <= limit + SLACK,
        "used_memory {used} over maxmemory {limit}"
    );
    assert!(
        used >= limit / 2,
        "used_memory {used} far below maxmemory {limit}"
    );
}

/// Lifts the limit so that the counting commands that follow evict nothing more (each
/// command's own buffers could otherwise tip memory over again).
fn freeze(c: &mut Raw) {
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "maxmemory", "0"])),
        "+OK\r\n"
    );
}

fn start(policy: &str, limit: u64, extra: &[&str]) -> (Server, Raw) {
    let limit = limit.to_string();
    let mut args = vec!["--maxmemory", &limit, "--maxmemory-policy", policy];
    args.extend_from_slice(extra);
    let s = Server::start(&args);
    let c = s.raw();
    (s, c)
}

#[test]
fn oom_refusals_match_redis_byte_for_byte() {
    let mut d = Diff::new(&["--maxmemory", "1"]);
    d.run(
        "
        SET a 1
        INCR n
        LPUSH l x
        GET a
        DEL a
        EXISTS a
        PING
        CONFIG GET maxmemory-policy
        MULTI
        SET a 1
        GET a
        EXEC
        MULTI
        DISCARD
        CONFIG SET maxmemory-policy volatile-lru
        SET a 1
        CONFIG SET maxmemory-policy allkeys-lru
        SET a 1
        CONFIG SET maxmemory-policy allkeys-random
        APPEND a b
        CONFIG SET maxmemory 0
        SET a 1
        SET b 2 EX 100
        CONFIG SET maxmemory 1
        CONFIG SET maxmemory-policy noeviction
        SETNX c 1
        DBSIZE
        FLUSHALL
        CONFIG SET maxmemory 0
        ",
    );
    let st = text(&d.a.call(&["INFO", "stats"]));
    assert!(st.contains("evicted_keys:2\r\n"), "{st}");
}

#[test]
fn maxmemory_info_fields_match_redis() {
    let mut d = Diff::new(&["--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lfu"]);
    for f in [
        "maxmemory",
        "maxmemory_human",
        "maxmemory_policy",
        "evicted_keys",
    ] {
        assert_eq!(info_field(&mut d.a, f), info_field(&mut d.b, f), "{f}");
    }
    d.run(
        "
        CONFIG SET maxmemory 123456789
        CONFIG GET maxmemory
        CONFIG SET maxmemory-samples 10
        CONFIG SET maxmemory-eviction-tenacity 50
        CONFIG SET lfu-log-factor 20
        CONFIG SET lfu-decay-time 5
        CONFIG GET maxmemory-samples
        CONFIG GET maxmemory-eviction-tenacity
        CONFIG GET lfu-log-factor
        CONFIG GET lfu-decay-time
        CONFIG SET maxmemory-policy bogus
        CONFIG SET maxmemory-eviction-tenacity 101
        ",
    );
    assert_eq!(info_field(&mut d.a, "maxmemory_human"), "117.74M");
    assert_eq!(
        info_field(&mut d.a, "maxmemory_human"),
        info_field(&mut d.b, "maxmemory_human")
    );
    // used_memory and its companions agree with each other (one INFO, one reading).
    let info = text(&d.a.call(&["INFO", "memory"]));
    let n = |f: &str| field_of(&info, f).parse::<u64>().unwrap();
    let (used, startup, peak) = (
        n("used_memory"),
        n("used_memory_startup"),
        n("used_memory_peak"),
    );
    assert!(startup <= used && used <= peak, "{startup} {used} {peak}");
    assert_eq!(n("used_memory_dataset") + n("used_memory_overhead"), used);
}

#[test]
fn object_freq_and_idletime_follow_the_policy_like_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        "
        SET k v
        OBJECT FREQ k
        OBJECT FREQ missing
        CONFIG SET maxmemory-policy allkeys-lfu
        OBJECT IDLETIME k
        OBJECT IDLETIME missing
        SET k2 v
        OBJECT FREQ k2
        GET k2
        OBJECT FREQ k2
        SET k2 w
        OBJECT FREQ missing
        CONFIG SET maxmemory-policy volatile-lfu
        SET k3 v
        OBJECT FREQ k3
        CONFIG SET maxmemory-policy volatile-lru
        OBJECT FREQ k3
        CONFIG SET maxmemory-policy noeviction
        OBJECT FREQ k3
        ",
    );
    // RESTORE keeps FREQ under LFU and IDLETIME otherwise.
    let payload = d.a.call(&["DUMP", "k"]);
    let payload = match resp::Frame::decode(&payload).unwrap().unwrap().0 {
        resp::Frame::Bulk(b) => b,
        other => panic!("DUMP gave {other:?}"),
    };
    let payload = payload.to_vec();
    let check = |d: &mut Diff, args: &[&[u8]]| {
        d.check(args);
    };
    check(
        &mut d,
        &[b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lfu"],
    );
    check(
        &mut d,
        &[b"RESTORE", b"r1", b"0", &payload, b"FREQ", b"100"],
    );
    check(&mut d, &[b"OBJECT", b"FREQ", b"r1"]);
    check(
        &mut d,
        &[b"RESTORE", b"r2", b"0", &payload, b"IDLETIME", b"1000"],
    );
    check(&mut d, &[b"OBJECT", b"FREQ", b"r2"]);
    check(
        &mut d,
        &[b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lru"],
    );
    check(
        &mut d,
        &[b"RESTORE", b"r3", b"0", &payload, b"FREQ", b"100"],
    );
    check(&mut d, &[b"OBJECT", b"FREQ", b"r3"]);
    d.a.call(&[
        b"RESTORE".as_slice(),
        b"r4",
        b"0",
        &payload,
        b"IDLETIME",
        b"1000",
    ]);
    let idle = int_reply(&d.a.call(&["OBJECT", "IDLETIME", "r4"]));
    assert!((1000..=1002).contains(&idle), "idle {idle}");
}

#[test]
fn lfu_counts_accesses_and_overwrites() {
    let (_s, mut c) = start("allkeys-lfu", 0, &["--lfu-log-factor", "0"]);
    c.call(&["SET", "k", "v"]);
    assert_eq!(int_reply(&c.call(&["OBJECT", "FREQ", "k"])), 5);
    // With a log factor of 0 every access counts.
    for _ in 0..10 {
        c.call(&["GET", "k"]);
    }
    assert_eq!(int_reply(&c.call(&["OBJECT", "FREQ", "k"])), 15);
    c.call(&["SET", "k", "w"]);
    c.call(&["INCR", "n"]);
    c.call(&["INCR", "n"]);
    assert_eq!(int_reply(&c.call(&["OBJECT", "FREQ", "k"])), 16);
    assert_eq!(int_reply(&c.call(&["OBJECT", "FREQ", "n"])), 6);
    // TYPE, EXISTS and OBJECT do not touch.
    c.call(&["TYPE", "k"]);
    c.call(&["EXISTS", "k"]);
    assert_eq!(int_reply(&c.call(&["OBJECT", "FREQ", "k"])), 16);
}

#[test]
fn noeviction_refuses_writes_and_keeps_every_key() {
    let (_s, mut c) = start("noeviction", 3 * MB, &[]);
    let refused = fill(&mut c, "k", 0..6000, 1000, &[]);
    assert!(refused > 1000, "only {refused} refused");
    assert_eq!(surviving(&mut c, "k", 0..6000), 6000 - refused);
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
    // Reads and deletions still work; after a deletion writes fit again.
    assert_eq!(text(&c.call(&["GET", "k:0"])).len(), 1009);
    assert!(fill(&mut c, "new", 0..500, 1000, &[]) > 0);
    let mut del = vec!["DEL".to_string()];
    del.extend((0..1000).map(|i| format!("k:{i}")));
    c.call(&del);
    assert_eq!(text(&c.call(&["SET", "new", "v"])), "+OK\r\n");
}

#[test]
fn allkeys_policies_stay_at_the_limit() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let (_s, mut c) = start(policy, 4 * MB, &[]);
        let refused = fill(&mut c, "k", 0..12_000, 1000, &[]);
        assert_eq!(refused, 0, "{policy}");
        assert_near_limit(&mut c, 4 * MB);
        freeze(&mut c);
        let evicted = info_u64(&mut c, "evicted_keys");
        let left = int_reply(&c.call(&["DBSIZE"])) as u64;
        assert!(evicted > 6000, "{policy}: {evicted} evicted");
        assert_eq!(evicted + left, 12_000, "{policy}");
    }
}

#[test]
fn volatile_policies_only_evict_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let (_s, mut c) = start(policy, 4 * MB, &[]);
        assert_eq!(fill(&mut c, "keep", 0..1500, 1000, &[]), 0);
        assert_eq!(
            fill(&mut c, "vol", 0..6000, 1000, &["EX", "10000"]),
            0,
            "{policy}"
        );
        assert_near_limit(&mut c, 4 * MB);
        freeze(&mut c);
        assert_eq!(surviving(&mut c, "keep", 0..1500), 1500, "{policy}");
        let evicted = info_u64(&mut c, "evicted_keys") as usize;
        assert!(evicted > 2000, "{policy}: {evicted}");
        assert_eq!(
            surviving(&mut c, "vol", 0..6000) + evicted,
            6000,
            "{policy}"
        );
        c.call(&["CONFIG", "SET", "maxmemory", &(4 * MB).to_string()]);
        // Once no key with a TTL is left, writes are refused and persistent keys stay.
        let refused = fill(&mut c, "more", 0..8000, 1000, &[]);
        assert!(refused > 1000, "{policy}: {refused} refused");
        assert_eq!(surviving(&mut c, "vol", 0..6000), 0, "{policy}");
        assert_eq!(surviving(&mut c, "keep", 0..1500), 1500, "{policy}");
        assert_eq!(
            surviving(&mut c, "more", 0..8000),
            8000 - refused,
            "{policy}"
        );
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let (_s, mut c) = start("volatile-ttl", 4 * MB, &["--maxmemory-samples", "10"]);
    let value = "x".repeat(1000);
    for chunk in (0..6000usize).collect::<Vec<_>>().chunks(200) {
        let mut req = Vec::new();
        for i in chunk {
            let ttl = (10_000 + i).to_string();
            req.extend(resp::Frame::command(&[
                "SET",
                &format!("t:{i}"),
                &value,
                "EX",
                &ttl,
            ]));
        }
        c.send(&req);
        c.replies(chunk.len());
    }
    let evicted = info_u64(&mut c, "evicted_keys") as usize;
    assert!(evicted > 2000, "{evicted}");
    // The shortest TTLs went: of the first `evicted` keys few remain, of the rest nearly all.
    let early = surviving(&mut c, "t", 0..evicted);
    let late = surviving(&mut c, "t", evicted..6000);
    assert!(
        early < evicted / 10,
        "{early} of the {evicted} nearest expiries remain"
    );
    assert!(
        late > (6000 - evicted) * 9 / 10,
        "{late} of the later ones remain"
    );
}

#[test]
fn allkeys_lru_keeps_the_hot_set() {
    let (_s, mut c) = start("allkeys-lru", 4 * MB, &["--maxmemory-samples", "10"]);
    assert_eq!(fill(&mut c, "k", 0..2800, 1000, &[]), 0);
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
    // The LRU clock counts seconds: let the first keys age, then read a hot set of them.
    std::thread::sleep(Duration::from_millis(2200));
    touch(&mut c, "k", 0..500, 1);
    assert_eq!(fill(&mut c, "new", 0..2500, 1000, &[]), 0);
    let evicted = info_u64(&mut c, "evicted_keys") as usize;
    assert!(evicted > 1000, "{evicted}");
    let hot = surviving(&mut c, "k", 0..500);
    let cold = surviving(&mut c, "k", 500..2800);
    assert!(hot >= 490, "only {hot} of 500 hot keys survived");
    assert!(cold < 2300 - 1000, "{cold} of 2300 cold keys survived");
    assert_near_limit(&mut c, 4 * MB);
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let (_s, mut c) = start("allkeys-lfu", 4 * MB, &[]);
    assert_eq!(fill(&mut c, "k", 0..2800, 1000, &[]), 0);
    touch(&mut c, "k", 0..500, 20);
    assert_eq!(fill(&mut c, "new", 0..2500, 1000, &[]), 0);
    let evicted = info_u64(&mut c, "evicted_keys") as usize;
    assert!(evicted > 1000, "{evicted}");
    let hot = surviving(&mut c, "k", 0..500);
    assert!(
        hot >= 490,
        "only {hot} of 500 frequently read keys survived"
    );
    assert_near_limit(&mut c, 4 * MB);
}

#[test]
fn lowering_maxmemory_at_run_time_evicts() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-random"]);
    let mut c = s.raw();
    assert_eq!(fill(&mut c, "k", 0..8000, 1000, &[]), 0);
    let used = info_u64(&mut c, "used_memory");
    assert!(used > 8 * MB, "{used}");
    let limit = 3 * MB;
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "maxmemory", &limit.to_string()])),
        "+OK\r\n"
    );
    // The first pass is bounded by the eviction tenacity; the rest follows between commands.
    // INFO's figure includes the reply INFO is building, which the check before the command
    // could not see (in Redis too), hence the slack.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = text(&c.call(&["INFO", "everything"]));
        let used: u64 = field_of(&info, "used_memory").parse().unwrap();
        let exceeded = field_of(&info, "current_eviction_exceeded_time");
        if used <= limit + SLACK && exceeded == "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {used} over {limit}, exceeded for {exceeded} ms"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(info_u64(&mut c, "evicted_keys") > 4000);
    assert_near_limit(&mut c, limit);
}

#[test]
fn evictions_are_propagated_and_notified() {
    for (lazy, word) in [("no", "DEL"), ("yes", "UNLINK")] {
        let s = Server::start(&[
            "--maxmemory-policy",
            "allkeys-random",
            "--notify-keyspace-events",
            "Ee",
            "--lazyfree-lazy-eviction",
            lazy,
            "--repl-diskless-sync",
            "no",
        ]);
        let mut tap = Tap::attach(s.port);
        let mut sub = s.raw();
        sub.call(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
        let mut c = s.raw();
        let used = info_u64(&mut c, "used_memory");
        c.call(&["CONFIG", "SET", "maxmemory", &(used + 2 * MB).to_string()]);
        assert_eq!(fill(&mut c, "k", 0..4000, 1000, &[]), 0);
        // Lift the limit so that no later command evicts, then mark the stream.
        c.call(&["CONFIG", "SET", "maxmemory", "0"]);
        c.call(&["SET", "marker", "done"]);
        let evicted = info_u64(&mut c, "evicted_keys") as usize;
        assert!(evicted > 1000, "{evicted}");
        let stream = tap.until(&["SET", "marker", "done"]);
        let dels: Vec<&Vec<String>> = stream.iter().filter(|c| c[0] == word).collect();
        assert_eq!(dels.len(), evicted, "{word}s in the stream");
        // Each evicted key was written before its deletion and is gone now.
        let mut seen = std::collections::HashSet::new();
        for cmd in &stream {
            if cmd[0] == "SET" {
                seen.insert(cmd[1].clone());
            } else if cmd[0] == word {
                assert!(seen.contains(&cmd[1]), "{word} {} before its SET", cmd[1]);
                assert_eq!(text(&c.call(&["EXISTS", &cmd[1]])), ":0\r\n");
            }
        }
        for cmd in dels.iter().take(20) {
            let msg = text(&sub.reply());
            let key = &cmd[1];
            assert!(msg.contains("__keyevent@0__:evicted"), "{msg}");
            assert!(
                msg.ends_with(&format!("${}\r\n{key}\r\n", key.len())),
                "{msg}"
            );
        }
    }
}

#[test]
fn replicas_leave_eviction_to_the_primary() {
    let p = Server::start(&[]);
    let r = Server::start(&[
        "--replicaof",
        "127.0.0.1",
        &p.port.to_string(),
        "--maxmemory",
        &(2 * MB).to_string(),
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let mut rc = r.raw();
    let deadline = Instant::now() + Duration::from_secs(15);
    while info_field(&mut rc, "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "replica never linked");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut pc = p.raw();
    assert_eq!(fill(&mut pc, "k", 0..5000, 1000, &[]), 0);
    pc.call(&["SET", "marker", "done"]);
    while text(&rc.call(&["GET", "marker"])) != "$4\r\ndone\r\n" {
        assert!(Instant::now() < deadline, "replica never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    // replica-ignore-maxmemory (the default): an exact copy, over its own limit.
    assert_eq!(text(&rc.call(&["DBSIZE"])), ":5001\r\n");
    assert_eq!(info_u64(&mut rc, "evicted_keys"), 0);
    assert!(info_u64(&mut rc, "used_memory") > 4 * MB);
    // Told not to ignore it, the replica evicts on its own.
    rc.call(&["CONFIG", "SET", "replica-ignore-maxmemory", "no"]);
    pc.call(&["SET", "another", "write"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_u64(&mut rc, "evicted_keys") == 0 {
        assert!(Instant::now() < deadline, "the replica did not evict");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(text(&pc.call(&["DBSIZE"])), ":5002\r\n");
}

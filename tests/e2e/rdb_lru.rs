//! LRU idle times and LFU counters carried by RDB files, against redis-server 7.0: under an
//! LRU policy each key is preceded by its idle seconds (opcode IDLE), under an LFU policy by
//! its decayed counter (FREQ), right after its expiry. Files go both ways and OBJECT
//! IDLETIME/FREQ agree after loading; the opcodes sit where Redis puts them; the AOF base
//! and the full-sync payload carry them too; redis-check-rdb accepts our files.

use std::collections::BTreeMap;
use std::io::Read;

use crate::kit::{Raw, Server};
use crate::replication::{link_up, text, wait_until};

/// Every read counts (log factor 0) and nothing decays, so counters are exact.
const LFU: &[&str] = &[
    "--maxmemory-policy",
    "allkeys-lfu",
    "--lfu-log-factor",
    "0",
    "--lfu-decay-time",
    "0",
];
const LRU: &[&str] = &["--maxmemory-policy", "allkeys-lru"];

const LFU_KEYS: &[&str] = &["f0", "f1", "f2", "f3", "f4", "fttl"];
const LRU_KEYS: &[(&str, i64)] = &[
    ("i0", 0),
    ("i100", 100),
    ("i5000", 5000),
    ("i1m", 1_000_000),
    ("ittl", 42),
];

fn int(r: &[u8]) -> i64 {
    let t = text(r);
    t.strip_prefix(':')
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {t:?}"))
}

/// The contents of a bulk string reply.
fn bulk(r: &[u8]) -> Vec<u8> {
    let nl = r.iter().position(|&b| b == b'\n').expect("a bulk reply");
    let n: usize = text(&r[1..nl - 1]).parse().expect("a bulk length");
    r[nl + 1..nl + 1 + n].to_vec()
}

fn start(redis: bool, args: &[&str]) -> Server {
    if redis {
        Server::start_redis(args)
    } else {
        Server::start(args)
    }
}

/// A server started on `src`'s directory, so it loads the file `src` saved there.
fn start_on(redis: bool, policy: &[&str], src: &Server) -> Server {
    let mut args = policy.to_vec();
    args.extend(["--dir", src.dir.to_str().unwrap()]);
    start(redis, &args)
}

/// Keys read different numbers of times (the n-th 7n times), one with a TTL.
fn lfu_dataset(c: &mut Raw) {
    for (n, k) in LFU_KEYS.iter().enumerate() {
        let ttl = if k.ends_with("ttl") { "100000" } else { "0" };
        let mut set = vec!["SET", k, "a-string-value"];
        if ttl != "0" {
            set.extend(["EX", ttl]);
        }
        c.call(&set);
        for _ in 0..7 * n {
            c.call(&["GET", k]);
        }
    }
}

/// Fills a server with a test dataset.
type Dataset = fn(&mut Raw);

fn freqs(c: &mut Raw) -> Vec<i64> {
    LFU_KEYS
        .iter()
        .map(|k| int(&c.call(&["OBJECT", "FREQ", k])))
        .collect()
}

/// Keys made idle for known times (RESTORE … IDLETIME), one with a TTL.
fn lru_dataset(c: &mut Raw) {
    c.call(&["SET", "src", "not-a-shared-integer"]);
    let payload = bulk(&c.call(&["DUMP", "src"]));
    c.call(&["DEL", "src"]);
    for (k, idle) in LRU_KEYS {
        let ttl = if k.ends_with("ttl") { "100000000" } else { "0" };
        let r = c.call(&[
            b"RESTORE".as_slice(),
            k.as_bytes(),
            ttl.as_bytes(),
            &payload,
            b"IDLETIME",
            idle.to_string().as_bytes(),
        ]);
        assert_eq!(text(&r), "+OK\r\n", "RESTORE {k}");
    }
}

fn idles(c: &mut Raw) -> Vec<i64> {
    let keys: Vec<&str> = LRU_KEYS.iter().map(|&(k, _)| k).collect();
    idles_of(c, &keys)
}

fn idles_of(c: &mut Raw, keys: &[&str]) -> Vec<i64> {
    keys.iter()
        .map(|k| int(&c.call(&["OBJECT", "IDLETIME", k])))
        .collect()
}

fn assert_close(got: &[i64], want: &[i64], what: &str) {
    let ok = got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() <= 1);
    assert!(ok, "{what}: idle times {got:?}, expected {want:?} (±1 s)");
}

fn save(s: &Server) -> Vec<u8> {
    assert_eq!(text(&s.raw().call(&["SAVE"])), "+OK\r\n");
    std::fs::read(s.dir.join("dump.rdb")).unwrap()
}

/// Frequencies written by one implementation read the same in the other, both ways.
#[test]
fn lfu_counters_cross_between_redis_and_redoubt() {
    for from_redis in [true, false] {
        let src = start(from_redis, LFU);
        let mut c = src.raw();
        lfu_dataset(&mut c);
        let want = freqs(&mut c);
        assert_eq!(want, [5, 12, 19, 26, 33, 40], "counters before saving");
        save(&src);
        let dst = start_on(!from_redis, LFU, &src);
        assert_eq!(freqs(&mut dst.raw()), want, "from redis: {from_redis}");
    }
}

/// Idle times written by one implementation read the same in the other, both ways.
#[test]
fn lru_idle_times_cross_between_redis_and_redoubt() {
    for from_redis in [true, false] {
        let src = start(from_redis, LRU);
        let mut c = src.raw();
        lru_dataset(&mut c);
        let want: Vec<i64> = LRU_KEYS.iter().map(|&(_, i)| i).collect();
        assert_close(&idles(&mut c), &want, "before saving");
        save(&src);
        let dst = start_on(!from_redis, LRU, &src);
        assert_close(
            &idles(&mut dst.raw()),
            &want,
            &format!("from redis: {from_redis}"),
        );
    }
}

/// As Redis's `objectSetLRUOrLFU`: a file's idle times count under any non-LFU policy
/// (here noeviction), and a file's kind the loading policy does not track is ignored.
#[test]
fn loading_applies_only_what_the_policy_tracks() {
    let src = Server::start(LRU);
    lru_dataset(&mut src.raw());
    save(&src);
    let want: Vec<i64> = LRU_KEYS.iter().map(|&(_, i)| i).collect();
    for redis in [true, false] {
        let dst = start_on(redis, &["--maxmemory-policy", "noeviction"], &src);
        assert_close(&idles(&mut dst.raw()), &want, &format!("redis {redis}"));
    }
    let src = Server::start(LFU);
    lfu_dataset(&mut src.raw());
    save(&src);
    for redis in [true, false] {
        let dst = start_on(redis, LRU, &src);
        let got = idles_of(&mut dst.raw(), LFU_KEYS);
        assert!(got.iter().all(|&i| i <= 1), "redis {redis}: {got:?}");
    }
}

/// One key's opcodes between the previous key and its type byte.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Expire,
    Idle(u64),
    Freq(u8),
}

/// The file's structure: the opcodes before the first key (aux fields left out, their
/// values differ) and, per key, the opcodes that precede it.
type Layout = (Vec<String>, BTreeMap<Vec<u8>, Vec<Op>>);

fn layout(file: &[u8]) -> Layout {
    use persist::length::read_plain_len;
    use persist::string::read_string;
    let mut r = &file[9..];
    let (mut head, mut keys, mut pending) = (Vec::new(), BTreeMap::new(), Vec::new());
    let byte = |r: &mut &[u8]| {
        let mut b = [0u8; 1];
        r.read_exact(&mut b).unwrap();
        b[0]
    };
    loop {
        match byte(&mut r) {
            0xff => break,
            0xfa => {
                read_string(&mut r).unwrap();
                read_string(&mut r).unwrap();
            }
            0xfe => head.push(format!("SELECTDB {}", read_plain_len(&mut r).unwrap())),
            0xfb => {
                let (a, b) = (
                    read_plain_len(&mut r).unwrap(),
                    read_plain_len(&mut r).unwrap(),
                );
                head.push(format!("RESIZEDB {a} {b}"));
            }
            0xfc => {
                let mut at = [0u8; 8];
                r.read_exact(&mut at).unwrap();
                pending.push(Op::Expire);
            }
            0xf8 => pending.push(Op::Idle(read_plain_len(&mut r).unwrap())),
            0xf9 => pending.push(Op::Freq(byte(&mut r))),
            t => {
                let key = match read_string(&mut r).unwrap() {
                    persist::string::RdbString::Bytes(b) => b,
                    persist::string::RdbString::Int(n) => n.to_string().into_bytes(),
                };
                persist::value::read_object(&mut r, t).unwrap();
                keys.insert(key, std::mem::take(&mut pending));
            }
        }
    }
    (head, keys)
}

/// The same dataset saved by both servers under each policy: the same opcodes precede each
/// key, in Redis's order (expiry, then idle time or frequency), with the same counters and
/// idle times within a second.
#[test]
fn opcodes_sit_where_redis_puts_them() {
    let policies: [(&str, &[&str], Dataset); 3] = [
        ("lfu", LFU, lfu_dataset),
        ("lru", LRU, lru_dataset),
        (
            "noeviction",
            &["--maxmemory-policy", "noeviction"],
            lfu_dataset,
        ),
    ];
    for (name, policy, dataset) in policies {
        let [ours, theirs] = [false, true].map(|redis| {
            let s = start(redis, policy);
            dataset(&mut s.raw());
            layout(&save(&s))
        });
        assert_eq!(ours.0, theirs.0, "{name}: file head");
        let keys: Vec<_> = theirs.1.keys().collect();
        assert_eq!(ours.1.keys().collect::<Vec<_>>(), keys, "{name}: keys");
        for (key, want) in &theirs.1 {
            let got = &ours.1[key];
            let same = got.len() == want.len()
                && got.iter().zip(want).all(|(g, w)| match (g, w) {
                    (Op::Idle(a), Op::Idle(b)) => a.abs_diff(*b) <= 1,
                    _ => g == w,
                });
            assert!(same, "{name}: {key:?}: ours {got:?}, redis {want:?}");
        }
        let with = |f: fn(&Op) -> bool| theirs.1.values().filter(|o| o.iter().any(f)).count();
        let n = theirs.1.len();
        match name {
            "lfu" => assert_eq!(with(|o| matches!(o, Op::Freq(_))), n),
            "lru" => assert_eq!(with(|o| matches!(o, Op::Idle(_))), n),
            _ => assert_eq!(with(|o| !matches!(o, Op::Expire)), 0),
        }
        let ttl_key: &[u8] = if name == "lru" { b"ittl" } else { b"fttl" };
        assert_eq!(theirs.1[ttl_key].first(), Some(&Op::Expire), "{name}");
    }
}

#[test]
fn redis_check_rdb_accepts_files_with_idle_and_freq() {
    for (policy, dataset) in [(LFU, lfu_dataset as Dataset), (LRU, lru_dataset)] {
        let s = Server::start(policy);
        dataset(&mut s.raw());
        let file = save(&s);
        assert!(file.contains(&0xf8) || file.contains(&0xf9));
        crate::persistence::check_rdb(&s.dir.join("dump.rdb"));
    }
}

/// The AOF base (an RDB preamble) keeps the counters across a restart.
#[test]
fn aof_base_keeps_lfu_counters() {
    let mut args = LFU.to_vec();
    args.extend(["--appendonly", "yes"]);
    let mut src = Server::start(&args);
    let mut c = src.raw();
    lfu_dataset(&mut c);
    let want = freqs(&mut c);
    c.call(&["BGREWRITEAOF"]);
    wait_until("the rewrite", || {
        let info = text(&Raw::connect(src.port).call(&["INFO", "persistence"]));
        info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1")
    });
    assert!(src.terminate().success());
    args.extend(["--dir", src.dir.to_str().unwrap()]);
    let dst = Server::start(&args);
    assert_eq!(freqs(&mut dst.raw()), want);
}

/// The full-sync payload carries them: a redis-server replica of a Redoubt primary.
#[test]
fn full_sync_carries_lfu_counters_to_a_redis_replica() {
    let p = Server::start(LFU);
    let mut c = p.raw();
    lfu_dataset(&mut c);
    let want = freqs(&mut c);
    let mut args = LFU.to_vec();
    let port = p.port.to_string();
    args.extend(["--replicaof", "127.0.0.1", &port]);
    let r = Server::start_redis(&args);
    wait_until("the replica's link", || link_up(r.port));
    let mut rc = r.raw();
    wait_until("the keys", || {
        int(&rc.call(&["DBSIZE"])) == LFU_KEYS.len() as i64
    });
    assert_eq!(freqs(&mut rc), want);
}

/// A Redoubt replica of a redis-server primary takes the counters from the payload, whether
/// it loads into the live keyspace or into a fresh one swapped in (`swapdb`).
#[test]
fn redoubt_replica_takes_lfu_counters_from_a_redis_primary() {
    let p = Server::start_redis(LFU);
    let mut c = p.raw();
    lfu_dataset(&mut c);
    let want = freqs(&mut c);
    let port = p.port.to_string();
    for load in ["disabled", "swapdb"] {
        let mut args = LFU.to_vec();
        args.extend([
            "--repl-diskless-load",
            load,
            "--replicaof",
            "127.0.0.1",
            &port,
        ]);
        let r = Server::start(&args);
        wait_until("the replica's link", || link_up(r.port));
        let mut rc = r.raw();
        wait_until("the keys", || {
            int(&rc.call(&["DBSIZE"])) == LFU_KEYS.len() as i64
        });
        assert_eq!(freqs(&mut rc), want, "repl-diskless-load {load}");
    }
}

/// While a forked child writes a snapshot, reads leave access times alone (a write to the
/// key's page would make the kernel copy it), then track them again once it is done; the
/// same on both servers, for a background save and for an AOF rewrite.
#[test]
fn reads_during_a_snapshot_leave_idle_times_alone() {
    let servers: Vec<Server> = [false, true].iter().map(|r| start(*r, LRU)).collect();
    let mut conns: Vec<Raw> = servers.iter().map(Server::raw).collect();
    for c in conns.iter_mut() {
        for k in ["a", "b", "c"] {
            c.call(&["SET", k, "value"]);
        }
    }
    for job in ["BGSAVE", "BGREWRITEAOF"] {
        for c in conns.iter_mut() {
            for k in ["a", "b", "c"] {
                let dump = bulk(&c.call(&["DUMP", k]));
                let mut args: Vec<Vec<u8>> = ["RESTORE", k, "0"]
                    .iter()
                    .map(|a| a.as_bytes().to_vec())
                    .collect();
                args.push(dump);
                args.extend([b"REPLACE".to_vec(), b"IDLETIME".to_vec(), b"1000".to_vec()]);
                assert_eq!(text(&c.call(&args)), "+OK\r\n");
            }
            // 0.4 s a key: the child runs for over a second.
            c.call(&["CONFIG", "SET", "rdb-key-save-delay", "400000"]);
            let started = text(&c.call(&[job]));
            assert!(started.starts_with('+'), "{job}: {started}");
            c.call(&["GET", "a"]);
            c.call(&["GETRANGE", "b", "0", "1"]);
            let idle = idles_of(c, &["a", "b"]);
            assert!(
                idle.iter().all(|&i| i >= 1000),
                "{job}: idle times {idle:?}"
            );
        }
        for (c, s) in conns.iter_mut().zip(&servers) {
            c.call(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
            wait_until(&format!("{job} to finish on {}", s.port), || {
                let info = text(&c.call(&["INFO", "persistence"]));
                info.contains("rdb_bgsave_in_progress:0\r\n")
                    && info.contains("aof_rewrite_in_progress:0\r\n")
            });
            c.call(&["GET", "a"]);
            assert_eq!(
                idles_of(c, &["a", "c"])[0],
                0,
                "{job}: read after the child"
            );
            assert!(idles_of(c, &["c"])[0] >= 1000);
        }
    }
}

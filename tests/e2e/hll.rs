//! HyperLogLog commands against redis-server 7.0, compared byte for byte: the HLL strings
//! themselves (GET after the same PFADD sequences, sparse and dense, at several sizes and
//! `hll-sparse-max-bytes` settings), counts of values moved between the two servers, merges,
//! corrupted payloads (fuzzed), the cached cardinality and what it costs (dirty counter,
//! WATCH, propagation to a redis-server replica), keyspace events and PFDEBUG.

use std::time::{Duration, Instant};

use crate::kit::{check_pair, check_pair_reply, Diff, Raw, Server};

/// Sends `args` to both servers and asserts the replies are the same bytes.
fn same<A: AsRef<[u8]>>(d: &mut Diff, args: &[A]) -> Vec<u8> {
    let ra = d.a.call(args);
    let rb = d.b.call(args);
    if ra != rb {
        let show = |r: &[u8]| {
            let hex: String = r.iter().take(400).map(|b| format!("{b:02x}")).collect();
            format!(
                "{:?}\n  hex {hex}",
                String::from_utf8_lossy(&r[..r.len().min(200)])
            )
        };
        panic!(
            "reply differs for {:?}\n redoubt: {}\n redis:   {}",
            args.iter()
                .take(4)
                .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
                .collect::<Vec<_>>(),
            show(&ra),
            show(&rb)
        );
    }
    ra
}

/// The payload of a bulk reply.
fn bulk(r: &[u8]) -> Vec<u8> {
    match resp::Frame::decode(r).unwrap().unwrap().0 {
        resp::Frame::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk reply, got {other:?}"),
    }
}

/// A small deterministic generator (xorshift64*); the seed is printed so a failure replays.
struct Rng(u64);

impl Rng {
    fn seeded(name: &str) -> Rng {
        let seed = std::env::var("HLL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{name}: HLL_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn pfadd_cmd(key: &str, elems: impl Iterator<Item = String>) -> Vec<String> {
    ["PFADD".to_string(), key.to_string()]
        .into_iter()
        .chain(elems)
        .collect()
}

#[test]
fn basics_errors_and_debug() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        PFADD h
        GET h
        OBJECT ENCODING h
        PFCOUNT h
        PFADD h
        PFADD h a b c
        PFADD h a b c
        PFADD h ""
        PFADD h ""
        GET h
        PFCOUNT h
        GET h
        PFCOUNT h
        PFCOUNT missing
        PFCOUNT h missing
        PFCOUNT missing1 missing2
        PFDEBUG ENCODING h
        PFDEBUG DECODE h
        PFDEBUG decode h
        PFDEBUG GETREG missing
        PFDEBUG NOSUCH h
        PFDEBUG NoSuch missing
        PFDEBUG ENCODING h extra
        PFADD
        PFCOUNT
        PFMERGE
        PFSELFTEST
        PFSELFTEST x
        SET str hello
        SET int 12345
        SET big 123456789012345678
        PFADD str a
        PFADD int a
        PFADD big a
        PFCOUNT str
        PFCOUNT int
        PFCOUNT h str
        PFMERGE h str
        PFMERGE str h
        PFMERGE dest h int
        EXISTS dest
        PFDEBUG ENCODING str
        PFDEBUG ENCODING int
        PFMERGE empty
        GET empty
        PFMERGE empty2 nokey1 nokey2
        GET empty2
        PFMERGE m h
        GET m
        PFMERGE h
        GET h
        PFDEBUG TODENSE h
        PFDEBUG TODENSE h
        PFDEBUG ENCODING h
        PFDEBUG DECODE h
        PFCOUNT h
        PFMERGE m2 m h
        PFDEBUG ENCODING m2
        PFCOUNT m2
        OBJECT ENCODING m2
        TYPE m2
        PFADD ttl a
        EXPIRE ttl 100
        PFADD ttl b
        TTL ttl
        PFMERGE ttl h
        TTL ttl
        PFCOUNT ttl
        TTL ttl
        COMMAND INFO pfadd pfmerge pfdebug pfselftest
        "#,
    );
    // GETREG: 16384 integers, and it makes a sparse HLL dense.
    d.check(&["PFADD", "g", "x", "y", "z"]);
    same(&mut d, &["PFDEBUG", "GETREG", "g"]);
    same(&mut d, &["PFDEBUG", "ENCODING", "g"]);
    same(&mut d, &["GET", "g"]);
}

#[test]
fn encodings_match_at_every_size() {
    let mut d = Diff::new(&[]);
    for n in [0usize, 1, 100, 10_000, 100_000] {
        let key = format!("hll{n}");
        same(&mut d, &["PFADD", &key]);
        let mut next = 0;
        while next < n {
            let batch = (n - next).min(4000);
            let cmd = pfadd_cmd(&key, (next..next + batch).map(|i| format!("element:{i}")));
            same(&mut d, &cmd);
            next += batch;
        }
        let before = bulk(&same(&mut d, &["GET", &key]));
        same(&mut d, &["PFDEBUG", "ENCODING", &key]);
        let count = same(&mut d, &["PFCOUNT", &key]);
        let after = bulk(&same(&mut d, &["GET", &key]));
        same(&mut d, &["PFCOUNT", &key]);
        if n == 100_000 {
            assert_eq!(after.len(), 16 + 12288, "dense at 100000");
        }
        // Values move between the servers: written by one, counted by the other, with the
        // cache stale (before) and fresh (after).
        for (tag, v) in [("stale", &before), ("fresh", &after)] {
            let k = format!("{key}:{tag}");
            d.a.call(&[b"SET".as_slice(), k.as_bytes(), v]);
            d.b.call(&[b"SET".as_slice(), k.as_bytes(), v]);
            same(&mut d, &["OBJECT", "ENCODING", &k]);
            assert_eq!(same(&mut d, &["PFCOUNT", &k]), count, "{k}");
            same(&mut d, &["OBJECT", "ENCODING", &k]);
            same(&mut d, &["GET", &k]);
        }
    }
    same(&mut d, &["PFCOUNT", "hll1", "hll100", "hll10000"]);
    same(&mut d, &["PFCOUNT", "hll100", "hll100000", "nokey"]);
    same(&mut d, &["PFMERGE", "u1", "hll1", "hll100"]);
    same(&mut d, &["GET", "u1"]);
    same(&mut d, &["PFMERGE", "u2", "hll100", "hll10000"]);
    same(&mut d, &["GET", "u2"]);
    same(&mut d, &["PFMERGE", "hll100", "hll100000"]);
    same(&mut d, &["GET", "hll100"]);
    same(&mut d, &["PFCOUNT", "u2"]);
}

#[test]
fn random_sequences() {
    let mut rng = Rng::seeded("random_sequences");
    let mut d = Diff::new(&[]);
    let keys = ["a", "b", "c", "d"];
    let steps = std::env::var("HLL_STEPS").map_or(400, |s| s.parse().unwrap());
    for _ in 0..steps {
        let k = keys[rng.below(keys.len())];
        match rng.below(12) {
            0..=4 => {
                let n = [0, 1, 3, 20, 200][rng.below(5)];
                let universe = [50, 1000, 20_000][rng.below(3)];
                let elems: Vec<String> = (0..n)
                    .map(|_| format!("r{}", rng.below(universe)))
                    .collect();
                same(&mut d, &pfadd_cmd(k, elems.into_iter()));
            }
            5 => {
                same(&mut d, &["PFCOUNT", k]);
            }
            6 => {
                let k2 = keys[rng.below(keys.len())];
                same(&mut d, &["PFCOUNT", k, k2]);
            }
            7 => {
                let (s1, s2) = (keys[rng.below(4)], keys[rng.below(4)]);
                same(&mut d, &["PFMERGE", k, s1, s2]);
            }
            8 => {
                let v = ["0", "30", "100", "300", "1000", "3000", "20000"][rng.below(7)];
                same(&mut d, &["CONFIG", "SET", "hll-sparse-max-bytes", v]);
            }
            9 => {
                let sub = ["ENCODING", "DECODE", "TODENSE", "GETREG"][rng.below(4)];
                same(&mut d, &["PFDEBUG", sub, k]);
            }
            10 if rng.below(4) == 0 => {
                same(&mut d, &["DEL", k]);
            }
            _ => {}
        }
        same(&mut d, &["GET", k]);
    }
}

/// Opcodes of a sparse payload: true if its last opcode is an XZERO cut after its first
/// byte (the one corruption whose later handling depends on memory past the string in
/// Redis; see differences.md).
fn ends_in_cut_xzero(v: &[u8]) -> bool {
    let mut p = 16;
    while p < v.len() {
        if v[p] & 0xc0 == 0x40 {
            if p + 1 == v.len() {
                return true;
            }
            p += 2;
        } else {
            p += 1;
        }
    }
    false
}

#[test]
fn corrupted_values() {
    let mut d = Diff::new(&[]);
    let set = |d: &mut Diff, k: &str, v: &[u8]| {
        d.a.call(&[b"SET".as_slice(), k.as_bytes(), v]);
        d.b.call(&[b"SET".as_slice(), k.as_bytes(), v]);
    };
    same(&mut d, &["PFADD", "good", "a", "b", "c"]);
    let good = bulk(&same(&mut d, &["GET", "good"]));
    let mut cases: Vec<Vec<u8>> = vec![
        good[..15].to_vec(),
        good[..16].to_vec(),
        [&good[..], b"hello"].concat(),
        good[..good.len() - 1].to_vec(),
        [&b"HYLL\x02"[..], &good[5..]].concat(),
        [&b"HYLX"[..], &good[4..]].concat(),
        [&b"HYLL\x00"[..], &good[5..]].concat(),
        // An XZERO of 16384 and then one register too many.
        [&good[..16], &[0x7f, 0xff, 0x80][..]].concat(),
        // Only 16383 registers, then a VAL that would be the 16384th at value 32.
        [&good[..16], &[0x7f, 0xfe][..]].concat(),
    ];
    // Dense with a stray length, and a dense value with random registers.
    let mut dense = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    let mut rng = Rng::seeded("corrupted_values");
    dense.extend((0..12288).map(|_| rng.next() as u8));
    cases.push(dense.clone());
    cases.push(dense[..dense.len() - 1].to_vec());
    cases.push([&dense[..], b"x"].concat());
    for (i, v) in cases.iter().enumerate() {
        let k = format!("bad{i}");
        set(&mut d, &k, v);
        same(&mut d, &["PFCOUNT", &k]);
        same(&mut d, &["PFCOUNT", &k, "good"]);
        same(&mut d, &["PFMERGE", "out", &k]);
        same(&mut d, &["PFADD", &k, "a", "b", "c", "d", "e", "f", "g"]);
        same(&mut d, &["PFADD", &k, "x33"]);
        same(&mut d, &["GET", &k]);
        same(&mut d, &["PFDEBUG", "DECODE", &k]);
        same(&mut d, &["PFDEBUG", "TODENSE", &k]);
        same(&mut d, &["GET", &k]);
        same(&mut d, &["PFCOUNT", &k]);
    }
    // The corruption tests of Redis's own suite.
    d.run(
        r#"
        DEL hll
        PFADD hll a b c
        APPEND hll hello
        PFCOUNT hll
        DEL hll
        PFADD hll a b c
        SETRANGE hll 0 0123
        PFCOUNT hll
        DEL hll
        PFADD hll a b c
        SETRANGE hll 4 x
        PFCOUNT hll
        DEL hll
        PFADD hll a b c
        SETRANGE hll 4 "\x00"
        PFCOUNT hll
        "#,
    );
    // A final XZERO cut after its first byte: Redis reads the terminator (0) as its second
    // byte; one PFADD splitting it leaves the same bytes.
    set(
        &mut d,
        "cut",
        &[&good[..16], &[0x40, 0x63, 0x7f][..]].concat(),
    );
    same(&mut d, &["PFDEBUG", "DECODE", "cut"]);
    same(&mut d, &["PFCOUNT", "cut"]);
    same(&mut d, &["PFADD", "cut", "a"]);
    same(&mut d, &["GET", "cut"]);
    // Fuzz: random bytes written over sparse and dense HLLs, then every command on them.
    let mut tried = 0;
    while tried < 150 {
        let n = [5, 50, 300, 3000][rng.below(4)];
        same(&mut d, &["DEL", "f"]);
        same(&mut d, &pfadd_cmd("f", (0..n).map(|i| format!("f{i}"))));
        let mut v = bulk(&same(&mut d, &["GET", "f"]));
        for _ in 0..1 + rng.below(3) {
            let at = 16 + rng.below(v.len() - 16);
            v[at] = rng.next() as u8;
        }
        if rng.below(5) == 0 {
            let cut = 16 + rng.below(v.len() - 16);
            v.truncate(cut);
        }
        if v[4] == 1 && ends_in_cut_xzero(&v) {
            continue;
        }
        tried += 1;
        set(&mut d, "f", &v);
        same(&mut d, &["PFCOUNT", "f"]);
        same(&mut d, &["PFCOUNT", "f", "good"]);
        same(&mut d, &["PFMERGE", "g", "good", "f"]);
        same(&mut d, &["GET", "g"]);
        let elems: Vec<String> = (0..rng.below(40)).map(|i| format!("z{i}")).collect();
        same(&mut d, &pfadd_cmd("f", elems.into_iter()));
        same(&mut d, &["GET", "f"]);
        same(&mut d, &["PFDEBUG", "DECODE", "f"]);
        same(&mut d, &["PFCOUNT", "f"]);
        same(&mut d, &["GET", "f"]);
    }
}

/// An integer field of INFO.
fn info_field(c: &mut Raw, field: &str) -> i64 {
    let info = String::from_utf8_lossy(&c.call(&["INFO", "all"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in INFO"))
}

/// The write counter, keyspace hits and misses.
fn dirty(c: &mut Raw) -> [i64; 3] {
    [
        "rdb_changes_since_last_save",
        "keyspace_hits",
        "keyspace_misses",
    ]
    .map(|f| info_field(c, f))
}

#[test]
fn cache_dirty_counts_and_watch() {
    let mut d = Diff::new(&[]);
    let steps: &[&[&str]] = &[
        &["PFADD", "h", "a", "b", "c", "d"],
        &["PFADD", "h", "a"],
        &["PFADD", "h"],
        &["PFCOUNT", "h"],
        &["PFCOUNT", "h"],
        &["PFCOUNT", "h", "x"],
        &["PFMERGE", "m", "h"],
        &["PFMERGE", "m"],
        &["PFDEBUG", "ENCODING", "m"],
        &["PFDEBUG", "GETREG", "m"],
        &["PFDEBUG", "TODENSE", "m"],
        &["PFDEBUG", "TODENSE", "m"],
        &["PFCOUNT", "m"],
        &["PFADD", "m", "a"],
        &["PFADD", "m", "zz1", "zz2", "zz3"],
        &["PFCOUNT", "nokey"],
        &["PFCOUNT", "nokey", "h", "m"],
        &["PFMERGE", "nokey2", "nokey3", "h"],
        &["PFDEBUG", "ENCODING", "nokey4"],
    ];
    for s in steps {
        same(&mut d, s);
        assert_eq!(dirty(&mut d.a), dirty(&mut d.b), "dirty after {s:?}");
    }
    // A PFADD that fails half-way keeps what it changed but counts nothing.
    let mut v = bulk(&same(&mut d, &["GET", "h"]));
    v[17] = 0xfe; // the first XZERO now covers fewer registers
    d.a.call(&[b"SET".as_slice(), b"bad", &v]);
    d.b.call(&[b"SET".as_slice(), b"bad", &v]);
    let elems: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
    same(&mut d, &pfadd_cmd("bad", elems.into_iter()));
    same(&mut d, &["GET", "bad"]);
    assert_eq!(
        dirty(&mut d.a),
        dirty(&mut d.b),
        "dirty after a failed PFADD"
    );

    // WATCH: only real changes and cache refreshes break a transaction.
    let (mut a2, mut b2) = d.second();
    let cases: &[(&[&str], bool)] = &[
        (&["PFCOUNT", "h"], true),                 // fresh cache
        (&["PFADD", "h", "a"], true),              // no change
        (&["PFDEBUG", "ENCODING", "h"], true),     // debug read
        (&["PFDEBUG", "TODENSE", "h"], true),      // conversion: counted, not signalled
        (&["PFADD", "h", "new-element-1"], false), // change
        (&["PFCOUNT", "h"], false),                // cache refresh
        (&["PFMERGE", "h"], false),                // merge always writes
        (&["PFCOUNT", "h", "m"], true),            // multi-key count writes nothing
    ];
    for (cmd, survives) in cases {
        same(&mut d, &["WATCH", "h"]);
        check_pair(&mut a2, &mut b2, cmd);
        same(&mut d, &["MULTI"]);
        same(&mut d, &["PING"]);
        let r = same(&mut d, &["EXEC"]);
        assert_eq!(r == b"*1\r\n+PONG\r\n", *survives, "{cmd:?}");
    }
}

#[test]
fn keyspace_events() {
    let mut d = Diff::new(&[]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEAm"]);
    let (mut a2, mut b2) = d.second();
    check_pair(&mut a2, &mut b2, &["PSUBSCRIBE", "__key*__:*"]);
    d.run(
        r#"
        PFADD h a
        PFADD h a
        PFADD h
        PFCOUNT h
        PFCOUNT h
        PFCOUNT nokey
        PFMERGE m h
        PFMERGE m
        PFDEBUG TODENSE m
        PFADD fresh
        SET marker 1
        "#,
    );
    // pfadd h; keymiss nokey; keymiss m (the destination is read first), pfadd m; pfadd m;
    // pfadd fresh; set marker: each as keyspace then keyevent message.
    for _ in 0..14 {
        check_pair_reply(&mut a2, &mut b2);
    }
    assert!(a2.read_for(Duration::from_millis(200)).is_empty());
    assert!(b2.read_for(Duration::from_millis(200)).is_empty());
}

/// GET of every key on a server.
fn values(port: u16, keys: &[&str]) -> Vec<Vec<u8>> {
    let mut c = Raw::connect(port);
    keys.iter().map(|k| c.call(&["GET", k])).collect()
}

#[test]
fn writes_reach_a_redis_replica() {
    let p = Server::start(&[]);
    let r = Server::start_redis(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    let mut c = p.raw();
    c.call(&pfadd_cmd("s", (0..100).map(|i| format!("s{i}"))));
    c.call(&pfadd_cmd("dn", (0..5000).map(|i| format!("d{i}"))));
    c.call(&["PFCOUNT", "s"]);
    c.call(&["PFCOUNT", "dn"]);
    c.call(&["PFMERGE", "m", "s"]);
    c.call(&["PFCOUNT", "m"]);
    c.call(&["PFADD", "t", "x"]);
    c.call(&["PFDEBUG", "TODENSE", "t"]);
    let keys = ["s", "dn", "m", "t"];
    let want = values(p.port, &keys);
    let deadline = Instant::now() + Duration::from_secs(15);
    while values(r.port, &keys) != want {
        assert!(
            Instant::now() < deadline,
            "the replica never converged on the HLL values"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

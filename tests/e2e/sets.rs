//! Set commands against redis-server 7.0: replies byte for byte where Redis's order is
//! defined (intsets reply sorted; errors; counts), as sorted multisets where it is a hash
//! table's order ([`Diff::check_unordered`]); random commands by their properties; encodings
//! (OBJECT ENCODING) through every conversion; keyspace events; RESP3 reply types; and RDB /
//! DUMP payloads exchanged with Redis both ways.

use resp::Frame;

use crate::kit::{Diff, Raw, Server};

/// A reply with the elements of every array/set sorted, for comparing replies whose order is
/// a hash table's.
pub fn normalized(reply: &[u8]) -> String {
    fn norm(f: Frame) -> String {
        match f {
            Frame::Array(v) | Frame::Set(v) => {
                let mut items: Vec<String> = v.into_iter().map(norm).collect();
                items.sort();
                format!("[{}]", items.join(","))
            }
            other => format!("{other:?}"),
        }
    }
    match Frame::decode(reply) {
        Ok(Some((f, _))) => norm(f),
        _ => String::from_utf8_lossy(reply).into_owned(),
    }
}

impl Diff {
    /// Sends one command to both; the replies must match once arrays are sorted.
    pub fn check_unordered<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        let ra = self.a.call(args);
        let rb = self.b.call(args);
        assert_eq!(
            normalized(&ra),
            normalized(&rb),
            "reply differs (unordered) for {:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
                .collect::<Vec<_>>()
        );
        ra
    }

    /// [`Diff::run`] with every reply compared unordered.
    pub fn run_unordered(&mut self, script: &str) {
        for line in script.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let args = resp::split_inline_args(line.as_bytes()).expect("balanced quotes");
            self.check_unordered(&args);
        }
    }
}

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

#[test]
fn sadd_srem_card_membership_and_encodings() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SADD s 3 1 2 2
        SMEMBERS s
        OBJECT ENCODING s
        SADD s 1 2 3
        SADD s -5 100000 9223372036854775807 -9223372036854775808
        SMEMBERS s
        SCARD s
        SISMEMBER s 100000
        SISMEMBER s 07
        SMISMEMBER s 1 07 -5 x
        SMISMEMBER missing a b
        SCARD missing
        SISMEMBER missing a
        SADD s 07
        OBJECT ENCODING s
        SISMEMBER s 07
        SISMEMBER s 7
        SREM s 07 1 nothere
        SREM s nothere
        SREM missing a
        OBJECT ENCODING s
        SCARD s
        SADD t a
        OBJECT ENCODING t
        SREM t a
        EXISTS t
        SADD u 1 a
        OBJECT ENCODING u
        SADD e ""
        SISMEMBER e ""
        SET str x
        SADD str a
        SREM str a
        SCARD str
        SISMEMBER str a
        SMISMEMBER str a
        SMEMBERS str
        SADD s
        SREM s
        SCARD
        SISMEMBER s
        SMISMEMBER s
        "#,
    );
    d.run_unordered("SMEMBERS s\nSMEMBERS u");
    // The intset limit, and intsets that grow past it.
    d.run(
        r#"
        CONFIG SET set-max-intset-entries 3
        SADD small 1 2 3
        OBJECT ENCODING small
        SADD small 4
        OBJECT ENCODING small
        SREM small 4 3 2
        OBJECT ENCODING small
        SADD big 1 2 3 4 5
        OBJECT ENCODING big
        CONFIG SET set-max-intset-entries 512
        "#,
    );
    // 513 integers pass the default limit.
    let mut args: Vec<String> = vec!["SADD".into(), "many".into()];
    args.extend((0..512).map(|i| i.to_string()));
    d.check(&args);
    d.run("OBJECT ENCODING many\nSADD many 512\nOBJECT ENCODING many\nSCARD many");
}

#[test]
fn smove_cases() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SADD a 1 2 x
        SADD b 3
        SMOVE a b 1
        SMOVE a b 1
        SMOVE a b nothere
        SMOVE missing b 1
        SMOVE a a 2
        SMOVE a a zz
        SMOVE a newkey x
        OBJECT ENCODING newkey
        SMOVE a b 2
        EXISTS a
        SMEMBERS b
        OBJECT ENCODING b
        SET str v
        SMOVE missing str 1
        SMOVE b str 3
        SMOVE str b 3
        SMEMBERS b
        SADD c 3
        SMOVE b c 3
        SMEMBERS b
        SMEMBERS c
        SMOVE b c
        "#,
    );
}

#[test]
fn algebra_matches_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SADD i1 1 2 3 4 5
        SADD i2 3 4 5 6 7
        SADD i3 5 4 100
        SINTER i1 i2
        SINTER i1 i2 i3
        SINTER i1 missing
        SINTER missing i1
        SINTER i1
        SINTER i1 i1
        SUNION i1 i2 i3
        SUNION i1 missing
        SUNION missing
        SDIFF i1 i2
        SDIFF i1 i2 i3
        SDIFF i1 i1
        SDIFF i1 missing i2
        SDIFF missing i1
        SINTERCARD 2 i1 i2
        SINTERCARD 3 i1 i2 i3
        SINTERCARD 2 i1 i2 LIMIT 1
        SINTERCARD 2 i1 i2 LIMIT 0
        SINTERCARD 2 i1 missing
        SINTERCARD 0 i1
        SINTERCARD -1 i1
        SINTERCARD x i1
        SINTERCARD 3 i1 i2
        SINTERCARD 2 i1 i2 LIMIT -1
        SINTERCARD 2 i1 i2 LIMIT x
        SINTERCARD 2 i1 i2 LIMIT
        SINTERCARD 2 i1 i2 FOO 1
        SINTERCARD 1 i1 i2
        SINTERSTORE d1 i1 i2
        SMEMBERS d1
        OBJECT ENCODING d1
        SUNIONSTORE d2 i1 i2 i3
        SMEMBERS d2
        SDIFFSTORE d3 i1 i2
        SMEMBERS d3
        SET d4 string
        EXPIRE d4 1000
        SINTERSTORE d4 i1 i2
        TTL d4
        TYPE d4
        SINTERSTORE d4 i1 missing
        EXISTS d4
        SDIFFSTORE d1 i1 i1
        EXISTS d1
        SUNIONSTORE d5 missing
        SET str x
        SINTER i1 str
        SINTER missing str
        SUNION i1 str
        SDIFF missing str
        SINTERSTORE d6 i1 str
        SINTERCARD 2 missing str
        SDIFFSTORE str i1
        TYPE str
        SINTERSTORE
        SUNION
        "#,
    );
    // Hashtable results: order is the table's.
    d.run(
        r#"
        SADD h1 a b c d 1 2
        SADD h2 c d e 2 3
        OBJECT ENCODING h1
        SINTERSTORE hd h1 h2
        OBJECT ENCODING hd
        SUNIONSTORE hu h1 h2
        OBJECT ENCODING hu
        SDIFFSTORE hf h1 h2
        SCARD hf
        SINTERSTORE intres h1 i1
        OBJECT ENCODING intres
        SMEMBERS intres
        "#,
    );
    d.run_unordered(
        r#"
        SINTER h1 h2
        SUNION h1 h2 i1
        SDIFF h1 h2
        SDIFF h1 i1
        SMEMBERS hd
        SMEMBERS hu
        SMEMBERS hf
        SINTER h1 i1 h2
        "#,
    );
}

#[test]
fn spop_and_srandmember_by_their_properties() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SPOP missing
        SPOP missing 3
        SRANDMEMBER missing
        SRANDMEMBER missing 5
        SRANDMEMBER missing -5
        SADD s 1
        SPOP s 0
        SRANDMEMBER s 0
        SPOP s -1
        SPOP s x
        SPOP s 1 2
        SRANDMEMBER s x
        SRANDMEMBER s 1 2
        SRANDMEMBER s -9223372036854775808
        SRANDMEMBER s 9223372036854775807
        SPOP s
        EXISTS s
        SADD one only
        SPOP one 5
        EXISTS one
        SET str x
        SPOP str
        SPOP str 2
        SRANDMEMBER str
        SRANDMEMBER str 2
        "#,
    );
    for (key, members) in [
        ("ints", (0..40).map(|i| i.to_string()).collect::<Vec<_>>()),
        ("strs", (0..40).map(|i| format!("m{i}")).collect()),
    ] {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend(members.iter().cloned());
        d.check(&args);
        let mut c = Raw::connect(d.ours.port);
        let parse = |r: Vec<u8>| -> Vec<String> {
            match Frame::decode(&r).unwrap().unwrap().0 {
                Frame::Array(v) | Frame::Set(v) => v
                    .into_iter()
                    .map(|f| match f {
                        Frame::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
                        other => panic!("{other:?}"),
                    })
                    .collect(),
                other => panic!("{other:?}"),
            }
        };
        let all: std::collections::HashSet<String> = members.iter().cloned().collect();
        // Distinct draws, every size: few (drawn one by one), many (shuffled), all.
        for n in [1, 3, 13, 30, 40, 100] {
            let got = parse(c.call(&["SRANDMEMBER", key, &n.to_string()]));
            assert_eq!(got.len(), n.min(40));
            let uniq: std::collections::HashSet<_> = got.iter().cloned().collect();
            assert_eq!(uniq.len(), got.len(), "distinct");
            assert!(uniq.is_subset(&all));
        }
        let got = parse(c.call(&["SRANDMEMBER", key, "-100"]));
        assert_eq!(got.len(), 100);
        assert!(got.iter().all(|m| all.contains(m)));
        // SPOP: small count, large count (the remainder-moving path), then the rest.
        let mut popped = Vec::new();
        for n in ["3", "30"] {
            let got = parse(c.call(&["SPOP", key, n]));
            assert_eq!(got.len(), n.parse::<usize>().unwrap());
            popped.extend(got);
        }
        let left = parse(c.call(&["SMEMBERS", key]));
        assert_eq!(left.len(), 7);
        popped.extend(parse(c.call(&["SPOP", key, "100"])));
        let uniq: std::collections::HashSet<_> = popped.iter().cloned().collect();
        assert_eq!(uniq, all);
        assert_eq!(text(&c.call(&["EXISTS", key])), ":0\r\n");
    }
}

#[test]
fn whole_set_spop_replies_like_sunion() {
    // count >= size replies as SUNION does: an all-integer result comes back sorted even
    // from a hashtable set.
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SADD h 5 3 x 1
        SREM h x
        OBJECT ENCODING h
        SPOP h 10
        SADD i 9 8 7
        SPOP i 3
        "#,
    );
}

#[test]
fn sscan_returns_every_member() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SSCAN missing 0
        SSCAN missing x
        SET str v
        SSCAN str 0
        SADD small 3 1 2 10 11
        SSCAN small 0
        SSCAN small 0 MATCH 1*
        SSCAN small 0 COUNT 1
        SSCAN small 0 COUNT 0
        SSCAN small 0 COUNT x
        SSCAN small 0 FOO bar
        SSCAN small 0 MATCH
        SSCAN small x
        SSCAN small -1
        SSCAN missing 0 COUNT 0
        "#,
    );
    for srv in [d.ours.port, d.redis.port] {
        let mut c = Raw::connect(srv);
        let mut args = vec!["SADD".to_string(), "big".to_string()];
        args.extend((0..1000).map(|i| format!("member:{i}")));
        c.call(&args);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut rounds = 0;
        loop {
            let r = c.call(&["SSCAN", "big", &cursor, "COUNT", "20", "MATCH", "member:1*"]);
            let Frame::Array(v) = Frame::decode(&r).unwrap().unwrap().0 else {
                panic!("array")
            };
            let Frame::Bulk(next) = &v[0] else { panic!() };
            let Frame::Array(items) = &v[1] else { panic!() };
            for it in items {
                let Frame::Bulk(b) = it else { panic!() };
                assert!(b.starts_with(b"member:1"));
                seen.insert(b.clone());
            }
            cursor = String::from_utf8(next.to_vec()).unwrap();
            rounds += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 111, "port {srv}");
        assert!(rounds > 5);
    }
}

#[test]
fn resp3_reply_types() {
    let mut d = Diff::new(&[]);
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run(
        r#"
        SADD s 1 2 3
        SMEMBERS s
        SINTER s s
        SUNION s
        SDIFF s missing
        SMEMBERS missing
        SPOP missing 2
        SPOP s 0
        SRANDMEMBER s 10
        SRANDMEMBER missing 2
        SMISMEMBER s 1 9
        SSCAN s 0
        SPOP s 5
        SPOP missing
        SRANDMEMBER missing
        "#,
    );
}

#[test]
fn keyspace_events_match_redis() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEA"]);
    let (mut sa, mut sb) = d.second();
    sa.call(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    sb.call(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let script = [
        "SADD s 1 2 3",
        "SADD s 1",
        "SREM s 1 9",
        "SREM s 9",
        "SMOVE s t 2",
        "SMOVE s t 3",
        "SADD a x y",
        "SINTERSTORE dst a t",
        "SUNIONSTORE dst a t",
        "SDIFFSTORE dst a a",
        "SINTERSTORE dst a t",
        "SPOP a",
        "SPOP a",
        "SADD b 1 2 3 4 5 6 7 8 9 10",
        "SPOP b 1",
        "SPOP b 8",
        "SPOP b 5",
        "SPOP b 5",
        "SCARD missing",
    ];
    for line in script {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        let ra = d.a.call(&args);
        let rb = d.b.call(&args);
        if !line.starts_with("SPOP") {
            assert_eq!(text(&ra), text(&rb), "{line}");
        }
    }
    let wait = std::time::Duration::from_millis(300);
    let ea = text(&sa.read_for(wait));
    let eb = text(&sb.read_for(wait));
    assert_eq!(ea, eb);
    assert_eq!(ea.matches("pmessage").count(), 18, "{ea}");
}

#[test]
fn watch_sees_only_real_changes() {
    let mut d = Diff::new(&[]);
    d.run("SADD s 1 2");
    for (change, expect_abort) in [
        ("SADD s 1", false),
        ("SREM s 9", false),
        ("SMOVE s t 9", false),
        ("SADD s 3", true),
    ] {
        let (mut wa, mut wb) = d.second();
        for c in [&mut wa, &mut wb] {
            c.call(&["WATCH", "s"]);
            c.call(&["MULTI"]);
            c.call(&["SCARD", "s"]);
        }
        let args = resp::split_inline_args(change.as_bytes()).unwrap();
        d.check(&args);
        let ra = wa.call(&["EXEC"]);
        let rb = wb.call(&["EXEC"]);
        assert_eq!(text(&ra), text(&rb), "{change}");
        assert_eq!(ra.starts_with(b"*-1"), expect_abort, "{change}");
    }
}

/// Sets of every encoding, saved by one server and loaded by the other.
fn fill_sets(c: &mut Raw) {
    c.call(&["SADD", "intset16", "1", "2", "-3"]);
    c.call(&["SADD", "intset64", "1", "9223372036854775807"]);
    c.call(&["SADD", "table", "a", "b", "1"]);
    let mut args = vec!["SADD".to_string(), "bigints".to_string()];
    args.extend((0..600).map(|i| (i * 7).to_string()));
    c.call(&args);
}

fn check_sets(port: u16) {
    let mut c = Raw::connect(port);
    for (k, enc, card) in [
        ("intset16", "intset", 3),
        ("intset64", "intset", 2),
        ("table", "hashtable", 3),
        ("bigints", "hashtable", 600),
    ] {
        assert_eq!(
            text(&c.call(&["OBJECT", "ENCODING", k])),
            format!("${}\r\n{enc}\r\n", enc.len()),
            "{k} on port {port}"
        );
        assert_eq!(text(&c.call(&["SCARD", k])), format!(":{card}\r\n"));
    }
    assert_eq!(
        text(&c.call(&["SMEMBERS", "intset64"])),
        "*2\r\n$1\r\n1\r\n$19\r\n9223372036854775807\r\n"
    );
    assert_eq!(text(&c.call(&["SISMEMBER", "bigints", "4193"])), ":1\r\n");
    assert_eq!(
        normalized(&c.call(&["SMEMBERS", "table"])),
        normalized(b"*3\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\nb\r\n")
    );
}

#[test]
fn rdb_files_cross_both_ways() {
    for redis_first in [true, false] {
        let first = if redis_first {
            Server::start_redis(&[])
        } else {
            Server::start(&[])
        };
        let mut c = first.raw();
        fill_sets(&mut c);
        crate::zsets::fill_zsets(&mut c);
        assert_eq!(text(&c.call(&["SAVE"])), "+OK\r\n");
        let dir = first.dir.to_str().unwrap().to_string();
        let second = if redis_first {
            Server::start(&["--dir", &dir])
        } else {
            Server::start_redis(&["--dir", &dir])
        };
        check_sets(second.port);
        crate::zsets::check_zsets(second.port);
    }
}

#[test]
fn dump_payloads_cross_both_ways() {
    let d = Diff::new(&[]);
    let (mut a, mut b) = d.second();
    fill_sets(&mut a);
    fill_sets(&mut b);
    crate::zsets::fill_zsets(&mut a);
    crate::zsets::fill_zsets(&mut b);
    let keys = [
        "intset16", "intset64", "table", "bigints", "zlist", "zlong", "zbig", "zints",
    ];
    for k in keys {
        // Redis's payload restored here, ours restored there.
        for redis_to_ours in [true, false] {
            let (from, to) = if redis_to_ours {
                (&mut b, &mut a)
            } else {
                (&mut a, &mut b)
            };
            let payload = match Frame::decode(&from.call(&["DUMP", k])).unwrap().unwrap().0 {
                Frame::Bulk(p) => p,
                other => panic!("DUMP {k}: {other:?}"),
            };
            let copy = format!("{k}-copy");
            let r = to.call(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &payload]);
            assert_eq!(text(&r), "+OK\r\n", "RESTORE {k}");
            let orig = if k.starts_with('z') {
                to.call(&["ZRANGE", k, "0", "-1", "WITHSCORES"])
            } else {
                to.call(&["SMEMBERS", k])
            };
            let restored = if k.starts_with('z') {
                to.call(&["ZRANGE", &copy, "0", "-1", "WITHSCORES"])
            } else {
                to.call(&["SMEMBERS", &copy])
            };
            assert_eq!(normalized(&orig), normalized(&restored), "{k}");
            let e1 = to.call(&["OBJECT", "ENCODING", k]);
            let e2 = to.call(&["OBJECT", "ENCODING", &copy]);
            assert_eq!(text(&e1), text(&e2), "{k}");
            to.call(&["DEL", &copy]);
        }
    }
}

#[test]
fn spop_strategy_decides_the_encoding_left() {
    // Popping all but a few moves the survivors to a new set encoded for its first member
    // (an intset here); popping fewer leaves the hashtable, as in Redis.
    let mut d = Diff::new(&["--set-max-intset-entries", "8"]);
    for n in ["7", "8", "9"] {
        d.run("DEL s\nSADD s 1 2 3 4 5 6 7 8 9 10");
        d.a.call(&["SPOP", "s", n]);
        d.b.call(&["SPOP", "s", n]);
        d.run("OBJECT ENCODING s\nSCARD s");
    }
}

/// Every set and sorted set of a server, as sorted text (members with scores).
fn collections(port: u16) -> Vec<String> {
    let mut c = Raw::connect(port);
    let keys = match Frame::decode(&c.call(&["KEYS", "*"])).unwrap().unwrap().0 {
        Frame::Array(v) => v,
        other => panic!("{other:?}"),
    };
    let mut out = Vec::new();
    for k in keys {
        let Frame::Bulk(k) = k else { panic!() };
        let t = text(&c.call(&[b"TYPE".as_slice(), &k]));
        let body = if t.contains("zset") {
            text(&c.call(&[b"ZRANGE".as_slice(), &k, b"0", b"-1", b"WITHSCORES"]))
        } else {
            normalized(&c.call(&[b"SMEMBERS".as_slice(), &k]))
        };
        out.push(format!("{} {t} {body}", String::from_utf8_lossy(&k)));
    }
    out.sort();
    out
}

#[test]
fn redis_replica_of_redoubt_applies_the_effective_forms() {
    replica_converges(Server::start(&[]), Server::start_redis(&[]));
}

#[test]
fn redoubt_replica_of_redis_applies_its_effective_forms() {
    replica_converges(Server::start_redis(&[]), Server::start(&[]));
}

/// Runs set and sorted set writes on `primary` once `replica` streams from it; both must
/// end with the same collections.
fn replica_converges(primary: Server, replica: Server) {
    let mut r = replica.raw();
    r.call(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]);
    // The commands below must reach the replica as a stream, not inside the full sync.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !text(&r.call(&["INFO", "replication"])).contains("master_link_status:up") {
        assert!(std::time::Instant::now() < deadline, "link never came up");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut c = primary.raw();
    let mut big = vec!["SADD".to_string(), "big".to_string()];
    big.extend((0..3000).map(|i| format!("m{i}")));
    c.call(&big);
    for line in [
        "SADD s 1 2 3 4 5 6 7 8 9 10 a b c",
        "SPOP s",
        "SPOP s 2",
        "SPOP s 9",
        "SPOP big 2500",
        "SADD t x",
        "SPOP t 5",
        "SMOVE s u 1",
        "ZADD z 1 a 2 b 3 c 4 d 5 e",
        "ZINCRBY z 2.5 a",
        "ZPOPMIN z",
        "ZMPOP 1 z MAX COUNT 2",
        "BZPOPMIN z 0",
        "BZMPOP 0 1 z MIN COUNT 9",
        "ZADD y 1 a 2 b",
        "ZUNIONSTORE w 2 y s",
        "ZRANGESTORE v y 0 0",
        "ZREMRANGEBYSCORE y 2 2",
    ] {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        c.call(&args);
    }
    let want = collections(primary.port);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = collections(replica.port);
        if got == want {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "replica never converged:\nprimary {want:?}\nreplica {got:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(want.iter().any(|l| l.starts_with("big ")), "{want:?}");
}

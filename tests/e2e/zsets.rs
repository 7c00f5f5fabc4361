//! Sorted set commands against redis-server 7.0.

use crate::kit::Raw;

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

/// Sorted sets of every encoding (for the RDB and DUMP exchanges in sets.rs).
pub fn fill_zsets(c: &mut Raw) {
    c.call(&["ZADD", "zlist", "1.5", "a", "-2", "b", "inf", "c", "0", "d"]);
    c.call(&["ZADD", "zlong", "1", &"x".repeat(100)]);
    let mut args = vec!["ZADD".to_string(), "zbig".to_string()];
    for i in 0..300 {
        args.push(format!("{}", (i * 37) % 101) + ".25");
        args.push(format!("m{i}"));
    }
    c.call(&args);
    c.call(&["ZADD", "zints", "1", "10", "2", "20", "-1.1", "-5"]);
}

pub fn check_zsets(port: u16) {
    let mut c = Raw::connect(port);
    for (k, enc, card) in [
        ("zlist", "listpack", 4),
        ("zlong", "skiplist", 1),
        ("zbig", "skiplist", 300),
        ("zints", "listpack", 3),
    ] {
        assert_eq!(
            text(&c.call(&["OBJECT", "ENCODING", k])),
            format!("${}\r\n{enc}\r\n", enc.len()),
            "{k} on port {port}"
        );
        assert_eq!(text(&c.call(&["ZCARD", k])), format!(":{card}\r\n"));
    }
    assert_eq!(
        text(&c.call(&["ZRANGE", "zlist", "0", "-1", "WITHSCORES"])),
        "*8\r\n$1\r\nb\r\n$2\r\n-2\r\n$1\r\nd\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nc\r\n$3\r\ninf\r\n"
    );
    assert_eq!(
        text(&c.call(&["ZSCORE", "zints", "-5"])),
        "$19\r\n-1.1000000000000001\r\n"
    );
    assert_eq!(text(&c.call(&["ZRANK", "zbig", "m299"])), ":162\r\n");
}

use crate::kit::{hits_misses, Diff};

#[test]
fn zadd_options_errors_and_replies() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        ZADD z 1 a
        ZADD z 1 a 2 b 3 c
        ZADD z CH 1 a 5 b 3 c 9 d
        ZADD z NX 100 a 100 e
        ZADD z XX 100 a 100 f
        ZADD z XX CH 7 a 100 g
        ZADD z GT 1 a
        ZADD z GT CH 200 a
        ZADD z LT CH 300 a 0 b
        ZADD z GT LT 1 a
        ZADD z NX XX 1 a
        ZADD z NX GT 1 a
        ZADD z NX LT 1 a
        ZADD z INCR 1 a 2 b
        ZADD z INCR 5 a
        ZADD z INCR NX 5 a
        ZADD z INCR XX 5 nosuch
        ZADD z INCR GT -1 a
        ZADD z INCR LT -1 a
        ZADD z INCR LT 0 a
        ZADD z nx xx incr 1 a
        ZADD z 1
        ZADD z 1 a 2
        ZADD z abc a
        ZADD z 1 a x b
        ZADD z nan a
        ZADD z 1e999 a
        ZADD z 1e-400 a
        ZADD z " 1" a
        ZADD z "" a
        ZADD z inf inf -inf ninf +inf pinf 0x10 hex 1e3 exp .5 half -0 negzero
        ZRANGE z 0 -1 WITHSCORES
        ZADD z INCR -inf inf
        ZADD z INCR inf ninf
        ZSCORE z inf
        ZINCRBY z 1.1 new
        ZSCORE z new
        ZINCRBY z abc new
        ZINCRBY z 1 new extra
        ZINCRBY z inf pinf
        ZINCRBY z -inf pinf
        ZINCRBY nx 1 a
        ZADD z CH
        ZADD
        SET str v
        ZADD str 1 a
        ZADD str abc a
        ZINCRBY str 1 a
        ZADD newxx XX 1 a
        EXISTS newxx
        ZADD newgt GT 5 a
        ZRANGE newgt 0 -1 WITHSCORES
        ZCARD z
        ZCARD missing
        ZCARD str
        ZSCORE z a
        ZSCORE z nothere
        ZSCORE missing a
        ZSCORE str a
        ZMSCORE z a nothere b
        ZMSCORE missing a b
        ZMSCORE str a
        ZMSCORE z
        "#,
    );
}

#[test]
fn encodings_follow_the_listpack_limits() {
    let mut d = Diff::new(&[]);
    let long = "x".repeat(65);
    d.run(&format!(
        r#"
        ZADD small 1 a
        OBJECT ENCODING small
        ZADD small 2 {long}
        OBJECT ENCODING small
        ZADD first 1 {long}
        OBJECT ENCODING first
        ZREM first {long}
        EXISTS first
        CONFIG SET zset-max-listpack-entries 3
        ZADD lim 1 a 2 b 3 c
        OBJECT ENCODING lim
        ZADD lim 4 d
        OBJECT ENCODING lim
        ZREM lim a b
        OBJECT ENCODING lim
        ZRANGESTORE copy lim 0 -1
        OBJECT ENCODING copy
        ZUNIONSTORE u 1 lim
        OBJECT ENCODING u
        CONFIG SET zset-max-listpack-entries 0
        ZADD none 1 a
        OBJECT ENCODING none
        CONFIG SET zset-max-listpack-entries 128
        CONFIG SET zset-max-listpack-value 2
        ZADD v 1 ab
        OBJECT ENCODING v
        ZADD v2 1 abc
        OBJECT ENCODING v2
        ZADD v 2 abc
        OBJECT ENCODING v
        CONFIG SET zset-max-listpack-value 64
        "#
    ));
    let mut args: Vec<String> = vec!["ZADD".into(), "many".into()];
    for i in 0..129 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    d.check(&args);
    d.run(
        "OBJECT ENCODING many\nZRANK many m128\nZREVRANK many m0\nZRANGE many 100 105 WITHSCORES",
    );
}

/// Fills the same sorted sets on both servers: one listpack, one skiplist, with ties and
/// infinities, so every range command runs against both encodings.
fn fill_both(d: &mut Diff) {
    d.run("ZADD lp -inf ninf 1 a 1 b 2 c 2.5 d 3 e 3 f 10 g inf pinf");
    let mut args: Vec<String> = vec!["ZADD".into(), "sl".into()];
    for i in 0..300 {
        args.push(format!("{}", (i % 37) as f64 / 2.0));
        args.push(format!("m{i:03}"));
    }
    args.extend(["-inf", "ninf", "inf", "pinf"].map(String::from));
    d.check(&args);
    d.run("ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 aa 0 ab 0 b1");
    let mut args: Vec<String> = vec!["ZADD".into(), "biglex".into()];
    for i in 0..200 {
        args.push("0".into());
        args.push(format!("w{i:03}"));
    }
    d.check(&args);
    d.run("OBJECT ENCODING lp\nOBJECT ENCODING sl\nOBJECT ENCODING biglex");
}

#[test]
fn ranges_by_rank_score_and_lex() {
    let mut d = Diff::new(&[]);
    fill_both(&mut d);
    for key in ["lp", "sl"] {
        d.run(&format!(
            r#"
            ZRANGE {key} 0 -1
            ZRANGE {key} 0 -1 WITHSCORES
            ZRANGE {key} 2 4 WITHSCORES
            ZRANGE {key} -3 -1
            ZRANGE {key} -100 2
            ZRANGE {key} 5 2
            ZRANGE {key} 1000 2000
            ZRANGE {key} 0 -1000
            ZRANGE {key} 0 9223372036854775807
            ZRANGE {key} -9223372036854775808 1
            ZRANGE {key} 0 1 REV WITHSCORES
            ZREVRANGE {key} 0 3 WITHSCORES
            ZREVRANGE {key} -2 -1
            ZRANGE {key} 1 3 BYSCORE WITHSCORES
            ZRANGE {key} (1 3 BYSCORE
            ZRANGE {key} 1 (3 BYSCORE
            ZRANGE {key} (1 (1 BYSCORE
            ZRANGE {key} 1 1 BYSCORE
            ZRANGE {key} -inf +inf BYSCORE
            ZRANGE {key} 3 1 BYSCORE REV WITHSCORES
            ZRANGE {key} +inf -inf BYSCORE REV LIMIT 1 3
            ZRANGE {key} -inf +inf BYSCORE LIMIT 2 3 WITHSCORES
            ZRANGE {key} -inf +inf BYSCORE LIMIT 2 -1
            ZRANGE {key} -inf +inf BYSCORE LIMIT -1 5
            ZRANGE {key} -inf +inf BYSCORE LIMIT 0 0
            ZRANGE {key} -inf +inf BYSCORE LIMIT 1000 1
            ZRANGEBYSCORE {key} 2 10 WITHSCORES LIMIT 1 2
            ZRANGEBYSCORE {key} (2 +inf
            ZRANGEBYSCORE {key} " 2" "10"
            ZRANGEBYSCORE {key} "" ""
            ZRANGEBYSCORE {key} ( (
            ZRANGEBYSCORE {key} 1e999 inf
            ZRANGEBYSCORE {key} 0x1 0x2
            ZREVRANGEBYSCORE {key} 10 2 WITHSCORES
            ZREVRANGEBYSCORE {key} +inf -inf LIMIT 2 2
            ZREVRANGEBYSCORE {key} (10 (2
            ZCOUNT {key} -inf +inf
            ZCOUNT {key} (1 3
            ZCOUNT {key} 3 1
            ZCOUNT {key} x 1
            ZRANGEBYSCORE {key} nan 1
            ZRANGEBYSCORE {key} 1 "2 "
            ZRANGEBYSCORE {key} ((1 2
            ZRANGE {key} 0 -1 BYLEX
            ZRANGE {key} a b BYSCORE
            ZRANK {key} a
            ZRANK {key} pinf
            ZREVRANK {key} ninf
            ZRANK {key} nothere
            "#
        ));
    }
    for key in ["lex", "biglex"] {
        d.run(&format!(
            r#"
            ZRANGEBYLEX {key} - +
            ZRANGEBYLEX {key} [a [b
            ZRANGEBYLEX {key} (a [b
            ZRANGEBYLEX {key} (a (b
            ZRANGEBYLEX {key} [w010 (w020
            ZRANGEBYLEX {key} - + LIMIT 2 3
            ZRANGEBYLEX {key} - + LIMIT -1 3
            ZRANGEBYLEX {key} + -
            ZRANGEBYLEX {key} - -
            ZRANGEBYLEX {key} [b [a
            ZRANGEBYLEX {key} [b [b
            ZRANGEBYLEX {key} (b [b
            ZREVRANGEBYLEX {key} + - LIMIT 0 4
            ZREVRANGEBYLEX {key} [c (a
            ZRANGE {key} [c (a BYLEX REV
            ZRANGE {key} - + BYLEX LIMIT 1 2
            ZLEXCOUNT {key} - +
            ZLEXCOUNT {key} [b (d
            ZLEXCOUNT {key} (zzz +
            ZLEXCOUNT {key} a b
            ZRANGEBYLEX {key} a [b
            ZRANGEBYLEX {key} [a b
            ZRANGEBYLEX {key} +a +
            ZRANGEBYLEX {key} - + WITHSCORES
            ZRANGE {key} - + BYLEX WITHSCORES
            ZRANGEBYLEX {key} "" +
            "#
        ));
    }
    d.run(
        r#"
        ZRANGE missing 0 -1
        ZRANGE missing 0 -1 BYSCORE
        ZRANGE missing a b
        ZRANGE lp 0 1 LIMIT 0 1
        ZREVRANGE lp 0 1 LIMIT 0 1
        ZRANGE lp 0 1 BYSCORE BYLEX
        ZRANGE lp 0 1 REV REV
        ZRANGEBYSCORE lp 0 1 REV
        ZRANGEBYSCORE lp 0 1 BYSCORE
        ZRANGE lp 0 1 LIMIT 0
        ZRANGE lp 0 1 LIMIT x 1 BYSCORE
        ZRANGE lp 0 1 FOO
        ZRANGE lp a 1
        ZRANGE lp 0
        SET str v
        ZRANGE str 0 -1
        ZRANGE str a b
        ZCOUNT str 0 1
        ZCOUNT missing 0 1
        ZLEXCOUNT missing - +
        ZRANK str a
        ZRANK missing a
        "#,
    );
}

#[test]
fn zrangestore_and_remrange() {
    let mut d = Diff::new(&[]);
    fill_both(&mut d);
    d.run(
        r#"
        ZRANGESTORE d1 lp 0 2
        ZRANGE d1 0 -1 WITHSCORES
        ZRANGESTORE d1 sl 5 1 BYSCORE REV LIMIT 0 5
        ZRANGE d1 0 -1 WITHSCORES
        OBJECT ENCODING d1
        ZRANGESTORE d2 sl 0 -1
        OBJECT ENCODING d2
        ZRANGESTORE d2 lex [a [c BYLEX
        ZRANGE d2 0 -1
        ZRANGESTORE d2 lp 100 200
        EXISTS d2
        ZRANGESTORE d2 missing 0 -1
        ZRANGESTORE d1 lp 0 -1 WITHSCORES
        SET str v
        EXPIRE str 100
        ZRANGESTORE str lp 0 0
        TYPE str
        TTL str
        ZRANGESTORE d3 str 0 1
        ZREMRANGEBYRANK lp 0 0
        ZREMRANGEBYRANK lp -2 -1
        ZREMRANGEBYRANK lp 5 1
        ZREMRANGEBYRANK lp x 1
        ZREMRANGEBYRANK missing 0 1
        ZRANGE lp 0 -1 WITHSCORES
        ZREMRANGEBYSCORE sl (1 3
        ZREMRANGEBYSCORE sl x 1
        ZREMRANGEBYSCORE sl 5 1
        ZCARD sl
        ZREMRANGEBYLEX lex [b (d
        ZREMRANGEBYLEX lex x y
        ZRANGE lex 0 -1
        ZREMRANGEBYLEX biglex - (w100
        ZCARD biglex
        ZREMRANGEBYSCORE sl -inf +inf
        EXISTS sl
        ZREMRANGEBYRANK lex 0 -1
        EXISTS lex
        ZREMRANGEBYSCORE str 0 1
        ZREMRANGEBYLEX str - +
        ZREMRANGEBYRANK str 0 1
        "#,
    );
}

#[test]
fn pops_and_multi_pops() {
    let mut d = Diff::new(&[]);
    fill_both(&mut d);
    d.run(
        r#"
        ZPOPMIN lp
        ZPOPMAX lp
        ZPOPMIN lp 2
        ZPOPMAX lp 0
        ZPOPMIN lp -1
        ZPOPMIN lp x
        ZPOPMIN lp 1 2
        ZPOPMIN missing
        ZPOPMIN missing 3
        ZPOPMAX sl 3
        ZMPOP 1 sl MIN
        ZMPOP 2 missing sl MAX COUNT 3
        ZMPOP 2 missing missing2 MIN
        ZMPOP 0 sl MIN
        ZMPOP -1 sl MIN
        ZMPOP x sl MIN
        ZMPOP 2 sl MIN
        ZMPOP 1 sl LEFT
        ZMPOP 1 sl MIN COUNT 0
        ZMPOP 1 sl MIN COUNT -1
        ZMPOP 1 sl MIN COUNT 1 COUNT 2
        ZMPOP 1 sl MIN COUNT
        ZMPOP 1 sl MIN FOO
        ZPOPMIN lp 100
        EXISTS lp
        SET str v
        ZPOPMIN str
        ZMPOP 2 missing str MIN
        ZMPOP 2 sl str MIN
        BZPOPMIN sl 0
        BZPOPMAX missing sl 0
        BZPOPMIN str 0
        BZPOPMIN sl -1
        BZPOPMIN sl abc
        BZMPOP 0 1 sl MAX COUNT 2
        BZMPOP 0 0 sl MAX
        BZMPOP x 1 sl MAX
        BZMPOP -1 1 sl MAX
        BZMPOP 0 1 sl FOO
        MULTI
        BZPOPMIN missing 0
        BZMPOP 0 1 missing MIN
        EXEC
        "#,
    );
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run(
        r#"
        ZPOPMIN sl
        ZPOPMIN sl 2
        ZPOPMAX sl 0
        ZMPOP 1 sl MIN COUNT 2
        ZMPOP 1 missing MIN
        BZPOPMIN sl 0
        BZMPOP 0 1 sl MAX COUNT 2
        ZRANGE sl 0 2 WITHSCORES
        ZRANGE sl 0 2 BYSCORE WITHSCORES
        ZSCORE sl m001
        ZMSCORE sl m001 x
        ZPOPMIN missing
        "#,
    );
}

#[test]
fn blocking_pops_wake_up_like_redis() {
    let mut d = Diff::new(&[]);
    let (mut wa, mut wb) = d.second();
    for (w, _) in [(&mut wa, 0), (&mut wb, 1)] {
        w.cmd(&["BZPOPMIN", "k1", "k2", "0"]);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    d.run("ZADD k2 5 x 6 y");
    let ra = wa.reply();
    let rb = wb.reply();
    assert_eq!(text(&ra), text(&rb));
    assert_eq!(text(&ra), "*3\r\n$2\r\nk2\r\n$1\r\nx\r\n$1\r\n5\r\n");
    d.run("ZRANGE k2 0 -1 WITHSCORES");
    for w in [&mut wa, &mut wb] {
        w.cmd(&["BZMPOP", "0", "2", "k3", "k4", "MAX", "COUNT", "5"]);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    d.run("ZADD k4 1 a 2 b 3 c");
    assert_eq!(text(&wa.reply()), text(&wb.reply()));
    d.run("EXISTS k4");
    // Timeouts reply a null array.
    for w in [&mut wa, &mut wb] {
        w.cmd(&["BZPOPMAX", "k9", "0.1"]);
    }
    assert_eq!(text(&wa.reply()), "*-1\r\n");
    assert_eq!(text(&wb.reply()), "*-1\r\n");
}

#[test]
fn algebra_with_weights_and_aggregates() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        ZADD z1 1 a 2 b 3 c
        ZADD z2 10 b 20 c 30 d
        ZADD z3 0.1 c 0.2 d 0.3 e
        SADD s1 a d x
        ZUNION 2 z1 z2
        ZUNION 2 z1 z2 WITHSCORES
        ZUNION 3 z1 z2 s1 WITHSCORES
        ZUNION 2 z1 z2 WEIGHTS 2 0.5 WITHSCORES
        ZUNION 2 z1 z2 AGGREGATE MIN WITHSCORES
        ZUNION 2 z1 z2 AGGREGATE MAX WITHSCORES
        ZUNION 2 z1 z2 WEIGHTS 1 -1 AGGREGATE sum WITHSCORES
        ZUNION 3 z1 z2 z3 WEIGHTS 1 inf 0 WITHSCORES
        ZUNION 2 z1 missing WITHSCORES
        ZINTER 2 z1 z2 WITHSCORES
        ZINTER 3 z1 z2 z3 WITHSCORES
        ZINTER 2 z1 s1 WITHSCORES
        ZINTER 2 z1 z1 WITHSCORES
        ZINTER 2 z1 z1 WEIGHTS 1 2 AGGREGATE MAX WITHSCORES
        ZINTER 2 z1 missing
        ZINTER 2 z2 z3 WEIGHTS inf 0 WITHSCORES
        ZDIFF 2 z1 z2 WITHSCORES
        ZDIFF 3 z2 z1 z3
        ZDIFF 2 z1 z1
        ZDIFF 2 missing z1
        ZDIFF 2 s1 z1 WITHSCORES
        ZDIFF 1 z1 WEIGHTS 1
        ZDIFF 1 z1 AGGREGATE MIN
        ZINTERCARD 2 z1 z2
        ZINTERCARD 2 z1 z2 LIMIT 1
        ZINTERCARD 2 z1 z2 LIMIT 0
        ZINTERCARD 2 z1 z2 LIMIT -1
        ZINTERCARD 2 z1 z2 WITHSCORES
        ZINTERCARD 0 z1
        ZINTERCARD x z1
        ZINTERCARD 3 z1 z2
        ZUNION 0 z1
        ZUNION -1 z1
        ZUNION 3 z1 z2
        ZUNION 2 z1 z2 WEIGHTS 1
        ZUNION 2 z1 z2 WEIGHTS 1 x
        ZUNION 2 z1 z2 AGGREGATE avg
        ZUNION 2 z1 z2 AGGREGATE
        ZUNION 2 z1 z2 FOO
        ZUNIONSTORE dst 2 z1 z2 WEIGHTS 1 2
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        ZINTERSTORE dst 2 z1 z2 AGGREGATE MAX
        ZRANGE dst 0 -1 WITHSCORES
        ZDIFFSTORE dst 2 z1 z2
        ZRANGE dst 0 -1 WITHSCORES
        ZINTERSTORE dst 2 z1 missing
        EXISTS dst
        ZUNIONSTORE dst 2 z1 z2 WITHSCORES
        ZDIFFSTORE dst 1 z1 WEIGHTS 1
        SET str v
        ZUNION 2 z1 str
        ZUNIONSTORE dst 2 str z1
        ZINTERCARD 2 z1 str
        ZUNIONSTORE str 1 z1
        TYPE str
        ZUNIONSTORE
        ZUNIONSTORE dst 0 z1
        "#,
    );
    // Sums are added in Redis's order (inputs smallest first).
    d.run(
        r#"
        ZADD f1 0.1 x
        ZADD f2 0.2 x 1 y
        ZADD f3 0.3 x 1 y 2 z
        ZUNION 3 f3 f2 f1 WITHSCORES
        ZINTER 3 f3 f1 f2 WITHSCORES
        ZUNION 3 f1 f2 f3 WEIGHTS 3 7 11 WITHSCORES
        "#,
    );
}

#[test]
fn zrandmember_and_zscan() {
    let mut d = Diff::new(&[]);
    fill_both(&mut d);
    d.run(
        r#"
        ZRANDMEMBER missing
        ZRANDMEMBER missing 5
        ZRANDMEMBER lp 0
        ZRANDMEMBER lp 100
        ZRANDMEMBER lp 100 WITHSCORES
        ZRANDMEMBER sl 1000 WITHSCORES
        ZRANDMEMBER lp x
        ZRANDMEMBER lp 1 FOO
        ZRANDMEMBER lp 1 WITHSCORES x
        ZRANDMEMBER lp -9223372036854775808
        ZRANDMEMBER lp 9223372036854775807 WITHSCORES
        ZRANDMEMBER lp -4611686018427387904 WITHSCORES
        SET str v
        ZRANDMEMBER str
        ZRANDMEMBER str 3
        ZSCAN lp 0
        ZSCAN lp 0 MATCH m*
        ZSCAN lp 0 COUNT 0
        ZSCAN missing 0
        ZSCAN str 0
        ZSCAN lp x
        "#,
    );
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run("ZRANDMEMBER lp 100 WITHSCORES\nZSCAN lp 0");
    let mut c = crate::kit::Raw::connect(d.ours.port);
    for n in ["3", "8", "-20"] {
        let r = c.call(&["ZRANDMEMBER", "sl", n, "WITHSCORES"]);
        let resp::Frame::Array(v) = resp::Frame::decode(&r).unwrap().unwrap().0 else {
            panic!()
        };
        let want: i64 = n.parse::<i64>().unwrap().abs() * 2;
        assert_eq!(v.len() as i64, want);
    }
    // ZSCAN of a skiplist set visits every member, scores as strings.
    let mut seen = std::collections::HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c.call(&["ZSCAN", "sl", &cursor, "COUNT", "7"]);
        let resp::Frame::Array(v) = resp::Frame::decode(&r).unwrap().unwrap().0 else {
            panic!()
        };
        let (resp::Frame::Bulk(next), resp::Frame::Array(items)) = (&v[0], &v[1]) else {
            panic!()
        };
        for pair in items.chunks(2) {
            let (resp::Frame::Bulk(m), resp::Frame::Bulk(s)) = (&pair[0], &pair[1]) else {
                panic!()
            };
            seen.insert(m.clone(), s.clone());
        }
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 302);
    assert_eq!(seen[&bytes::Bytes::from_static(b"m001")], "0.5");
    assert_eq!(seen[&bytes::Bytes::from_static(b"pinf")], "inf");
}

#[test]
fn zscore_prints_17_digits() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        ZADD z 1.1 a 0.1 b 1e300 c -1e-300 d 123456789012345678 e 3.0 f
        ZSCORE z a
        ZSCORE z b
        ZSCORE z c
        ZSCORE z d
        ZSCORE z e
        ZSCORE z f
        ZRANGE z 0 -1 WITHSCORES
        ZINCRBY z 0.2 b
        "#,
    );
}

#[test]
fn keyspace_events_match_redis() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEA"]);
    let (mut sa, mut sb) = d.keyspace_subscribers();
    d.run(
        r#"
        ZADD z 1 a 2 b 3 c
        ZADD z 1 a
        ZINCRBY z 1 a
        ZADD z INCR 1 a
        ZREM z a nothere
        ZREM z nothere
        ZREMRANGEBYSCORE z 100 200
        ZREMRANGEBYRANK z 0 0
        ZADD z 1 a 2 b
        ZREMRANGEBYLEX z - +
        ZADD z 1 a 2 b 3 c
        ZPOPMIN z
        ZPOPMAX z 5
        ZADD z 1 a 2 b 3 c
        ZMPOP 1 z MIN COUNT 3
        ZADD src 1 a
        ZRANGESTORE dst src 0 -1
        ZUNIONSTORE dst 1 src
        ZINTERSTORE dst 2 src missing
        ZDIFFSTORE dst 1 src
        ZRANGESTORE dst src 5 6
        ZREM src a
        "#,
    );
    let wait = std::time::Duration::from_millis(300);
    let ea = text(&sa.read_for(wait));
    let eb = text(&sb.read_for(wait));
    assert_eq!(ea, eb);
    assert!(ea.matches("pmessage").count() > 30, "{ea}");
}

#[test]
fn lookups_count_hits_and_misses_like_redis() {
    let mut d = Diff::new(&[]);
    d.run("CONFIG RESETSTAT");
    let script = [
        "ZRANGESTORE dst missing 0 -1",
        "SINTERSTORE d m1 m2",
        "SUNIONSTORE d m1",
        "ZUNIONSTORE d 1 m1",
        "SMOVE m1 m2 a",
        "SADD m1 a",
        "SMOVE m1 m2 a",
        "SISMEMBER m2 a",
        "SMEMBERS m2",
        "SDIFFSTORE x m2 m3",
        "ZADD z 1 a",
        "ZRANGESTORE dst z 0 -1",
        "ZSCORE z a",
        "ZMSCORE nothere a",
        "ZRANK z a",
        "ZRANGE z 0 -1",
        "ZRANGEBYSCORE m 0 1",
        "ZPOPMIN m",
        "ZMPOP 1 m MIN",
        "SPOP m",
        "ZINTERCARD 2 m z",
        "SINTERCARD 1 m",
        "ZRANDMEMBER m 2",
        "SRANDMEMBER m",
        "ZSCAN m 0",
        "SSCAN m 0",
        "ZREM m a",
        "ZREMRANGEBYRANK m 0 1",
        "ZCOUNT m 0 1",
        "BZPOPMIN m 0.01",
        "ZINCRBY m 1 a",
    ];
    for line in script {
        let args = resp::split_inline_args(line.as_bytes()).unwrap();
        d.a.call(&args);
        d.b.call(&args);
        assert_eq!(hits_misses(&mut d.a), hits_misses(&mut d.b), "after {line}");
    }
}

#[test]
fn zscan_of_a_skiplist_formats_scores_like_redis() {
    let mut d = Diff::new(&["--zset-max-listpack-entries", "0"]);
    d.run("ZADD zs 1.1 a 2 b -0 c 1e300 d inf e -inf f 0.1 g\nOBJECT ENCODING zs");
    d.check_unordered(&["ZSCAN", "zs", "0", "COUNT", "1000"]);
    d.run("ZSCORE zs c\nZRANGE zs 0 -1 WITHSCORES");
}

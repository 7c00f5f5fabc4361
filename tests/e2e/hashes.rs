//! Hash commands against redis-server 7.0, byte for byte: every command and option, error
//! paths, the listpack → hashtable conversion points (OBJECT ENCODING), HINCRBYFLOAT's long
//! double text, HRANDFIELD's shapes and bounds, HSCAN (whole compact hashes, a full cursor
//! walk over big ones), RESP3, keyspace events, DUMP payloads both ways and the propagated
//! stream (HINCRBYFLOAT as HSET).

use std::collections::BTreeSet;

use crate::kit::{check_pair, Diff, Raw};
use crate::repl_tap::assert_same_stream;

#[test]
fn writes_reads_and_errors() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        HSET h a 1 b 2 c three
        HSET h a 10 d 4
        HSET h a
        HSET h a 1 b
        HMSET h x 1 y 2
        HMSET h x
        HGET h a
        HGET h nothere
        HGET nokey a
        HMGET h a b nothere c
        HMGET nokey a b
        HLEN h
        HLEN nokey
        HSTRLEN h c
        HSTRLEN h a
        HSTRLEN h nothere
        HSTRLEN nokey a
        HEXISTS h a
        HEXISTS h nothere
        HEXISTS nokey a
        HKEYS h
        HVALS h
        HGETALL h
        HKEYS nokey
        HVALS nokey
        HGETALL nokey
        HSETNX h a 99
        HSETNX h new 99
        HSETNX fresh f v
        HGETALL fresh
        HDEL h a nothere b
        HDEL h nothere
        HDEL nokey a
        HGETALL h
        HDEL fresh f
        EXISTS fresh
        HSET n i 10 f 1.5 s abc neg -3 big 9223372036854775807 e ""
        HINCRBY n i 5
        HINCRBY n i -20
        HINCRBY n new 7
        HINCRBY n f 1
        HINCRBY n s 1
        HINCRBY n e 1
        HINCRBY n big 1
        HINCRBY n neg -9223372036854775806
        HINCRBY n i abc
        HINCRBY n i 1.5
        HINCRBY nokey2 f abc
        EXISTS nokey2
        HINCRBY nokey3 f -4
        HINCRBYFLOAT n f 0.1
        HINCRBYFLOAT n i 1
        HINCRBYFLOAT n f -1.6
        HINCRBYFLOAT n newf 10.5
        HINCRBYFLOAT n newf 0.1
        HINCRBYFLOAT n s 1
        HINCRBYFLOAT n e 1
        HINCRBYFLOAT n f abc
        HINCRBYFLOAT n f inf
        HINCRBYFLOAT n f nan
        HINCRBYFLOAT n f 1e4000
        HINCRBYFLOAT n f 5.0e3
        HINCRBYFLOAT n f 0x10
        HINCRBYFLOAT n big 1
        HSET n huge 1e4930
        HINCRBYFLOAT n huge 1e4930
        HINCRBYFLOAT nokey4 f 1.25
        HLEN n
        SET str v
        HSET str a 1
        HGET str a
        HMGET str a
        HLEN str
        HDEL str a
        HGETALL str
        HSETNX str a 1
        HINCRBY str a 1
        HINCRBYFLOAT str a 1
        HRANDFIELD str
        HSCAN str 0
        HSTRLEN str a
        HEXISTS str a
        TYPE h
        "#,
    );
    same_hash(&mut d, "n");
}

/// Compares a hash's fields and values on both servers regardless of order (a table-encoded
/// hash comes out in its hash order, randomly seeded in Redis).
fn same_hash(d: &mut Diff, key: &str) {
    let pairs = |r: Vec<u8>| {
        let items = parse_array(&r);
        let mut v: Vec<(String, String)> = items
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        v.sort();
        v
    };
    let a = pairs(d.a.call(&["HGETALL", key]));
    let b = pairs(d.b.call(&["HGETALL", key]));
    assert_eq!(a, b, "HGETALL {key}");
}

#[test]
fn encoding_conversions_follow_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        HSET h a 1
        OBJECT ENCODING h
        HSET h b bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        OBJECT ENCODING h
        HSET h c bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        OBJECT ENCODING h
        HDEL h c
        OBJECT ENCODING h
        HSET k a 1
        HSETNX k a bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        OBJECT ENCODING k
        HSETNX k ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 1
        OBJECT ENCODING k
        HSET f a 1
        HINCRBYFLOAT f a 1e60
        OBJECT ENCODING f
        HINCRBYFLOAT f a 1e70
        OBJECT ENCODING f
        HSET i a 1
        HINCRBY i aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1
        OBJECT ENCODING i
        HSET x a 1
        HINCRBY x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa notanumber
        OBJECT ENCODING x
        CONFIG SET hash-max-listpack-entries 3
        HSET c a 1 a 2 a 3 a 4
        OBJECT ENCODING c
        HSET c b 1 c 1
        OBJECT ENCODING c
        HSET c d 1
        OBJECT ENCODING c
        CONFIG SET hash-max-listpack-entries 0
        HSET z a 1
        OBJECT ENCODING z
        CONFIG SET hash-max-listpack-entries 512
        CONFIG SET hash-max-listpack-value 0
        HSET e "" ""
        OBJECT ENCODING e
        HSET e2 a ""
        OBJECT ENCODING e2
        CONFIG SET hash-max-listpack-value 64
        "#,
    );
    same_hash(&mut d, "c");
}

#[test]
fn hrandfield_shapes_and_bounds() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        HSET h a 1
        HRANDFIELD h
        HRANDFIELD h 1
        HRANDFIELD h 1 WITHVALUES
        HRANDFIELD h -3
        HRANDFIELD h -3 WITHVALUES
        HRANDFIELD h 5 WITHVALUES
        HRANDFIELD h 0
        HRANDFIELD h 0 WITHVALUES
        HRANDFIELD h abc
        HRANDFIELD h 1 withvalue
        HRANDFIELD h 1 WITHVALUES x
        HRANDFIELD h -9223372036854775808
        HRANDFIELD h 9223372036854775807 WITHVALUES
        HRANDFIELD h -4611686018427387904 WITHVALUES
        HRANDFIELD h 4611686018427387903 WITHVALUES
        HRANDFIELD nokey
        HRANDFIELD nokey 5
        HRANDFIELD nokey -5 WITHVALUES
        HRANDFIELD nokey abc
        "#,
    );
    crate::lists::hello3(&mut d);
    d.run(
        r#"
        HRANDFIELD h -2 WITHVALUES
        HRANDFIELD h 1 WITHVALUES
        HRANDFIELD nokey
        HRANDFIELD nokey 3
        "#,
    );
    // Random picks: the same shape, distinct fields when the count is positive.
    for n in [3usize, 300, 1000] {
        let mut c = d.ours.raw();
        c.call(&["DEL", "big"]);
        for i in 0..n {
            c.call(&["HSET", "big", &format!("f{i}"), &i.to_string()]);
        }
        for count in [1i64, 2, 5, 100, 299, 500, -7, -1000] {
            let r = c.call(&["HRANDFIELD", "big", &count.to_string()]);
            let items = parse_array(&r);
            let want = if count < 0 {
                count.unsigned_abs() as usize
            } else {
                (count as usize).min(n)
            };
            assert_eq!(items.len(), want, "HRANDFIELD big {count} (of {n})");
            if count > 0 {
                let distinct: BTreeSet<_> = items.iter().collect();
                assert_eq!(distinct.len(), items.len(), "duplicates for {count}");
            }
            let r = c.call(&["HRANDFIELD", "big", &count.to_string(), "WITHVALUES"]);
            let items = parse_array(&r);
            assert_eq!(items.len(), want * 2);
            for p in items.chunks(2) {
                assert_eq!(p[0][1..], p[1][..], "value of {}", p[0]);
            }
        }
    }
}

/// The bulk strings of a flat RESP2 array reply.
fn parse_array(r: &[u8]) -> Vec<String> {
    let s = String::from_utf8_lossy(r);
    let mut lines = s.split("\r\n");
    let head = lines.next().unwrap();
    let n: usize = head[1..].parse().unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        lines.next();
        out.push(lines.next().unwrap().to_string());
    }
    out
}

#[test]
fn hscan_walks_compact_and_big_hashes() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        HSET h a 1 b 2 c 3 ab 4
        HSCAN h 0
        HSCAN h 0 COUNT 1
        HSCAN h 0 MATCH a*
        HSCAN h 0 MATCH nothing*
        HSCAN h 0 COUNT 0
        HSCAN h 0 COUNT -1
        HSCAN h 0 COUNT abc
        HSCAN h 0 BADOPT x
        HSCAN h abc
        HSCAN h -1
        HSCAN nokey 0
        HSCAN nokey 0 BADOPT
        HSCAN nokey abc
        SET s v
        HSCAN s 0
        "#,
    );
    // A big hash: a full cursor walk returns every field (each side on its own cursors).
    let mut c = d.ours.raw();
    for i in 0..2000 {
        c.call(&["HSET", "big", &format!("field:{i}"), &format!("{i}")]);
    }
    for count in ["10", "100", "1000"] {
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        loop {
            let r = c.call(&["HSCAN", "big", &cursor, "COUNT", count]);
            let s = String::from_utf8_lossy(&r).into_owned();
            let parts: Vec<&str> = s.split("\r\n").collect();
            cursor = parts[2].to_string();
            let items = &parts[4..];
            for p in items.chunks(4) {
                if p.len() == 4 {
                    assert_eq!(p[1], format!("field:{}", p[3]));
                    seen.insert(p[1].to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 2000, "COUNT {count}");
    }
    assert_eq!(
        c.call(&["OBJECT", "ENCODING", "big"]),
        b"$9\r\nhashtable\r\n"
    );
}

#[test]
fn resp3_events_and_watch() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEA"]);
    let (mut sa, mut sb) = d.second();
    check_pair(&mut sa, &mut sb, &["PSUBSCRIBE", "__key*__:*"]);
    crate::lists::hello3(&mut d);
    d.run(
        r#"
        HSET h a 1 b 2
        HGETALL h
        HGETALL nokey
        HKEYS nokey
        HGET nokey a
        HMGET nokey a
        HSETNX h a 2
        HSETNX h c 3
        HINCRBY h a 5
        HINCRBYFLOAT h a 1.5
        HDEL h nothere
        HDEL h a b c
        HRANDFIELD nokey
        HSCAN h 0
        "#,
    );
    let a = sa.read_for(std::time::Duration::from_millis(300));
    let b = sb.read_for(std::time::Duration::from_millis(300));
    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    assert!(!a.is_empty());
    let (mut wa, mut wb) = d.second();
    d.run("HSET w a 1");
    for (probe, changes) in [
        ("HDEL w nothere", false),
        ("HSETNX w a 2", false),
        ("HINCRBY w a notanumber", false),
        ("HGET w a", false),
        ("HSET w a 1", true),
        ("HINCRBY w a 1", true),
    ] {
        check_pair(&mut wa, &mut wb, &["WATCH", "w"]);
        d.run(probe);
        check_pair(&mut wa, &mut wb, &["MULTI"]);
        check_pair(&mut wa, &mut wb, &["HLEN", "w"]);
        let r = check_pair(&mut wa, &mut wb, &["EXEC"]);
        assert_eq!(r == b"*-1\r\n" || r == b"_\r\n", changes, "{probe}");
    }
}

#[test]
fn dump_payloads_match_and_restore_both_ways() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        HSET small a 1 b hello c -70000 d 3000000000
        "#,
    );
    for i in 0..700 {
        d.check(&["HSET", "big", &format!("f{i}"), &format!("v{i}")]);
    }
    for (key, same_bytes) in [("small", true), ("big", false)] {
        if same_bytes {
            crate::lists::same_dump(&mut d, key);
        }
        let ours = d.a.call(&["DUMP", key]);
        let theirs = d.b.call(&["DUMP", key]);
        let payload = |r: &[u8]| -> Vec<u8> {
            let s = r.iter().position(|&b| b == b'\n').unwrap() + 1;
            r[s..r.len() - 2].to_vec()
        };
        let copy = format!("{key}-copy");
        let (po, pt) = (payload(&ours), payload(&theirs));
        assert_eq!(
            d.a.call(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &pt]),
            b"+OK\r\n"
        );
        assert_eq!(
            d.b.call(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &po]),
            b"+OK\r\n"
        );
        d.check(&["HLEN", &copy]);
        d.check(&["HGET", &copy, "f599"]);
        d.check(&["HGET", &copy, "c"]);
        d.check(&["OBJECT", "ENCODING", &copy]);
    }
    let mut r = Raw::connect(d.ours.port);
    assert_eq!(r.call(&["HGET", "small-copy", "b"]), b"$5\r\nhello\r\n");
}

#[test]
fn propagated_stream_matches_redis() {
    assert_same_stream(
        &[],
        r#"
        HSET h a 1 b 2
        HMSET h c 3
        HSETNX h a 1
        HSETNX h d 4
        HDEL h nothere
        HDEL h d
        HINCRBY h a 10
        HINCRBYFLOAT h b 0.5
        HINCRBYFLOAT h new 1e3
        HINCRBYFLOAT h b abc
        HDEL h a b c new
        SET marker done
        "#,
    );
}

#[test]
fn pre_7_encodings_restore_like_redis() {
    use crate::lists::{payload, rdb_string, ziplist};
    let mut d = Diff::new(&[]);
    // Type 13: a ziplist of fields and values.
    let zl = ziplist(&["f1", "v1", "f2", "123", "f3", "-70000", "12", "x"]);
    d.check(&[
        b"RESTORE".as_slice(),
        b"hz",
        b"0",
        &payload(13, &rdb_string(&zl)),
    ]);
    // Type 9: a zipmap (Redis 2.x).
    let zm = [2, 1, b'a', 2, 0, b'x', b'y', 1, b'b', 1, 1, b'z', 0, 0xFF];
    d.check(&[
        b"RESTORE".as_slice(),
        b"hm",
        b"0",
        &payload(9, &rdb_string(&zm)),
    ]);
    // Type 4, the plain encoding, with more fields than a listpack takes.
    let mut plain = vec![0x42u8, 0x58]; // 600 pairs as a 14-bit length
    for i in 0..600 {
        plain.extend(rdb_string(format!("k{i}").as_bytes()));
        plain.extend(rdb_string(format!("{i}").as_bytes()));
    }
    d.check(&[b"RESTORE".as_slice(), b"hp", b"0", &payload(4, &plain)]);
    for key in ["hz", "hm", "hp"] {
        d.check(&["OBJECT", "ENCODING", key]);
        d.check(&["HLEN", key]);
        same_hash(&mut d, key);
    }
    crate::lists::same_dump(&mut d, "hz");
    crate::lists::same_dump(&mut d, "hm");
    // A duplicate field is refused.
    let dup = ziplist(&["f", "1", "f", "2"]);
    d.check(&[
        b"RESTORE".as_slice(),
        b"hd",
        b"0",
        &payload(13, &rdb_string(&dup)),
    ]);
}

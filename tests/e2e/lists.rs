//! List commands against redis-server 7.0, byte for byte: every command and option, error
//! paths and their order, negative indexes, big lists across many quicklist nodes and
//! `list-max-listpack-size` settings, RESP3, keyspace events, WATCH, DUMP payloads (equal
//! bytes, and each side restores the other's), RDB files both ways, and the propagated
//! (effective) command stream. Blocking commands are in [`crate::blocking`].

use crate::kit::{check_pair, Diff, Raw, Server};
use crate::repl_tap::assert_same_stream;

#[test]
fn push_pop_range_and_errors() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        LPUSH l a b c
        RPUSH l 1 2 3 -5 007 9223372036854775807 -9223372036854775808 99999999999999999999
        LRANGE l 0 -1
        LLEN l
        OBJECT ENCODING l
        TYPE l
        LPUSHX l x
        RPUSHX l y
        LPUSHX nokey x
        RPUSHX nokey y
        EXISTS nokey
        LRANGE l 0 0
        LRANGE l -3 -1
        LRANGE l -100 100
        LRANGE l 5 2
        LRANGE l 100 200
        LRANGE l -1 -100
        LRANGE l 0 -9223372036854775808
        LRANGE l -9223372036854775808 9223372036854775807
        LRANGE l a 1
        LRANGE l 1 b
        LRANGE nokey 0 -1
        LPOP l
        RPOP l
        LPOP l 2
        RPOP l 3
        LPOP l 0
        LPOP l -1
        LPOP l abc
        LPOP l 1 2
        RPOP l 1 2 3
        LPOP nokey
        LPOP nokey 2
        LPOP nokey 0
        RPOP nokey -1
        LLEN nokey
        LPOP l 100
        EXISTS l
        RPUSH l only
        RPOP l
        EXISTS l
        SET s str
        LPUSH s x
        RPUSHX s x
        LPOP s
        LRANGE s 0 -1
        LLEN s
        LINDEX s 0
        LSET s 0 x
        LINSERT s BEFORE a b
        LREM s 0 a
        LTRIM s 0 1
        LPOS s a
        LMOVE s l LEFT RIGHT
        RPOPLPUSH s l
        LMPOP 1 s LEFT
        LPUSH
        LPUSH l
        "#,
    );
}

#[test]
fn index_set_insert_rem_trim_pos() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RPUSH l a b c a d a 1 2 1
        LINDEX l 0
        LINDEX l -1
        LINDEX l -9
        LINDEX l -10
        LINDEX l 9
        LINDEX l abc
        LINDEX nokey abc
        LINDEX nokey 0
        LSET l 0 A
        LSET l -1 Z
        LSET l 9 x
        LSET l -10 x
        LSET l abc x
        LSET nokey 0 x
        LSET nokey abc x
        LSET l 1 12345
        LRANGE l 0 -1
        LINSERT l BEFORE a X
        LINSERT l after a Y
        LINSERT l AFTER Z end
        LINSERT l before A start
        LINSERT l middle a b
        LINSERT l BEFORE nothere x
        LINSERT nokey BEFORE a x
        LINSERT l before 1 one
        LINSERT l after 12345 n
        LRANGE l 0 -1
        LREM l 0 a
        LREM l 1 1
        LREM l -1 2
        LREM l 0 nothere
        LREM l abc a
        LREM nokey 0 a
        LRANGE l 0 -1
        LREM l -9223372036854775808 X
        LRANGE l 0 -1
        RPUSH t 1 2 3 4 5 6 7 8 9
        LTRIM t 1 -2
        LRANGE t 0 -1
        LTRIM t -3 100
        LRANGE t 0 -1
        LTRIM t 5 1
        EXISTS t
        LTRIM nokey 0 1
        LTRIM t a 1
        RPUSH t x
        LTRIM t 0 -1
        LTRIM t 1 0
        EXISTS t
        DEL p
        RPUSH p a b c 1 2 3 c c a 1
        LPOS p c
        LPOS p c RANK 2
        LPOS p c RANK -1
        LPOS p c RANK -3
        LPOS p c RANK 4
        LPOS p c COUNT 0
        LPOS p c COUNT 2
        LPOS p c COUNT 2 RANK 2
        LPOS p c COUNT 0 RANK -1
        LPOS p c MAXLEN 3
        LPOS p c MAXLEN 2
        LPOS p c COUNT 0 MAXLEN 8
        LPOS p c RANK -1 MAXLEN 3 COUNT 0
        LPOS p 1
        LPOS p 1 COUNT 5
        LPOS p nothere
        LPOS p nothere COUNT 1
        LPOS p c RANK 0
        LPOS p c COUNT -1
        LPOS p c MAXLEN -1
        LPOS p c RANK
        LPOS p c BADOPT 1
        LPOS p c RANK abc
        LPOS p c RANK -9223372036854775808
        LPOS p c RANK -9223372036854775808 COUNT 2
        LPOS p c RANK 9223372036854775807
        LPOS nokey c
        LPOS nokey c COUNT 0
        LPOS nokey c RANK 0
        "#,
    );
}

#[test]
fn moves_and_mpop() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RPUSH src a b c
        LMOVE src dst LEFT RIGHT
        LMOVE src dst RIGHT LEFT
        LRANGE src 0 -1
        LRANGE dst 0 -1
        LMOVE src src LEFT RIGHT
        LRANGE src 0 -1
        LMOVE src dst UP DOWN
        LMOVE src dst left down
        LMOVE nokey dst LEFT LEFT
        RPOPLPUSH src dst
        EXISTS src
        RPOPLPUSH src dst
        LRANGE dst 0 -1
        RPUSH one x
        RPOPLPUSH one one
        LRANGE one 0 -1
        SET str v
        RPOPLPUSH dst str
        RPOPLPUSH str dst
        LRANGE dst 0 -1
        LMOVE nokey str LEFT LEFT
        RPUSH k1 a b c d
        RPUSH k2 x y
        LMPOP 2 k0 k1 LEFT
        LMPOP 2 k0 k1 RIGHT COUNT 2
        LMPOP 2 k2 k1 RIGHT COUNT 10
        EXISTS k2
        LMPOP 1 k1 LEFT COUNT 1 COUNT 2
        LMPOP 2 nokey k9 LEFT
        LMPOP 0 k1 LEFT
        LMPOP -1 k1 LEFT
        LMPOP abc k1 LEFT
        LMPOP 2 k1 LEFT
        LMPOP 5 k1 LEFT
        LMPOP 1 k1 MIDDLE
        LMPOP 1 k1 LEFT COUNT 0
        LMPOP 1 k1 LEFT COUNT -1
        LMPOP 1 k1 LEFT COUNT abc
        LMPOP 1 k1 LEFT COUNT
        LMPOP 1 k1 LEFT EXTRA
        LMPOP 9223372036854775807 k1 LEFT
        LMPOP 2 str k1 LEFT
        LMPOP 2 k1 str LEFT
        LRANGE k1 0 -1
        BLPOP nokey str 0.01
        BLPOP str 0.01
        BLPOP k1 -1
        BLPOP k1 abc
        BLPOP k1 1e400
        BLPOP k1 inf
        BLPOP k1 nan
        RPUSH k1 z
        BLPOP k1 0x10
        BRPOP k1 " 1"
        BLMOVE k1 dst LEFT RIGHT -1
        BLMOVE k1 dst UP RIGHT abc
        BRPOPLPUSH k1 dst -1
        BLMPOP 0 2 k1 k2 LEFT COUNT 0
        BLMPOP -1 1 k1 LEFT
        BLMPOP abc 0 k1 LEFT
        BLMPOP 0 1 k1
        "#,
    );
}

#[test]
fn big_lists_across_nodes_and_fills() {
    for fill in ["-2", "-1", "-5", "4", "1", "0", "-6"] {
        let mut d = Diff::new(&["--list-max-listpack-size", fill]);
        let mut cmds: Vec<Vec<String>> = Vec::new();
        let mut c = |v: &[&str]| cmds.push(v.iter().map(|s| s.to_string()).collect());
        for i in 0..600 {
            let v = match i % 5 {
                0 => i.to_string(),
                1 => format!("v{i}"),
                2 => "x".repeat(i % 300),
                3 => (-(i as i64) * 100_003).to_string(),
                _ => "y".repeat(70),
            };
            c(&[if i % 3 == 0 { "LPUSH" } else { "RPUSH" }, "big", &v]);
        }
        c(&["LLEN", "big"]);
        c(&["LRANGE", "big", "0", "-1"]);
        c(&["LRANGE", "big", "250", "260"]);
        c(&["LINDEX", "big", "300"]);
        c(&["LINDEX", "big", "-301"]);
        c(&["LSET", "big", "299", &"z".repeat(9000)]);
        c(&["LSET", "big", "10", "small"]);
        c(&["LINSERT", "big", "BEFORE", "small", &"w".repeat(5000)]);
        c(&["LINSERT", "big", "AFTER", "v301", "after301"]);
        c(&["LINSERT", "big", "BEFORE", "v301", "before301"]);
        c(&["LREM", "big", "3", &"y".repeat(70)]);
        c(&["LREM", "big", "-4", &"y".repeat(70)]);
        c(&["LPOS", "big", &"y".repeat(70), "RANK", "-2", "COUNT", "3"]);
        c(&["LRANGE", "big", "0", "-1"]);
        c(&["LTRIM", "big", "100", "-100"]);
        c(&["LRANGE", "big", "0", "-1"]);
        c(&["LPOP", "big", "50"]);
        c(&["RPOP", "big", "50"]);
        c(&["LRANGE", "big", "0", "-1"]);
        c(&["OBJECT", "ENCODING", "big"]);
        for (i, cmd) in cmds.iter().enumerate() {
            d.check(cmd);
            if i == cmds.len() - 7 {
                same_dump(&mut d, "big");
            }
        }
        same_dump(&mut d, "big");
    }
}

#[test]
fn dump_payloads_match_and_restore_both_ways() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RPUSH small a 1 -1 300 70000 -70000 2147483648 hello
        RPUSH ints 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        "#,
    );
    same_dump(&mut d, "small");
    same_dump(&mut d, "ints");
    let mut fill_cmd = vec!["RPUSH".to_string(), "large".to_string()];
    for i in 0..3000 {
        fill_cmd.push(format!("element-{i}"));
    }
    d.check(&fill_cmd);
    same_dump(&mut d, "large");
    d.check(&["RPUSH", "huge", &"q".repeat(20000), "tail"]);
    same_dump(&mut d, "huge");
    // Each side restores the other's payloads.
    for key in ["small", "ints", "large", "huge"] {
        let ours = d.a.call(&["DUMP", key]);
        let theirs = d.b.call(&["DUMP", key]);
        let payload = |r: &[u8]| -> Vec<u8> {
            let s = r.iter().position(|&b| b == b'\n').unwrap() + 1;
            r[s..r.len() - 2].to_vec()
        };
        let (po, pt) = (payload(&ours), payload(&theirs));
        let copy = format!("{key}-copy");
        assert_eq!(
            d.a.call(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &pt]),
            b"+OK\r\n"
        );
        assert_eq!(
            d.b.call(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &po]),
            b"+OK\r\n"
        );
        d.check(&["LRANGE", &copy, "0", "-1"]);
        d.check(&["OBJECT", "ENCODING", &copy]);
    }
    d.run(
        r#"
        RESTORE small 0 "\x12\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81a\x02\xff\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00" REPLACE
        "#,
    );
}

#[test]
fn rdb_files_load_both_ways() {
    let dir = std::env::temp_dir().join(format!("redoubt-lists-rdb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ds = dir.to_str().unwrap();
    let script = |c: &mut Raw| {
        for i in 0..2000 {
            c.call(&["RPUSH", "l1", &format!("{i}"), &format!("s{i}")]);
        }
        c.call(&["RPUSH", "l2", &"x".repeat(10_000)]);
        c.call(&["HSET", "h1", "a", "1", "b", "two"]);
        for i in 0..600 {
            c.call(&["HSET", "h2", &format!("f{i}"), &format!("{i}")]);
        }
        c.call(&["HSET", "h3", "long", &"v".repeat(100)]);
    };
    let snapshot = |port: u16| -> Vec<Vec<u8>> {
        let mut c = Raw::connect(port);
        let mut out = vec![
            c.call(&["LRANGE", "l1", "0", "-1"]),
            c.call(&["LRANGE", "l2", "0", "-1"]),
            c.call(&["HGETALL", "h1"]),
            c.call(&["HGET", "h2", "f599"]),
            c.call(&["HLEN", "h2"]),
            c.call(&["HGET", "h3", "long"]),
        ];
        for k in ["l1", "l2", "h1", "h2", "h3"] {
            out.push(c.call(&["OBJECT", "ENCODING", k]));
        }
        out
    };
    let redis_view;
    {
        let r = Server::start_redis(&["--dir", ds]);
        script(&mut r.raw());
        assert_eq!(r.raw().call(&["SAVE"]), b"+OK\r\n");
        redis_view = snapshot(r.port);
    }
    {
        let s = Server::start(&["--dir", ds]);
        assert_eq!(
            snapshot(s.port),
            redis_view,
            "redoubt loading redis's dump.rdb"
        );
        std::fs::remove_file(dir.join("dump.rdb")).unwrap();
        assert_eq!(s.raw().call(&["SAVE"]), b"+OK\r\n");
    }
    {
        let r = Server::start_redis(&["--dir", ds]);
        assert_eq!(
            snapshot(r.port),
            redis_view,
            "redis loading redoubt's dump.rdb"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resp3_and_keyspace_events() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEA"]);
    let (mut sa, mut sb) = d.second();
    check_pair(&mut sa, &mut sb, &["PSUBSCRIBE", "__key*__:*"]);
    hello3(&mut d);
    d.run(
        r#"
        RPUSH l a b c
        LPOP nokey
        LPOP nokey 1
        LPOS nokey a
        LINDEX nokey 1
        LPUSH l x
        LPOP l
        RPOP l 1
        LSET l 0 z
        LINSERT l BEFORE z y
        LREM l 0 y
        LTRIM l 0 0
        LMOVE l l2 LEFT RIGHT
        LMPOP 1 l2 RIGHT COUNT 5
        BLPOP nokey 0.01
        BLMOVE nokey x LEFT LEFT 0.01
        RPUSH l a b
        RPOPLPUSH l l
        LPUSHX l q
        RPUSHX l q
        LTRIM l 1 0
        LRANGE nokey 0 -1
        "#,
    );
    // Every event both servers sent, in order.
    let a = sa.read_for(std::time::Duration::from_millis(300));
    let b = sb.read_for(std::time::Duration::from_millis(300));
    assert_eq!(
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b),
        "keyspace events differ"
    );
    assert!(
        a.len() > 1000,
        "few events: {}",
        String::from_utf8_lossy(&a)
    );
}

/// Switches the main pair of connections to RESP3 (the HELLO replies carry different ids).
pub fn hello3(d: &mut Diff) {
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
}

/// Compares DUMP payloads without printing kilobytes of binary on a mismatch.
pub fn same_dump(d: &mut Diff, key: &str) {
    let a = d.a.call(&["DUMP", key]);
    let b = d.b.call(&["DUMP", key]);
    if a != b {
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "DUMP {key} differs: {} vs {} bytes, first difference at byte {at}: {:02x?} vs {:02x?}",
            a.len(),
            b.len(),
            &a[at.saturating_sub(8)..(at + 8).min(a.len())],
            &b[at.saturating_sub(8)..(at + 8).min(b.len())]
        );
    }
}

#[test]
fn watch_sees_only_real_changes() {
    let mut d = Diff::new(&[]);
    let (mut wa, mut wb) = d.second();
    d.run("RPUSH l a b c");
    for (probe, changes) in [
        ("LREM l 0 nothere", false),
        ("LINSERT l BEFORE nothere x", false),
        ("LSET l 99 x", false),
        ("LPOS l a", false),
        ("LTRIM l 0 -1", true),
        ("LREM l 1 a", true),
        ("LPUSHX nokey a", false),
        ("LMOVE nokey l LEFT LEFT", false),
    ] {
        check_pair(&mut wa, &mut wb, &["WATCH", "l"]);
        d.run(probe);
        check_pair(&mut wa, &mut wb, &["MULTI"]);
        check_pair(&mut wa, &mut wb, &["LLEN", "l"]);
        let r = check_pair(&mut wa, &mut wb, &["EXEC"]);
        assert_eq!(r == b"*-1\r\n", changes, "{probe}");
    }
    d.run("INFO keyspace");
}

#[test]
fn propagated_stream_matches_redis() {
    assert_same_stream(
        &[],
        r#"
        RPUSH l a b c d e f
        LPUSH l z
        LPOP l
        RPOP l 2
        LPOP nokey
        LSET l 0 A
        LINSERT l AFTER A B
        LINSERT l AFTER nothere B
        LREM l 0 B
        LREM l 0 nothere
        LTRIM l 0 -1
        LTRIM l 1 -1
        LMOVE l l2 LEFT RIGHT
        RPOPLPUSH l l2
        LMPOP 2 nokey l2 LEFT COUNT 10
        BLPOP l 1
        RPUSH l x y
        BRPOP nokey l 1
        BLMOVE l l3 RIGHT LEFT 1
        RPUSH l 1 2 3
        BRPOPLPUSH l l3 1
        BLMPOP 1 1 l RIGHT COUNT 5
        BLPOP nokey 0.01
        MULTI
        RPUSH m 1
        BLPOP m 0
        BLPOP m 0
        EXEC
        SET marker done
        "#,
    );
}

/// One ziplist entry body (encoding and data), as Redis before 7.0 wrote them.
pub fn zl_entry(v: &str) -> Vec<u8> {
    if let Ok(n) = v.parse::<i64>() {
        if n.to_string() == v {
            return match n {
                0..=12 => vec![0xF1 + n as u8],
                -128..=127 => vec![0xFE, n as i8 as u8],
                -32768..=32767 => [&[0xC0][..], &(n as i16).to_le_bytes()].concat(),
                -8_388_608..=8_388_607 => [&[0xF0][..], &(n as i32).to_le_bytes()[..3]].concat(),
                _ if n as i32 as i64 == n => [&[0xD0][..], &(n as i32).to_le_bytes()].concat(),
                _ => [&[0xE0][..], &n.to_le_bytes()].concat(),
            };
        }
    }
    let b = v.as_bytes();
    let head = if b.len() < 64 {
        vec![b.len() as u8]
    } else {
        vec![0x40 | (b.len() >> 8) as u8, b.len() as u8]
    };
    [head, b.to_vec()].concat()
}

/// A whole ziplist blob of `values`.
pub fn ziplist(values: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10;
    for v in values {
        tail = 10 + body.len();
        let mut e = if prev < 254 {
            vec![prev as u8]
        } else {
            [&[0xFE][..], &(prev as u32).to_le_bytes()].concat()
        };
        e.extend(zl_entry(v));
        prev = e.len();
        body.extend(e);
    }
    let total = 10 + body.len() + 1;
    let mut zl = Vec::new();
    zl.extend((total as u32).to_le_bytes());
    zl.extend((tail as u32).to_le_bytes());
    zl.extend((values.len() as u16).to_le_bytes());
    zl.extend(body);
    zl.push(0xFF);
    zl
}

/// A DUMP payload of RDB version 9: type byte, `object`, version, CRC-64.
pub fn payload(t: u8, object: &[u8]) -> Vec<u8> {
    let mut p = vec![t];
    p.extend_from_slice(object);
    p.extend(9u16.to_le_bytes());
    let crc = persist::crc64::crc64(&p);
    p.extend(crc.to_le_bytes());
    p
}

/// An RDB string of raw bytes (no compression).
pub fn rdb_string(b: &[u8]) -> Vec<u8> {
    let mut out = if b.len() < 64 {
        vec![b.len() as u8]
    } else if b.len() < 16384 {
        vec![0x40 | (b.len() >> 8) as u8, b.len() as u8]
    } else {
        [&[0x80][..], &(b.len() as u32).to_be_bytes()].concat()
    };
    out.extend_from_slice(b);
    out
}

#[test]
fn pre_7_encodings_restore_like_redis() {
    let mut d = Diff::new(&[]);
    let values = [
        "a",
        "5",
        "12",
        "13",
        "-2",
        "300",
        "-300",
        "70000",
        "-70000",
        "2147483648",
        "-9223372036854775808",
        "007",
        "hello",
    ];
    let long = "L".repeat(300);
    let mut vals: Vec<&str> = values.to_vec();
    vals.push(&long);
    // Type 10: one ziplist.
    let p10 = payload(10, &rdb_string(&ziplist(&vals)));
    // Type 14: a quicklist of ziplists.
    let mut ql = vec![3u8];
    for chunk in [&vals[..4], &vals[4..9], &vals[9..]] {
        ql.extend(rdb_string(&ziplist(chunk)));
    }
    let p14 = payload(14, &ql);
    for (key, p) in [("zl", &p10), ("ql", &p14)] {
        d.check(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", p]);
        d.check(&["LRANGE", key, "0", "-1"]);
        d.check(&["OBJECT", "ENCODING", key]);
        d.check(&["LPOS", key, "70000"]);
        d.check(&["LINDEX", key, "-1"]);
        same_dump(&mut d, key);
    }
    // Damaged blobs are refused the same way.
    let mut bad = ziplist(&vals);
    let n = bad.len();
    bad[n - 1] = 0;
    d.check(&[
        b"RESTORE".as_slice(),
        b"bad",
        b"0",
        &payload(10, &rdb_string(&bad)),
    ]);
    d.check(&[b"RESTORE".as_slice(), b"bad", b"0", &payload(14, &[0])]);
}

#[test]
fn memory_usage_and_debug_object_match_redis() {
    let mut d = Diff::new(&["--enable-debug-command", "yes"]);
    let mut big = vec!["RPUSH".to_string(), "big".to_string()];
    big.extend((0..20_000).map(|i| format!("element-{i}")));
    d.check(&big);
    let mut ints = vec!["RPUSH".to_string(), "ints".to_string()];
    ints.extend((0..5000).map(|i| i.to_string()));
    d.check(&ints);
    let mut hb = vec!["HSET".to_string(), "hb".to_string()];
    for i in 0..2000 {
        hb.push(format!("field:{i}"));
        hb.push(i.to_string());
    }
    d.check(&hb);
    d.run(
        r#"
        RPUSH l a b c
        HSET h a 1 b 2
        MEMORY USAGE l
        MEMORY USAGE big
        MEMORY USAGE big SAMPLES 0
        MEMORY USAGE big SAMPLES 1
        MEMORY USAGE ints
        MEMORY USAGE h
        MEMORY USAGE hb SAMPLES 0
        LTRIM big 100 -100
        MEMORY USAGE big SAMPLES 0
        "#,
    );
    // DEBUG OBJECT, without the address and LRU fields.
    let strip = |r: Vec<u8>| -> String {
        String::from_utf8_lossy(&r)
            .split(' ')
            .filter(|f| !f.starts_with("at:") && !f.starts_with("lru"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for key in ["l", "big", "ints", "h", "hb"] {
        let a = strip(d.a.call(&["DEBUG", "OBJECT", key]));
        let b = strip(d.b.call(&["DEBUG", "OBJECT", key]));
        assert_eq!(a, b, "DEBUG OBJECT {key}");
    }
}

#[test]
fn generic_key_commands_on_lists_and_hashes() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RPUSH l a b c
        HSET h f v g w
        COPY l l2
        COPY h h2
        LRANGE l2 0 -1
        HGETALL h2
        RPUSH l2 d
        LRANGE l 0 -1
        HSET h2 f changed
        HGET h f
        COPY l h
        COPY l h REPLACE
        TYPE h
        LRANGE h 0 -1
        RENAME l2 renamed
        LRANGE renamed 0 -1
        MOVE renamed 1
        SELECT 1
        LRANGE renamed 0 -1
        OBJECT ENCODING renamed
        SELECT 0
        EXPIRE h2 100
        TTL h2
        OBJECT ENCODING h2
        TYPE h2
        DEL h2 l nokey
        EXISTS h2 l
        "#,
    );
}

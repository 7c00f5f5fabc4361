//! Generic key commands against redis-server 7.0, reply for reply: DEL UNLINK EXISTS, the
//! EXPIRE family and TTL readers, TYPE KEYS SCAN RANDOMKEY, RENAME MOVE COPY, TOUCH, OBJECT,
//! DUMP and RESTORE — including payloads carried from one server to the other.
//!
//! Where Redis's order is its hash table's (KEYS, SCAN), replies are compared as sorted sets;
//! where a reply depends on the clock (PTTL, IDLETIME) it is compared within a tolerance.

use std::collections::BTreeSet;

use resp::Frame;

use crate::kit::{Diff, Raw};

/// Decodes one reply.
fn frame(raw: &[u8]) -> Frame {
    Frame::decode(raw)
        .expect("valid RESP")
        .expect("a whole reply")
        .0
}

/// A bulk reply's bytes.
fn bulk(raw: &[u8]) -> Vec<u8> {
    match frame(raw) {
        Frame::Bulk(b) => b.to_vec(),
        other => panic!("expected a bulk reply, got {other:?}"),
    }
}

fn int(raw: &[u8]) -> i64 {
    match frame(raw) {
        Frame::Integer(n) => n,
        other => panic!("expected an integer reply, got {other:?}"),
    }
}

/// The elements of an array reply of bulks, sorted.
fn sorted(raw: &[u8]) -> Vec<Vec<u8>> {
    match frame(raw) {
        Frame::Array(v) => {
            let mut out: Vec<Vec<u8>> = v
                .iter()
                .map(|f| f.as_bytes().expect("bulk element").to_vec())
                .collect();
            out.sort();
            out
        }
        other => panic!("expected an array reply, got {other:?}"),
    }
}

/// Sends a command whose reply is an array in hash-table order to both servers and compares
/// the replies as sorted lists (duplicates kept).
fn check_unordered<A: AsRef<[u8]>>(d: &mut Diff, args: &[A]) -> Vec<Vec<u8>> {
    let a = sorted(&d.a.call(args));
    let b = sorted(&d.b.call(args));
    assert_eq!(
        a,
        b,
        "unordered reply differs for {:?} (left: redoubt, right: redis-server)",
        args.iter()
            .map(|x| String::from_utf8_lossy(x.as_ref()).into_owned())
            .collect::<Vec<_>>()
    );
    a
}

/// Runs a whole SCAN iteration on one connection; returns every key seen (as a set) and
/// how many calls it took.
fn scan_all(c: &mut Raw, opts: &[&str]) -> (BTreeSet<Vec<u8>>, usize) {
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    loop {
        let mut args: Vec<Vec<u8>> = vec![b"SCAN".to_vec(), cursor.clone()];
        args.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        let Frame::Array(parts) = frame(&c.call(&args)) else {
            panic!("SCAN reply is not an array");
        };
        calls += 1;
        assert_eq!(parts.len(), 2);
        cursor = parts[0].as_bytes().expect("cursor").to_vec();
        let Frame::Array(keys) = &parts[1] else {
            panic!("SCAN keys are not an array");
        };
        seen.extend(keys.iter().map(|k| k.as_bytes().expect("key").to_vec()));
        if cursor == b"0" {
            return (seen, calls);
        }
        assert!(calls < 100_000, "SCAN does not terminate");
    }
}

/// Sends a command and compares replies as integers within `tol` (clock-dependent values).
fn check_close<A: AsRef<[u8]>>(d: &mut Diff, args: &[A], tol: i64) {
    let a = int(&d.a.call(args));
    let b = int(&d.b.call(args));
    assert!(
        (a - b).abs() <= tol,
        "redoubt {a} vs redis {b} for {:?}",
        args.iter()
            .map(|x| String::from_utf8_lossy(x.as_ref()).into_owned())
            .collect::<Vec<_>>()
    );
}

#[test]
fn del_unlink_exists_type_touch() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        SET b 2
        SET c 3
        EXISTS a b nokey a
        EXISTS nokey
        DEL a nokey a
        DEL a
        UNLINK b c nokey
        EXISTS a b c
        SET a hello
        TYPE a
        TYPE nokey
        TOUCH a nokey a
        TOUCH nokey
        DEL
        UNLINK
        EXISTS
        TYPE
        TYPE a b
        TOUCH
        "#,
    );
}

#[test]
fn expire_options_and_errors() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        EXPIRE nokey 100
        EXPIRE a 100 nx xx
        EXPIRE a 100 NX GT
        EXPIRE a 100 nx lt
        EXPIRE a 100 gt lt
        EXPIRE a 100 xx nx
        EXPIRE a 100 foo
        EXPIRE a 100 nx foo
        EXPIRE a abc
        EXPIRE a abc foo
        EXPIRE a 1.5
        EXPIRE a ""
        EXPIRE a 9223372036854775807
        EXPIRE a 9223372036854775
        EXPIRE a -9223372036854775808
        EXPIRE a -9223372036854776
        EXPIRE a 99999999999999999999
        PEXPIRE a 9223372036854775807
        PEXPIREAT a 9223372036854775807
        PEXPIRETIME a
        EXPIRETIME a
        EXPIREAT a 9223372036854776
        EXPIREAT a 9223372036854775
        EXPIRETIME a
        PEXPIRETIME a
        EXPIRE a 100 gt
        EXPIRE a 100 lt
        TTL a
        EXPIRE a 50 LT
        TTL a
        EXPIRE a 60 GT
        TTL a
        EXPIRE a 10 NX
        EXPIRE a 70 XX
        TTL a
        PERSIST a
        PERSIST a
        TTL a
        EXPIRE a 10 XX
        EXPIRE a 10 GT
        EXPIRE a 10 LT
        TTL a
        PERSIST a
        EXPIRE a 10 NX
        EXPIRE a 10 NX
        TTL a
        PEXPIREAT a 4000000000000
        PEXPIRETIME a
        EXPIRETIME a
        EXPIREAT a 4000000000 GT
        EXPIREAT a 4000000001 GT
        PEXPIRETIME a
        PEXPIREAT a 4000000000500 LT
        EXPIRETIME a
        PEXPIRETIME a
        TTL nokey
        PTTL nokey
        EXPIRETIME nokey
        PEXPIRETIME nokey
        SET p 1
        TTL p
        PTTL p
        EXPIRETIME p
        PEXPIRETIME p
        PERSIST nokey
        EXPIRE
        EXPIRE a
        PEXPIRE a
        EXPIREAT a
        PEXPIREAT a
        TTL
        TTL a b
        PERSIST
        EXPIRETIME
        "#,
    );
    // A relative TTL: PTTL depends on each server's clock; within a few ms.
    d.run("PEXPIRE a 100000");
    check_close(&mut d, &["PTTL", "a"], 50);
    d.run("TTL a");
}

#[test]
fn expire_in_the_past_deletes() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        EXPIRE a -1
        EXISTS a
        SET a 1
        EXPIRE a 0
        EXISTS a
        SET a 1
        PEXPIRE a -100000
        EXISTS a
        SET a 1
        EXPIREAT a 1
        EXISTS a
        SET a 1
        PEXPIREAT a 0
        EXISTS a
        SET a 1
        EXPIREAT a -9223372036854775
        EXISTS a
        SET a 1
        EXPIRE a -1 GT
        EXPIRE a -1 LT
        EXISTS a
        SET a 1
        EXPIRE a 100
        EXPIRE a -1 NX
        EXPIRE a -1 XX
        EXISTS a
        SET a 1
        PEXPIRE a 1
        "#,
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.run(
        r#"
        EXISTS a
        TTL a
        GET a
        "#,
    );
}

#[test]
fn keys_with_glob_patterns() {
    let mut d = Diff::new(&[]);
    for k in [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[a]llo", "foo",
        "foo:bar", "foo:baz", "Foo", "x", "", "a\\b", "[x]", "user:1", "user:22", "user:333",
    ] {
        d.check(&["SET", k, "v"]);
    }
    for p in [
        "*",
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-e]llo",
        "h[e-a]llo",
        "h\\*llo",
        "h\\?llo",
        "foo*",
        "foo:ba?",
        "FOO",
        "",
        "*:*",
        "user:[0-9]",
        "user:[0-9]*",
        "user:??",
        "[",
        "[x",
        "[x]",
        "\\[x]",
        "a\\\\b",
        "*o*o*",
        "nomatch*",
        "h[",
        "h[a-",
        "***",
    ] {
        check_unordered(&mut d, &["KEYS", p]);
    }
    // Expired keys are not listed.
    d.run("PEXPIRE hello 1");
    std::thread::sleep(std::time::Duration::from_millis(20));
    check_unordered(&mut d, &["KEYS", "h*"]);
    d.run(
        r#"
        KEYS
        KEYS a b
        "#,
    );
}

#[test]
fn scan_full_iteration_returns_every_key() {
    let mut d = Diff::new(&[]);
    let mut all = BTreeSet::new();
    for i in 0..1500 {
        let k = format!("key:{i}");
        d.check(&["SET", &k, "v"]);
        all.insert(k.into_bytes());
    }
    for opts in [
        &[][..],
        &["COUNT", "1"][..],
        &["COUNT", "7"][..],
        &["COUNT", "1000"][..],
        &["COUNT", "100000"][..],
        &["MATCH", "key:1*"][..],
        &["MATCH", "key:1*", "COUNT", "3"][..],
        &["MATCH", "*"][..],
        &["MATCH", "nomatch"][..],
        &["TYPE", "string"][..],
        &["TYPE", "STRING", "COUNT", "50"][..],
        &["TYPE", "list"][..],
        &["type", "foo"][..],
        &["MATCH", "x", "MATCH", "key:2?", "COUNT", "9"][..],
    ] {
        let (ours, _) = scan_all(&mut d.a, opts);
        let (theirs, _) = scan_all(&mut d.b, opts);
        assert_eq!(ours, theirs, "SCAN {opts:?}");
        if opts.is_empty() {
            assert_eq!(ours, all, "a full SCAN must return every key");
        }
    }
    // COUNT bounds the work: a full iteration with COUNT 1 takes many calls.
    let (_, calls) = scan_all(&mut d.a, &["COUNT", "1"]);
    assert!(calls > 100, "COUNT 1 took only {calls} calls");
    // The table grows (and rehashes) mid-iteration: keys present throughout are all returned.
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    for round in 0.. {
        let Frame::Array(parts) = frame(&d.a.call(&[&b"SCAN"[..], &cursor, b"COUNT", b"20"]))
        else {
            panic!()
        };
        cursor = parts[0].as_bytes().unwrap().to_vec();
        if let Frame::Array(ks) = &parts[1] {
            seen.extend(ks.iter().map(|k| k.as_bytes().unwrap().to_vec()));
        }
        if round == 3 {
            for i in 0..3000 {
                d.a.call(&["SET", &format!("extra:{i}"), "v"]);
            }
        }
        if cursor == b"0" {
            break;
        }
    }
    let kept: BTreeSet<_> = all.iter().cloned().collect();
    assert!(
        kept.is_subset(&seen),
        "keys present throughout must be returned"
    );
}

#[test]
fn scan_cursor_and_option_errors() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        SCAN 0
        SCAN ""
        SCAN +0
        SCAN 00
        SCAN " 0"
        SCAN "0 "
        SCAN 0x1
        SCAN 1.0
        SCAN abc
        SCAN -
        SCAN +
        SCAN 18446744073709551616
        SCAN -18446744073709551616
        SCAN 99999999999999999999999
        SCAN 0 COUNT 0
        SCAN 0 COUNT -1
        SCAN 0 COUNT x
        SCAN 0 COUNT 9223372036854775808
        SCAN 0 COUNT 9223372036854775807
        SCAN 0 COUNT
        SCAN 0 MATCH
        SCAN 0 TYPE
        SCAN 0 foo bar
        SCAN 0 MATCH a COUNT
        SCAN abc COUNT 0
        SCAN 0 COUNT 0 MATCH
        SCAN
        "#,
    );
}

#[test]
fn scan_skips_expired_keys() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        SET b 2
        SET c 3
        PEXPIRE b 1
        "#,
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (ours, _) = scan_all(&mut d.a, &[]);
    let (theirs, _) = scan_all(&mut d.b, &[]);
    assert_eq!(ours, theirs);
    d.run("EXISTS b");
}

#[test]
fn randomkey() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RANDOMKEY
        SET only 1
        RANDOMKEY
        RANDOMKEY x
        SET gone 1
        PEXPIRE gone 1
        PEXPIRE only 1
        "#,
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Every key expired: RANDOMKEY deletes them on the way and finds none.
    d.run(
        r#"
        RANDOMKEY
        DBSIZE
        "#,
    );
    for i in 0..50 {
        d.check(&["SET", &format!("k{i}"), "v"]);
    }
    for _ in 0..20 {
        let k = bulk(&d.a.call(&["RANDOMKEY"]));
        assert_eq!(int(&d.a.call(&[&b"EXISTS"[..], &k])), 1);
    }
}

#[test]
fn rename_and_renamenx() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        RENAME nokey b
        RENAME nokey nokey
        RENAMENX nokey b
        RENAMENX nokey nokey
        SET a 1
        RENAME a a
        RENAMENX a a
        GET a
        RENAME a b
        EXISTS a
        GET b
        SET a 2
        RENAMENX a b
        GET b
        RENAME a b
        GET b
        EXISTS a
        SET c 3
        PEXPIREAT c 4000000000123
        RENAME c d
        PEXPIRETIME d
        SET e 5
        RENAME e d
        PEXPIRETIME d
        GET d
        SET f 6
        PEXPIREAT f 4000000000999
        SET g 7
        RENAMENX f g
        PEXPIRETIME f
        RENAMENX f h
        PEXPIRETIME h
        OBJECT ENCODING h
        SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        RENAME long l2
        OBJECT ENCODING l2
        RENAME
        RENAME a
        RENAME a b c
        RENAMENX a
        "#,
    );
}

#[test]
fn move_between_databases() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        MOVE a 0
        MOVE nokey 0
        MOVE a 16
        MOVE a -1
        MOVE a abc
        MOVE a 1.5
        MOVE a 99999999999
        MOVE a -2147483649
        MOVE a 2147483648
        MOVE nokey 1
        PEXPIREAT a 4000000000123
        MOVE a 1
        EXISTS a
        SELECT 1
        GET a
        PEXPIRETIME a
        SET b 2
        SELECT 0
        SET b 3
        MOVE b 1
        GET b
        SELECT 1
        GET b
        MOVE a 0
        SELECT 0
        GET a
        PEXPIRETIME a
        MOVE
        MOVE a
        MOVE a 1 2
        "#,
    );
}

#[test]
fn copy_within_and_across_databases() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        COPY a a
        COPY a a DB 0
        COPY a a db 1
        COPY nokey b
        COPY nokey nokey
        COPY a b DB 16
        COPY a b DB -1
        COPY a b DB x
        COPY a b DB 99999999999
        COPY a b DB
        COPY a b foo
        COPY a b REPLACE foo
        COPY a b
        GET b
        SET a 2
        COPY a b
        GET b
        COPY a b REPLACE
        GET b
        COPY a b REPLACE REPLACE
        PEXPIREAT a 4000000000777
        COPY a c
        PEXPIRETIME c
        COPY a c DB 1 REPLACE
        SELECT 1
        GET c
        PEXPIRETIME c
        COPY c c DB 0
        SELECT 0
        GET c
        SET big 12345678901234567890
        COPY big big2
        OBJECT ENCODING big2
        SET raw 1
        APPEND raw 23
        OBJECT ENCODING raw
        COPY raw raw2
        OBJECT ENCODING raw2
        GET raw2
        SET hello world
        COPY hello h2
        OBJECT ENCODING h2
        SET persistent x
        PEXPIREAT b 4000000000000
        COPY persistent b REPLACE
        PEXPIRETIME b
        COPY
        COPY a
        "#,
    );
}

#[test]
fn object_subcommands() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET int 123
        SET neg -5
        SET zero 0
        SET edge 9999
        SET big 10000
        SET huge 9223372036854775807
        SET lead 0123
        SET small hello
        SET emb44 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        SET raw45 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING int
        OBJECT ENCODING neg
        OBJECT ENCODING huge
        OBJECT ENCODING lead
        OBJECT ENCODING small
        OBJECT ENCODING emb44
        OBJECT ENCODING raw45
        OBJECT ENCODING nokey
        OBJECT REFCOUNT int
        OBJECT REFCOUNT zero
        OBJECT REFCOUNT edge
        OBJECT REFCOUNT big
        OBJECT REFCOUNT neg
        OBJECT REFCOUNT small
        OBJECT REFCOUNT nokey
        OBJECT IDLETIME small
        OBJECT IDLETIME nokey
        OBJECT FREQ small
        OBJECT FREQ nokey
        OBJECT HELP
        object help
        OBJECT HELP extra
        OBJECT
        OBJECT ENCODING
        OBJECT ENCODING a b
        OBJECT FREQ
        OBJECT foo
        OBJECT foo bar
        APPEND small x
        OBJECT ENCODING small
        "#,
    );
}

#[test]
fn dump_payloads_match_redis_byte_for_byte() {
    let mut d = Diff::new(&[]);
    for (i, v) in string_samples().into_iter().enumerate() {
        d.check(&[b"SET".as_slice(), b"k".as_slice(), v.as_slice()]);
        let ours = d.a.call(&["DUMP", "k"]);
        let theirs = d.b.call(&["DUMP", "k"]);
        if ours != theirs {
            let at = ours.iter().zip(&theirs).take_while(|(x, y)| x == y).count();
            panic!(
                "DUMP of sample {i} ({} bytes) differs at byte {at}: redoubt {} bytes {:02x?}…, redis {} bytes {:02x?}…",
                v.len(),
                ours.len(),
                &ours[at..(at + 16).min(ours.len())],
                theirs.len(),
                &theirs[at..(at + 16).min(theirs.len())],
            );
        }
    }
    d.run(
        r#"
        DUMP nokey
        DUMP
        DUMP a b
        "#,
    );
}

#[test]
fn dump_lzf_matches_redis_on_random_strings() {
    // Random strings over small alphabets (so LZF finds matches everywhere, the end of the
    // input included): Redoubt's compressor must emit Redis's bytes.
    let mut d = Diff::new(&[]);
    let mut x = 0x9e3779b9u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for i in 0..300 {
        let len = 21 + (next() % 3000) as usize;
        let alphabet = 1 + (next() % 6) as u8;
        let v: Vec<u8> = (0..len)
            .map(|_| b'a' + (next() % u32::from(alphabet)) as u8)
            .collect();
        d.check(&[b"SET".as_slice(), b"k".as_slice(), v.as_slice()]);
        let ours = d.a.call(&["DUMP", "k"]);
        let theirs = d.b.call(&["DUMP", "k"]);
        assert!(
            ours == theirs,
            "DUMP of random string {i} ({len} bytes, {alphabet} letters) differs"
        );
    }
}

#[test]
fn dump_from_redis_restores_here_and_back() {
    let mut d = Diff::new(&[]);
    for (i, v) in string_samples().into_iter().enumerate() {
        let src = format!("src{i}");
        let dst = format!("dst{i}");
        d.check(&[b"SET".as_slice(), src.as_bytes(), v.as_slice()]);
        // Redis → Redoubt.
        let from_redis = bulk(&d.b.call(&["DUMP", &src]));
        let r =
            d.a.call(&[b"RESTORE".as_slice(), dst.as_bytes(), b"0", &from_redis[..]]);
        assert_eq!(r, b"+OK\r\n", "RESTORE on redoubt of redis's DUMP of {i}");
        assert_eq!(bulk(&d.a.call(&["GET", &dst])), v);
        // Redoubt → Redis.
        let from_ours = bulk(&d.a.call(&["DUMP", &src]));
        let r =
            d.b.call(&[b"RESTORE".as_slice(), dst.as_bytes(), b"0", &from_ours[..]]);
        assert_eq!(r, b"+OK\r\n", "RESTORE on redis of redoubt's DUMP of {i}");
        assert_eq!(bulk(&d.b.call(&["GET", &dst])), v);
        d.check(&["OBJECT", "ENCODING", &dst]);
        d.check(&["STRLEN", &dst]);
    }
}

#[test]
fn restore_options_and_errors() {
    let mut d = Diff::new(&[]);
    d.run("SET s hello");
    let payload = bulk(&d.b.call(&["DUMP", "s"]));
    let p = payload.as_slice();
    let restore = |d: &mut Diff, key: &str, ttl: &str, payload: &[u8], opts: &[&str]| {
        let mut args: Vec<Vec<u8>> = vec![
            b"RESTORE".to_vec(),
            key.as_bytes().to_vec(),
            ttl.as_bytes().to_vec(),
            payload.to_vec(),
        ];
        args.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        d.check(&args)
    };
    restore(&mut d, "s", "0", p, &[]); // BUSYKEY
    restore(&mut d, "s", "-1", p, &[]); // BUSYKEY comes first
    restore(&mut d, "n", "-1", p, &[]);
    restore(&mut d, "n", "abc", p, &[]);
    restore(&mut d, "n", "0", b"garbage", &[]);
    restore(&mut d, "n", "0", b"", &[]);
    restore(&mut d, "n", "0", &p[..p.len() - 1], &[]);
    restore(&mut d, "n", "0", p, &["foo"]);
    restore(&mut d, "n", "0", p, &["IDLETIME"]);
    restore(&mut d, "n", "0", p, &["IDLETIME", "-1"]);
    restore(&mut d, "n", "0", p, &["IDLETIME", "x"]);
    restore(&mut d, "n", "0", p, &["FREQ", "256"]);
    restore(&mut d, "n", "0", p, &["FREQ", "-1"]);
    restore(&mut d, "n", "0", p, &["FREQ", "x"]);
    restore(&mut d, "n", "0", p, &["FREQ", "1", "IDLETIME", "1"]);
    restore(&mut d, "n", "0", p, &["IDLETIME", "1", "FREQ", "1"]);
    restore(&mut d, "n", "x", p, &["foo"]); // options are checked before the TTL
    restore(&mut d, "s", "0", b"garbage", &["REPLACE", "foo"]);
    // A wrong checksum, a newer RDB version, a right footer around a bad value.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    restore(&mut d, "n", "0", &bad, &[]);
    let mut newer = payload.clone();
    newer[n - 10] = 11;
    restore(&mut d, "n", "0", &newer, &[]);
    let mut corrupt = vec![0u8, 0x85];
    corrupt.extend_from_slice(&payload[payload.len() - 10..payload.len() - 8]);
    let crc = crc64(&corrupt);
    corrupt.extend_from_slice(&crc.to_le_bytes());
    restore(&mut d, "n", "0", &corrupt, &[]);
    // Successes.
    restore(&mut d, "n", "0", p, &[]);
    d.run("GET n");
    restore(&mut d, "s", "0", p, &["REPLACE"]);
    restore(&mut d, "s", "0", p, &["replace", "replace"]);
    restore(&mut d, "t", "4000000000123", p, &["ABSTTL"]);
    d.run("PEXPIRETIME t");
    restore(&mut d, "u", "100000", p, &[]);
    check_close(&mut d, &["PTTL", "u"], 50);
    restore(&mut d, "v", "1", p, &["ABSTTL"]); // already expired: OK, nothing stored
    d.run("EXISTS v");
    restore(&mut d, "s", "1", p, &["ABSTTL", "REPLACE"]); // deletes s
    d.run("EXISTS s");
    restore(&mut d, "w", "9223372036854775807", p, &[]); // wraps into the past in Redis
    d.run("EXISTS w");
    restore(&mut d, "x", "0", p, &["FREQ", "5"]);
    restore(&mut d, "y", "0", p, &["IDLETIME", "1000"]);
    check_close(&mut d, &["OBJECT", "IDLETIME", "y"], 2);
    restore(&mut d, "z", "0", p, &["IDLETIME", "100000000"]);
    check_close(&mut d, &["OBJECT", "IDLETIME", "z"], 2);
    d.run(
        r#"
        RESTORE
        RESTORE a
        RESTORE a 0
        "#,
    );
}

/// Redis's CRC-64 (Jones), for building test payloads.
fn crc64(data: &[u8]) -> u64 {
    let mut crc: u64 = 0;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x95ac9329ac4bc9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Strings that exercise every encoding: integers of each width and beyond, short strings,
/// the LZF threshold, long compressible and incompressible strings, binary bytes.
fn string_samples() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "0",
        "1",
        "-1",
        "127",
        "-128",
        "128",
        "-129",
        "32767",
        "-32768",
        "32768",
        "-32769",
        "2147483647",
        "-2147483648",
        "2147483648",
        "-2147483649",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "0123",
        "-0",
        "+1",
        " 1",
        "1.5",
        "",
        "a",
        "hello",
        "aaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaa",
        "abcdefghijabcdefghijabcdefghij",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(vec![b'x'; 100]);
    v.push(vec![b'y'; 20000]);
    v.push(b"the quick brown fox jumps over the lazy dog ".repeat(50));
    v.push(
        (0..5000u32)
            .flat_map(|i| format!("field{}:{};", i % 97, i * 7 % 13).into_bytes())
            .collect(),
    );
    // Incompressible: a xorshift stream.
    let mut x = 0x2545f491u32;
    let noise: Vec<u8> = (0..3000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    v.push(noise[..21].to_vec());
    v.push(noise[..100].to_vec());
    v.push(noise.clone());
    // Binary with zero bytes and CRLF.
    v.push(b"\x00\x01\r\n\x00\xff".repeat(30));
    // Compressible only near its end, and the lengths around LZF's output limit.
    let mut tail = noise[..200].to_vec();
    tail.extend_from_slice(&[b'z'; 40]);
    v.push(tail);
    for n in 21..40 {
        v.push(b"ab".repeat(n)[..n].to_vec());
    }
    v
}

#[test]
fn keyspace_notifications_match_redis() {
    let mut d = Diff::new(&[]);
    d.run("CONFIG SET notify-keyspace-events KEAm");
    let (mut sa, mut sb) = d.second();
    crate::kit::check_pair(&mut sa, &mut sb, &["PSUBSCRIBE", "__key*__:*"]);
    d.run(
        r#"
        SET a 1
        EXPIRE a 100
        PEXPIRE a 100 XX
        EXPIRE a 50 NX
        PERSIST a
        PERSIST a
        EXPIRE a -1
        SET a 1
        PEXPIREAT a 1
        SET a 1
        RENAME a b
        RENAME b b
        RENAMENX b c
        COPY c d
        COPY c d REPLACE
        COPY c d DB 2
        MOVE d 3
        DEL c d nokey
        EXISTS nokey
        TYPE nokey
        TTL nokey
        TOUCH nokey
        DUMP nokey
        OBJECT ENCODING nokey
        COPY nokey x
        SET u 1
        UNLINK u
        SET s hello
        "#,
    );
    let payload = bulk(&d.b.call(&["DUMP", "s"]));
    for opts in [&["REPLACE"][..], &["REPLACE", "ABSTTL"][..]] {
        let mut args: Vec<Vec<u8>> = vec![b"RESTORE".to_vec(), b"s".to_vec()];
        args.push(if opts.len() == 2 {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        });
        args.push(payload.clone());
        args.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        d.check(&args);
    }
    let wait = std::time::Duration::from_millis(300);
    let ea = sa.read_for(wait);
    let eb = sb.read_for(wait);
    assert!(!eb.is_empty());
    assert_eq!(String::from_utf8_lossy(&ea), String::from_utf8_lossy(&eb));
}

#[test]
fn watched_keys_are_touched_only_by_real_changes() {
    let mut d = Diff::new(&[]);
    let (mut wa, mut wb) = d.second();
    let both = |d: &mut Diff, wa: &mut Raw, wb: &mut Raw, change: &str, watch: &str| {
        d.run("SET a 1\nSET b 2\nDEL c");
        for cmd in ["WATCH", "MULTI"] {
            let args: Vec<&str> = if cmd == "WATCH" {
                vec![cmd, watch]
            } else {
                vec![cmd]
            };
            crate::kit::check_pair(wa, wb, &args);
        }
        crate::kit::check_pair(wa, wb, &["PING"]);
        d.run(change);
        crate::kit::check_pair(wa, wb, &["EXEC"]);
    };
    for (change, watch) in [
        ("EXPIRE a 100", "a"),
        ("EXPIRE a 100 XX", "a"), // refused: the transaction still runs
        ("EXPIRE nokey 100", "nokey"),
        ("PERSIST a", "a"), // no TTL: nothing changes
        ("RENAME a c", "a"),
        ("RENAME a c", "c"),
        ("RENAME a a", "a"),
        ("RENAMENX a b", "b"),
        ("MOVE a 1", "a"),
        ("COPY a c", "c"),
        ("COPY a c", "a"),
        ("COPY a b", "b"), // exists, no REPLACE: refused
        ("EXPIRE a -1", "a"),
        ("TOUCH a", "a"),
        ("OBJECT ENCODING a", "a"),
        ("DUMP a", "a"),
        ("UNLINK a", "a"),
    ] {
        both(&mut d, &mut wa, &mut wb, change, watch);
    }
}

#[test]
fn resp3_replies() {
    let mut d = Diff::new(&[]);
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run(
        r#"
        RANDOMKEY
        DUMP nokey
        OBJECT ENCODING nokey
        OBJECT IDLETIME nokey
        OBJECT FREQ nokey
        OBJECT REFCOUNT nokey
        SET a 1
        OBJECT HELP
        TYPE a
        KEYS *
        SCAN 0
        TTL a
        RENAME nokey x
        COPY a b
        "#,
    );
}

#[test]
fn lookups_count_hits_and_misses_like_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        EXISTS a nokey
        TYPE a
        TYPE nokey
        TTL a
        PTTL nokey
        TOUCH a nokey
        OBJECT ENCODING a
        OBJECT ENCODING nokey
        DUMP a
        DUMP nokey
        COPY a b
        COPY nokey b
        RENAME a c
        MOVE c 1
        EXPIRE b 100
        PERSIST b
        SCAN 0 TYPE string
        KEYS *
        RANDOMKEY
        "#,
    );
    let stat = |raw: &[u8], name: &str| -> String {
        let text = String::from_utf8_lossy(raw).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {name} in INFO stats"))
    };
    let a = d.a.call(&["INFO", "stats"]);
    let b = d.b.call(&["INFO", "stats"]);
    for name in ["keyspace_hits", "keyspace_misses"] {
        assert_eq!(stat(&a, name), stat(&b, name), "{name}");
    }
}

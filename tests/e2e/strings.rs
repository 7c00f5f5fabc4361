//! String and bitmap commands, compared byte for byte with redis-server 7.0: every command and
//! option, the error paths and their order, numeric edge cases, the 512 MB-style limits (with
//! proto-max-bulk-len lowered so they are cheap to reach), RESP3 forms and keyspace events,
//! WATCH and hit/miss counting; [`random_bits`] adds random bitmap command sequences.

use crate::kit::{Diff, Raw};

#[test]
fn set_options_conflicts_and_expiry() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET k v
        GET k
        SET k v2 NX
        SET k v2 XX
        GET k
        SET fresh v XX
        GET fresh
        SET k v3 NX GET
        SET k v4 XX GET
        SET new1 v NX GET
        GET new1
        SET new2 v GET
        SET k v GET GET
        SET get get GET
        GET get
        SET k v NX XX
        SET k v XX NX
        SET k v NX NX
        SET k v EX 10 PX 100
        SET k v PX 100 EX 10
        SET k v EX 10 EXAT 100
        SET k v PXAT 10 EX 10
        SET k v EX 10 KEEPTTL
        SET k v KEEPTTL PX 10
        SET k v EX 10 EX 100
        TTL k
        SET k v KEEPTTL
        TTL k
        SET k v KEEPTTL KEEPTTL GET
        TTL k
        SET k v
        TTL k
        SET k v PX 100000
        TTL k
        SET k v EX
        SET k v PX
        SET k v EX 0
        SET k v EX -5
        SET k v PX 0
        SET k v EXAT 0
        SET k v PXAT -1
        SET k v EX abc
        SET k v EX 1.5
        SET k v EX 9223372036854775807
        SET k v EX 9223372036854775
        SET k v PX 9223372036854775807
        SET k v EX 99999999999999999999
        GET k
        SET k v PXAT 9223372036854775807
        GET k
        SET k v EXAT 9223372036854775
        GET k
        SET k v PERSIST
        SET k v BADOPT
        SET k v nx ex 100 get
        TTL k
        SET past v EXAT 1
        GET past
        EXISTS past
        SET past v PXAT 1 GET
        EXISTS past
        SET num 12345
        GET num
        SET neg -0
        GET neg
        SET big 99999999999999999999
        GET big
        SET empty ""
        GET empty
        STRLEN empty
        "#,
    );
}

#[test]
fn setnx_setex_psetex_getset_getdel() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SETNX k v
        SETNX k w
        GET k
        SETEX k 0 v
        SETEX k -1 v
        SETEX k abc v
        SETEX k 9223372036854775807 v
        SETEX k 100 v2
        GET k
        TTL k
        PSETEX k 0 v
        PSETEX k 9223372036854775807 v
        PSETEX k 100000 v3
        TTL k
        GETSET k v4
        TTL k
        GET k
        GETSET missing 1
        GET missing
        GETDEL k
        GETDEL k
        EXISTS k
        SET k v EX 100
        GETDEL k
        TTL k
        "#,
    );
}

#[test]
fn getex_options() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        GETEX missing
        GETEX missing EX abc
        GETEX missing EX 0
        GETEX missing EX
        GETEX missing BAD
        SET k v
        GETEX k
        TTL k
        GETEX k EX 100
        TTL k
        GETEX k PERSIST
        TTL k
        GETEX k PERSIST
        GETEX k PX 100000
        TTL k
        GETEX k EX 10 PX 10
        GETEX k PERSIST EX 10
        GETEX k EX 10 PERSIST
        GETEX k KEEPTTL
        GETEX k NX
        GETEX k GET
        GETEX k EX 0
        GETEX k EX -1
        GETEX k EX abc
        GETEX k EX 9223372036854775807
        GETEX k PX 9223372036854775807
        GETEX k EXAT 9223372036854775
        TTL k
        GETEX k PXAT 9223372036854775807
        GETEX k EX 100 EX 200
        TTL k
        GETEX k EXAT 1
        GET k
        SET k 123
        GETEX k PXAT 1
        EXISTS k
        "#,
    );
}

#[test]
fn mget_mset_msetnx_append_strlen_ranges() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        MSET a 1 b 2 c 3
        MGET a b c missing a
        MSET a 1 b
        MSET a
        MSETNX a 9 z 9
        GET z
        MSETNX x 1 y 2 x 3
        MGET x y
        MSETNX a
        MSETNX q 1 r
        MSET k v EX 10
        APPEND new hello
        APPEND new " world"
        GET new
        STRLEN new
        APPEND num 12
        APPEND num 34
        GET num
        INCR num
        APPEND num ""
        STRLEN num
        STRLEN missing
        SET i 123456
        STRLEN i
        SET s "This is a string"
        GETRANGE s 0 3
        GETRANGE s -3 -1
        GETRANGE s 0 -1
        GETRANGE s 10 100
        GETRANGE s 100 200
        GETRANGE s -100 -50
        GETRANGE s -1 -5
        GETRANGE s 5 2
        GETRANGE s 0 -100
        GETRANGE s -100 -100
        GETRANGE s -100 -200
        GETRANGE s -9223372036854775808 9223372036854775807
        GETRANGE s a 1
        GETRANGE s 1 b
        GETRANGE missing 0 -1
        GETRANGE missing a b
        GETRANGE i 1 3
        GETRANGE i -2 -1
        SET e ""
        GETRANGE e 0 -1
        GETRANGE e 0 0
        SUBSTR s 0 3
        SUBSTR s -3 -1
        SETRANGE s 10 World
        GET s
        SETRANGE s 20 "!!"
        GET s
        SETRANGE fresh 5 x
        GET fresh
        SETRANGE fresh2 0 ""
        EXISTS fresh2
        SETRANGE s 0 ""
        SETRANGE s -1 x
        SETRANGE s abc x
        SETRANGE s 9223372036854775807 x
        SETRANGE i 1 9
        GET i
        INCR i
        SET t v EX 100
        SETRANGE t 1 x
        APPEND t y
        TTL t
        GET t
        "#,
    );
}

#[test]
fn counters() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        INCR n
        INCR n
        DECR n
        INCRBY n 100
        DECRBY n 50
        INCRBY n -9223372036854775808
        INCRBY n abc
        INCRBY n 1.5
        DECRBY n -9223372036854775808
        DECRBY n 9223372036854775807
        SET max 9223372036854775807
        INCR max
        INCRBY max 0
        SET min -9223372036854775808
        DECR min
        DECRBY min 1
        INCRBY min -1
        INCRBY min 9223372036854775807
        SET s abc
        INCR s
        SET s "12 "
        INCR s
        SET s " 12"
        INCR s
        SET s 007
        INCR s
        SET s -0
        INCR s
        SET s +5
        INCR s
        SET s 1.5
        INCR s
        SET s 99999999999999999999
        INCR s
        SET s ""
        INCR s
        SET t 5 EX 100
        INCR t
        TTL t
        APPEND t 0
        INCR t
        INCRBYFLOAT f 10.5
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f -5
        INCRBYFLOAT f 5.0e3
        INCRBYFLOAT f 2.0e2
        INCRBYFLOAT f -5205.6
        GET f
        INCRBYFLOAT g 1e308
        INCRBYFLOAT g 1e308
        INCRBYFLOAT g -1e308
        INCRBYFLOAT g -1e308
        INCRBYFLOAT h 1e-20
        INCRBYFLOAT h -1e-20
        INCRBYFLOAT h 3.0
        INCRBYFLOAT h 0x10
        INCRBYFLOAT h 1e5
        INCRBYFLOAT h 1.23456789012345678901234567890
        INCRBYFLOAT h inf
        INCRBYFLOAT h -inf
        INCRBYFLOAT h nan
        INCRBYFLOAT h abc
        INCRBYFLOAT h ""
        INCRBYFLOAT h " 1"
        INCRBYFLOAT h "1 "
        INCRBYFLOAT h 1e99999
        INCRBYFLOAT h +1.5
        INCRBYFLOAT h .5
        INCRBYFLOAT h 5.
        INCRBYFLOAT h 1e-99999
        SET s abc
        INCRBYFLOAT s 1
        SET s " 1"
        INCRBYFLOAT s 1
        SET s 1e3
        INCRBYFLOAT s 1
        SET s 9223372036854775807
        INCRBYFLOAT s 1
        INCRBYFLOAT s -1
        SET t 1.5 EX 100
        INCRBYFLOAT t 1
        TTL t
        INCR t
        SET u 3
        INCRBYFLOAT u 2
        INCR u
        "#,
    );
}

#[test]
fn limits_with_small_proto_max_bulk_len() {
    let mut d = Diff::new(&["--proto-max-bulk-len", "1mb"]);
    d.run(
        r#"
        SETRANGE k 1048575 x
        STRLEN k
        SETRANGE k 1048576 x
        SETRANGE k 1048575 xy
        SETRANGE other 1048576 x
        EXISTS other
        APPEND k y
        SET a abc
        SETRANGE a 1048574 xy
        SETRANGE a 1048574 xyz
        SETBIT b 8388607 1
        STRLEN b
        SETBIT b 8388608 1
        GETBIT b 8388608
        GETBIT b 8388607
        BITCOUNT b
        BITPOS b 1
        BITFIELD c SET u8 8388600 255
        BITFIELD c SET u8 8388601 255
        BITFIELD c SET u8 #1048575 255
        BITFIELD c SET u8 #1048576 255
        BITFIELD c GET u8 #1048576
        BITFIELD c GET i64 8388607
        BITFIELD_RO c GET u8 8388608
        STRLEN c
        "#,
    );
}

#[test]
fn setbit_getbit_bitcount_bitpos() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SETBIT b 7 1
        SETBIT b 7 1
        SETBIT b 7 0
        SETBIT b 100 1
        GET b
        STRLEN b
        GETBIT b 100
        GETBIT b 99
        GETBIT b 1000
        GETBIT missing 5
        SETBIT b 1 2
        SETBIT b 1 -1
        SETBIT b 1 a
        SETBIT b -1 1
        SETBIT b a 1
        SETBIT b 4294967296 1
        SETBIT b 4294967295 a
        SETBIT b 4294967296 a
        GETBIT b 4294967296
        GETBIT b -1
        GETBIT b 1.5
        SET n 5
        GETBIT n 5
        GETBIT n 7
        SETBIT n 6 1
        GET n
        SET s foobar
        BITCOUNT s
        BITCOUNT s 0 0
        BITCOUNT s 1 1
        BITCOUNT s 1 -2
        BITCOUNT s -1 -5
        BITCOUNT s -100 -200
        BITCOUNT s -1 -5 bad
        BITCOUNT s 5 30 BIT
        BITCOUNT s 0 -1 bit
        BITCOUNT s 0 -1 BYTE
        BITCOUNT s -100 100
        BITCOUNT s 3 3 BIT
        BITCOUNT s 1 46 BIT
        BITCOUNT s 0 -1 BAD
        BITCOUNT s 0
        BITCOUNT s 0 1 BIT extra
        BITCOUNT s a b
        BITCOUNT s 0 b
        BITCOUNT missing
        BITCOUNT missing a b
        BITCOUNT missing 0
        BITCOUNT n
        SET e ""
        BITCOUNT e
        BITCOUNT e 0 -1 BIT
        SET p "\xff\xf0\x00"
        BITPOS p 0
        BITPOS p 1
        BITPOS p 0 2 -1
        BITPOS p 1 2 -1
        BITPOS p 0 0 1
        BITPOS p 1 7 15 BIT
        BITPOS p 0 7 15 BIT
        BITPOS p 0 0 11 BIT
        BITPOS p 0 12 BIT
        BITPOS p 1 -1 -5
        BITPOS p 0 -1 -5
        BITPOS p 1 -1 -5 bad
        BITPOS p 1 a 1 bad
        BITPOS p 1 0 a bad
        BITPOS p 1 0 a
        BITPOS p 1 a
        BITPOS p 2
        BITPOS p -1
        BITPOS p x
        BITPOS p 1 0 1 BIT extra
        BITPOS missing 1
        BITPOS missing 0
        BITPOS missing 1 a
        BITPOS missing 0 0 1 bad
        BITPOS missing 2
        SET ones "\xff\xff"
        BITPOS ones 0
        BITPOS ones 0 0
        BITPOS ones 0 0 -1
        BITPOS ones 0 0 15 BIT
        BITPOS ones 0 0 BIT
        BITPOS ones 1 3 BIT
        SET zeros "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
        BITPOS zeros 1
        BITPOS zeros 1 3
        BITPOS zeros 1 0 -2
        BITPOS zeros 0
        BITPOS zeros 1 8 100 BIT
        BITPOS zeros 1 100 103 BIT
        BITPOS n 1
        BITPOS e 1
        BITPOS e 0
        "#,
    );
}

#[test]
fn bitop_all_operations() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a "\xff\x0f\xaa"
        SET b "\x0f\xf0"
        SET c 12
        BITOP AND r a b
        GET r
        BITOP OR r a b
        GET r
        BITOP XOR r a b c
        GET r
        BITOP NOT r a
        GET r
        BITOP not r c
        GET r
        BITOP AND r a missing
        GET r
        BITOP OR r missing a
        GET r
        BITOP AND r missing missing2
        EXISTS r
        BITOP AND r missing
        BITOP NOT r a b
        BITOP NOT r
        BITOP BAD r a
        BITOP AND r
        SET t v EX 100
        BITOP OR t a
        TTL t
        BITOP AND a a b
        GET a
        SET e ""
        BITOP OR r e e
        EXISTS r
        SET big "0123456789abcdefghijklmnopqrstuvwxyz0123456789"
        SET big2 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        BITOP XOR r big big2
        GET r
        BITOP AND r big big2 a
        GET r
        "#,
    );
}

#[test]
fn bitfield_operations() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        BITFIELD k SET i8 0 100 GET i8 0
        BITFIELD k INCRBY i8 0 100
        BITFIELD k OVERFLOW SAT INCRBY i8 0 100
        BITFIELD k OVERFLOW FAIL INCRBY i8 0 100
        BITFIELD k OVERFLOW WRAP INCRBY i8 0 -300
        BITFIELD k SET u4 4 15 INCRBY u4 4 1 GET u4 4
        BITFIELD k OVERFLOW SAT SET u4 4 100 GET u4 4
        BITFIELD k OVERFLOW FAIL SET u4 4 16 SET u4 4 -1 GET u4 4
        BITFIELD k SET u4 4 -1 GET u4 4
        BITFIELD k SET i4 4 8 GET i4 4
        BITFIELD k SET i64 0 -1 GET u63 1 GET i64 0
        BITFIELD k INCRBY i64 0 -9223372036854775808
        BITFIELD k OVERFLOW SAT INCRBY i64 0 -9223372036854775808
        BITFIELD k OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1
        BITFIELD k OVERFLOW WRAP INCRBY i64 0 1
        BITFIELD k OVERFLOW FAIL INCRBY i64 0 -1 INCRBY i64 0 9223372036854775807
        BITFIELD k SET u63 0 9223372036854775807 INCRBY u63 0 1 OVERFLOW SAT INCRBY u63 0 -1
        BITFIELD k OVERFLOW SAT INCRBY u63 0 -9223372036854775808
        BITFIELD k SET u1 100 1 GET u1 100 INCRBY u1 100 1 SET i1 101 -1 GET i1 101 INCRBY i1 101 1
        BITFIELD k SET u8 #2 65 GET u8 #2 GET u16 #1 GET i3 #5
        GET k
        BITFIELD k GET u8 #-1
        BITFIELD k GET u8 ##1
        BITFIELD k GET u8 #
        BITFIELD k GET u8 #9223372036854775807
        BITFIELD k GET u8 -1
        BITFIELD k GET u8 a
        BITFIELD k GET u64 0
        BITFIELD k GET i65 0
        BITFIELD k GET i0 0
        BITFIELD k GET U8 0
        BITFIELD k GET u 0
        BITFIELD k GET "" 0
        BITFIELD k GET u8a 0
        BITFIELD k OVERFLOW bad GET u8 0
        BITFIELD k OVERFLOW
        BITFIELD k GET u8
        BITFIELD k SET u8 0
        BITFIELD k SET u8 0 a
        BITFIELD k INCRBY u8 0 1.5
        BITFIELD k badop
        BITFIELD k GET u8 0 badop
        BITFIELD k get u8 0 set u8 0 1 incrby u8 0 1 overflow sat
        BITFIELD k
        BITFIELD_RO k
        BITFIELD_RO k GET u8 0 GET i4 3 GET u8 1000
        BITFIELD_RO k SET u8 0 1
        BITFIELD_RO k INCRBY u8 0 1
        BITFIELD_RO k OVERFLOW SAT GET u8 0
        BITFIELD_RO k BAD
        BITFIELD missing GET u8 0 GET i64 100
        EXISTS missing
        BITFIELD created OVERFLOW FAIL INCRBY u2 0 7
        EXISTS created
        GET created
        BITFIELD created2 OVERFLOW FAIL INCRBY u2 20 7 GET u8 0
        STRLEN created2
        SET n 5
        BITFIELD n GET u8 0 SET u8 8 50 GET u16 0
        GET n
        SET t v EX 100
        BITFIELD t SET u8 0 100
        TTL t
        GET t
        BITFIELD far GET u8 1000 SET u8 0 1 GET u8 1000 GET u16 1
        STRLEN far
        BITFIELD far SET i64 60 -2 GET i64 60 GET u63 61 GET u8 64
        "#,
    );
}

#[test]
fn lcs_command() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        MSET key1 ohmytext key2 mynewtext
        LCS key1 key2
        LCS key1 key2 LEN
        LCS key1 key2 IDX
        LCS key1 key2 IDX MINMATCHLEN 4
        LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS key1 key2 IDX WITHMATCHLEN
        LCS key1 key2 IDX MINMATCHLEN -5
        LCS key1 key2 LEN IDX
        LCS key1 key2 IDX LEN
        LCS key1 key2 MINMATCHLEN
        LCS key1 key2 MINMATCHLEN abc
        LCS key1 key2 BAD
        LCS key1 key2 LEN WITHMATCHLEN
        LCS key1 missing
        LCS missing key1 IDX
        LCS missing missing2 LEN
        LCS key1 key1
        LCS key1 key1 IDX WITHMATCHLEN
        SET n1 1234567
        SET n2 357
        LCS n1 n2 IDX WITHMATCHLEN
        MSET a "GTAGGCCTAGCTTTAAACGG" b "GATCCTAGGCATCACCATGG"
        LCS a b
        LCS a b IDX WITHMATCHLEN
        LCS a b IDX MINMATCHLEN 2 WITHMATCHLEN
        LCS b a IDX
        LCS key1
        "#,
    );
}

#[test]
fn resp3_replies() {
    let mut d = Diff::new(&[]);
    // HELLO's reply carries the connection id, which differs between the two servers.
    d.a.call(&["HELLO", "3"]);
    d.b.call(&["HELLO", "3"]);
    d.run(
        r#"
        GET missing
        MGET missing a
        SET k v GET
        SET k v NX
        MSET key1 ohmytext key2 mynewtext
        LCS key1 key2 IDX WITHMATCHLEN
        BITFIELD bf OVERFLOW FAIL INCRBY u2 0 7
        GETEX missing
        INCRBYFLOAT f 1.5
        "#,
    );
}

/// Everything a subscriber got, read up to the reply of a PING sent after the commands.
fn drain(sub: &mut Raw) -> Vec<String> {
    sub.cmd(&["PING"]);
    let mut got = Vec::new();
    loop {
        let r = String::from_utf8_lossy(&sub.reply()).into_owned();
        if r.contains("pong") {
            return got;
        }
        got.push(r);
    }
}

#[test]
fn keyspace_notifications() {
    let mut d = Diff::new(&[]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEA$gxm"]);
    let (mut sa, mut sb) = d.second();
    for s in [&mut sa, &mut sb] {
        s.call(&["PSUBSCRIBE", "__key*"]);
    }
    d.run(
        r#"
        SET k v
        SET k v EX 100
        SET k v NX
        SET k v XX GET
        SETNX k v
        SETEX k 10 v
        GETEX k PERSIST
        GETEX k PERSIST
        GETEX k EX 100
        GETEX k PXAT 1
        GET missing
        MGET missing1 k missing2
        GETRANGE missing 0 1
        STRLEN missing
        MSET a 1 b 2
        MSETNX a 1 c 2
        MSETNX c 1 d 2
        GETSET a 2
        GETDEL a
        GETDEL a
        INCR n
        DECRBY n 5
        INCRBYFLOAT n 1.5
        INCRBYFLOAT n abc
        APPEND n 1
        SETRANGE n 0 x
        SETRANGE n 0 ""
        SETBIT bits 3 1
        SETBIT bits 3 1
        SETBIT bits 3 0
        SETBIT bits 100 0
        GETBIT missing 1
        BITCOUNT missing
        BITPOS missing 1
        BITFIELD bits SET u8 0 0
        BITFIELD bits SET u8 0 1
        BITFIELD bf OVERFLOW FAIL INCRBY u2 0 7
        BITFIELD_RO missing GET u8 0
        BITOP OR dest bits
        BITOP AND dest missing
        BITOP AND dest missing
        LCS missing missing2
        SET x v PXAT 1
        GET x
        "#,
    );
    let (ga, gb) = (drain(&mut sa), drain(&mut sb));
    assert_eq!(ga, gb, "keyspace events differ (left: redoubt)");
    assert!(ga.len() > 40, "too few events: {ga:?}");
}

#[test]
fn no_op_writes_leave_watch_intact() {
    let mut d = Diff::new(&[]);
    d.run("SET s abc\nSETBIT b 3 1\nSET n 5\nBITFIELD f SET u8 0 7");
    let noops = [
        "SETBIT b 3 1",
        "SETRANGE s 1 \"\"",
        "SET s x NX",
        "SET missing x XX",
        "MSETNX a 1 s 2",
        "INCR s",
        "INCRBYFLOAT s 1",
        "APPEND s \"\"",
        "GETEX s PERSIST",
        "GETEX s",
        "BITFIELD f SET u8 0 7",
        "BITFIELD f OVERFLOW FAIL INCRBY u8 0 300",
        "BITOP AND missing missing2",
        "GETDEL missing",
        "SETRANGE missing 3 \"\"",
        "DECRBY n -9223372036854775808",
    ];
    for cmd in noops {
        let key = cmd.split(' ').nth(1).unwrap();
        let script = format!("WATCH {key} s b f n\n{cmd}\nMULTI\nPING\nEXEC");
        d.run(&script);
    }
    // And a real change does break it.
    d.run("WATCH b\nSETBIT b 3 0\nMULTI\nPING\nEXEC");
}

#[test]
fn read_and_write_lookups_count_hits_and_misses_like_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET k v
        GET k
        GET missing
        MGET k missing k
        STRLEN k
        GETRANGE missing 0 1
        SET k v2 GET
        SET k v NX
        SETNX k v
        GETSET k v
        GETDEL missing
        GETEX k
        INCR n
        APPEND k x
        SETRANGE k 0 y
        SETBIT b 1 1
        GETBIT b 1
        GETBIT nob 1
        BITCOUNT b
        BITPOS b 1
        BITOP OR d b missing
        BITFIELD b GET u8 0
        BITFIELD b SET u8 0 1
        BITFIELD_RO missing GET u8 0
        LCS k missing
        INCRBYFLOAT f 1
        MSETNX k 1
        "#,
    );
    let stat = |r: &[u8], name: &str| {
        let text = String::from_utf8_lossy(r).into_owned();
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing from INFO stats"))
            .to_string()
    };
    let ra = d.a.call(&["INFO", "stats"]);
    let rb = d.b.call(&["INFO", "stats"]);
    for name in ["keyspace_hits:", "keyspace_misses:"] {
        assert_eq!(stat(&ra, name), stat(&rb, name), "{name} (left: redoubt)");
    }
}

mod random_bits;

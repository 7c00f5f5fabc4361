//! SORT's pieces in isolation (its ties in the partial sort, patterns, weights, LIMIT
//! arithmetic) and what replicas and subscribers see from it. The partial sort itself is
//! tested in crate::qsort; replies are compared with redis-server in tests/e2e/sort.rs.

use std::cmp::Ordering;

use keyspace::SBytes;

use super::compare::{collate, parse_score, Mode};
use super::pattern::{parse, Parsed};
use super::{limit_range, Item};
use crate::qsort::partial_sort;
use crate::testkit::{strs, Harness};

#[test]
fn partial_sort_leaves_ties_where_redis_does() {
    // Redis 7.0.15: RPUSH l 5 3 4 1 2 6 0, SET w_5 a, SET w_1 b,
    // SORT l BY w_* ALPHA LIMIT 0 7 → 0 3 4 2 6 5 1 (a full sort keeps 3 4 2 6 0 5 1).
    let weights = |e: &str| match e {
        "5" => Some("a"),
        "1" => Some("b"),
        _ => None,
    };
    let mut v: Vec<Item> = ["5", "3", "4", "1", "2", "6", "0"]
        .iter()
        .map(|e| Item {
            obj: SBytes::new(e.as_bytes()),
            score: 0.0,
            cmp: weights(e).map(|w| SBytes::new(w.as_bytes())),
        })
        .collect();
    let mode = Mode {
        desc: false,
        alpha: true,
        by: true,
        store: false,
    };
    partial_sort(&mut v, 0, 4, |a, b| mode.compare(a, b));
    let got: Vec<&[u8]> = v.iter().map(|i| &i.obj[..]).collect();
    assert_eq!(
        got,
        vec![&b"0"[..], b"3", b"4", b"2", b"6", b"5", b"1"],
        "Redis's partial quicksort has no insertion-sort shortcut"
    );
}

#[test]
fn patterns_split_like_lookup_key_by_pattern() {
    assert_eq!(parse(b"#"), Parsed::Element);
    assert_eq!(parse(b"#\0x"), Parsed::Element, "a C string compare");
    assert_eq!(parse(b"##"), Parsed::Constant);
    assert_eq!(parse(b"nosort"), Parsed::Constant);
    assert_eq!(
        parse(b"a\0*"),
        Parsed::Constant,
        "'*' after a NUL is unseen"
    );
    let key = |p: &'static [u8], s: &'static [u8], f: Option<&'static [u8]>| Parsed::Key {
        prefix: p,
        suffix: s,
        field: f,
    };
    assert_eq!(parse(b"w_*"), key(b"w_", b"", None));
    assert_eq!(parse(b"w_*_x"), key(b"w_", b"_x", None));
    assert_eq!(parse(b"h_*->f"), key(b"h_", b"", Some(b"f")));
    assert_eq!(parse(b"h_*x->f->g"), key(b"h_", b"x", Some(b"f->g")));
    assert_eq!(parse(b"h_*->"), key(b"h_", b"->", None), "no field name");
    assert_eq!(parse(b"h->f*"), key(b"h->f", b"", None), "arrow before '*'");
    assert_eq!(parse(b"**"), key(b"", b"*", None), "only the first '*'");
    assert_eq!(
        parse(b"h_*->f\0g"),
        key(b"h_", b"", Some(b"f\0g")),
        "the field is taken by length"
    );
    assert_eq!(
        parse(b"h_*->\0g"),
        key(b"h_", b"->\0g", None),
        "a NUL right after the arrow means no field"
    );
}

#[test]
fn weights_read_like_strtod() {
    for (s, v) in [
        (&b"12"[..], Some(12.0)),
        (b"-3.5", Some(-3.5)),
        (b"", Some(0.0)),
        (b" 5", Some(5.0)),
        (b"0x10", Some(16.0)),
        (b"1e5", Some(1e5)),
        (b"inf", Some(f64::INFINITY)),
        (b"-Infinity", Some(f64::NEG_INFINITY)),
        (b"007", Some(7.0)),
        (b"12\0junk", Some(12.0)),
        (b"5 ", None),
        (b"abc", None),
        (b"nan", None),
        (b"1e400", None),
        (b"1e-310", None),
        (b"9223372036854775807", Some(9223372036854775807.0)),
    ] {
        assert_eq!(parse_score(s), v, "{:?}", String::from_utf8_lossy(s));
    }
    let long = format!("{}.5", "1".repeat(80));
    assert!(parse_score(long.as_bytes()).is_some());
}

#[test]
fn collation_is_c_string_byte_order() {
    assert_eq!(collate(b"a", b"b"), Ordering::Less);
    assert_eq!(collate(b"B", b"a"), Ordering::Less);
    assert_eq!(collate(b"\xff", b"~"), Ordering::Greater);
    assert_eq!(collate(b"a\0z", b"a\0a"), Ordering::Equal);
    assert_eq!(collate(b"a", b"a\0a"), Ordering::Equal);
    assert_eq!(collate(b"ab", b"a"), Ordering::Greater);
}

#[test]
fn limit_arithmetic_clamps_like_redis() {
    assert_eq!(limit_range(0, -1, 5), (0, 4));
    assert_eq!(limit_range(-3, 2, 5), (0, 1));
    assert_eq!(limit_range(1, 2, 5), (1, 2));
    assert_eq!(limit_range(3, 10, 5), (3, 4));
    assert_eq!(limit_range(5, 1, 5), (4, 3));
    assert_eq!(limit_range(2, 0, 5), (2, 1));
    assert_eq!(limit_range(0, 0, 0), (-1, -2));
    assert_eq!(limit_range(i64::MAX, i64::MAX, 5), (4, 3));
    assert_eq!(limit_range(2, i64::MAX, 5), (2, 4));
    assert_eq!(limit_range(i64::MIN, i64::MIN, 5), (0, 4));
}

#[test]
fn store_propagates_as_sent_and_reads_propagate_nothing() {
    let mut h = Harness::new();
    h.run("RPUSH l 3 1 2");
    h.propagated_writes();
    let d0 = h.core.ks.dirty;
    assert_eq!(h.run("SORT l"), strs(&["1 2 3"]));
    assert_eq!(h.run("SORT_RO l DESC"), strs(&["3 2 1"]));
    assert!(h.propagated_writes().is_empty());
    assert_eq!(h.core.ks.dirty, d0);
    assert_eq!(h.run("SORT l STORE dst"), strs(&[":3"]));
    assert_eq!(h.propagated_writes(), strs(&["SORT l STORE dst"]));
    assert_eq!(h.core.ks.dirty, d0 + 3, "one change per stored element");
    assert_eq!(h.run("SORT l LIMIT 0 0 STORE dst"), strs(&[":0"]));
    assert_eq!(h.propagated_writes(), strs(&["SORT l LIMIT 0 0 STORE dst"]));
    assert_eq!(h.run("SORT l LIMIT 0 0 STORE dst"), strs(&[":0"]));
    assert!(h.propagated_writes().is_empty(), "nothing to delete");
}

#[test]
fn events_in_redis_order() {
    let mut h = Harness::new();
    h.events();
    h.run("RPUSH l 2 1");
    assert_eq!(
        h.run("SORT l STORE dst"),
        strs(&[">sortstore dst", ":2"]),
        "notified before the reply"
    );
    assert_eq!(
        h.run("SORT l LIMIT 5 5 STORE dst"),
        strs(&[">del dst", ":0"])
    );
    // GET lookups run while the array is written: their pushes land inside it, as in
    // Redis 7.0 (the decoder here counts each push as one of the array's items).
    assert_eq!(
        h.run("SORT l BY w_* GET # GET g_*"),
        strs(&[
            ">keymiss w_2",
            ">keymiss w_1",
            "1 >keymiss g_1 (nil) 2",
            ">keymiss g_2",
            "(nil)"
        ])
    );
    assert_eq!(h.run("SORT missing"), strs(&[">keymiss missing", ""]));
}

#[test]
fn sorting_a_sorted_set_converts_it_without_a_write() {
    let mut h = Harness::new();
    h.run("ZADD z 1 a 2 b");
    h.propagated_writes();
    let d0 = h.core.ks.dirty;
    assert_eq!(h.run("OBJECT ENCODING z"), strs(&["listpack"]));
    assert_eq!(h.run("SORT_RO z BY nosort DESC"), strs(&["b a"]));
    assert_eq!(h.run("OBJECT ENCODING z"), strs(&["skiplist"]));
    assert_eq!(h.core.ks.dirty, d0);
    assert!(h.propagated_writes().is_empty());
}

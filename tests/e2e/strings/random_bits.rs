//! Random sequences of bitmap and byte-range commands over four small keys, replies
//! compared with redis-server; a failure is shrunk to a minimal sequence. 200 cases by
//! default; `REDOUBT_BITS_CASES=N` runs more.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::kit::Diff;

type Cmd = Vec<Vec<u8>>;

fn s(x: &str) -> Vec<u8> {
    x.as_bytes().to_vec()
}

fn key() -> BoxedStrategy<Vec<u8>> {
    (0..4u8).prop_map(|i| s(&format!("b{i}"))).boxed()
}

fn index() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        6 => (-24i64..24).prop_map(|n| s(&n.to_string())),
        1 => Just(s("x")),
        1 => Just(s(&i64::MIN.to_string())),
    ]
    .boxed()
}

fn offset() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        8 => (0u32..100).prop_map(|n| s(&n.to_string())),
        2 => (0u32..12).prop_map(|n| s(&format!("#{n}"))),
        1 => Just(s("-1")),
    ]
    .boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12),
        prop::collection::vec(prop::sample::select(vec![0u8, 0xff, b'a', b'b']), 0..12),
        Just(s("12")),
    ]
    .boxed()
}

fn field_type() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        (1u32..65).prop_map(|n| s(&format!("i{n}"))),
        (1u32..64).prop_map(|n| s(&format!("u{n}"))),
        Just(s("u64")),
    ]
    .boxed()
}

fn field_value() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => (-300i64..300).prop_map(|n| s(&n.to_string())),
        1 => Just(s(&i64::MAX.to_string())),
        1 => Just(s(&i64::MIN.to_string())),
        1 => any::<i64>().prop_map(|n| s(&n.to_string())),
    ]
    .boxed()
}

fn field_op() -> BoxedStrategy<Vec<Vec<u8>>> {
    prop_oneof![
        (field_type(), offset()).prop_map(|(t, o)| vec![s("GET"), t, o]),
        (field_type(), offset(), field_value()).prop_map(|(t, o, v)| vec![s("SET"), t, o, v]),
        (field_type(), offset(), field_value()).prop_map(|(t, o, v)| vec![s("INCRBY"), t, o, v]),
        prop::sample::select(vec!["WRAP", "SAT", "FAIL"]).prop_map(|w| vec![s("OVERFLOW"), s(w)]),
    ]
    .boxed()
}

fn unit() -> BoxedStrategy<Vec<Vec<u8>>> {
    prop_oneof![Just(vec![]), Just(vec![s("BIT")]), Just(vec![s("BYTE")])].boxed()
}

fn command() -> BoxedStrategy<Cmd> {
    let c = |parts: Vec<Vec<u8>>| parts;
    prop_oneof![
        (key(), 0u32..100, 0u8..2).prop_map(move |(k, o, b)| c(vec![
            s("SETBIT"),
            k,
            s(&o.to_string()),
            s(&b.to_string())
        ])),
        (key(), offset()).prop_map(move |(k, o)| c(vec![s("GETBIT"), k, o])),
        (key(), index(), index(), unit()).prop_map(move |(k, a, b, u)| {
            let mut v = vec![s("BITCOUNT"), k, a, b];
            v.extend(u);
            v
        }),
        (key(), 0u8..2, prop::collection::vec(index(), 0..3), unit()).prop_map(
            move |(k, bit, range, u)| {
                let mut v = vec![s("BITPOS"), k, s(&bit.to_string())];
                let full = range.len() == 2;
                v.extend(range);
                if full {
                    v.extend(u);
                }
                v
            }
        ),
        (key(), prop::collection::vec(field_op(), 0..4)).prop_map(move |(k, ops)| {
            let mut v = vec![s("BITFIELD"), k];
            v.extend(ops.into_iter().flatten());
            v
        }),
        (key(), prop::collection::vec((field_type(), offset()), 1..3)).prop_map(
            move |(k, gets)| {
                let mut v = vec![s("BITFIELD_RO"), k];
                for (t, o) in gets {
                    v.extend([s("GET"), t, o]);
                }
                v
            }
        ),
        (
            prop::sample::select(vec!["AND", "OR", "XOR", "NOT"]),
            key(),
            prop::collection::vec(key(), 1..4)
        )
            .prop_map(move |(op, dest, srcs)| {
                let mut v = vec![s("BITOP"), s(op), dest];
                v.extend(srcs);
                v
            }),
        (key(), bytes()).prop_map(move |(k, b)| c(vec![s("SET"), k, b])),
        (key(), bytes()).prop_map(move |(k, b)| c(vec![s("APPEND"), k, b])),
        (key(), 0u32..20, bytes()).prop_map(move |(k, o, b)| c(vec![
            s("SETRANGE"),
            k,
            s(&o.to_string()),
            b
        ])),
        (key(), index(), index()).prop_map(move |(k, a, b)| c(vec![s("GETRANGE"), k, a, b])),
        (
            key(),
            key(),
            prop::sample::select(vec![
                "",
                "LEN",
                "IDX",
                "IDX WITHMATCHLEN",
                "IDX MINMATCHLEN 2"
            ])
        )
            .prop_map(move |(a, b, o)| {
                let mut v = vec![s("LCS"), a, b];
                v.extend(o.split(' ').filter(|w| !w.is_empty()).map(s));
                v
            }),
        (
            key(),
            prop::sample::select(vec!["1.5", "-0.25", "1e10", "0.1", "3", "abc"])
        )
            .prop_map(move |(k, f)| c(vec![s("INCRBYFLOAT"), k, s(f)])),
        key().prop_map(move |k| c(vec![s("GET"), k])),
        key().prop_map(move |k| c(vec![s("STRLEN"), k])),
    ]
    .boxed()
}

#[test]
fn random_bitmap_sequences_match_redis() {
    let d = RefCell::new(Diff::new(&[]));
    let mut runner = TestRunner::new(Config {
        cases: std::env::var("REDOUBT_BITS_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(command(), 1..20);
    let result = runner.run(&strategy, |seq| {
        let mut d = d.borrow_mut();
        d.check(&["FLUSHALL"]);
        for c in &seq {
            let ra = d.a.call(c);
            let rb = d.b.call(c);
            if ra != rb {
                let shown: Vec<String> = seq
                    .iter()
                    .map(|c| {
                        c.iter()
                            .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                return Err(TestCaseError::fail(format!(
                    "reply differs at {:?}\nredoubt: {:?}\nredis:   {:?}\nsequence:\n{}",
                    c.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>(),
                    String::from_utf8_lossy(&ra),
                    String::from_utf8_lossy(&rb),
                    shown.join("\n")
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

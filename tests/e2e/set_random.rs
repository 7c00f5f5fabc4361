//! Random differential sequences for sets and sorted sets: proptest generates commands over
//! a few keys, members and scores (infinities, ties, exclusive and lex bounds, bad input
//! included) with the listpack and intset limits lowered to 4 on both servers, so
//! sequences cross every encoding conversion. Replies must be byte-identical, except that
//! arrays are compared sorted for the commands whose order is a hash table's (SMEMBERS,
//! SUNION… on hashtable sets). Random commands (SPOP, SRANDMEMBER, ZRANDMEMBER) are left out.
//!
//! Runs 192 cases by default; `REDOUBT_RANDOM_CASES=N` changes that.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::kit::Diff;
use crate::sets::normalized;

type Cmd = Vec<String>;

fn zkey() -> BoxedStrategy<String> {
    prop_oneof![Just("z1"), Just("z2"), Just("s1"), Just("str")]
        .prop_map(String::from)
        .boxed()
}

fn skey() -> BoxedStrategy<String> {
    prop_oneof![Just("s1"), Just("s2"), Just("z1"), Just("str")]
        .prop_map(String::from)
        .boxed()
}

fn member() -> BoxedStrategy<String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just("d"),
        Just("e"),
        Just("1"),
        Just("2"),
        Just("10"),
        Just("-5"),
        Just(""),
    ]
    .prop_map(String::from)
    .boxed()
}

fn score() -> BoxedStrategy<String> {
    prop_oneof![
        Just("0"),
        Just("1"),
        Just("1.5"),
        Just("2"),
        Just("-1"),
        Just("-0"),
        Just("0.1"),
        Just("inf"),
        Just("-inf"),
        Just("1e3"),
        Just("x"),
    ]
    .prop_map(String::from)
    .boxed()
}

fn score_bound() -> BoxedStrategy<String> {
    prop_oneof![
        score(),
        Just("(1".to_string()),
        Just("(0".to_string()),
        Just("+inf".to_string()),
        Just("(-inf".to_string()),
    ]
    .boxed()
}

fn lex_bound() -> BoxedStrategy<String> {
    prop_oneof![
        Just("-"),
        Just("+"),
        Just("[a"),
        Just("(a"),
        Just("[c"),
        Just("(d"),
        Just("[1"),
        Just("x"),
    ]
    .prop_map(String::from)
    .boxed()
}

fn index() -> BoxedStrategy<String> {
    (-6i64..7).prop_map(|n| n.to_string()).boxed()
}

fn c(parts: Vec<String>) -> Cmd {
    parts
}

fn weighted(arms: Vec<(u32, BoxedStrategy<Cmd>)>) -> BoxedStrategy<Cmd> {
    Union::new_weighted(arms).boxed()
}

fn zadd() -> BoxedStrategy<Cmd> {
    let flags = prop::sample::subsequence(vec!["NX", "XX", "GT", "LT", "CH", "INCR"], 0..3);
    (
        zkey(),
        flags,
        prop::collection::vec((score(), member()), 1..4),
    )
        .prop_map(|(k, f, pairs)| {
            let mut v = vec!["ZADD".to_string(), k];
            v.extend(f.into_iter().map(String::from));
            for (s, m) in pairs {
                v.push(s);
                v.push(m);
            }
            v
        })
        .boxed()
}

fn zrange() -> BoxedStrategy<Cmd> {
    let limit = || prop::option::of((index(), index()));
    let by_rank =
        (zkey(), index(), index(), any::<bool>(), any::<bool>()).prop_map(|(k, a, b, rev, ws)| {
            let mut v = vec!["ZRANGE".to_string(), k, a, b];
            if rev {
                v.push("REV".into());
            }
            if ws {
                v.push("WITHSCORES".into());
            }
            v
        });
    let by_score = (zkey(), score_bound(), score_bound(), any::<bool>(), limit()).prop_map(
        |(k, a, b, rev, limit)| {
            let mut v = vec!["ZRANGE".to_string(), k, a, b, "BYSCORE".into()];
            if rev {
                v.push("REV".into());
            }
            if let Some((o, n)) = limit {
                v.extend(["LIMIT".to_string(), o, n]);
            }
            v.push("WITHSCORES".into());
            v
        },
    );
    // Lex ranges are defined only over equal scores: they run on `l1`, which only ever
    // holds score 0 (Redis's answer over mixed scores depends on its skiplist's random
    // levels).
    let by_lex = (
        Just("l1".to_string()),
        lex_bound(),
        lex_bound(),
        any::<bool>(),
        limit(),
    )
        .prop_map(|(k, a, b, rev, limit)| {
            let mut v = vec!["ZRANGE".to_string(), k, a, b, "BYLEX".into()];
            if rev {
                v.push("REV".into());
            }
            if let Some((o, n)) = limit {
                v.extend(["LIMIT".to_string(), o, n]);
            }
            v
        });
    prop_oneof![by_rank, by_score, by_lex].boxed()
}

fn zalgebra() -> BoxedStrategy<Cmd> {
    let ops = prop::sample::select(vec!["ZUNION", "ZINTER", "ZDIFF"]);
    let aggs = prop::sample::select(vec!["", "SUM", "MIN", "MAX"]);
    let read = (
        ops,
        zkey(),
        zkey(),
        prop::option::of((score(), score())),
        aggs,
    )
        .prop_map(|(op, a, b, w, agg)| {
            let mut v = vec![op.to_string(), "2".into(), a, b];
            if op != "ZDIFF" {
                if let Some((x, y)) = w {
                    v.extend(["WEIGHTS".to_string(), x, y]);
                }
                if !agg.is_empty() {
                    v.extend(["AGGREGATE".to_string(), agg.to_string()]);
                }
            }
            v.push("WITHSCORES".into());
            v
        });
    let stores = prop::sample::select(vec!["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
    let store = (stores, zkey(), zkey(), zkey())
        .prop_map(|(op, d, a, b)| c(vec![op.to_string(), d, "2".into(), a, b]));
    let card = (zkey(), zkey()).prop_map(|(a, b)| c(vec!["ZINTERCARD".into(), "2".into(), a, b]));
    prop_oneof![read, store, card].boxed()
}

/// Members of `l1`, always with score 0.
fn lex_zadd() -> BoxedStrategy<Cmd> {
    prop::collection::vec(member(), 1..4)
        .prop_map(|ms| {
            let mut v = vec!["ZADD".to_string(), "l1".into()];
            for m in ms {
                v.push("0".into());
                v.push(m);
            }
            v
        })
        .boxed()
}

fn zset_cmd() -> BoxedStrategy<Cmd> {
    let rank = (zkey(), member(), any::<bool>())
        .prop_map(|(k, m, rev)| c(vec![if rev { "ZREVRANK" } else { "ZRANK" }.into(), k, m]));
    let pop = (zkey(), any::<bool>(), prop::option::of(0i64..4)).prop_map(|(k, max, n)| {
        let mut v = vec![if max { "ZPOPMAX" } else { "ZPOPMIN" }.to_string(), k];
        if let Some(n) = n {
            v.push(n.to_string());
        }
        v
    });
    let mpop = (zkey(), zkey(), any::<bool>(), 1i64..4).prop_map(|(a, b, max, n)| {
        let end = if max { "MAX" } else { "MIN" };
        c(vec![
            "ZMPOP".into(),
            "2".into(),
            a,
            b,
            end.into(),
            "COUNT".into(),
            n.to_string(),
        ])
    });
    let rem = (zkey(), prop::collection::vec(member(), 1..3)).prop_map(|(k, ms)| {
        let mut v = vec!["ZREM".to_string(), k];
        v.extend(ms);
        v
    });
    weighted(vec![
        (4, zadd()),
        (
            1,
            (zkey(), score(), member())
                .prop_map(|(k, s, m)| c(vec!["ZINCRBY".into(), k, s, m]))
                .boxed(),
        ),
        (1, rem.boxed()),
        (3, zrange()),
        (
            1,
            (zkey(), score_bound(), score_bound())
                .prop_map(|(k, a, b)| c(vec!["ZCOUNT".into(), k, a, b]))
                .boxed(),
        ),
        (
            1,
            (lex_bound(), lex_bound())
                .prop_map(|(a, b)| c(vec!["ZLEXCOUNT".into(), "l1".into(), a, b]))
                .boxed(),
        ),
        (2, lex_zadd()),
        (1, rank.boxed()),
        (
            1,
            (zkey(), member())
                .prop_map(|(k, m)| c(vec!["ZSCORE".into(), k, m]))
                .boxed(),
        ),
        (
            1,
            (zkey(), member(), member())
                .prop_map(|(k, a, b)| c(vec!["ZMSCORE".into(), k, a, b]))
                .boxed(),
        ),
        (
            1,
            (zkey(), index(), index())
                .prop_map(|(k, a, b)| c(vec!["ZREMRANGEBYRANK".into(), k, a, b]))
                .boxed(),
        ),
        (
            1,
            (zkey(), score_bound(), score_bound())
                .prop_map(|(k, a, b)| c(vec!["ZREMRANGEBYSCORE".into(), k, a, b]))
                .boxed(),
        ),
        (
            1,
            (lex_bound(), lex_bound())
                .prop_map(|(a, b)| c(vec!["ZREMRANGEBYLEX".into(), "l1".into(), a, b]))
                .boxed(),
        ),
        (1, pop.boxed()),
        (1, mpop.boxed()),
        (2, zalgebra()),
        (
            1,
            (zkey(), zkey(), index(), index())
                .prop_map(|(d, s, a, b)| c(vec!["ZRANGESTORE".into(), d, s, a, b]))
                .boxed(),
        ),
        (1, zkey().prop_map(|k| c(vec!["ZCARD".into(), k])).boxed()),
        (
            1,
            zkey()
                .prop_map(|k| c(vec!["OBJECT".into(), "ENCODING".into(), k]))
                .boxed(),
        ),
    ])
}

fn set_cmd() -> BoxedStrategy<Cmd> {
    let add = (skey(), prop::collection::vec(member(), 1..4)).prop_map(|(k, ms)| {
        let mut v = vec!["SADD".to_string(), k];
        v.extend(ms);
        v
    });
    let rem = (skey(), prop::collection::vec(member(), 1..3)).prop_map(|(k, ms)| {
        let mut v = vec!["SREM".to_string(), k];
        v.extend(ms);
        v
    });
    let ops = prop::sample::select(vec!["SINTER", "SUNION", "SDIFF"]);
    let stores = prop::sample::select(vec!["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
    weighted(vec![
        (3, add.boxed()),
        (1, rem.boxed()),
        (
            1,
            (skey(), skey(), member())
                .prop_map(|(a, b, m)| c(vec!["SMOVE".into(), a, b, m]))
                .boxed(),
        ),
        (
            1,
            (skey(), member())
                .prop_map(|(k, m)| c(vec!["SISMEMBER".into(), k, m]))
                .boxed(),
        ),
        (
            1,
            (skey(), member(), member())
                .prop_map(|(k, a, b)| c(vec!["SMISMEMBER".into(), k, a, b]))
                .boxed(),
        ),
        (1, skey().prop_map(|k| c(vec!["SCARD".into(), k])).boxed()),
        (
            1,
            skey().prop_map(|k| c(vec!["SMEMBERS".into(), k])).boxed(),
        ),
        (
            1,
            (ops, skey(), skey())
                .prop_map(|(op, a, b)| c(vec![op.to_string(), a, b]))
                .boxed(),
        ),
        (
            1,
            (stores, skey(), skey(), skey())
                .prop_map(|(op, d, a, b)| c(vec![op.to_string(), d, a, b]))
                .boxed(),
        ),
        (
            1,
            (skey(), skey(), 0i64..3)
                .prop_map(|(a, b, l)| {
                    c(vec![
                        "SINTERCARD".into(),
                        "2".into(),
                        a,
                        b,
                        "LIMIT".into(),
                        l.to_string(),
                    ])
                })
                .boxed(),
        ),
        (
            1,
            skey()
                .prop_map(|k| c(vec!["OBJECT".into(), "ENCODING".into(), k]))
                .boxed(),
        ),
    ])
}

fn sequence() -> BoxedStrategy<Vec<Cmd>> {
    let one = Union::new_weighted(vec![(3, zset_cmd()), (2, set_cmd())]);
    prop::collection::vec(one, 1..40).boxed()
}

/// Commands whose array replies are in a hash table's order.
fn unordered(c: &Cmd) -> bool {
    matches!(c[0].as_str(), "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF")
}

fn run_case(d: &mut Diff, seq: &[Cmd]) -> Result<(), TestCaseError> {
    d.reconnect();
    for conn in [&mut d.a, &mut d.b] {
        conn.call(&["FLUSHALL"]);
        conn.call(&["SET", "str", "v"]);
    }
    let mut log = String::new();
    for cmd in seq {
        let (ra, rb) = (d.a.call(cmd), d.b.call(cmd));
        let (sa, sb) = if unordered(cmd) {
            (normalized(&ra), normalized(&rb))
        } else {
            (
                String::from_utf8_lossy(&ra).into_owned(),
                String::from_utf8_lossy(&rb).into_owned(),
            )
        };
        log.push_str(&format!("{} -> {sb:?}\n", cmd.join(" ")));
        if sa != sb {
            return Err(TestCaseError::fail(format!(
                "replies differ at the last command:\n{log}redoubt: {sa:?}\nredis:   {sb:?}"
            )));
        }
    }
    Ok(())
}

#[test]
fn random_set_and_zset_sequences_match_redis() {
    let cases = std::env::var("REDOUBT_RANDOM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(192);
    let limits = [
        "--zset-max-listpack-entries",
        "4",
        "--set-max-intset-entries",
        "4",
    ];
    let d = RefCell::new(Diff::new(&limits));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    match runner.run(&sequence(), |seq| run_case(&mut d.borrow_mut(), &seq)) {
        Ok(()) => {}
        Err(TestError::Fail(why, seq)) => {
            let script: Vec<String> = seq.iter().map(|c| c.join(" ")).collect();
            panic!(
                "minimal failing sequence ({} commands):\n{}\n\n{why}",
                seq.len(),
                script.join("\n")
            );
        }
        Err(e) => panic!("{e}"),
    }
}

//! Generators for the mixed-type random sequences: every command family over one small key
//! space (`k0`..`k5`), so keys change type and commands meet the wrong type; values that
//! look like integers (intsets, integer listpack entries), long ones (past the listpack
//! value limits) and sometimes many at once (past the entry limits); scores with
//! infinities, signed zeros, extremes and garbage.
//!
//! A command is built from parts, each a strategy for some arguments (possibly none).

use proptest::prelude::*;
use proptest::strategy::Union;

pub type Cmd = Vec<String>;

pub const KEYS: usize = 6;

/// Some arguments of a command.
type Part = BoxedStrategy<Vec<String>>;

fn s(x: &str) -> String {
    x.to_string()
}

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(options).prop_map(s).boxed()
}

/// A command from its parts, in order.
fn cmd(parts: Vec<Part>) -> BoxedStrategy<Cmd> {
    parts.prop_map(|ps| ps.concat()).boxed()
}

fn one(st: BoxedStrategy<String>) -> Part {
    st.prop_map(|x| vec![x]).boxed()
}

fn lit(x: &'static str) -> Part {
    Just(vec![s(x)]).boxed()
}

fn word(options: &'static [&'static str]) -> Part {
    one(pick(options))
}

/// The part, with probability `p`, else nothing.
fn maybe(p: f64, part: Part) -> Part {
    prop::option::weighted(p, part)
        .prop_map(Option::unwrap_or_default)
        .boxed()
}

fn weighted(arms: Vec<(u32, BoxedStrategy<Cmd>)>) -> BoxedStrategy<Cmd> {
    Union::new_weighted(arms).boxed()
}

pub fn key() -> BoxedStrategy<String> {
    (0..KEYS).prop_map(|i| format!("k{i}")).boxed()
}

fn k() -> Part {
    one(key())
}

fn keys(max: usize) -> Part {
    prop::collection::vec(key(), 1..=max).boxed()
}

/// `numkeys key…`.
fn numkeys(max: usize) -> Part {
    prop::collection::vec(key(), 1..=max)
        .prop_map(|ks| [vec![ks.len().to_string()], ks].concat())
        .boxed()
}

/// Members, fields and list elements. Small integers `0`..`5` double as key suffixes, so
/// SORT's `k*` patterns land on the other keys.
pub fn member() -> BoxedStrategy<String> {
    prop_oneof![
        4 => pick(&["a", "b", "c", "d", "e"]),
        3 => (-3i64..12).prop_map(|n| n.to_string()),
        1 => pick(&[
            "007", "-0", "1.5", "1e3", "", " 1", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "inf",
        ]),
        1 => (17usize..=79).prop_map(|n| format!("m{}", "x".repeat(n))),
        1 => "[a-z]{1,6}",
    ]
    .boxed()
}

/// One to three members, or now and then a crowd (past the default entry limits with the
/// long ones).
fn members() -> Part {
    prop_oneof![
        8 => prop::collection::vec(member(), 1..4),
        1 => prop::collection::vec(member(), 5..40),
    ]
    .boxed()
}

/// Scores, invalid ones included (`bad` weighs them against 6).
fn score_with(bad: u32) -> BoxedStrategy<String> {
    prop_oneof![
        3 => (-5i64..6).prop_map(|n| n.to_string()),
        3 => pick(&[
            "0", "-0", "1.5", "0.1", "-2.5", "inf", "-inf", "+inf", "100", "1e308", "-1e308",
            "1e-300", "5e-324", "1.7976931348623157e308",
        ]),
        bad => pick(&["x", "nan", "1e400", "", "0x10", " 1", "1.5.5"]),
    ]
    .boxed()
}

fn score() -> Part {
    one(score_with(2))
}

/// `score member…`, mostly valid.
fn score_pairs() -> Part {
    let pairs = |bad, n| prop::collection::vec((score_with(bad), member()), n);
    prop_oneof![8 => pairs(1, 1..4), 1 => pairs(0, 5..30)]
        .prop_map(|ps| ps.into_iter().flat_map(|(sc, m)| [sc, m]).collect())
        .boxed()
}

fn score_bound() -> Part {
    prop_oneof![
        3 => score_with(2),
        1 => pick(&["(1", "(0", "(-inf", "(+inf", "(x", "[1", "(1.5", "(-1"]),
    ]
    .prop_map(|x| vec![x])
    .boxed()
}

fn lex_bound() -> Part {
    word(&[
        "-", "+", "[a", "(a", "[c", "(d", "[1", "(5", "[", "(", "x", "[mx", "[b", "(e",
    ])
}

fn index() -> Part {
    prop_oneof![
        8 => (-8i64..9).prop_map(|n| n.to_string()),
        1 => pick(&["x", "-9223372036854775808", "9223372036854775807", "1.5"]),
    ]
    .prop_map(|x| vec![x])
    .boxed()
}

fn count() -> Part {
    prop_oneof![
        6 => (0i64..6).prop_map(|n| n.to_string()),
        1 => pick(&["-1", "x", "100"]),
    ]
    .prop_map(|x| vec![x])
    .boxed()
}

fn int_arg() -> Part {
    prop_oneof![
        6 => (-20i64..20).prop_map(|n| n.to_string()),
        1 => pick(&["9223372036854775807", "-9223372036854775808", "x", "1.5"]),
    ]
    .prop_map(|x| vec![x])
    .boxed()
}

fn float_arg() -> Part {
    word(&[
        "1.5",
        "-0.25",
        "1e2",
        "x",
        "inf",
        "3",
        "-3",
        "0.1",
        "5e-324",
        "1.7976931348623157e308",
        "-0",
    ])
}

/// Plain string values: integers (the `int` encoding), short and long text.
fn value() -> Part {
    prop_oneof![
        3 => member(),
        1 => (-1000i64..1000).prop_map(|n| n.to_string()),
        1 => "[ -~]{0,12}",
        1 => (40usize..80).prop_map(|n| "v".repeat(n)),
    ]
    .prop_map(|x| vec![x])
    .boxed()
}

fn m() -> Part {
    one(member())
}

/// `[LIMIT offset count]`.
fn limit() -> Part {
    maybe(0.3, cmd(vec![lit("LIMIT"), index(), index()]))
}

fn strings() -> BoxedStrategy<Cmd> {
    let unit = || maybe(0.3, word(&["BYTE", "BIT"]));
    let ex = (100i64..1_000_000).prop_map(|n| vec![s("EX"), n.to_string()]);
    let offset = prop_oneof![
        8 => (0i64..100).prop_map(|n| n.to_string()),
        1 => pick(&["-1", "4294967296", "x"]),
    ];
    weighted(vec![
        (
            3,
            cmd(vec![
                lit("SET"),
                k(),
                value(),
                maybe(0.2, word(&["NX", "XX"])),
                maybe(0.15, lit("GET")),
                maybe(0.2, ex.boxed()),
            ]),
        ),
        (2, cmd(vec![lit("GET"), k()])),
        (1, cmd(vec![lit("APPEND"), k(), value()])),
        (1, cmd(vec![lit("INCRBY"), k(), int_arg()])),
        (1, cmd(vec![lit("INCRBYFLOAT"), k(), float_arg()])),
        (1, cmd(vec![lit("STRLEN"), k()])),
        (1, cmd(vec![lit("GETRANGE"), k(), index(), index()])),
        (
            1,
            cmd(vec![
                lit("SETRANGE"),
                k(),
                word(&["0", "1", "5", "39", "-1"]),
                value(),
            ]),
        ),
        (1, cmd(vec![lit("GETDEL"), k()])),
        (
            1,
            cmd(vec![
                lit("SETBIT"),
                k(),
                one(offset.boxed()),
                word(&["0", "1", "1", "2"]),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("GETBIT"),
                k(),
                one((0i64..100).prop_map(|n| n.to_string()).boxed()),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("BITCOUNT"),
                k(),
                maybe(0.7, cmd(vec![index(), index(), unit()])),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("BITPOS"),
                k(),
                word(&["0", "1", "2"]),
                maybe(
                    0.6,
                    cmd(vec![index(), maybe(0.6, cmd(vec![index(), unit()]))]),
                ),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("BITOP"),
                word(&["AND", "OR", "XOR", "NOT"]),
                k(),
                keys(3),
            ]),
        ),
    ])
}

fn lists() -> BoxedStrategy<Cmd> {
    let end = || word(&["LEFT", "RIGHT"]);
    let pos_opt = |w: &'static str, v: Part| maybe(0.4, cmd(vec![lit(w), v]));
    weighted(vec![
        (4, cmd(vec![word(&["LPUSH", "RPUSH"]), k(), members()])),
        (1, cmd(vec![word(&["LPUSHX", "RPUSHX"]), k(), members()])),
        (
            2,
            cmd(vec![word(&["LPOP", "RPOP"]), k(), maybe(0.5, count())]),
        ),
        (2, cmd(vec![lit("LRANGE"), k(), index(), index()])),
        (1, cmd(vec![lit("LINDEX"), k(), index()])),
        (1, cmd(vec![lit("LSET"), k(), index(), m()])),
        (
            1,
            cmd(vec![
                lit("LINSERT"),
                k(),
                word(&["BEFORE", "AFTER", "MIDDLE"]),
                m(),
                m(),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("LREM"),
                k(),
                word(&["-2", "-1", "0", "1", "3"]),
                m(),
            ]),
        ),
        (1, cmd(vec![lit("LTRIM"), k(), index(), index()])),
        (
            1,
            cmd(vec![
                lit("LPOS"),
                k(),
                m(),
                pos_opt("RANK", word(&["1", "2", "-1", "-2", "0", "x"])),
                pos_opt("COUNT", count()),
                pos_opt("MAXLEN", count()),
            ]),
        ),
        (1, cmd(vec![lit("LMOVE"), k(), k(), end(), end()])),
        (1, cmd(vec![lit("RPOPLPUSH"), k(), k()])),
        (
            1,
            cmd(vec![
                lit("LMPOP"),
                numkeys(3),
                end(),
                maybe(0.5, cmd(vec![lit("COUNT"), count()])),
            ]),
        ),
        (1, cmd(vec![lit("LLEN"), k()])),
    ])
}

fn hashes() -> BoxedStrategy<Cmd> {
    let pairs = |n| prop::collection::vec(cmd(vec![m(), value()]), n);
    let pairs: Part = prop_oneof![8 => pairs(1..4), 1 => pairs(5..30)]
        .prop_map(|ps| ps.concat())
        .boxed();
    weighted(vec![
        (5, cmd(vec![lit("HSET"), k(), pairs])),
        (1, cmd(vec![lit("HSETNX"), k(), m(), value()])),
        (2, cmd(vec![lit("HGET"), k(), m()])),
        (1, cmd(vec![lit("HMGET"), k(), members()])),
        (2, cmd(vec![lit("HDEL"), k(), members()])),
        (1, cmd(vec![lit("HLEN"), k()])),
        (1, cmd(vec![lit("HSTRLEN"), k(), m()])),
        (1, cmd(vec![lit("HEXISTS"), k(), m()])),
        (2, cmd(vec![lit("HINCRBY"), k(), m(), int_arg()])),
        (1, cmd(vec![lit("HINCRBYFLOAT"), k(), m(), float_arg()])),
        (2, cmd(vec![word(&["HKEYS", "HVALS", "HGETALL"]), k()])),
    ])
}

fn sets() -> BoxedStrategy<Cmd> {
    weighted(vec![
        (5, cmd(vec![lit("SADD"), k(), members()])),
        (2, cmd(vec![lit("SREM"), k(), members()])),
        (1, cmd(vec![lit("SMEMBERS"), k()])),
        (1, cmd(vec![lit("SISMEMBER"), k(), m()])),
        (1, cmd(vec![lit("SMISMEMBER"), k(), members()])),
        (1, cmd(vec![lit("SCARD"), k()])),
        (1, cmd(vec![lit("SMOVE"), k(), k(), m()])),
        (2, cmd(vec![word(&["SINTER", "SUNION", "SDIFF"]), keys(3)])),
        (
            2,
            cmd(vec![
                word(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                k(),
                keys(3),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("SINTERCARD"),
                numkeys(3),
                maybe(0.5, cmd(vec![lit("LIMIT"), count()])),
            ]),
        ),
    ])
}

/// ZRANGE in its rank, BYSCORE and BYLEX forms (WITHSCORES with BYLEX, an error, rarely).
fn zrange() -> BoxedStrategy<Cmd> {
    let tail = |form: &'static str| {
        vec![
            lit(form),
            maybe(0.3, lit("REV")),
            limit(),
            maybe(if form == "BYLEX" { 0.05 } else { 0.5 }, lit("WITHSCORES")),
        ]
    };
    let rank = [
        vec![lit("ZRANGE"), k(), index(), index()],
        vec![
            maybe(0.3, lit("REV")),
            maybe(0.05, limit()),
            maybe(0.5, lit("WITHSCORES")),
        ],
    ]
    .concat();
    prop_oneof![
        2 => cmd(rank),
        2 => cmd([vec![lit("ZRANGE"), k(), score_bound(), score_bound()], tail("BYSCORE")].concat()),
        1 => cmd([vec![lit("ZRANGE"), k(), lex_bound(), lex_bound()], tail("BYLEX")].concat()),
    ]
    .boxed()
}

fn zrangestore() -> BoxedStrategy<Cmd> {
    (zrange(), key())
        .prop_map(|(r, d)| {
            let rest = r.into_iter().skip(1).filter(|a| a != "WITHSCORES");
            [vec![s("ZRANGESTORE"), d], rest.collect()].concat()
        })
        .boxed()
}

fn zalgebra() -> BoxedStrategy<Cmd> {
    let weights = prop::collection::vec(
        pick(&["1", "2", "0", "-1", "0.5", "inf", "-inf", "x"]),
        1..4,
    )
    .prop_map(|w| [vec![s("WEIGHTS")], w].concat())
    .boxed();
    let opts = || {
        vec![
            maybe(0.4, weights.clone()),
            maybe(
                0.4,
                cmd(vec![lit("AGGREGATE"), word(&["SUM", "MIN", "MAX", "AVG"])]),
            ),
        ]
    };
    let ws = || maybe(0.5, lit("WITHSCORES"));
    prop_oneof![
        cmd([
            vec![word(&["ZUNION", "ZINTER"]), numkeys(3)],
            opts(),
            vec![ws()]
        ]
        .concat()),
        cmd([
            vec![word(&["ZUNIONSTORE", "ZINTERSTORE"]), k(), numkeys(3)],
            opts()
        ]
        .concat()),
        cmd(vec![lit("ZDIFF"), numkeys(3), ws()]),
        cmd(vec![lit("ZDIFFSTORE"), k(), numkeys(3)]),
    ]
    .boxed()
}

fn zsets() -> BoxedStrategy<Cmd> {
    let flags = prop::sample::subsequence(vec!["NX", "XX", "GT", "LT", "CH", "INCR"], 0..3)
        .prop_map(|f| f.into_iter().map(s).collect())
        .boxed();
    // Score 0 throughout: lex ranges are defined there.
    let flat = prop::collection::vec(member(), 1..6)
        .prop_map(|ms| ms.into_iter().flat_map(|m| [s("0"), m]).collect())
        .boxed();
    let range_by_score = |n: &'static [&'static str]| {
        cmd(vec![
            word(n),
            k(),
            score_bound(),
            score_bound(),
            maybe(0.5, lit("WITHSCORES")),
            limit(),
        ])
    };
    weighted(vec![
        (5, cmd(vec![lit("ZADD"), k(), flags, score_pairs()])),
        (2, cmd(vec![lit("ZADD"), k(), flat])),
        (1, cmd(vec![lit("ZINCRBY"), k(), score(), m()])),
        (2, cmd(vec![lit("ZREM"), k(), members()])),
        (1, cmd(vec![lit("ZCARD"), k()])),
        (
            1,
            cmd(vec![lit("ZCOUNT"), k(), score_bound(), score_bound()]),
        ),
        (
            1,
            cmd(vec![lit("ZLEXCOUNT"), k(), lex_bound(), lex_bound()]),
        ),
        (1, cmd(vec![lit("ZSCORE"), k(), m()])),
        (1, cmd(vec![lit("ZMSCORE"), k(), members()])),
        (1, cmd(vec![word(&["ZRANK", "ZREVRANK"]), k(), m()])),
        (4, zrange()),
        (1, range_by_score(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"])),
        (
            1,
            cmd(vec![
                word(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]),
                k(),
                lex_bound(),
                lex_bound(),
                limit(),
            ]),
        ),
        (1, zrangestore()),
        (1, cmd(vec![lit("ZREMRANGEBYRANK"), k(), index(), index()])),
        (
            1,
            cmd(vec![
                lit("ZREMRANGEBYSCORE"),
                k(),
                score_bound(),
                score_bound(),
            ]),
        ),
        (
            1,
            cmd(vec![lit("ZREMRANGEBYLEX"), k(), lex_bound(), lex_bound()]),
        ),
        (
            1,
            cmd(vec![
                word(&["ZPOPMIN", "ZPOPMAX"]),
                k(),
                maybe(0.5, count()),
            ]),
        ),
        (
            1,
            cmd(vec![
                lit("ZMPOP"),
                numkeys(3),
                word(&["MIN", "MAX"]),
                maybe(0.5, cmd(vec![lit("COUNT"), count()])),
            ]),
        ),
        (3, zalgebra()),
        (
            1,
            cmd(vec![
                lit("ZINTERCARD"),
                numkeys(3),
                maybe(0.5, cmd(vec![lit("LIMIT"), count()])),
            ]),
        ),
    ])
}

fn hll() -> BoxedStrategy<Cmd> {
    weighted(vec![
        (
            3,
            cmd(vec![
                lit("PFADD"),
                k(),
                prop::collection::vec(member(), 0..6).boxed(),
            ]),
        ),
        (2, cmd(vec![lit("PFCOUNT"), keys(3)])),
        (
            1,
            cmd(vec![
                lit("PFMERGE"),
                k(),
                prop::collection::vec(key(), 0..3).boxed(),
            ]),
        ),
    ])
}

fn lonlat() -> Part {
    let lon = prop_oneof![
        12 => pick(&["13.361389", "15.087269", "0", "-180", "180", "179.9999", "-73.9857", "2.35"]),
        1 => pick(&["181", "x"]),
    ];
    let lat = prop_oneof![
        12 => pick(&["38.115556", "37.502669", "0", "85.05112878", "-85.05112878", "40.7484", "48.85"]),
        1 => pick(&["86", "-90"]),
    ];
    (lon, lat).prop_map(|(x, y)| vec![x, y]).boxed()
}

/// GEOSEARCH's arguments after the key; `with` allows the WITH* options.
fn geo_query(with: bool) -> Vec<Part> {
    let unit = || word(&["m", "km", "mi", "ft"]);
    let from = prop_oneof![
        cmd(vec![lit("FROMMEMBER"), m()]),
        cmd(vec![lit("FROMLONLAT"), lonlat()])
    ];
    let by = prop_oneof![
        cmd(vec![
            lit("BYRADIUS"),
            word(&["0", "1", "100", "500", "5000", "20000", "-1"]),
            unit()
        ]),
        cmd(vec![
            lit("BYBOX"),
            word(&["0", "10", "1000", "40000"]),
            word(&["5", "800", "40000"]),
            unit()
        ]),
    ];
    let with_opts = prop::sample::subsequence(vec!["WITHCOORD", "WITHDIST", "WITHHASH"], 0..3)
        .prop_map(|w| w.into_iter().map(s).collect())
        .boxed();
    vec![
        from.boxed(),
        by.boxed(),
        maybe(0.5, word(&["ASC", "DESC"])),
        maybe(
            0.3,
            cmd(vec![
                lit("COUNT"),
                word(&["1", "2", "5", "0"]),
                maybe(0.3, lit("ANY")),
            ]),
        ),
        if with {
            with_opts
        } else {
            maybe(0.5, lit("STOREDIST"))
        },
    ]
}

fn geo() -> BoxedStrategy<Cmd> {
    let flags = prop::sample::subsequence(vec!["NX", "XX", "CH"], 0..2)
        .prop_map(|f| f.into_iter().map(s).collect())
        .boxed();
    let points = prop::collection::vec(cmd(vec![lonlat(), m()]), 1..4)
        .prop_map(|ps| ps.concat())
        .boxed();
    weighted(vec![
        (4, cmd(vec![lit("GEOADD"), k(), flags, points])),
        (
            1,
            cmd(vec![
                lit("GEODIST"),
                k(),
                m(),
                m(),
                maybe(0.6, word(&["m", "km", "mi", "ft", "yd"])),
            ]),
        ),
        (1, cmd(vec![word(&["GEOPOS", "GEOHASH"]), k(), members()])),
        (
            3,
            cmd([vec![lit("GEOSEARCH"), k()], geo_query(true)].concat()),
        ),
        (
            1,
            cmd([vec![lit("GEOSEARCHSTORE"), k(), k()], geo_query(false)].concat()),
        ),
    ])
}

fn sort() -> BoxedStrategy<Cmd> {
    let gets = prop::collection::vec(
        cmd(vec![lit("GET"), word(&["#", "k*", "k*->a", "nokey*"])]),
        0..3,
    )
    .prop_map(|g| g.concat())
    .boxed();
    let opts = || {
        vec![
            maybe(
                0.4,
                cmd(vec![
                    lit("BY"),
                    word(&["nosort", "k*", "k*->a", "w_*", "k*->1"]),
                ]),
            ),
            limit(),
            gets.clone(),
            maybe(0.4, word(&["ASC", "DESC"])),
            maybe(0.5, lit("ALPHA")),
        ]
    };
    prop_oneof![
        3 => cmd([vec![lit("SORT"), k()], opts(), vec![maybe(0.3, cmd(vec![lit("STORE"), k()]))]].concat()),
        1 => cmd([vec![lit("SORT_RO"), k()], opts()].concat()),
    ]
    .boxed()
}

/// Generic key commands. `top` adds the ones run only outside transactions.
fn generic(top: bool) -> BoxedStrategy<Cmd> {
    let ttl = prop_oneof![
        6 => (100_000i64..100_000_000).prop_map(|n| n.to_string()),
        1 => pick(&["0", "-1", "x"]),
    ];
    let types = &["string", "list", "hash", "set", "zset", "none", "stream"];
    let mut arms = vec![
        (
            2,
            cmd(vec![word(&["DEL", "DEL", "UNLINK", "EXISTS"]), keys(3)]),
        ),
        (2, cmd(vec![lit("TYPE"), k()])),
        (3, cmd(vec![lit("OBJECT"), lit("ENCODING"), k()])),
        (2, cmd(vec![word(&["RENAME", "RENAMENX"]), k(), k()])),
        (
            2,
            cmd(vec![lit("COPY"), k(), k(), maybe(0.5, lit("REPLACE"))]),
        ),
        (
            2,
            cmd(vec![
                word(&["EXPIRE", "EXPIRE", "PEXPIRE"]),
                k(),
                one(ttl.boxed()),
                maybe(0.3, word(&["NX", "XX", "GT", "LT"])),
            ]),
        ),
        (1, cmd(vec![lit("PERSIST"), k()])),
        (1, cmd(vec![word(&["TTL", "PTTL", "EXPIRETIME"]), k()])),
        (1, cmd(vec![lit("DBSIZE")])),
        (
            1,
            cmd(vec![
                lit("SCAN"),
                lit("0"),
                maybe(0.3, cmd(vec![lit("MATCH"), word(&["k[0-2]", "*", "k?"])])),
                lit("COUNT"),
                lit("1000"),
                maybe(0.7, cmd(vec![lit("TYPE"), word(types)])),
            ]),
        ),
        (1, cmd(vec![lit("KEYS"), lit("*")])),
        (
            1,
            cmd(vec![
                word(&["SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER"]),
                k(),
                maybe(0.5, word(&["1", "3", "-4", "100", "0"])),
            ]),
        ),
        (1, cmd(vec![lit("RANDOMKEY")])),
        (1, cmd(vec![lit("MOVE"), k(), word(&["1", "0", "x"])])),
        (1, cmd(vec![lit("SWAPDB"), lit("0"), lit("1")])),
    ];
    if top {
        // Each server DUMPs the first key and RESTOREs a payload (its own, or the other
        // server's) under the second.
        arms.push((
            3,
            cmd(vec![
                lit("@DUMPRESTORE"),
                k(),
                k(),
                word(&["own", "cross"]),
                word(&["REPLACE", "REPLACE", "REPLACE", ""]),
                word(&["0", "0", "99999999"]),
            ]),
        ));
        arms.push((
            1,
            cmd(vec![
                lit("RESTORE"),
                k(),
                lit("0"),
                lit("\x00garbage"),
                lit("REPLACE"),
            ]),
        ));
    }
    weighted(arms)
}

/// One command. `top` adds those that need a look at the key first (SORT) or are
/// pseudo-commands (`@DUMPRESTORE`), which run only outside MULTI.
pub fn simple(top: bool) -> BoxedStrategy<Cmd> {
    let mut arms = vec![
        (4, strings()),
        (5, lists()),
        (4, hashes()),
        (4, sets()),
        (7, zsets()),
        (2, hll()),
        (2, geo()),
        (5, generic(top)),
    ];
    if top {
        arms.push((2, sort()));
    }
    weighted(arms)
}

/// A transaction: sometimes WATCHed keys (and a write that may touch them), MULTI, a body,
/// sometimes a queueing error, then EXEC or DISCARD.
fn transaction() -> BoxedStrategy<Vec<Cmd>> {
    (
        prop::option::weighted(0.3, (keys(2), prop::option::of(simple(false)))),
        prop::collection::vec(simple(false), 0..6),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(watch, body, bad, discard)| {
            let mut v = Vec::new();
            if let Some((ks, write)) = watch {
                v.push([vec![s("WATCH")], ks].concat());
                v.extend(write);
            }
            v.push(vec![s("MULTI")]);
            v.extend(body);
            if bad {
                v.push(vec![s("NOSUCHCOMMAND"), s("k0")]);
            }
            v.push(vec![s(if discard { "DISCARD" } else { "EXEC" })]);
            v
        })
        .boxed()
}

/// A case: whether the encoding limits are lowered, whether it speaks RESP3, and the
/// commands.
pub fn case() -> BoxedStrategy<(bool, bool, Vec<Cmd>)> {
    let step = prop_oneof![
        14 => simple(true).prop_map(|c| vec![c]),
        1 => transaction(),
    ];
    (
        prop::bool::ANY,
        prop::bool::ANY,
        prop::collection::vec(step, 1..40)
            .prop_map(|steps| steps.into_iter().flatten().collect::<Vec<_>>()),
    )
        .boxed()
}

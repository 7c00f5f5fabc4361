//! What replicas, the AOF and subscribers see from the sorted set commands: propagated
//! forms (ZMPOP and the blocking pops as ZPOPMIN/ZPOPMAX, no-ops not at all), dirty counts
//! and keyspace events in Redis's order. Replies are compared with redis-server in
//! tests/e2e/zsets.rs.

use crate::testkit::{strs, Harness};

#[test]
fn writes_that_change_nothing_propagate_nothing() {
    let mut h = Harness::new();
    h.run("ZADD z 1 a 2 b");
    assert_eq!(h.propagated_writes(), strs(&["ZADD z 1 a 2 b"]));
    let dirty = h.core.ks.dirty;
    for line in [
        "ZADD z 1 a",
        "ZADD z NX 5 a",
        "ZADD z XX 5 c",
        "ZADD z GT 0 a",
        "ZADD z LT 9 a",
        "ZADD missing XX 1 a",
        "ZINCRBY z 0 a",
        "ZREM z nothere",
        "ZREM missing a",
        "ZREMRANGEBYSCORE z 10 20",
        "ZREMRANGEBYRANK z 5 9",
        "ZREMRANGEBYLEX z [x [y",
        "ZPOPMIN missing",
        "ZMPOP 1 missing MIN",
        "BZPOPMIN missing 0.01",
    ] {
        h.run(line);
        assert!(h.propagated_writes().is_empty(), "{line}");
    }
    assert_eq!(h.core.ks.dirty, dirty);
    h.run("ZADD z INCR 1 a");
    assert_eq!(h.propagated_writes(), strs(&["ZADD z INCR 1 a"]));
}

#[test]
fn pops_propagate_as_zpop() {
    let mut h = Harness::new();
    h.run("ZADD z 1 a 2 b 3 c 4 d 5 e");
    h.propagated_writes();
    h.run("ZPOPMIN z");
    assert_eq!(h.propagated_writes(), strs(&["ZPOPMIN z"]));
    h.run("ZMPOP 2 missing z MAX COUNT 2");
    assert_eq!(h.propagated_writes(), strs(&["ZPOPMAX z 2"]));
    h.run("ZMPOP 1 z MIN");
    assert_eq!(h.propagated_writes(), strs(&["ZPOPMIN z 1"]));
    h.run("BZPOPMAX missing z 0");
    assert_eq!(h.propagated_writes(), strs(&["ZPOPMAX z"]));
    h.run("ZADD z 1 a 2 b");
    h.propagated_writes();
    h.run("BZMPOP 0 1 z MIN COUNT 5");
    assert_eq!(h.propagated_writes(), strs(&["ZPOPMIN z 5"]));
    assert_eq!(h.run("EXISTS z"), strs(&[":0"]));
}

#[test]
fn dirty_counts_elements_like_redis() {
    let mut h = Harness::new();
    let d0 = h.core.ks.dirty;
    h.run("ZADD z 1 a 2 b 3 c");
    assert_eq!(h.core.ks.dirty, d0 + 3);
    h.run("ZADD z CH 1 a 5 b 6 d");
    assert_eq!(h.core.ks.dirty, d0 + 5);
    h.run("ZPOPMIN z 2");
    assert_eq!(h.core.ks.dirty, d0 + 7);
    h.run("ZREM z b d");
    assert_eq!(h.core.ks.dirty, d0 + 9);
}

#[test]
fn events_in_redis_order() {
    let mut h = Harness::new();
    h.events();
    assert_eq!(h.run("ZADD z 1 a 2 b"), strs(&[":2", ">zadd z"]));
    assert_eq!(h.run("ZINCRBY z 1 a"), strs(&[",2", ">zincr z"]));
    assert_eq!(h.run("ZREM z a"), strs(&[">zrem z", ":1"]));
    assert_eq!(h.run("ZPOPMAX z"), strs(&["b ,2", ">zpopmax z", ">del z"]));
    h.run("ZADD z 1 a 2 b 3 c");
    assert_eq!(
        h.run("ZREMRANGEBYSCORE z -inf +inf"),
        strs(&[">zremrangebyscore z", ">del z", ":3"])
    );
    assert_eq!(h.run("ZCARD z"), strs(&[">keymiss z", ":0"]));
    h.run("ZADD src 1 a");
    assert_eq!(
        h.run("ZRANGESTORE dst src 0 -1"),
        strs(&[":1", ">zrangestore dst"])
    );
    assert_eq!(
        h.run("ZUNIONSTORE dst 1 src"),
        strs(&[":1", ">zunionstore dst"])
    );
    assert_eq!(h.run("ZDIFFSTORE dst 2 src src"), strs(&[":0", ">del dst"]));
}

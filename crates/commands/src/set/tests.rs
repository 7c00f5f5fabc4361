//! What replicas, the AOF and subscribers see from the set commands: the propagated form
//! (through a capturing sink) and the keyspace events, in order with the replies. Replies
//! themselves are compared with redis-server in tests/e2e/sets.rs.

use crate::testkit::{strs, Harness};

#[test]
fn writes_that_change_nothing_propagate_nothing() {
    let mut h = Harness::new();
    h.run("SADD s a b");
    assert_eq!(h.propagated_writes(), strs(&["SADD s a b"]));
    let dirty = h.core.ks.dirty;
    for line in [
        "SADD s a",
        "SREM s zz",
        "SREM missing a",
        "SMOVE s t zz",
        "SMOVE missing t a",
    ] {
        h.run(line);
        assert!(h.propagated_writes().is_empty(), "{line}");
    }
    assert_eq!(h.core.ks.dirty, dirty);
    h.run("SET str v");
    h.propagated_writes();
    assert_eq!(
        h.run("SADD str a"),
        strs(&["-WRONGTYPE Operation against a key holding the wrong kind of value"])
    );
    assert!(h.propagated_writes().is_empty());
    assert_eq!(h.core.ks.dirty, dirty + 1);
}

#[test]
fn dirty_counts_members_like_redis() {
    let mut h = Harness::new();
    let d0 = h.core.ks.dirty;
    h.run("SADD s a b c");
    assert_eq!(h.core.ks.dirty, d0 + 3);
    h.run("SREM s a b c");
    assert_eq!(h.core.ks.dirty, d0 + 6);
    h.run("SADD s 1 2 3 4");
    h.run("SPOP s 2");
    assert_eq!(h.core.ks.dirty, d0 + 12);
    h.run("SPOP s 9");
    assert_eq!(h.core.ks.dirty, d0 + 14);
}

#[test]
fn spop_propagates_srem_or_del() {
    let mut h = Harness::new();
    h.run("SADD s x");
    h.propagated_writes();
    h.run("SPOP s");
    assert_eq!(h.propagated_writes(), strs(&["SREM s x"]));
    h.run("SADD s 1 2 3 4 5 6 7 8 9 10");
    h.propagated_writes();
    let popped = h.run("SPOP s 3");
    let p = h.propagated_writes();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0], format!("SREM s {}", popped[0]));
    // Most of the set: the remainder is moved, the rest replied and propagated.
    let popped = h.run("SPOP s 6");
    assert_eq!(h.propagated_writes(), vec![format!("SREM s {}", popped[0])]);
    h.run("SPOP s 5");
    assert_eq!(h.propagated_writes(), strs(&["DEL s"]));
    h.core.srv.config.lazyfree_lazy_server_del = true;
    h.run("SADD s a");
    h.propagated_writes();
    h.run("SPOP s 1");
    assert_eq!(h.propagated_writes(), strs(&["UNLINK s"]));
}

#[test]
fn spop_of_many_propagates_batches_of_1024() {
    let mut h = Harness::new();
    let members: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    h.run(&format!("SADD s {}", members.join(" ")));
    h.propagated_writes();
    h.run("SPOP s 2500");
    let p = h.propagated_writes();
    assert_eq!(p.first().map(String::as_str), Some("MULTI"));
    assert_eq!(p.last().map(String::as_str), Some("EXEC"));
    let srems = &p[1..p.len() - 1];
    let sizes: Vec<usize> = srems.iter().map(|c| c.split(' ').count() - 2).collect();
    assert_eq!(sizes, vec![1024, 1024, 452]);
    assert!(srems.iter().all(|c| c.starts_with("SREM s ")));
    assert_eq!(h.run("SCARD s"), strs(&[":500"]));
    // Inside a transaction, EXEC's own block holds them.
    h.run("MULTI");
    h.run("SPOP s 400");
    h.run("EXEC");
    let p = h.propagated_writes();
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[1].starts_with("SREM s "));
    h.run("SADD s x");
    h.propagated_writes();
    let members: Vec<String> = (0..3000).map(|i| format!("n{i}")).collect();
    h.run(&format!("SADD s {}", members.join(" ")));
    h.propagated_writes();
    h.run("MULTI");
    h.run("SPOP s 2000");
    h.run("EXEC");
    let p = h.propagated_writes();
    assert_eq!(p.len(), 4, "MULTI, two SREMs, EXEC");
}

#[test]
fn events_in_redis_order() {
    let mut h = Harness::new();
    h.events();
    assert_eq!(h.run("SADD s a b"), strs(&[">sadd s", ":2"]));
    assert_eq!(h.run("SMOVE s d a"), strs(&[">srem s", ">sadd d", ":1"]));
    assert_eq!(
        h.run("SMOVE s d b"),
        strs(&[">srem s", ">del s", ">sadd d", ":1"])
    );
    assert_eq!(
        h.run("SPOP d 5").first().map(String::as_str),
        Some(">spop d")
    );
    assert_eq!(h.run("SCARD d"), strs(&[">keymiss d", ":0"]));
    h.run("SADD a 1");
    assert_eq!(
        h.run("SINTERSTORE out a missing"),
        strs(&[">keymiss missing", ":0"])
    );
    assert_eq!(
        h.run("SUNIONSTORE out a"),
        strs(&[":1", ">sunionstore out"])
    );
    assert_eq!(
        h.run("SINTERSTORE out a missing"),
        strs(&[">keymiss missing", ">del out", ":0"])
    );
}

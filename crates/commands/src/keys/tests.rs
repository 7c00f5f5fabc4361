//! What replicas, the AOF and subscribers see from the key commands: the propagated form
//! (through a capturing propagation sink) and the keyspace events, in order with the reply.
//! Wire replies themselves are compared with redis-server in tests/e2e/keys.rs.

use bytes::Bytes;

use crate::testkit::{strs, Harness, NOW};

#[test]
fn expire_family_propagates_absolute_pexpireat() {
    let mut h = Harness::new();
    h.run("SET k v");
    h.propagated();
    assert_eq!(h.run("EXPIRE k 100"), [":1"]);
    let at = (NOW + 100_000).to_string();
    assert_eq!(h.propagated(), strs(&[&format!("PEXPIREAT k {at}")]));
    assert_eq!(h.run("PEXPIRE k 200000 GT"), [":1"]);
    let at = (NOW + 200_000).to_string();
    assert_eq!(h.propagated(), strs(&[&format!("PEXPIREAT k {at} GT")]));
    assert_eq!(h.run("expireat k 1800000000 xx"), [":1"]);
    assert_eq!(h.propagated(), strs(&["PEXPIREAT k 1800000000000 xx"]));
    // PEXPIREAT is already deterministic: it goes as sent.
    assert_eq!(h.run("pexpireat k 1800000000001"), [":1"]);
    assert_eq!(h.propagated(), strs(&["pexpireat k 1800000000001"]));
    // Refused by a condition, or no key: nothing at all.
    assert_eq!(h.run("EXPIRE k 10 NX"), [":0"]);
    assert_eq!(h.run("EXPIRE nokey 10"), [":0"]);
    assert_eq!(h.run("PERSIST nokey"), [":0"]);
    assert!(h.propagated().is_empty());
    assert_eq!(h.run("PERSIST k"), [":1"]);
    assert_eq!(h.propagated(), strs(&["PERSIST k"]));
}

#[test]
fn past_expire_deletes_and_propagates_del() {
    let mut h = Harness::new();
    h.events();
    for cmd in [
        "EXPIRE k -1",
        "PEXPIRE k 0",
        "EXPIREAT k 1",
        "PEXPIREAT k 1 LT",
    ] {
        h.run("SET k v");
        h.propagated();
        let out = h.run(cmd);
        // Redis notifies `del` before the reply here (after it for a future time).
        assert_eq!(out, [">del k", ":1"], "{cmd}");
        assert_eq!(h.propagated(), strs(&["DEL k"]), "{cmd}");
        assert_eq!(h.run("EXISTS k"), [">keymiss k", ":0"]);
    }
    h.run("SET k v");
    assert_eq!(h.run("EXPIRE k 10"), [":1", ">expire k"]);
}

#[test]
fn replica_keeps_a_past_expire() {
    let mut h = Harness::new();
    h.run("SET k v");
    crate::repl::become_replica(&mut h.core.srv, "127.0.0.1".into(), 1, NOW);
    h.client.kind = crate::client::Kind::Primary;
    h.propagated();
    assert_eq!(h.run("PEXPIREAT k 1"), [":1"]);
    assert_eq!(h.core.ks.expire_of(0, b"k"), Some(1));
}

#[test]
fn restore_propagates_absttl_or_del() {
    let mut h = Harness::new();
    h.events();
    let payload = Bytes::from(persist::dump(
        &keyspace::Value::string(b"hello"),
        persist::SaveOptions::default(),
    ));
    let cmd = |parts: &[&str]| -> Vec<Bytes> {
        let mut v: Vec<Bytes> = parts.iter().map(|s| Bytes::from(s.to_string())).collect();
        v.insert(3, payload.clone());
        v
    };
    assert_eq!(
        h.run_args(&cmd(&["RESTORE", "k", "5000"])),
        [">restore k", "OK"]
    );
    let p = h.propagated();
    assert_eq!(p.len(), 2);
    assert!(
        p[1].starts_with("RESTORE k 1700000005000 ") && p[1].ends_with(" ABSTTL"),
        "{p:?}"
    );
    assert_eq!(h.run("PTTL k"), [":5000"]);

    // No TTL: as sent.
    h.run_args(&cmd(&["RESTORE", "j", "0", "REPLACE"]));
    let p = h.propagated();
    assert!(
        p[0].starts_with("RESTORE j 0 ") && p[0].ends_with(" REPLACE"),
        "{p:?}"
    );

    // A past absolute TTL over an existing key with REPLACE deletes it: DEL.
    let out = h.run_args(&cmd(&["RESTORE", "k", "1", "ABSTTL", "REPLACE"]));
    assert_eq!(out, [">del k", "OK"]);
    assert_eq!(h.propagated(), strs(&["DEL k"]));
    // …and over nothing, changes nothing.
    let out = h.run_args(&cmd(&["RESTORE", "k", "1", "ABSTTL"]));
    assert_eq!(out, ["OK"]);
    assert!(h.propagated().is_empty());
}

#[test]
fn relocation_events_and_propagation() {
    let mut h = Harness::new();
    h.events();
    h.run("SET a 1");
    h.propagated();
    assert_eq!(h.run("RENAME a a"), ["OK"]);
    assert_eq!(h.run("RENAMENX a a"), [":0"]);
    assert!(h.propagated().is_empty());
    assert_eq!(
        h.run("RENAME a b"),
        [">rename_from a", ">rename_to b", "OK"]
    );
    assert_eq!(h.propagated(), strs(&["RENAME a b"]));
    assert_eq!(h.run("COPY b c"), [">copy_to c", ":1"]);
    assert_eq!(h.run("MOVE c 1"), [">move_from c", ">move_to c", ":1"]);
    assert_eq!(h.propagated(), strs(&["COPY b c", "MOVE c 1"]));
    assert_eq!(h.run("COPY b c DB 1"), [":0"]);
    assert_eq!(h.run("COPY nokey c"), [">keymiss nokey", ":0"]);
    assert!(h.propagated().is_empty());
    assert_eq!(h.run("UNLINK b nokey"), [">del b", ":1"]);
    assert_eq!(h.propagated(), strs(&["UNLINK b nokey"]));
    // OBJECT does not fire keymiss; TYPE and TTL do.
    assert_eq!(h.run("OBJECT ENCODING nokey"), ["(nil)"]);
    assert_eq!(h.run("TYPE nokey"), [">keymiss nokey", "none"]);
    assert_eq!(h.run("TTL nokey"), [">keymiss nokey", ":-2"]);
}

#[test]
fn one_dirty_per_command() {
    let mut h = Harness::new();
    h.run("SET a 1");
    let d = h.core.ks.dirty;
    h.run("RENAME a b");
    h.run("MOVE b 1");
    h.run("SELECT 1");
    h.run("COPY b c");
    assert_eq!(h.core.ks.dirty, d + 3);
}

//! MULTI/EXEC/DISCARD/WATCH semantics against redis-server: queueing, EXECABORT after a
//! queueing error, runtime errors inside EXEC, and WATCH broken by another client's write, by
//! expiry, by FLUSHALL/FLUSHDB and by SWAPDB.

use std::time::Duration;

use crate::kit::{check_pair, Diff};

#[test]
fn multi_exec_discard_basics() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        EXEC
        DISCARD
        MULTI
        SET k v
        GET k
        PING
        EXEC
        GET k
        MULTI
        MULTI
        WATCH k
        SET k other
        DISCARD
        GET k
        MULTI
        EXEC
        MULTI
        SET k v extra-arg
        GET k
        EXEC
        MULTI extra
        "#,
    );
    // A whole transaction in one write.
    let mut batch = Vec::new();
    for cmd in [&["MULTI"][..], &["SET", "p", "1"], &["GET", "p"], &["EXEC"]] {
        batch.extend_from_slice(&resp::Frame::command(cmd));
    }
    d.a.send(&batch);
    d.b.send(&batch);
    assert_eq!(d.a.replies(4), d.b.replies(4));
}

#[test]
fn queueing_error_aborts_exec() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        MULTI
        SET k v
        NOSUCHCOMMAND
        SET k2 v2
        EXEC
        EXISTS k k2
        MULTI
        SET k v
        GET
        EXEC
        EXISTS k
        MULTI
        SET k v
        DISCARD
        EXISTS k
        "#,
    );
}

#[test]
fn watch_broken_by_another_clients_write() {
    let mut d = Diff::new(&[]);
    let (mut a2, mut b2) = d.second();
    d.run("SET k 1\nWATCH k\nGET k");
    check_pair(&mut a2, &mut b2, &["SET", "k", "2"]);
    d.run("MULTI\nSET k 3\nEXEC\nGET k");
    // Reads by others and writes to other keys or databases do not break it.
    d.check(&["WATCH", "k", "missing"]);
    check_pair(&mut a2, &mut b2, &["GET", "k"]);
    check_pair(&mut a2, &mut b2, &["SET", "unrelated", "x"]);
    check_pair(&mut a2, &mut b2, &["SELECT", "1"]);
    check_pair(&mut a2, &mut b2, &["SET", "k", "db1"]);
    check_pair(&mut a2, &mut b2, &["SELECT", "0"]);
    d.run("MULTI\nSET k 4\nEXEC\nGET k");
    // A watched key that did not exist and is created breaks it; so does DEL.
    d.check(&["WATCH", "missing"]);
    check_pair(&mut a2, &mut b2, &["SET", "missing", "now"]);
    d.run("MULTI\nPING\nEXEC");
    d.check(&["WATCH", "k"]);
    check_pair(&mut a2, &mut b2, &["DEL", "k"]);
    d.run("MULTI\nPING\nEXEC");
    // UNWATCH forgets; EXEC and DISCARD forget too.
    d.run("SET k 1\nWATCH k\nUNWATCH");
    check_pair(&mut a2, &mut b2, &["SET", "k", "2"]);
    d.run("MULTI\nGET k\nEXEC");
    d.run("WATCH k\nMULTI\nDISCARD");
    check_pair(&mut a2, &mut b2, &["SET", "k", "3"]);
    d.run("MULTI\nGET k\nEXEC");
    // The watcher's own write breaks its own transaction too.
    d.run("WATCH k\nSET k mine\nMULTI\nGET k\nEXEC");
}

#[test]
fn watch_broken_by_expiry() {
    let mut d = Diff::new(&[]);
    d.run("SET k v\nPEXPIRE k 100\nWATCH k");
    std::thread::sleep(Duration::from_millis(250));
    d.run("MULTI\nGET k\nEXEC\nEXISTS k");
    // A TTL that has not run out leaves the transaction alone.
    d.run("SET k v\nEXPIRE k 1000\nWATCH k\nMULTI\nGET k\nEXEC");
}

#[test]
fn watch_broken_by_flushall_and_flushdb() {
    let mut d = Diff::new(&[]);
    let (mut a2, mut b2) = d.second();
    d.run("SET k v\nWATCH k");
    check_pair(&mut a2, &mut b2, &["FLUSHALL"]);
    d.run("MULTI\nPING\nEXEC");
    d.run("SET k v\nWATCH k");
    check_pair(&mut a2, &mut b2, &["FLUSHDB"]);
    d.run("MULTI\nPING\nEXEC");
    // Flushing another database, or a watched key that did not exist.
    d.run("SET k v\nWATCH k");
    check_pair(&mut a2, &mut b2, &["SELECT", "3"]);
    check_pair(&mut a2, &mut b2, &["FLUSHDB"]);
    d.run("MULTI\nPING\nEXEC");
    d.run("WATCH nokey");
    check_pair(&mut a2, &mut b2, &["FLUSHALL"]);
    d.run("MULTI\nPING\nEXEC");
}

#[test]
fn watch_broken_by_swapdb() {
    let mut d = Diff::new(&[]);
    let (mut a2, mut b2) = d.second();
    d.run("SET k zero\nSELECT 1\nSET k one\nSELECT 0\nWATCH k");
    check_pair(&mut a2, &mut b2, &["SWAPDB", "0", "1"]);
    d.run("MULTI\nGET k\nEXEC\nGET k");
    // A missing watched key that the swap makes appear.
    d.run("WATCH only1\nSELECT 1\nSET only1 x\nSELECT 0");
    d.run("UNWATCH\nWATCH only1");
    check_pair(&mut a2, &mut b2, &["SWAPDB", "0", "1"]);
    d.run("MULTI\nGET only1\nEXEC");
    // Swapping two other databases leaves it alone.
    d.run("WATCH k");
    check_pair(&mut a2, &mut b2, &["SWAPDB", "2", "3"]);
    d.run("MULTI\nGET k\nEXEC");
}

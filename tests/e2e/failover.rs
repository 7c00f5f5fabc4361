//! FAILOVER: argument and state errors compared with redis-server 7.0; coordinated
//! hand-overs between every pairing of Redoubt and redis-server (Redoubt primary to a
//! Redoubt replica, to a redis-server replica, redis-server primary to a Redoubt replica);
//! writes paused meanwhile and answered READONLY after; TIMEOUT, FORCE and ABORT.

use std::time::{Duration, Instant};

use crate::kit::{Diff, Raw, Server};
use crate::replication::{assert_converged, link_up, repl_info, stat, text, wait_until};
use crate::wait::{group, Group};

fn state(port: u16) -> String {
    repl_info(port, "master_failover_state")
}

fn role(port: u16) -> String {
    repl_info(port, "role")
}

#[test]
fn failover_errors_without_replicas_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        "
        FAILOVER
        FAILOVER ABORT
        FAILOVER ABORT now
        FAILOVER TO 127.0.0.1 1
        FAILOVER FORCE
        FAILOVER TIMEOUT 0
        FAILOVER TIMEOUT -5
        FAILOVER TIMEOUT x
        FAILOVER TIMEOUT 5 TIMEOUT 6
        FAILOVER TO a x
        FAILOVER TO a 1 TO b 2
        FAILOVER TO a
        FAILOVER foo
        FAILOVER FORCE FORCE
        FAILOVER TO 127.0.0.1 1 FORCE
        COMMAND INFO failover
        ",
    );
    assert_eq!(state(d.ours.port), "no-failover");
}

#[test]
fn failover_on_a_replica_is_refused() {
    let nowhere = crate::kit::free_port().to_string();
    let mut d = Diff::new(&["--replicaof", "127.0.0.1", &nowhere]);
    d.run(
        "
        FAILOVER
        FAILOVER TO 127.0.0.1 1
        FAILOVER ABORT
        ",
    );
}

fn stop(s: &Server) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(s.pid() as i32, libc::SIGSTOP) };
}

fn resume(s: &Server) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(s.pid() as i32, libc::SIGCONT) };
}

/// The replies to FAILOVER's checks that need replicas, one group at a time.
fn error_scenario(g: &Group) -> Vec<String> {
    let p = g.primary.port;
    let t = g.replicas[0].port.to_string();
    let mut c = Raw::connect(p);
    let mut out = Vec::new();
    let mut say = |r: Vec<u8>| out.push(text(&r));
    say(c.call(&["FAILOVER", "TO", "127.0.0.1", "1"]));
    say(c.call(&["FAILOVER", "TO", "127.0.0.2", &t]));
    say(c.call(&["FAILOVER", "TO", "127.0.0.1", &t, "FORCE"]));
    say(c.call(&["FAILOVER", "TIMEOUT", "100", "FORCE"]));
    // A stopped target cannot catch up: the failover waits, writes are paused.
    stop(&g.replicas[0]);
    c.call(&["SET", "k", "v"]);
    say(c.call(&["FAILOVER", "TO", "127.0.0.1", &t, "TIMEOUT", "60000"]));
    say(c.call(&["FAILOVER"]));
    say(c.call(&["FAILOVER", "TO", "127.0.0.1", &t]));
    say(c.call(&["REPLICAOF", "127.0.0.1", "1"]));
    say(c.call(&["GET", "k"]).into_iter().collect());
    let mut w = Raw::connect(p);
    w.cmd(&["SET", "k", "paused"]);
    assert!(
        w.read_for(Duration::from_millis(300)).is_empty(),
        "write ran"
    );
    let info = text(&c.call(&["INFO", "replication"]));
    assert!(
        info.contains("master_failover_state:waiting-for-sync"),
        "{info}"
    );
    say(c.call(&["FAILOVER", "ABORT"]));
    say(w.reply());
    say(c.call(&["FAILOVER", "ABORT"]));
    resume(&g.replicas[0]);
    out
}

#[test]
fn failover_errors_with_replicas_match_redis() {
    let ours = error_scenario(&group(false, false, 1, &[]));
    let theirs = error_scenario(&group(true, true, 1, &[]));
    assert_eq!(ours, theirs);
}

/// FAILOVER TO the first replica: the roles swap, the old primary follows the new one with a
/// partial resync, the other replica keeps replicating (through the old primary), and every
/// write before and after is everywhere.
fn hand_over(g: &Group, to_any: bool) {
    let p = g.primary.port;
    let t = g.replicas[0].port;
    crate::replication::fill(p, 200, "before");
    let mut c = Raw::connect(p);
    c.call(&["SET", "k", "v"]);
    let mut args = vec!["FAILOVER".to_string()];
    if !to_any {
        args.extend(["TO".into(), "127.0.0.1".into(), t.to_string()]);
    }
    assert_eq!(text(&c.call(&args)), "+OK\r\n");
    let new = if to_any {
        let mut found = 0;
        wait_until("some replica to become the primary", || {
            found = g
                .replicas
                .iter()
                .map(|r| r.port)
                .find(|&r| role(r) == "master")
                .unwrap_or(0);
            found != 0
        });
        found
    } else {
        wait_until("the target to become the primary", || role(t) == "master");
        t
    };
    wait_until("the old primary to follow it", || {
        role(p) == "slave" && link_up(p) && state(p) == "no-failover"
    });
    assert_eq!(repl_info(p, "master_port"), new.to_string());
    assert!(
        stat(new, "sync_partial_ok") >= 1,
        "old primary did a full sync"
    );
    // Writes are refused on the old primary now, accepted on the new one.
    assert_eq!(
        text(&c.call(&["SET", "k", "w"])),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    crate::replication::fill(new, 50, "after");
    assert_converged(new, p);
    for r in &g.replicas {
        if r.port != new {
            assert_converged(new, r.port);
        }
    }
}

#[test]
fn failover_redoubt_primary_to_redoubt_replica() {
    hand_over(&group(false, false, 2, &[]), false);
}

#[test]
fn failover_redoubt_primary_to_any_replica() {
    hand_over(&group(false, false, 2, &[]), true);
}

#[test]
fn failover_redoubt_primary_to_redis_replica() {
    hand_over(&group(false, true, 2, &[]), false);
}

#[test]
fn failover_redis_primary_to_redoubt_replica() {
    hand_over(&group(true, false, 2, &[]), false);
}

#[test]
fn paused_write_gets_readonly_after_the_hand_over() {
    let g = group(false, false, 1, &[]);
    let (p, t) = (g.primary.port, g.replicas[0].port);
    stop(&g.replicas[0]);
    let mut c = Raw::connect(p);
    let ts = t.to_string();
    assert_eq!(
        text(&c.call(&["FAILOVER", "TO", "127.0.0.1", &ts])),
        "+OK\r\n"
    );
    let mut w = Raw::connect(p);
    w.cmd(&["SET", "k", "during"]);
    // Reads go on while writes wait.
    assert_eq!(text(&Raw::connect(p).call(&["GET", "k"])), "$-1\r\n");
    assert!(w.read_for(Duration::from_millis(300)).is_empty());
    resume(&g.replicas[0]);
    assert_eq!(
        text(&w.reply()),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    wait_until("roles swapped", || {
        role(t) == "master" && role(p) == "slave"
    });
}

#[test]
fn failover_timeout_aborts_and_force_hands_over_anyway() {
    let g = group(false, false, 1, &[]);
    let (p, t) = (g.primary.port, g.replicas[0].port);
    let ts = t.to_string();
    let mut c = Raw::connect(p);
    stop(&g.replicas[0]);
    c.call(&["SET", "k", "v"]);
    // Without FORCE: aborted when the time is up; writes resume on the same primary.
    let started = Instant::now();
    assert_eq!(
        text(&c.call(&["FAILOVER", "TO", "127.0.0.1", &ts, "TIMEOUT", "400"])),
        "+OK\r\n"
    );
    let mut w = Raw::connect(p);
    assert_eq!(text(&w.call(&["SET", "k", "after-abort"])), "+OK\r\n");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(state(p), "no-failover");
    assert_eq!(role(p), "master");
    // With FORCE: handed over when the time is up, caught up or not.
    assert_eq!(
        text(&c.call(&[
            "FAILOVER",
            "TO",
            "127.0.0.1",
            &ts,
            "TIMEOUT",
            "300",
            "FORCE"
        ])),
        "+OK\r\n"
    );
    wait_until("the failover to start", || {
        state(p) == "failover-in-progress"
    });
    assert_eq!(role(p), "slave");
    resume(&g.replicas[0]);
    wait_until("the forced hand-over to finish", || {
        role(t) == "master" && state(p) == "no-failover" && link_up(p)
    });
    assert_converged(t, p);
}

/// A fake replica: attached to `primary` as listening on `port`, where a fake server answers
/// the handshake and then refuses PSYNC. Returns the PSYNC line it received.
fn fake_refusing_target(primary: u16) -> (Raw, std::thread::JoinHandle<String>, u16) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        loop {
            // Each request is a multibulk: read its header, then its arguments.
            let mut head = String::new();
            r.read_line(&mut head).unwrap();
            let n: usize = head.trim().trim_start_matches('*').parse().unwrap();
            let mut args = Vec::new();
            for _ in 0..n {
                let mut len = String::new();
                r.read_line(&mut len).unwrap();
                let mut arg = String::new();
                r.read_line(&mut arg).unwrap();
                args.push(arg.trim_end().to_string());
            }
            if args[0].eq_ignore_ascii_case("psync") {
                w.write_all(b"-ERR not today\r\n").unwrap();
                return args.join(" ");
            }
            let reply: &[u8] = if args[0].eq_ignore_ascii_case("ping") {
                b"+PONG\r\n"
            } else {
                b"+OK\r\n"
            };
            w.write_all(reply).unwrap();
        }
    });
    let mut link = Raw::connect(primary);
    link.call(&["REPLCONF", "listening-port", &port.to_string()]);
    link.cmd(&["PSYNC", "?", "-1"]);
    wait_until("the fake replica online", || {
        text(&Raw::connect(primary).call(&["INFO", "replication"])).contains("state=online")
    });
    (link, server, port)
}

#[test]
fn failover_refused_by_the_target_aborts_with_a_new_history() {
    let p = Server::start(&[]);
    let (mut link, server, port) = fake_refusing_target(p.port);
    let old_id = repl_info(p.port, "master_replid");
    let mut c = p.raw();
    let ps = port.to_string();
    assert_eq!(
        text(&c.call(&["FAILOVER", "TO", "127.0.0.1", &ps])),
        "+OK\r\n"
    );
    // The fake confirms our whole offset (the failover's GETACK included).
    let off = repl_info(p.port, "master_repl_offset");
    link.cmd(&["REPLCONF", "ACK", &off]);
    let psync = server.join().unwrap();
    let next: i64 = off.parse::<i64>().unwrap() + 1;
    assert_eq!(psync, format!("PSYNC {old_id} {next} FAILOVER"));
    wait_until("the failover to be aborted", || {
        state(p.port) == "no-failover"
    });
    assert_eq!(role(p.port), "master");
    // A primary again, on a new history whose predecessor is the old one.
    assert_ne!(repl_info(p.port, "master_replid"), old_id);
    assert_eq!(repl_info(p.port, "master_replid2"), old_id);
    assert_eq!(text(&c.call(&["SET", "k", "v"])), "+OK\r\n");
}

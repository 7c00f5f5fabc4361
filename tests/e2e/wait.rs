//! WAIT against redis-server 7.0: argument errors and immediate answers compared byte for
//! byte; then with real replicas on both servers: counts, timeouts, inside MULTI, CLIENT
//! UNBLOCK, INFO blocked_clients; a stopped replica; and GETACK answered promptly across
//! the two implementations in both directions.

use std::time::{Duration, Instant};

use crate::kit::{blocked_clients, Diff, Raw, Server};
use crate::replication::{link_up, repl_info, text, wait_until};

#[test]
fn wait_errors_and_immediate_answers_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        "
        WAIT 0 0
        WAIT -1 0
        WAIT a 0
        WAIT 1 -1
        WAIT 1 a
        WAIT 1 1.5
        WAIT 1 99999999999999999999
        WAIT 0 9223372036854775807
        WAIT
        WAIT 1
        WAIT 1 2 3
        SET k v
        WAIT 0 0
        MULTI
        WAIT 1 0
        EXEC
        COMMAND INFO wait
        ",
    );
    // No replica: a WAIT for one answers 0 when its timeout runs out.
    let t = Instant::now();
    d.check(&["WAIT", "1", "150"]);
    // Timeouts count in whole milliseconds of the wall clock: each may end up to 1 ms early.
    assert!(t.elapsed() >= Duration::from_millis(2 * 149));
}

#[test]
fn wait_on_a_replica_is_refused() {
    let nowhere = crate::kit::free_port().to_string();
    let mut d = Diff::new(&["--replicaof", "127.0.0.1", &nowhere]);
    d.run(
        "
        WAIT 0 0
        WAIT x 0
        WAIT 1 -1
        ",
    );
}

/// A primary and `n` replicas, all linked.
pub(crate) struct Group {
    pub primary: Server,
    pub replicas: Vec<Server>,
}

pub(crate) fn group(redis_primary: bool, redis_replicas: bool, n: usize, extra: &[&str]) -> Group {
    let mut args = vec!["--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(extra);
    let primary = if redis_primary {
        Server::start_redis(&args)
    } else {
        Server::start(&args)
    };
    let p = primary.port.to_string();
    let mut rargs = vec!["--replicaof", "127.0.0.1", &p];
    rargs.extend_from_slice(extra);
    let replicas: Vec<Server> = (0..n)
        .map(|_| {
            if redis_replicas {
                Server::start_redis(&rargs)
            } else {
                Server::start(&rargs)
            }
        })
        .collect();
    for r in &replicas {
        wait_until("replica link up", || link_up(r.port));
    }
    wait_until("every replica online at the primary", || {
        let info = text(&Raw::connect(primary.port).call(&["INFO", "replication"]));
        info.matches("state=online").count() == n
    });
    Group { primary, replicas }
}

/// Waits until every replica acknowledged the primary's whole offset.
fn all_acked(port: u16) {
    wait_until("every replica to acknowledge everything", || {
        let off = repl_info(port, "master_repl_offset");
        let info = text(&Raw::connect(port).call(&["INFO", "replication"]));
        let slaves: Vec<&str> = info.lines().filter(|l| l.starts_with("slave")).collect();
        !slaves.is_empty() && slaves.iter().all(|l| l.contains(&format!("offset={off},")))
    });
}

/// The same WAIT scenario on a group; returns every reply, in order.
fn wait_scenario(g: &Group) -> Vec<String> {
    let mut c = g.primary.raw();
    let mut out = Vec::new();
    let mut say = |r: Vec<u8>| out.push(text(&r));
    say(c.call(&["SET", "k", "v"]));
    say(c.call(&["WAIT", "2", "0"]));
    say(c.call(&["WAIT", "0", "0"]));
    let t = Instant::now();
    say(c.call(&["WAIT", "3", "300"]));
    // Up to 1 ms early: timeouts count in whole milliseconds of the wall clock.
    assert!(t.elapsed() >= Duration::from_millis(299));
    // Inside a transaction WAIT answers at once, for the offset at MULTI. (Each blocked WAIT
    // sent a GETACK, which replicas acknowledge with the offset before it: let their
    // periodic ACK cover it, or the count would depend on when that arrives.)
    all_acked(g.primary.port);
    say(c.call(&["MULTI"]));
    say(c.call(&["SET", "a", "1"]));
    say(c.call(&["WAIT", "2", "0"]));
    say(c.call(&["EXEC"]));
    say(c.call(&["WAIT", "2", "0"]));
    // Blocked for ever, then released by CLIENT UNBLOCK: with its count, then with an error.
    let id = text(&c.call(&["CLIENT", "ID"]));
    let id = id.trim_start_matches(':').trim();
    let mut admin = g.primary.raw();
    for how in [None, Some("ERROR")] {
        c.cmd(&["WAIT", "3", "0"]);
        wait_until("WAIT to block", || blocked_clients(g.primary.port) == 1);
        // The answers to its GETACK arrive.
        std::thread::sleep(Duration::from_millis(200));
        let mut args = vec!["CLIENT", "UNBLOCK", id];
        args.extend(how);
        say(admin.call(&args));
        say(c.reply());
        assert_eq!(blocked_clients(g.primary.port), 0);
    }
    // A WAIT that blocked is served by the replicas' acknowledgements.
    say(c.call(&["INCR", "n"]));
    say(c.call(&["WAIT", "2", "5000"]));
    out
}

#[test]
fn wait_with_replicas_answers_like_redis() {
    let ours = wait_scenario(&group(false, false, 2, &[]));
    let theirs = wait_scenario(&group(true, true, 2, &[]));
    assert_eq!(ours, theirs);
}

#[test]
fn wait_times_out_with_a_stopped_replica() {
    let g = group(false, false, 2, &[]);
    let mut c = g.primary.raw();
    c.call(&["SET", "k", "v"]);
    assert_eq!(text(&c.call(&["WAIT", "2", "5000"])), ":2\r\n");
    let stopped = g.replicas[1].pid() as i32;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(stopped, libc::SIGSTOP) };
    c.call(&["SET", "k", "w"]);
    let t = Instant::now();
    let r = text(&c.call(&["WAIT", "2", "500"]));
    let took = t.elapsed();
    // SAFETY: as above.
    unsafe { libc::kill(stopped, libc::SIGCONT) };
    assert_eq!(r, ":1\r\n");
    // Up to 1 ms early: timeouts count in whole milliseconds of the wall clock.
    assert!(took >= Duration::from_millis(499), "{took:?}");
    assert_eq!(text(&c.call(&["WAIT", "2", "5000"])), ":2\r\n");
}

/// Many write-then-WAIT rounds finish far faster than the replicas' 1-second periodic ACK
/// allows: the primary's GETACK is answered at once.
fn assert_prompt_acks(g: &Group) {
    let mut c = g.primary.raw();
    let t = Instant::now();
    for i in 0..30 {
        c.call(&["SET", "k", &i.to_string()]);
        assert_eq!(text(&c.call(&["WAIT", "1", "5000"])), ":1\r\n");
    }
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "30 WAITs took {:?}",
        t.elapsed()
    );
}

#[test]
fn getack_is_answered_promptly_across_implementations() {
    // Redoubt primary, redis-server replica; redis-server primary, Redoubt replica.
    assert_prompt_acks(&group(false, true, 1, &[]));
    assert_prompt_acks(&group(true, false, 1, &[]));
    assert_prompt_acks(&group(false, false, 1, &[]));
}

#[test]
fn wait_is_counted_as_blocked_and_released_when_becoming_replica() {
    let g = group(false, false, 1, &[]);
    let mut c = g.primary.raw();
    c.call(&["SET", "k", "v"]);
    c.cmd(&["WAIT", "5", "0"]);
    wait_until("WAIT to block", || blocked_clients(g.primary.port) == 1);
    let list = text(&Raw::connect(g.primary.port).call(&["CLIENT", "LIST"]));
    assert!(list.contains("flags=b "), "{list}");
    // Turning into a replica releases it with Redis's UNBLOCKED error.
    let other = crate::kit::free_port().to_string();
    Raw::connect(g.primary.port).call(&["REPLICAOF", "127.0.0.1", &other]);
    assert_eq!(
        text(&c.reply()),
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
    );
    assert_eq!(repl_info(g.primary.port, "role"), "slave");
}

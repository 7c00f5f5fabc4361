//! Replication over real sockets: Redoubt primaries and replicas, and interop with
//! redis-server 7.0 in both directions: full sync, the live stream, partial resync after a
//! dropped link and after a promotion, chained replicas.

use std::time::{Duration, Instant};

use crate::kit::{Raw, Server};

/// Polls `f` until it returns true or 15 s pass.
pub(crate) fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

pub(crate) fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

/// Every key of dbs 0–3 with its value and whether it has a TTL, sorted.
pub(crate) fn dataset(port: u16) -> Vec<(usize, Vec<u8>, Vec<u8>, bool)> {
    let mut c = Raw::connect(port);
    let mut out = Vec::new();
    for db in 0..4usize {
        c.call(&["SELECT", &db.to_string()]);
        let keys = match resp::Frame::decode(&c.call(&["KEYS", "*"]))
            .unwrap()
            .unwrap()
            .0
        {
            resp::Frame::Array(v) => v,
            other => panic!("KEYS gave {other:?}"),
        };
        for k in keys {
            let k = k.as_bytes().unwrap().to_vec();
            let v = c.call(&[&b"GET"[..], &k]);
            let ttl = text(&c.call(&[&b"PTTL"[..], &k]));
            out.push((db, k, v, ttl != ":-1\r\n"));
        }
    }
    out.sort();
    out
}

pub(crate) fn fill(port: u16, n: usize, tag: &str) {
    let mut c = Raw::connect(port);
    for i in 0..n {
        c.call(&[
            "SET",
            &format!("{tag}:{i}"),
            &format!("value-{i}-{}", "x".repeat(i % 50)),
        ]);
    }
    c.call(&["SET", &format!("{tag}:int"), "12345"]);
    c.call(&["SET", &format!("{tag}:ttl"), "v", "EX", "1000"]);
    c.call(&["SELECT", "2"]);
    c.call(&["SET", &format!("{tag}:db2"), "in-db-2"]);
    c.call(&["INCRBY", &format!("{tag}:counter"), "7"]);
}

pub(crate) fn replicaof(port: u16, primary: u16) {
    let r = Raw::connect(port).call(&["REPLICAOF", "127.0.0.1", &primary.to_string()]);
    assert!(
        text(&r).starts_with("+OK"),
        "REPLICAOF answered {}",
        text(&r)
    );
}

pub(crate) fn link_up(port: u16) -> bool {
    let role = text(&Raw::connect(port).call(&["ROLE"]));
    role.contains("connected")
}

pub(crate) fn assert_converged(primary: u16, replica: u16) {
    let want = dataset(primary);
    wait_until("the replica to hold the primary's dataset", || {
        dataset(replica) == want
    });
}

#[test]
fn redoubt_replica_of_redoubt_full_sync_then_stream() {
    let p = Server::start(&[]);
    fill(p.port, 200, "before");
    let r = Server::start(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    wait_until("link up", || link_up(r.port));
    assert_converged(p.port, r.port);
    fill(p.port, 100, "after");
    let mut c = Raw::connect(p.port);
    c.call(&["DEL", "before:1"]);
    c.call(&["MULTI"]);
    c.call(&["SET", "in-tx", "1"]);
    c.call(&["INCR", "in-tx"]);
    c.call(&["EXEC"]);
    assert_converged(p.port, r.port);
    let mut rc = Raw::connect(r.port);
    assert_eq!(text(&rc.call(&["GET", "in-tx"])), "$1\r\n2\r\n");
    assert_eq!(
        text(&rc.call(&["SET", "x", "y"])),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    let role = text(&Raw::connect(p.port).call(&["ROLE"]));
    assert!(role.starts_with("*3\r\n$6\r\nmaster\r\n"), "{role}");
}

#[test]
fn redis_replica_of_redoubt_primary() {
    let p = Server::start(&[]);
    fill(p.port, 300, "a");
    let r = Server::start_redis(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    assert_converged(p.port, r.port);
    fill(p.port, 50, "b");
    Raw::connect(p.port).call(&["EXPIRE", "a:3", "500"]);
    assert_converged(p.port, r.port);
    let info = text(&Raw::connect(r.port).call(&["INFO", "replication"]));
    assert!(info.contains("master_link_status:up"), "{info}");
}

#[test]
fn redoubt_replica_of_redis_primary() {
    let p = Server::start_redis(&["--repl-diskless-sync-delay", "0"]);
    fill(p.port, 300, "a");
    let r = Server::start(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    wait_until("link up", || link_up(r.port));
    assert_converged(p.port, r.port);
    fill(p.port, 50, "b");
    assert_converged(p.port, r.port);
}

/// Speaks PSYNC to `port` like a replica would and returns the first reply line.
pub(crate) fn psync_line(port: u16, replid: &str, offset: i64) -> String {
    let mut c = Raw::connect(port);
    c.call(&["REPLCONF", "listening-port", "1"]);
    c.cmd(&["PSYNC", replid, &offset.to_string()]);
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    use std::io::Read;
    while !line.ends_with(b"\r\n") {
        c.stream.read_exact(&mut b).unwrap();
        line.push(b[0]);
    }
    text(&line).trim_end().to_string()
}

pub(crate) fn repl_info(port: u16, field: &str) -> String {
    let info = text(&Raw::connect(port).call(&["INFO", "replication"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO replication: {info}"))
}

#[test]
fn psync_continues_within_backlog_and_refuses_unknown_history() {
    let p = Server::start(&[]);
    let r = Server::start(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    wait_until("link up", || link_up(r.port));
    fill(p.port, 20, "k");
    let replid = repl_info(p.port, "master_replid");
    let offset: i64 = repl_info(p.port, "master_repl_offset").parse().unwrap();
    assert_eq!(
        psync_line(p.port, &replid, offset + 1),
        format!("+CONTINUE {replid}")
    );
    assert_eq!(
        psync_line(p.port, &replid, 1),
        format!("+CONTINUE {replid}")
    );
    assert!(psync_line(p.port, &"f".repeat(40), offset + 1).starts_with("+FULLRESYNC "));
    assert!(psync_line(p.port, &replid, offset + 100).starts_with("+FULLRESYNC "));
}

#[test]
fn promotion_keeps_history_for_partial_resync() {
    let a = Server::start(&[]);
    let b = Server::start(&["--replicaof", "127.0.0.1", &a.port.to_string()]);
    wait_until("link up", || link_up(b.port));
    fill(a.port, 100, "x");
    assert_converged(a.port, b.port);
    let old_id = repl_info(a.port, "master_replid");
    // Promote b; its old history (a's id) stays valid as replid2.
    assert_eq!(
        text(&Raw::connect(b.port).call(&["REPLICAOF", "NO", "ONE"])),
        "+OK\r\n"
    );
    assert_eq!(repl_info(b.port, "master_replid2"), old_id);
    let off: i64 = repl_info(b.port, "master_repl_offset").parse().unwrap();
    // The old primary (same history, same offset) may continue from b.
    assert!(psync_line(b.port, &old_id, off + 1).starts_with("+CONTINUE "));
    // And does, when it becomes b's replica.
    replicaof(a.port, b.port);
    wait_until("old primary following the new one", || link_up(a.port));
    Raw::connect(b.port).call(&["SET", "after-failover", "yes"]);
    assert_converged(b.port, a.port);
}

#[test]
fn min_replicas_to_write_refuses_then_accepts() {
    let p = Server::start(&[
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag",
        "10",
    ]);
    let mut c = Raw::connect(p.port);
    assert_eq!(
        text(&c.call(&["SET", "k", "v"])),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(text(&c.call(&["GET", "k"])), "$-1\r\n");
    let r = Server::start(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
    wait_until("the replica to count as good", || {
        text(&c.call(&["SET", "k", "v"])) == "+OK\r\n"
    });
    wait_until("the write to reach the replica", || {
        text(&Raw::connect(r.port).call(&["GET", "k"])) == "$1\r\nv\r\n"
    });
}

#[test]
fn replica_serve_stale_data_no_answers_masterdown() {
    let nowhere = crate::kit::free_port().to_string();
    let mut d = crate::kit::Diff::new(&[
        "--replicaof",
        "127.0.0.1",
        &nowhere,
        "--replica-serve-stale-data",
        "no",
    ]);
    d.run(
        "
        GET k
        PING
        SET k v
        ECHO hi
        ",
    );
    let role = text(&d.a.call(&["ROLE"]));
    assert!(role.contains("slave"), "{role}");
}

pub(crate) fn stat(port: u16, field: &str) -> i64 {
    let info = text(&Raw::connect(port).call(&["INFO", "stats"]));
    info.lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or_else(|| panic!("no {field} in INFO stats"))
}

/// Random writes of every kind the server has, pipelined, for `secs` seconds.
fn random_writes(port: u16, secs: f64, seed: u64) -> usize {
    let mut c = Raw::connect(port);
    let mut rng = fastrand_seeded(seed);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut n = 0;
    while Instant::now() < deadline {
        let mut batch = Vec::new();
        for _ in 0..50 {
            let k = format!("k{}", rng() % 200);
            let cmd: Vec<String> = match rng() % 9 {
                0 => vec!["SET".into(), k, format!("v{}", rng())],
                1 => vec!["INCR".into(), format!("ctr{}", rng() % 20)],
                2 => vec!["APPEND".into(), k, "xy".into()],
                3 => vec!["DEL".into(), k],
                4 => vec!["EXPIRE".into(), k, "1000".into()],
                5 => vec!["SELECT".into(), (rng() % 3).to_string()],
                6 => vec![
                    "MSET".into(),
                    k.clone(),
                    "m".into(),
                    format!("{k}b"),
                    "n".into(),
                ],
                7 => vec!["SETRANGE".into(), k, (rng() % 8).to_string(), "zz".into()],
                _ => vec!["PERSIST".into(), k],
            };
            batch.extend_from_slice(&resp::Frame::command(&cmd));
        }
        c.send(&batch);
        for _ in 0..50 {
            c.reply();
        }
        n += 50;
    }
    n
}

fn fastrand_seeded(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Writes at full speed while the link is cut again and again; the replica ends equal to
/// the primary, and the reconnections were partial resyncs.
fn consistency_through_cuts(
    primary: &Server,
    replica: &Server,
    proxy: &crate::faultproxy::FaultProxy,
) {
    wait_until("link up", || link_up_any(replica.port));
    let writer = {
        let port = primary.port;
        std::thread::spawn(move || random_writes(port, 3.0, 42))
    };
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(400));
        proxy.cut();
    }
    let n = writer.join().unwrap();
    assert!(n > 1000, "only {n} writes");
    assert_converged(primary.port, replica.port);
}

fn link_up_any(port: u16) -> bool {
    let info = text(&Raw::connect(port).call(&["INFO", "replication"]));
    info.contains("master_link_status:up")
}

#[test]
fn redoubt_pair_converges_through_link_cuts_with_partial_resyncs() {
    let p = Server::start(&["--repl-backlog-size", "64mb"]);
    let proxy = crate::faultproxy::FaultProxy::start(p.port);
    let r = Server::start(&["--replicaof", "127.0.0.1", &proxy.port.to_string()]);
    consistency_through_cuts(&p, &r, &proxy);
    assert_eq!(stat(p.port, "sync_full"), 1);
    assert!(
        stat(p.port, "sync_partial_ok") >= 1,
        "no partial resync after cuts"
    );
}

#[test]
fn redis_replica_of_redoubt_converges_through_link_cuts() {
    let p = Server::start(&["--repl-backlog-size", "64mb"]);
    let proxy = crate::faultproxy::FaultProxy::start(p.port);
    let r = Server::start_redis(&["--replicaof", "127.0.0.1", &proxy.port.to_string()]);
    consistency_through_cuts(&p, &r, &proxy);
    assert!(
        stat(p.port, "sync_partial_ok") >= 1,
        "Redis did not continue partially"
    );
}

#[test]
fn redoubt_replica_of_redis_converges_through_link_cuts() {
    let p = Server::start_redis(&[
        "--repl-backlog-size",
        "64mb",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let proxy = crate::faultproxy::FaultProxy::start(p.port);
    let r = Server::start(&["--replicaof", "127.0.0.1", &proxy.port.to_string()]);
    consistency_through_cuts(&p, &r, &proxy);
    assert!(
        stat(p.port, "sync_partial_ok") >= 1,
        "Redis did not accept our partial resync"
    );
}

/// A raw replica: REPLCONF (with or without `capa eof`) and `PSYNC ? -1`; returns the
/// connection, the +FULLRESYNC line and the payload header line (keepalive newlines skipped).
fn raw_full_sync(port: u16, eof: bool) -> (Raw, String, String) {
    use std::io::Read;
    let mut c = Raw::connect(port);
    c.call(&["REPLCONF", "listening-port", "1"]);
    if eof {
        c.call(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
    }
    c.cmd(&["PSYNC", "?", "-1"]);
    let mut line = || {
        let mut l = Vec::new();
        let mut b = [0u8; 1];
        loop {
            c.stream.read_exact(&mut b).unwrap();
            if b[0] == b'\n' {
                if l.is_empty() {
                    continue;
                }
                return text(&l).trim_end().to_string();
            }
            l.push(b[0]);
        }
    };
    let full = line();
    let header = line();
    (c, full, header)
}

/// Reads until `needle` has been seen; returns everything after it.
fn read_past(c: &mut Raw, needle: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut got = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        if let Some(p) = got.windows(needle.len()).position(|w| w == needle) {
            return got.split_off(p + needle.len());
        }
        let n = c.stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before {:?}", text(needle));
        got.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn diskless_payload_ends_with_its_mark_and_the_stream_waits_for_the_ack() {
    let p = Server::start(&["--repl-diskless-sync-delay", "0"]);
    fill(p.port, 100, "k");
    let (mut c, full, header) = raw_full_sync(p.port, true);
    assert!(full.starts_with("+FULLRESYNC "), "{full}");
    let mark = header.strip_prefix("$EOF:").expect("an $EOF: header");
    assert_eq!(mark.len(), 40);
    let after = read_past(&mut c, mark.as_bytes());
    assert!(after.is_empty(), "bytes after the mark: {after:?}");
    // Writes meanwhile are held back until the replica acknowledges the payload.
    Raw::connect(p.port).call(&["SET", "during", "1"]);
    assert!(c.read_for(Duration::from_millis(300)).is_empty());
    c.cmd(&["REPLCONF", "ACK", "0"]);
    let stream = read_past(&mut c, b"during");
    let _ = stream;
    // Without `capa eof` the same server sends a `$<len>` payload at once.
    let (_c, full, header) = raw_full_sync(p.port, false);
    assert!(full.starts_with("+FULLRESYNC "), "{full}");
    assert!(header[1..].parse::<usize>().is_ok(), "{header}");
}

#[test]
fn diskless_delay_and_max_replicas_share_one_snapshot() {
    // Two replicas within the delay share one snapshot (same mark, same offset).
    let p = Server::start(&["--repl-diskless-sync-delay", "1"]);
    let started = Instant::now();
    let a = std::thread::spawn({
        let port = p.port;
        move || raw_full_sync(port, true)
    });
    std::thread::sleep(Duration::from_millis(200));
    let (_b, full_b, mark_b) = raw_full_sync(p.port, true);
    let (_a, full_a, mark_a) = a.join().unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!((full_a, mark_a), (full_b, mark_b));
    // With max-replicas 2 the second arrival starts it at once, long before the delay.
    let p = Server::start(&[
        "--repl-diskless-sync-delay",
        "60",
        "--repl-diskless-sync-max-replicas",
        "2",
    ]);
    let started = Instant::now();
    let a = std::thread::spawn({
        let port = p.port;
        move || raw_full_sync(port, true)
    });
    std::thread::sleep(Duration::from_millis(200));
    let (_b, _, mark_b) = raw_full_sync(p.port, true);
    let (_a, _, mark_a) = a.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(mark_a, mark_b);
}

#[test]
fn diskless_interop_with_redis_both_ways() {
    for (sync, load) in [
        ("yes", "disabled"),
        ("yes", "swapdb"),
        ("yes", "on-empty-db"),
        ("no", "disabled"),
    ] {
        let args = [
            "--repl-diskless-sync",
            sync,
            "--repl-diskless-sync-delay",
            "0",
            "--repl-diskless-load",
            load,
        ];
        // Redoubt primary, redis-server replica.
        let p = Server::start(&args);
        fill(p.port, 300, "a");
        let mut rargs = args.to_vec();
        let ps = p.port.to_string();
        rargs.extend(["--replicaof", "127.0.0.1", &ps]);
        let r = Server::start_redis(&rargs);
        assert_converged(p.port, r.port);
        fill(p.port, 20, "b");
        assert_converged(p.port, r.port);
        // redis-server primary, Redoubt replica (which had data of its own before).
        let p = Server::start_redis(&args);
        fill(p.port, 300, "c");
        let r = Server::start(&args);
        fill(r.port, 10, "old");
        replicaof(r.port, p.port);
        wait_until("link up", || link_up(r.port));
        assert_converged(p.port, r.port);
        fill(p.port, 20, "d");
        assert_converged(p.port, r.port);
    }
}

/// A fake primary that answers the handshake and sends a full resync whose payload is not
/// a valid RDB.
fn broken_primary() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                loop {
                    let mut head = String::new();
                    if r.read_line(&mut head).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = head.trim().trim_start_matches('*').parse().unwrap_or(0);
                    let mut args = Vec::new();
                    for _ in 0..n * 2 {
                        let mut a = String::new();
                        r.read_line(&mut a).unwrap();
                        args.push(a.trim_end().to_string());
                    }
                    let cmd = args.get(1).cloned().unwrap_or_default().to_lowercase();
                    let reply = match cmd.as_str() {
                        "ping" => "+PONG\r\n".to_string(),
                        "psync" => {
                            let m = "m".repeat(40);
                            format!(
                                "+FULLRESYNC {} 0\r\n$EOF:{m}\r\nREDIS0010not an rdb at all{m}",
                                "f".repeat(40)
                            )
                        }
                        _ => "+OK\r\n".to_string(),
                    };
                    if w.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn swapdb_keeps_the_old_data_when_the_payload_fails_to_load() {
    let fake = broken_primary().to_string();
    for (load, kept) in [("swapdb", true), ("disabled", false)] {
        let r = Server::start(&["--repl-diskless-load", load]);
        fill(r.port, 10, "mine");
        let before = dataset(r.port);
        replicaof(r.port, fake.parse().unwrap());
        // Let it try (and fail) at least once.
        std::thread::sleep(Duration::from_millis(800));
        assert!(!link_up(r.port));
        if kept {
            assert_eq!(dataset(r.port), before, "{load}");
        } else {
            assert!(dataset(r.port).is_empty(), "{load}");
        }
    }
}

#[test]
fn full_sync_larger_than_the_replica_output_limit() {
    // The payload is not output-buffer data (in Redis neither): a snapshot far above the
    // replica class's hard limit still goes through, in both transfer forms.
    for diskless in ["yes", "no"] {
        let p = Server::start(&[
            "--repl-diskless-sync",
            diskless,
            "--repl-diskless-sync-delay",
            "0",
            "--client-output-buffer-limit",
            "replica 1mb 1mb 60",
        ]);
        let mut c = Raw::connect(p.port);
        // Incompressible values (the RDB compresses repetitive ones): about 8 MB in all.
        let mut rng = fastrand_seeded(7);
        for i in 0..800 {
            let big: String = (0..10_000)
                .map(|_| char::from(b'!' + (rng() % 90) as u8))
                .collect();
            c.call(&["SET", &format!("big:{i}"), &big]);
        }
        let r = Server::start(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
        wait_until("link up", || link_up(r.port));
        assert_converged(p.port, r.port);
        let r2 = Server::start_redis(&["--replicaof", "127.0.0.1", &p.port.to_string()]);
        wait_until("redis-server's link up", || link_up_any(r2.port));
        assert_converged(p.port, r2.port);
    }
}

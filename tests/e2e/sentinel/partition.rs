//! A partition between hosts: three network namespaces (crate::netns), each with one
//! `redoubt server` and one `redoubt sentinel` (fast mode, down-after 1000 ms). A client on
//! the primary's host writes `SET k:N N` and records every OK. The primary's host is cut off
//! for a few seconds, long enough for the other two to elect and promote a replica; then the
//! link comes back, and the old primary must turn into a replica of the new one.
//!
//! - With `min-replicas-to-write 1` and `min-replicas-ack-writes yes`, every write that got
//!   an OK must be on the new primary: the isolated primary cannot get a replica's ACK, so
//!   it answers errors instead of OKs (fencing).
//! - Without them, as in plain Redis, the writes the isolated primary acknowledged are lost
//!   when it rejoins as a replica: the same scenario shows losses (so the check can fail).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use resp::Frame;

use super::{call_addr, field, serial, temp_dir, text, Proc};
use crate::netns::{enter, Net};

const NAME: &str = "mymaster";
const SERVER_PORT: u16 = 7300;
const SENTINEL_PORT: u16 = 27300;

/// Fields drop in order: the processes go before their namespaces.
struct Group {
    servers: Vec<Proc>,
    server_args: Vec<Vec<String>>,
    sentinels: Vec<Proc>,
    net: Net,
}

impl Group {
    fn addr(&self, host: usize, port: u16) -> SocketAddr {
        format!("{}:{port}", self.net.ip(host)).parse().unwrap()
    }

    /// One command from inside `host` to `port` on `to`.
    fn call(&self, host: usize, to: usize, port: u16, args: &[&str]) -> Option<Frame> {
        let addr = self.addr(to, port);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.net.on(host, move || call_addr(addr, &args))
    }

    fn server(&self, host: usize, args: &[&str]) -> Option<Frame> {
        self.call(host, host, SERVER_PORT, args)
    }

    /// The primary's host index as sentinel `host` names it.
    fn primary_seen_by(&self, host: usize) -> Option<usize> {
        match self.call(
            host,
            host,
            SENTINEL_PORT,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME],
        )? {
            Frame::Array(v) if v.len() == 2 => {
                let ip = text(&v[0]);
                (0..3).find(|&i| self.net.ip(i) == ip)
            }
            _ => None,
        }
    }

    fn role(&self, host: usize) -> Option<String> {
        match self.server(host, &["ROLE"])? {
            Frame::Array(v) if !v.is_empty() => Some(text(&v[0])),
            _ => None,
        }
    }

    fn logs(&self) -> String {
        let mut s = String::new();
        for p in self.sentinels.iter().chain(&self.servers) {
            s.push_str(&format!("---- {} ----\n{}\n", p.port, p.log()));
        }
        s
    }

    fn wait(&self, secs: u64, what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out ({secs} s) waiting for {what}\n{}", self.logs());
    }
}

/// Starts a process on `host` and waits until it answers PING there.
fn start_on(net: &Net, host: usize, args: Vec<String>, port: u16, what: &str) -> Proc {
    let dir = temp_dir(&format!("{what}-h{host}"), port);
    let mut full = net.exec_prefix(host);
    full.push(env!("CARGO_BIN_EXE_redoubt").to_string());
    full.extend(args);
    let p = Proc::launch("ip", &full, port, dir, what);
    let addr: SocketAddr = format!("{}:{port}", net.ip(host)).parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(
            net.on(host, move || call_addr(addr, &["PING"])),
            Some(Frame::Simple(_))
        ) {
            return p;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} on host {host} did not start\n{}", p.log());
}

fn start(no_lost_writes: bool) -> Group {
    let net = Net::new(3);
    let (mut servers, mut server_args) = (Vec::new(), Vec::new());
    for host in 0..3 {
        let mut args: Vec<String> = [
            "server",
            "--bind",
            &net.ip(host),
            "--port",
            &SERVER_PORT.to_string(),
            "--save",
            "",
            // Clients come from other hosts, without a password.
            "--protected-mode",
            "no",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if no_lost_writes {
            for a in [
                "--min-replicas-to-write",
                "1",
                "--min-replicas-ack-writes",
                "yes",
                "--min-replicas-ack-timeout",
                "500",
            ] {
                args.push(a.to_string());
            }
        }
        if host > 0 {
            for a in ["--replicaof", &net.ip(0), &SERVER_PORT.to_string()] {
                args.push(a.to_string());
            }
        }
        servers.push(start_on(&net, host, args.clone(), SERVER_PORT, "server"));
        server_args.push(args);
    }
    let mut sentinels = Vec::new();
    for host in 0..3 {
        // The directory `start_on` gives the sentinel, so the file goes with it.
        let dir = temp_dir(&format!("sentinel-h{host}"), SENTINEL_PORT);
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {SENTINEL_PORT}\nsentinel monitor {NAME} {} {SERVER_PORT} 2\n\
                 sentinel down-after-milliseconds {NAME} 1000\n\
                 sentinel failover-timeout {NAME} 10000\nsentinel fast-failover yes\n",
                net.ip(0)
            ),
        )
        .unwrap();
        let args = vec!["sentinel".to_string(), conf.to_string_lossy().into_owned()];
        sentinels.push(start_on(&net, host, args, SENTINEL_PORT, "sentinel"));
    }
    let g = Group {
        servers,
        server_args,
        sentinels,
        net,
    };
    g.wait(20, "both replicas to finish their first sync", || {
        (1..3).all(|h| {
            g.server(h, &["INFO", "replication"])
                .is_some_and(|f| text(&f).contains("master_link_status:up"))
        })
    });
    g.wait(20, "sentinels to discover replicas and each other", || {
        (0..3).all(|h| {
            let m = g.call(h, h, SENTINEL_PORT, &["SENTINEL", "MASTER", NAME]);
            m.as_ref().and_then(|m| field(m, "num-slaves")).as_deref() == Some("2")
                && m.as_ref()
                    .and_then(|m| field(m, "num-other-sentinels"))
                    .as_deref()
                    == Some("2")
        })
    });
    g
}

/// What the writer saw.
#[derive(Default)]
struct Seen {
    acked: Vec<u64>,
    errors: u64,
    /// OKs received after the partition started.
    acked_in_partition: u64,
}

/// Writes `SET k:N N` to `addr` from inside host `ns_path` about every 2 ms until `stop`.
fn writer(
    ns_path: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        enter(&ns_path);
        let mut n = 0u64;
        let mut conn: Option<TcpStream> = None;
        while !stop.load(Ordering::SeqCst) {
            if conn.is_none() {
                conn = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok();
                if let Some(c) = &conn {
                    let _ = c.set_read_timeout(Some(Duration::from_secs(3)));
                } else {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            }
            n += 1;
            let (k, v) = (format!("k:{n}"), n.to_string());
            let reply = conn.as_mut().and_then(|c| {
                c.write_all(&Frame::command(&["SET", &k, &v])).ok()?;
                read_frame(c)
            });
            let mut s = seen.lock().unwrap();
            match reply {
                Some(Frame::Simple(ok)) if &ok[..] == b"OK" => {
                    s.acked.push(n);
                    if cut.load(Ordering::SeqCst) {
                        s.acked_in_partition += 1;
                    }
                }
                Some(_) => s.errors += 1,
                None => {
                    s.errors += 1;
                    conn = None;
                }
            }
            drop(s);
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

fn read_frame(c: &mut TcpStream) -> Option<Frame> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Ok(Some((f, _))) = Frame::decode(&buf) {
            return Some(f);
        }
        let n = c.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// What happens to the primary's host.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// Its link is cut, then restored.
    Partition,
    /// The server is killed with SIGKILL, then restarted.
    Kill,
    /// The server is stopped (SIGSTOP) past down-after, then continued.
    Stop,
    /// The server is stopped for less than down-after: no failover may follow.
    ShortPause,
}

/// Runs the scenario; returns (acknowledged writes missing at the end, OKs the old
/// primary gave after the fault began).
fn scenario(fault: Fault, no_lost_writes: bool) -> (usize, u64) {
    let _serial = serial();
    let mut g = start(no_lost_writes);
    let stop = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let w = writer(
        format!("/run/netns/{}", g.net.ns(0)),
        g.addr(0, SERVER_PORT),
        stop.clone(),
        cut.clone(),
        seen.clone(),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !seen.lock().unwrap().acked.is_empty(),
        "no write acknowledged before the fault\n{}",
        g.logs()
    );

    cut.store(true, Ordering::SeqCst);
    match fault {
        Fault::Partition => g.net.isolate(0),
        Fault::Kill => g.servers[0].kill9(),
        Fault::Stop | Fault::ShortPause => g.servers[0].signal(libc::SIGSTOP),
    }
    if fault == Fault::ShortPause {
        std::thread::sleep(Duration::from_millis(600));
        g.servers[0].signal(libc::SIGCONT);
        // Longer than down-after plus a failover: nobody may move.
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
        w.join().unwrap();
        for h in 0..3 {
            assert_eq!(g.primary_seen_by(h), Some(0), "sentinel {h}\n{}", g.logs());
        }
        assert_eq!(g.role(0).as_deref(), Some("master"));
        return finish(&g, 0, &seen, no_lost_writes);
    }
    let mut promoted = None;
    g.wait(20, "the majority to promote a replica", || {
        promoted = g.primary_seen_by(1).filter(|&p| p != 0);
        promoted.is_some() && g.primary_seen_by(2) == promoted
    });
    let new = promoted.unwrap();
    // The old primary stays unreachable a little longer; the client keeps trying it.
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    w.join().unwrap();
    match fault {
        Fault::Partition => g.net.heal(0),
        Fault::Kill => {
            let args = g.server_args[0].clone();
            g.servers[0] = start_on(&g.net, 0, args, SERVER_PORT, "server");
        }
        Fault::Stop => g.servers[0].signal(libc::SIGCONT),
        Fault::ShortPause => unreachable!(),
    }
    g.wait(30, "the old primary to follow the new one", || {
        g.role(0).as_deref() == Some("slave")
            && g.primary_seen_by(0) == Some(new)
            && g.server(0, &["INFO", "replication"])
                .map(|f| text(&f).contains("master_link_status:up"))
                .unwrap_or(false)
    });
    finish(&g, new, &seen, no_lost_writes)
}

/// Waits until every node holds the primary's keys and counts the acknowledged writes that
/// are missing there.
fn finish(g: &Group, primary: usize, seen: &Mutex<Seen>, mode: bool) -> (usize, u64) {
    let keys = |h: usize| -> BTreeSet<String> {
        match g.server(h, &["KEYS", "*"]) {
            Some(Frame::Array(v)) => v.iter().map(text).collect(),
            _ => BTreeSet::new(),
        }
    };
    let mut want = keys(primary);
    g.wait(20, "every node to hold the primary's keys", || {
        want = keys(primary);
        (0..3).all(|h| keys(h) == want)
    });
    let seen = seen.lock().unwrap();
    let lost = seen
        .acked
        .iter()
        .filter(|n| !want.contains(&format!("k:{n}")))
        .count();
    eprintln!(
        "no-lost-write mode {mode}: {} writes acknowledged, {} after the fault began, {} errors, {lost} acknowledged writes lost",
        seen.acked.len(),
        seen.acked_in_partition,
        seen.errors
    );
    (lost, seen.acked_in_partition)
}

#[test]
fn no_acknowledged_write_is_lost_when_the_primary_is_cut_off() {
    let (lost, in_partition) = scenario(Fault::Partition, true);
    assert_eq!(lost, 0, "acknowledged writes lost");
    // The fenced primary acknowledges at most the writes in flight as the link went down.
    assert!(in_partition <= 2, "{in_partition} OKs during the partition");
}

#[test]
fn without_the_mode_the_cut_off_primary_loses_writes_as_redis_does() {
    let (lost, in_partition) = scenario(Fault::Partition, false);
    assert!(
        in_partition > 0 && lost > 0,
        "lost {lost}, acknowledged {in_partition}"
    );
}

#[test]
fn no_acknowledged_write_is_lost_when_the_primary_is_killed() {
    let (lost, _) = scenario(Fault::Kill, true);
    assert_eq!(lost, 0, "acknowledged writes lost");
}

#[test]
fn no_acknowledged_write_is_lost_when_the_primary_is_stopped() {
    let (lost, in_stop) = scenario(Fault::Stop, true);
    assert_eq!(lost, 0, "acknowledged writes lost");
    assert!(in_stop <= 2, "{in_stop} OKs from the stopped primary");
}

#[test]
fn a_pause_shorter_than_down_after_changes_nothing() {
    let (lost, _) = scenario(Fault::ShortPause, true);
    assert_eq!(lost, 0, "acknowledged writes lost");
}

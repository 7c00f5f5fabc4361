//! Ten thousand concurrent idle connections: all accepted and served, the server raising its
//! own open-files limit to maxclients + 32 as Redis does, and the memory each idle connection
//! costs printed for Redoubt and, for comparison, redis-server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::kit::Server;

const IDLE: usize = 10_000;

fn nofile() -> (u64, u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the struct passed.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    (lim.rlim_cur, lim.rlim_max)
}

/// Sets this process's soft open-files limit (never above the hard one, which only
/// CAP_SYS_RESOURCE could raise).
fn set_soft_nofile(soft: u64) {
    let (_, hard) = nofile();
    let lim = libc::rlimit {
        rlim_cur: soft.min(hard),
        rlim_max: hard,
    };
    // SAFETY: setrlimit only reads the struct passed.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

fn status_field(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{field} missing in /proc/{pid}/status"))
}

/// The soft "Max open files" limit of a process.
fn open_files_limit(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files line");
    line["Max open files".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

fn ping(c: &mut TcpStream) {
    c.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
}

/// Opens `IDLE` connections, checks all are served, and returns RSS growth per connection in
/// bytes, measured while they sit idle.
fn hold_idle_connections(s: &Server) -> f64 {
    let pid = s.pid();
    let mut warm = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    ping(&mut warm);
    std::thread::sleep(Duration::from_millis(200));
    let before = status_field(pid, "VmRSS:");
    let start = Instant::now();
    let mut conns = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let c = TcpStream::connect(("127.0.0.1", s.port))
            .unwrap_or_else(|e| panic!("connection {i} failed: {e}"));
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        conns.push(c);
    }
    // Every connection is served: one PING each, all written first, then all read.
    for c in &mut conns {
        c.write_all(b"PING\r\n").unwrap();
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let mut buf = [0u8; 7];
        c.read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("idle connection {i} not served: {e}"));
        assert_eq!(&buf, b"+PONG\r\n", "connection {i}");
    }
    let setup = start.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let after = status_field(pid, "VmRSS:");
    // A fresh connection and some of the idle ones still work.
    let mut fresh = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    ping(&mut fresh);
    for c in conns.iter_mut().step_by(997) {
        ping(c);
    }
    ping(&mut warm);
    let per_conn = (after.saturating_sub(before) * 1024) as f64 / IDLE as f64;
    eprintln!(
        "{IDLE} idle connections set up and pinged in {:.2}s; RSS {before} kB -> {after} kB: \
         {per_conn:.0} bytes per idle connection",
        setup.as_secs_f64()
    );
    per_conn
}

#[test]
fn ten_thousand_idle_connections_are_served() {
    // Start the server with a low soft limit (children inherit it) so that raising its own
    // limit to maxclients + 32 is observable; the hard limit caps what it can get.
    let (_, hard) = nofile();
    assert!(
        hard >= 2 * IDLE as u64,
        "the hard open-files limit {hard} is too low"
    );
    set_soft_nofile(4096);
    let ours = Server::start(&["--maxclients", "20000"]);
    set_soft_nofile(hard);
    let limit = open_files_limit(ours.pid());
    assert!(
        limit >= 20_032.min(hard),
        "redoubt should raise RLIMIT_NOFILE to maxclients + 32 (or the hard limit {hard}), \
         has {limit}"
    );
    let ours_per_conn = hold_idle_connections(&ours);
    drop(ours);
    let redis = Server::start_redis(&["--maxclients", "20000"]);
    let redis_per_conn = hold_idle_connections(&redis);
    eprintln!(
        "memory per idle connection: redoubt {ours_per_conn:.0} B, redis-server \
         {redis_per_conn:.0} B"
    );
}

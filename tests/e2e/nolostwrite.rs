//! Redoubt's confirmed-writes mode (`min-replicas-ack-writes yes`): a write's reply is held
//! until `min-replicas-to-write` replicas acknowledged it.
//!
//! The main test kills the primary with SIGKILL at random moments while writers pipeline
//! writes, several times over (promoting the most advanced replica and bringing the killed
//! node back as a replica each time), and checks that every write that was answered OK is
//! on at least one surviving replica. The others check the error after the timeout when the
//! replicas are stopped, reply order in pipelines, and the directives themselves.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use resp::Frame;

use crate::kit::{free_port, Raw, Server};
use crate::replication::{link_up, repl_info, text, wait_until};
use crate::wait::group;

const MODE: &[&str] = &[
    "--min-replicas-ack-writes",
    "yes",
    "--min-replicas-to-write",
    "1",
    "--min-replicas-ack-timeout",
    "3000",
    "--repl-diskless-sync-delay",
    "0",
];

/// A `redoubt server` on a fixed port that can be killed and started again.
struct Node {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl Node {
    fn new() -> Node {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("redoubt-nolost-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Node {
            port,
            dir,
            child: None,
        }
    }

    fn start(&mut self, replicaof: Option<u16>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redoubt"));
        cmd.args([
            "server",
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--dir", self.dir.to_str().unwrap()])
        .args(MODE)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if let Some(p) = replicaof {
            cmd.args(["--replicaof", "127.0.0.1", &p.to_string()]);
        }
        self.child = Some(cmd.spawn().unwrap());
        wait_until("the node to answer", || {
            TcpStream::connect(("127.0.0.1", self.port)).is_ok()
        });
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A pipelining client that reports errors instead of panicking (the server dies under it).
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn connect(port: u16) -> Option<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
        s.set_nodelay(true).ok()?;
        Some(Conn { s, buf: Vec::new() })
    }

    fn send(&mut self, cmds: &[Vec<String>]) -> std::io::Result<()> {
        let mut out = Vec::new();
        for c in cmds {
            out.extend_from_slice(&Frame::command(c));
        }
        self.s.write_all(&out)
    }

    fn reply(&mut self) -> std::io::Result<Frame> {
        loop {
            if let Some((f, n)) = Frame::decode(&self.buf).map_err(std::io::Error::other)? {
                self.buf.drain(..n);
                return Ok(f);
            }
            let mut chunk = [0u8; 65536];
            let n = self.s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other("closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// What a writer saw confirmed.
#[derive(Default)]
struct Confirmed {
    /// Keys whose SET was answered OK, with the value.
    sets: Vec<(String, String)>,
    /// The highest value an INCR of each counter answered.
    counters: Vec<(String, i64)>,
    /// Writes answered with the not-confirmed error.
    unconfirmed: usize,
}

/// Pipelines batches of SET / GET-after-SET / INCR until the connection breaks or `stop`.
fn writer(port: u16, name: String, stop: Arc<AtomicBool>) -> Confirmed {
    let mut seen = Confirmed::default();
    let Some(mut c) = Conn::connect(port) else {
        return seen;
    };
    let counter = format!("ctr:{name}");
    let mut best = 0i64;
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let mut batch = Vec::new();
        let mut expect = Vec::new();
        for _ in 0..8 {
            seq += 1;
            let key = format!("w:{name}:{seq}");
            let val = format!("v{seq}");
            batch.push(vec!["SET".into(), key.clone(), val.clone()]);
            batch.push(vec!["GET".into(), key.clone()]);
            batch.push(vec!["INCR".into(), counter.clone()]);
            expect.push((key, val));
        }
        if c.send(&batch).is_err() {
            break;
        }
        for (key, val) in expect {
            let Ok(set) = c.reply() else {
                return finish(seen, counter, best);
            };
            let Ok(get) = c.reply() else {
                return finish(seen, counter, best);
            };
            // The GET ran after the SET, and its reply was not let out before the SET's.
            assert_eq!(
                get,
                Frame::Bulk(val.clone().into()),
                "GET {key} after its SET"
            );
            match set {
                Frame::Simple(s) if &s[..] == b"OK" => seen.sets.push((key, val)),
                Frame::Error(e) if e.starts_with(b"NOREPLICAS") => seen.unconfirmed += 1,
                other => panic!("SET answered {other:?}"),
            }
            match c.reply() {
                Ok(Frame::Integer(n)) => best = best.max(n),
                Ok(Frame::Error(e)) if e.starts_with(b"NOREPLICAS") => seen.unconfirmed += 1,
                Ok(other) => panic!("INCR answered {other:?}"),
                Err(_) => return finish(seen, counter, best),
            }
        }
    }
    finish(seen, counter, best)
}

fn finish(mut seen: Confirmed, counter: String, best: i64) -> Confirmed {
    seen.counters.push((counter, best));
    seen
}

/// The values of `keys` on a server (MGET in chunks over one connection).
fn values(port: u16, keys: &[&str]) -> Vec<Option<Vec<u8>>> {
    let mut c = Raw::connect(port);
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(1000) {
        let mut args = vec!["MGET"];
        args.extend_from_slice(chunk);
        match Frame::decode(&c.call(&args)).unwrap().unwrap().0 {
            Frame::Array(items) => out.extend(items.into_iter().map(|f| match f {
                Frame::Bulk(b) => Some(b.to_vec()),
                _ => None,
            })),
            other => panic!("MGET answered {other:?}"),
        }
    }
    out
}

/// Every confirmed write is on at least one of `replicas`.
fn assert_survived(replicas: &[u16], sets: &[(String, String)], counters: &[(String, i64)]) {
    let keys: Vec<&str> = sets.iter().map(|(k, _)| k.as_str()).collect();
    let held: Vec<_> = replicas.iter().map(|&r| values(r, &keys)).collect();
    for (i, (key, val)) in sets.iter().enumerate() {
        assert!(
            held.iter().any(|h| h[i].as_deref() == Some(val.as_bytes())),
            "confirmed write {key}={val} is on no replica"
        );
    }
    let names: Vec<&str> = counters.iter().map(|(k, _)| k.as_str()).collect();
    let held: Vec<_> = replicas.iter().map(|&r| values(r, &names)).collect();
    for (i, (ctr, best)) in counters.iter().enumerate() {
        let max = held
            .iter()
            .filter_map(|h| h[i].clone())
            .filter_map(|v| String::from_utf8(v).ok()?.parse::<i64>().ok())
            .max()
            .unwrap_or(0);
        assert!(
            max >= *best,
            "counter {ctr}: confirmed {best}, replicas hold {max}"
        );
    }
}

fn offset(port: u16) -> i64 {
    repl_info(port, "slave_repl_offset").parse().unwrap_or(-1)
}

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[test]
fn confirmed_writes_survive_primary_kills() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("nolostwrite seed {seed}");
    let mut rng = xorshift(seed);
    let mut nodes = [Node::new(), Node::new(), Node::new()];
    let (mut primary, mut replicas) = (0usize, [1usize, 2usize]);
    nodes[0].start(None);
    let p = nodes[0].port;
    for &r in &replicas {
        nodes[r].start(Some(p));
    }
    let mut sets = Vec::new();
    let mut counters = Vec::new();
    let mut unconfirmed = 0;
    for round in 0..5 {
        let pport = nodes[primary].port;
        for &r in &replicas {
            let port = nodes[r].port;
            wait_until("replicas linked", || link_up(port));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let stop = stop.clone();
                let name = format!("r{round}w{w}");
                std::thread::spawn(move || writer(pport, name, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200 + rng() % 1000));
        nodes[primary].kill9();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            let seen = w.join().unwrap();
            sets.extend(seen.sets);
            counters.extend(seen.counters);
            unconfirmed += seen.unconfirmed;
        }
        let rports: Vec<u16> = replicas.iter().map(|&r| nodes[r].port).collect();
        assert_survived(&rports, &sets, &counters);
        eprintln!(
            "round {round}: {} confirmed writes so far, {unconfirmed} unconfirmed, all on a replica",
            sets.len()
        );
        // Fail over to the most advanced replica; the killed node returns as a replica.
        let best = *replicas
            .iter()
            .max_by_key(|&&r| offset(nodes[r].port))
            .unwrap();
        let other = *replicas.iter().find(|&&r| r != best).unwrap();
        let bport = nodes[best].port;
        assert_eq!(
            text(&Raw::connect(bport).call(&["REPLICAOF", "NO", "ONE"])),
            "+OK\r\n"
        );
        Raw::connect(nodes[other].port).call(&["REPLICAOF", "127.0.0.1", &bport.to_string()]);
        nodes[primary].start(Some(bport));
        replicas = [other, primary];
        primary = best;
    }
    assert!(sets.len() > 100, "only {} confirmed writes", sets.len());
}

#[test]
fn stopped_replicas_make_writes_fail_after_the_timeout() {
    let extra = [
        "--min-replicas-ack-writes",
        "yes",
        "--min-replicas-to-write",
        "1",
        "--min-replicas-ack-timeout",
        "600",
    ];
    let g = group(false, false, 2, &extra);
    let mut c = g.primary.raw();
    assert_eq!(text(&c.call(&["SET", "k", "v0"])), "+OK\r\n");
    for r in &g.replicas {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(r.pid() as i32, libc::SIGSTOP) };
    }
    let t = Instant::now();
    let mut pipeline = Vec::new();
    pipeline.extend_from_slice(&Frame::command(&["SET", "k", "v1"]));
    pipeline.extend_from_slice(&Frame::command(&["GET", "k"]));
    pipeline.extend_from_slice(&Frame::command(&["PING"]));
    c.send(&pipeline);
    // Nothing at all before the timeout: the GET and PING wait behind the SET.
    assert!(c.read_for(Duration::from_millis(400)).is_empty());
    assert_eq!(
        text(&c.reply()),
        "-NOREPLICAS Not enough good replicas acknowledged the write.\r\n"
    );
    // Deadlines count in whole milliseconds of the wall clock, as Redis's timeouts do, so
    // the reply may come up to a millisecond before 600 ms have fully passed.
    assert!(
        t.elapsed() >= Duration::from_millis(599),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(text(&c.reply()), "$2\r\nv1\r\n");
    assert_eq!(text(&c.reply()), "+PONG\r\n");
    let errs = text(&c.call(&["INFO", "errorstats"]));
    assert!(errs.contains("errorstat_NOREPLICAS:count=1"), "{errs}");
    for r in &g.replicas {
        // SAFETY: as above.
        unsafe { libc::kill(r.pid() as i32, libc::SIGCONT) };
    }
    let t = Instant::now();
    assert_eq!(text(&c.call(&["SET", "k", "v2"])), "+OK\r\n");
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[test]
fn pipelines_keep_their_order_and_stay_fast() {
    let g = group(false, false, 2, MODE);
    let mut c = g.primary.raw();
    let t = Instant::now();
    for round in 0..20 {
        let mut pipeline = Vec::new();
        for i in 0..100 {
            let k = format!("k{round}:{i}");
            pipeline.extend_from_slice(&Frame::command(&["SET", &k, &i.to_string()]));
            pipeline.extend_from_slice(&Frame::command(&["GET", &k]));
            pipeline.extend_from_slice(&Frame::command(&["INCR", "n"]));
        }
        c.send(&pipeline);
        for i in 0..100 {
            assert_eq!(text(&c.reply()), "+OK\r\n");
            let v = i.to_string();
            assert_eq!(text(&c.reply()), format!("${}\r\n{v}\r\n", v.len()));
            assert_eq!(text(&c.reply()), format!(":{}\r\n", round * 100 + i + 1));
        }
    }
    // 2,000 confirmed writes: one GETACK round trip per batch, not a second per write.
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    for r in &g.replicas {
        assert_eq!(text(&r.raw().call(&["GET", "n"])), "$4\r\n2000\r\n");
    }
}

#[test]
fn directives_and_up_front_refusal() {
    let s = Server::start(&[
        "--min-replicas-ack-writes",
        "yes",
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag",
        "0",
    ]);
    let mut c = s.raw();
    assert_eq!(
        text(&c.call(&["CONFIG", "GET", "min-replicas-ack-*"])),
        "*0\r\n",
        "hidden from patterns, like Redis's hidden directives"
    );
    assert_eq!(
        text(&c.call(&["CONFIG", "GET", "min-replicas-ack-writes"])),
        "*2\r\n$23\r\nmin-replicas-ack-writes\r\n$3\r\nyes\r\n"
    );
    assert_eq!(
        text(&c.call(&["CONFIG", "GET", "min-replicas-ack-timeout"])),
        "*2\r\n$24\r\nmin-replicas-ack-timeout\r\n$4\r\n1000\r\n"
    );
    // No replica online: refused before running, even with the lag check off.
    assert_eq!(
        text(&c.call(&["SET", "k", "v"])),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(text(&c.call(&["GET", "k"])), "$-1\r\n");
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "min-replicas-ack-timeout", "250"])),
        "+OK\r\n"
    );
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "min-replicas-ack-writes", "no"])),
        "+OK\r\n"
    );
    assert_eq!(text(&c.call(&["SET", "k", "v"])), "+OK\r\n");
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "min-replicas-ack-timeout", "-1"])),
        "-ERR CONFIG SET failed (possibly related to argument 'min-replicas-ack-timeout') - argument must be between 0 and 2147483647 inclusive\r\n"
    );
}

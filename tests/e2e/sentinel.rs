//! Sentinel end to end: `redoubt sentinel` processes monitoring real servers (Redoubt and
//! redis-server 7.0), failing over on `kill -9`, beside Debian's redis-sentinel (that is,
//! `redis-server --sentinel`), and found by the `redis` crate's sentinel client.
//!
//! - this file: processes on chosen ports (servers must come back on the same port after a
//!   kill), sentinels with a config file, small RESP helpers.
//! - [`failover`]: HA groups failing over, with timings printed (`--nocapture`).
//! - [`partition`]: a group on three hosts (network namespaces) with the primary's host cut
//!   off: no acknowledged write lost in the no-lost-write mode, and everyone converges.
//! - [`surface`]: the command surface compared with redis-sentinel byte for byte.

mod failover;
mod partition;
mod surface;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use resp::Frame;

use crate::kit::{free_port, which};

/// The failover groups start six processes each: run them one at a time on small machines.
static GROUP_LOCK: Mutex<()> = Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    GROUP_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A process on a known port, killed (SIGKILL) when dropped.
pub struct Proc {
    pub port: u16,
    child: Option<Child>,
    pub dir: PathBuf,
    what: String,
}

fn temp_dir(tag: &str, port: u16) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "redoubt-sentinel-test-{}-{tag}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Proc {
    fn spawn(bin: &str, args: &[String], port: u16, dir: PathBuf, what: &str) -> Proc {
        let p = Proc::launch(bin, args, port, dir, what);
        p.wait_ready();
        p
    }

    /// Starts the process without waiting for it to serve.
    fn launch(bin: &str, args: &[String], port: u16, dir: PathBuf, what: &str) -> Proc {
        let log = std::fs::File::create(dir.join("stdout.log")).unwrap();
        let child = Command::new(bin)
            .args(args)
            .current_dir(&dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        Proc {
            port,
            child: Some(child),
            dir,
            what: what.to_string(),
        }
    }

    /// A data server: `redoubt server` or (`redis`) Debian's redis-server, on `port`.
    pub fn server(redis: bool, port: u16, extra: &[&str]) -> Proc {
        let bin = if redis {
            which("redis-server").expect("redis-server is not installed (scripts/test.sh)")
        } else {
            env!("CARGO_BIN_EXE_redoubt").to_string()
        };
        let mut args: Vec<String> = if redis { vec![] } else { vec!["server".into()] };
        for a in [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ] {
            args.push(a.to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let what = if redis {
            "redis-server"
        } else {
            "redoubt server"
        };
        Proc::spawn(&bin, &args, port, temp_dir("srv", port), what)
    }

    /// A sentinel with `body` as its config file (a `port` line is added first).
    pub fn sentinel(redis: bool, body: &str) -> Proc {
        let port = free_port();
        let dir = temp_dir("sentinel", port);
        let conf = dir.join("sentinel.conf");
        std::fs::write(&conf, format!("port {port}\n{body}")).unwrap();
        let conf = conf.to_string_lossy().into_owned();
        if redis {
            let bin = which("redis-server").expect("redis-server is not installed");
            let args = vec![conf, "--sentinel".to_string()];
            Proc::spawn(&bin, &args, port, dir, "redis-sentinel")
        } else {
            let args = vec!["sentinel".to_string(), conf];
            Proc::spawn(
                env!("CARGO_BIN_EXE_redoubt"),
                &args,
                port,
                dir,
                "redoubt sentinel",
            )
        }
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            // PONG, or NOAUTH from a server with a password: either way it is serving.
            match call(self.port, &["PING"]) {
                Some(Frame::Simple(_)) => return,
                Some(Frame::Error(e)) if !e.starts_with(b"LOADING") => return,
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{} on port {} did not become ready", self.what, self.port);
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends `sig` (SIGSTOP, SIGCONT…) to the process.
    pub fn signal(&self, sig: i32) {
        if let Some(c) = &self.child {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe { libc::kill(c.id() as i32, sig) };
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout.log")).unwrap_or_default()
    }

    pub fn config(&self) -> String {
        std::fs::read_to_string(self.dir.join("sentinel.conf")).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends one command and reads one reply, with short time-outs: `None` when the server is
/// unreachable or silent.
pub fn call<A: AsRef<[u8]>>(port: u16, args: &[A]) -> Option<Frame> {
    call_addr(std::net::SocketAddr::from(([127, 0, 0, 1], port)), args)
}

/// [`call`] to any address.
pub fn call_addr<A: AsRef<[u8]>>(addr: std::net::SocketAddr, args: &[A]) -> Option<Frame> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(1000))).ok()?;
    s.write_all(&Frame::command(args)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        if let Ok(Some((f, _))) = Frame::decode(&buf) {
            return Some(f);
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

pub fn text(f: &Frame) -> String {
    f.as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| format!("{f:?}"))
}

/// A flat `name value …` reply (or RESP3 map) as pairs.
pub fn fields(f: &Frame) -> Vec<(String, String)> {
    match f {
        Frame::Array(v) => v.chunks(2).map(|p| (text(&p[0]), text(&p[1]))).collect(),
        Frame::Map(v) => v.iter().map(|(k, v)| (text(k), text(v))).collect(),
        _ => Vec::new(),
    }
}

pub fn field(f: &Frame, name: &str) -> Option<String> {
    fields(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// SENTINEL GET-MASTER-ADDR-BY-NAME as a port (every test uses 127.0.0.1).
pub fn master_port(sentinel: u16, name: &str) -> Option<u16> {
    match call(sentinel, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name])? {
        Frame::Array(v) if v.len() == 2 => text(&v[1]).parse().ok(),
        _ => None,
    }
}

/// How many entries SENTINEL REPLICAS / SENTINELS lists.
pub fn count(sentinel: u16, sub: &str, name: &str) -> usize {
    match call(sentinel, &["SENTINEL", sub, name]) {
        Some(Frame::Array(v)) => v.len(),
        _ => 0,
    }
}

/// ROLE's first two fields: the role and, for a replica, its primary's port.
pub fn role(port: u16) -> Option<(String, Option<u16>)> {
    match call(port, &["ROLE"])? {
        Frame::Array(v) if !v.is_empty() => {
            let r = text(&v[0]);
            let p = v.get(2).and_then(|f| match f {
                Frame::Integer(n) => u16::try_from(*n).ok(),
                other => text(other).parse().ok(),
            });
            Some((r.clone(), if r == "slave" { p } else { None }))
        }
        _ => None,
    }
}

/// Polls `f` until it returns true or `secs` pass; panics with `what` and `context()`.
pub fn wait_until(
    secs: u64,
    what: &str,
    context: impl Fn() -> String,
    mut f: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out ({secs} s) waiting for {what}\n{}", context());
}

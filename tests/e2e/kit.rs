//! The test kit: processes on free loopback ports, raw connections, and the differential
//! harness that sends the same commands to Redoubt and to Debian's redis-server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on loopback (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process that is killed when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
    pub dir: std::path::PathBuf,
}

impl Server {
    /// Starts `redoubt server` with extra `--directive value` arguments.
    pub fn start(extra: &[&str]) -> Server {
        Self::spawn(env!("CARGO_BIN_EXE_redoubt"), &["server"], extra)
    }

    /// Starts Debian's `redis-server` 7.0 with the same kind of arguments. Panics (fails the
    /// test) if it is not installed: the test command installs it.
    pub fn start_redis(extra: &[&str]) -> Server {
        let bin = which("redis-server")
            .expect("redis-server is not installed; run scripts/test.sh, which installs it");
        Self::spawn(&bin, &[], extra)
    }

    fn spawn(bin: &str, pre: &[&str], extra: &[&str]) -> Server {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("redoubt-test-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(pre)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--dir", dir.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let s = Server { port, child, dir };
        s.wait_ready();
        s
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                if c.write_all(b"PING\r\n").is_ok() {
                    let mut buf = [0u8; 64];
                    if let Ok(n) = c.read(&mut buf) {
                        if n > 0 && !buf.starts_with(b"-LOADING") {
                            return;
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server on port {} did not become ready", self.port);
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to exit (at most 10 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn which(name: &str) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    for d in path
        .split(':')
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin"])
    {
        let p = std::path::Path::new(d).join(name);
        if p.is_file() {
            return Some(p.to_string_lossy().into_owned());
        }
    }
    None
}

/// A raw RESP connection: send bytes, read whole replies as bytes.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, data: &[u8]) {
        self.stream.write_all(data).unwrap();
    }

    /// Sends a command as a multibulk request.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let req = resp::Frame::command(args);
        self.send(&req);
    }

    /// Reads one complete reply, returned as its raw bytes.
    pub fn reply(&mut self) -> Vec<u8> {
        loop {
            if let Some((_, n)) = resp::Frame::decode(&self.buf).expect("valid RESP from server") {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("reply before timeout");
            assert!(
                n > 0,
                "connection closed while waiting for a reply; got so far {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command and returns its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.cmd(args);
        self.reply()
    }

    /// True once the server has closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return false,
            }
        }
    }
}

/// The differential harness: one Redoubt and one redis-server 7.0, the same commands sent to
/// both over raw connections, replies compared byte for byte. Deliberate differences are
/// listed in `tests/e2e/differences.md` with the reason and are never asserted equal.
pub struct Diff {
    pub ours: Server,
    pub redis: Server,
    pub a: Raw,
    pub b: Raw,
}

impl Diff {
    /// Starts both servers with the same extra directives.
    pub fn new(extra: &[&str]) -> Diff {
        let ours = Server::start(extra);
        let redis = Server::start_redis(extra);
        let a = ours.raw();
        let b = redis.raw();
        Diff { ours, redis, a, b }
    }

    /// Sends one command to both, asserts identical replies, returns the reply.
    pub fn check<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        let ra = self.a.call(args);
        let rb = self.b.call(args);
        assert_eq!(
            String::from_utf8_lossy(&ra),
            String::from_utf8_lossy(&rb),
            "reply differs for {:?} (left: redoubt, right: redis-server)",
            args.iter()
                .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
                .collect::<Vec<_>>()
        );
        ra
    }

    /// Runs a script: one command per line, arguments split like redis-cli does (quotes and
    /// escapes), blank lines and `#` comments skipped; every reply must match.
    pub fn run(&mut self, script: &str) {
        for line in script.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let args =
                resp::split_inline_args(line.as_bytes()).expect("balanced quotes in test script");
            self.check(&args);
        }
    }

    /// Sends the same raw bytes to both and compares the next reply.
    pub fn check_raw(&mut self, data: &[u8]) -> Vec<u8> {
        self.a.send(data);
        self.b.send(data);
        let ra = self.a.reply();
        let rb = self.b.reply();
        assert_eq!(
            String::from_utf8_lossy(&ra),
            String::from_utf8_lossy(&rb),
            "reply differs for raw {:?}",
            String::from_utf8_lossy(data)
        );
        ra
    }

    /// A second pair of connections (for WATCH, pub/sub, blocking tests).
    pub fn second(&self) -> (Raw, Raw) {
        (self.ours.raw(), self.redis.raw())
    }
}

impl Raw {
    /// Reads whatever arrives within `wait` (for asserting that nothing is sent).
    pub fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        self.fill_for(wait);
        std::mem::take(&mut self.buf)
    }

    /// Reads into the buffer what arrives until the connection is quiet for `wait`, keeping
    /// it for the next read; true when anything is buffered.
    pub fn fill_for(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut chunk = [0u8; 65536];
        while let Ok(n) = self.stream.read(&mut chunk) {
            if n == 0 {
                break;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        !self.buf.is_empty()
    }

    /// Reads `n` complete replies and returns their bytes concatenated.
    pub fn replies(&mut self, n: usize) -> Vec<u8> {
        let mut all = Vec::new();
        for _ in 0..n {
            all.extend(self.reply());
        }
        all
    }
}

/// A server's `blocked_clients` (INFO clients), read on a connection of its own.
pub fn blocked_clients(port: u16) -> usize {
    let info = String::from_utf8_lossy(&Raw::connect(port).call(&["INFO", "clients"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("INFO clients has blocked_clients")
}

/// Sends one command on a pair of connections (ours, redis) and asserts identical replies.
pub fn check_pair<A: AsRef<[u8]>>(a: &mut Raw, b: &mut Raw, args: &[A]) -> Vec<u8> {
    let ra = a.call(args);
    let rb = b.call(args);
    assert_eq!(
        String::from_utf8_lossy(&ra),
        String::from_utf8_lossy(&rb),
        "reply differs for {:?} (left: redoubt, right: redis-server)",
        args.iter()
            .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
            .collect::<Vec<_>>()
    );
    ra
}

/// Reads the next reply on a pair of connections and asserts they are identical (pushes).
pub fn check_pair_reply(a: &mut Raw, b: &mut Raw) -> Vec<u8> {
    let ra = a.reply();
    let rb = b.reply();
    assert_eq!(
        String::from_utf8_lossy(&ra),
        String::from_utf8_lossy(&rb),
        "pushed reply differs (left: redoubt, right: redis-server)"
    );
    ra
}

impl Diff {
    /// Replaces the main pair of connections with fresh ones (after the server closed them).
    pub fn reconnect(&mut self) {
        self.a = self.ours.raw();
        self.b = self.redis.raw();
    }

    /// Asserts that both servers have closed the main connections.
    pub fn assert_both_closed(&mut self) {
        assert!(self.a.is_closed(), "redoubt kept the connection open");
        assert!(self.b.is_closed(), "redis-server kept the connection open");
    }
}

impl Diff {
    /// A second pair of connections subscribed to every keyspace and keyevent notification of
    /// db 0 (start both servers with notify-keyspace-events set).
    pub fn keyspace_subscribers(&self) -> (Raw, Raw) {
        let (mut a, mut b) = self.second();
        check_pair(&mut a, &mut b, &["PSUBSCRIBE", "__key*@0__:*"]);
        (a, b)
    }
}

/// The keyspace_hits and keyspace_misses lines of INFO stats, joined by a space.
pub fn hits_misses(c: &mut Raw) -> String {
    let info = c.call(&["INFO", "stats"]);
    String::from_utf8_lossy(&info)
        .lines()
        .filter(|l| l.starts_with("keyspace_hits:") || l.starts_with("keyspace_misses:"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number from the environment (the random tests' knobs).
pub fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The commands `REDOUBT_RANDOM_SKIP=A,B` leaves out of random tests, upper-cased.
pub fn random_skip() -> Vec<String> {
    std::env::var("REDOUBT_RANDOM_SKIP")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().to_ascii_uppercase())
        .collect()
}

/// Runs rounds of `cases` proptest cases of `strategy` through `case` until `budget` has
/// passed (one round when it is zero). A failure panics with the shrunk command sequence
/// `script` extracts from the failing value. Returns the rounds run.
pub fn random_rounds<S: proptest::strategy::Strategy>(
    cases: u32,
    budget: Duration,
    strategy: S,
    case: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
    script: impl Fn(&S::Value) -> &[Vec<String>],
) -> u32 {
    use proptest::test_runner::{Config, TestError, TestRunner};
    let start = Instant::now();
    let mut rounds = 0;
    loop {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, &case);
        rounds += 1;
        match result {
            Ok(()) => {}
            Err(TestError::Fail(why, value)) => {
                let seq = script(&value);
                let lines: Vec<String> = seq.iter().map(|c| c.join(" ")).collect();
                panic!(
                    "minimal failing sequence ({} commands):\n{}\n\n{why}",
                    seq.len(),
                    lines.join("\n")
                );
            }
            Err(e) => panic!("{e}"),
        }
        if start.elapsed() >= budget {
            return rounds;
        }
    }
}

//! `redoubt up`: a whole HA group on this machine in one command — a primary, replicas and
//! sentinels on loopback, each a child process of this one — with a live view of roles,
//! offsets and sentinel events, stopped cleanly (SIGTERM to every child) on Ctrl-C.
//!
//! Children are ordinary `redoubt server` / `redoubt sentinel` processes with their own
//! directory and log under `--dir`, so an operator can kill one (`kill -9`) and watch the
//! group fail over in the view.

use std::io::{IsTerminal, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str = "Usage: redoubt up [--port 6379] [--replicas 2] [--sentinels 3] [--sentinel-port 26379] [--dir ./redoubt-up] [--down-after-ms 1000]";

/// The master name the sentinels monitor.
pub const MASTER_NAME: &str = "redoubt";

#[derive(Debug, Clone)]
struct Opts {
    port: u16,
    replicas: u16,
    sentinels: u16,
    sentinel_port: u16,
    dir: PathBuf,
    down_after_ms: u64,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        port: 6379,
        replicas: 2,
        sentinels: 3,
        sentinel_port: 26379,
        dir: PathBuf::from("redoubt-up"),
        down_after_ms: 1000,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        let num = |s: &String| {
            s.parse::<u64>()
                .map_err(|_| format!("{a}: not a number: {s}"))
        };
        match a.as_str() {
            "--port" => o.port = num(val()?)? as u16,
            "--replicas" => o.replicas = num(val()?)? as u16,
            "--sentinels" => o.sentinels = num(val()?)? as u16,
            "--sentinel-port" => o.sentinel_port = num(val()?)? as u16,
            "--dir" => o.dir = PathBuf::from(val()?),
            "--down-after-ms" => o.down_after_ms = num(val()?)?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

struct Node {
    name: String,
    port: u16,
    sentinel: bool,
    child: Child,
}

fn spawn(exe: &str, args: &[String], dir: &Path) -> std::io::Result<Child> {
    std::fs::create_dir_all(dir)?;
    let log = std::fs::File::create(dir.join("log"))?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // Own process group: Ctrl-C reaches only `up`, which then stops the children in order.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
}

fn start_group(exe: &str, o: &Opts) -> std::io::Result<Vec<Node>> {
    let mut nodes = Vec::new();
    for i in 0..=o.replicas {
        let port = o.port + i;
        let dir = o.dir.join(format!("server-{port}"));
        let mut args: Vec<String> = ["server", "--port", &port.to_string(), "--bind", "127.0.0.1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--dir".into(), ".".into(), "--save".into(), "".into()]);
        // A node that returns after a failover is synced at once rather than after the 5 s
        // diskless sync waits by default for more replicas to share one transfer.
        args.extend(["--repl-diskless-sync-delay".into(), "0".into()]);
        if i > 0 {
            args.extend(["--replicaof".into(), "127.0.0.1".into(), o.port.to_string()]);
        }
        let child = spawn(exe, &args, &dir)?;
        let name = if i == 0 {
            "primary".to_string()
        } else {
            format!("replica{i}")
        };
        nodes.push(Node {
            name,
            port,
            sentinel: false,
            child,
        });
    }
    let quorum = o.sentinels / 2 + 1;
    for i in 0..o.sentinels {
        let port = o.sentinel_port + i;
        let dir = o.dir.join(format!("sentinel-{port}"));
        std::fs::create_dir_all(&dir)?;
        let conf = dir.join("sentinel.conf");
        if !conf.exists() {
            let text = format!(
                "port {port}\nbind 127.0.0.1\nsentinel monitor {MASTER_NAME} 127.0.0.1 {} {quorum}\n\
                 sentinel down-after-milliseconds {MASTER_NAME} {}\nsentinel failover-timeout {MASTER_NAME} 10000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\nsentinel fast-failover yes\n",
                o.port, o.down_after_ms
            );
            std::fs::write(&conf, text)?;
        }
        let child = spawn(exe, &["sentinel".into(), "sentinel.conf".into()], &dir)?;
        nodes.push(Node {
            name: format!("sentinel{}", i + 1),
            port,
            sentinel: true,
            child,
        });
    }
    Ok(nodes)
}

/// Sends one command over a short-lived connection and returns the raw reply.
fn ask(port: u16, args: &[&str]) -> Option<resp::Frame> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(&resp::Frame::command(args)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Ok(Some((f, _))) = resp::Frame::decode(&buf) {
            return Some(f);
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn info_fields(port: u16, section: &str) -> Option<Vec<(String, String)>> {
    let f = ask(port, &["INFO", section])?;
    let text = String::from_utf8_lossy(f.as_bytes()?).into_owned();
    Some(
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map_or("-", |(_, v)| v.as_str())
}

fn server_line(n: &Node) -> String {
    match info_fields(n.port, "replication") {
        None => format!("{:<10} 127.0.0.1:{:<6} DOWN", n.name, n.port),
        Some(f) => {
            let role = field(&f, "role");
            let detail = if role == "master" {
                format!("replicas={}", field(&f, "connected_slaves"))
            } else {
                format!(
                    "of {}:{} link={}",
                    field(&f, "master_host"),
                    field(&f, "master_port"),
                    field(&f, "master_link_status")
                )
            };
            format!(
                "{:<10} 127.0.0.1:{:<6} {:<7} offset={:<10} {detail}",
                n.name,
                n.port,
                role,
                field(&f, "master_repl_offset")
            )
        }
    }
}

fn sentinel_line(n: &Node) -> String {
    match ask(
        n.port,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME],
    ) {
        Some(resp::Frame::Array(v)) if v.len() == 2 => {
            let host = String::from_utf8_lossy(v[0].as_bytes().unwrap_or_default()).into_owned();
            let port = String::from_utf8_lossy(v[1].as_bytes().unwrap_or_default()).into_owned();
            format!(
                "{:<10} 127.0.0.1:{:<6} primary is {host}:{port}",
                n.name, n.port
            )
        }
        Some(other) => format!("{:<10} 127.0.0.1:{:<6} {other:?}", n.name, n.port),
        None => format!("{:<10} 127.0.0.1:{:<6} DOWN", n.name, n.port),
    }
}

/// Follows the first sentinel's event channels into a short history.
fn follow_events(port: u16, events: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || loop {
        if STOP.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        let _ = s.write_all(&resp::Frame::command(&["PSUBSCRIBE", "*"]));
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            while let Ok(Some((f, used))) = resp::Frame::decode(&buf) {
                buf.drain(..used);
                let parts = match f {
                    resp::Frame::Array(v) | resp::Frame::Push(v) => v,
                    _ => continue,
                };
                if parts.len() == 4 && parts[0].as_bytes() == Some(b"pmessage") {
                    let ch = String::from_utf8_lossy(parts[2].as_bytes().unwrap_or_default())
                        .into_owned();
                    let msg = String::from_utf8_lossy(parts[3].as_bytes().unwrap_or_default())
                        .into_owned();
                    if ch == "__sentinel__:hello" {
                        continue;
                    }
                    let mut e = events.lock().expect("events lock");
                    e.push(format!("{ch} {msg}"));
                    let excess = e.len().saturating_sub(10);
                    e.drain(..excess);
                }
            }
        }
    });
}

fn render(
    o: &Opts,
    nodes: &[Node],
    events: &Mutex<Vec<String>>,
    started: Instant,
    tty: bool,
) -> String {
    let mut s = String::new();
    if tty {
        s.push_str("\x1b[2J\x1b[H");
    }
    s.push_str(&format!(
        "redoubt up — {} servers, {} sentinels, master name '{MASTER_NAME}', data in {} ({}s)\n",
        o.replicas + 1,
        o.sentinels,
        o.dir.display(),
        started.elapsed().as_secs()
    ));
    s.push_str(&format!(
        "connect: redis-cli -p {}   (sentinel: redis-cli -p {} SENTINEL GET-MASTER-ADDR-BY-NAME {MASTER_NAME})\n\n",
        o.port, o.sentinel_port
    ));
    for n in nodes {
        s.push_str(&if n.sentinel {
            sentinel_line(n)
        } else {
            server_line(n)
        });
        s.push('\n');
    }
    s.push_str("\nrecent sentinel events:\n");
    for e in events.lock().expect("events lock").iter() {
        s.push_str("  ");
        s.push_str(e);
        s.push('\n');
    }
    s.push_str("\nCtrl-C stops everything.\n");
    s
}

fn stop_all(nodes: &mut [Node]) {
    // Sentinels first, so stopping the servers does not trigger a failover on the way out.
    for n in nodes.iter_mut().rev() {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(n.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = n.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = n.child.kill();
        let _ = n.child.wait();
    }
}

pub fn run(exe: &str, args: &[String]) -> ExitCode {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    // SAFETY: installing a handler that only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    if let Err(e) = std::fs::create_dir_all(&o.dir) {
        eprintln!("cannot create {}: {e}", o.dir.display());
        return ExitCode::from(1);
    }
    let dir = std::fs::canonicalize(&o.dir).unwrap_or(o.dir.clone());
    let o = Opts { dir, ..o };
    // Children run in their own directories: a relative argv[0] would not resolve there.
    let exe = std::env::current_exe().map_or(exe.to_string(), |p| p.to_string_lossy().into_owned());
    let mut nodes = match start_group(&exe, &o) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("cannot start the group: {e}");
            return ExitCode::from(1);
        }
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    if o.sentinels > 0 {
        follow_events(o.sentinel_port, events.clone());
    }
    let started = Instant::now();
    let tty = std::io::stdout().is_terminal();
    let mut last = String::new();
    while !STOP.load(Ordering::SeqCst) {
        let view = render(&o, &nodes, &events, started, tty);
        // Without a terminal, print only when something other than the clock changed.
        let body = view.split_once('\n').map_or("", |(_, b)| b).to_string();
        if tty || body != last {
            // A closed stdout (the viewer went away) must not stop the group uncleanly.
            let mut out = std::io::stdout();
            let _ = out.write_all(view.as_bytes());
            let _ = out.flush();
            last = body;
        }
        for _ in 0..10 {
            if STOP.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = std::io::stdout().write_all("stopping…\n".as_bytes());
    stop_all(&mut nodes);
    ExitCode::SUCCESS
}

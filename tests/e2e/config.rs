//! Configuration: CONFIG GET/SET/RESETSTAT/REWRITE/HELP against redis-server 7.0 (same
//! start-up flags on both), start-up failures compared with redis-server's report and exit
//! code, redis.conf syntax (comments, quotes, include), run-time effects of CONFIG SET, and
//! daemonize/pidfile/logfile.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::kit::{self, free_port, Diff, Raw};

fn ours_bin() -> &'static str {
    env!("CARGO_BIN_EXE_redoubt")
}

fn redis_bin() -> String {
    kit::which("redis-server").expect("redis-server is not installed")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "redoubt-config-{}-{name}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fastrand_suffix() -> u64 {
    use std::time::SystemTime;
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000_007
}

/// Runs a server binary that is expected to exit; returns (exit code, stdout, stderr).
fn run_to_exit(ours: bool, args: &[&str], cwd: &Path) -> (i32, String, String) {
    let mut cmd = if ours {
        let mut c = Command::new(ours_bin());
        c.arg("server");
        c
    } else {
        Command::new(redis_bin())
    };
    let mut child = cmd
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{} {args:?} did not exit",
                if ours { "redoubt" } else { "redis" }
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}

/// A log line without its `pid:role date time` prefix.
fn log_message(line: &str) -> &str {
    line.splitn(6, ' ').nth(5).unwrap_or(line)
}

/// Both binaries refuse the same start-up input with the same report and exit code 1.
fn assert_same_failure(args: &[&str], cwd: &Path) {
    let (code_a, out_a, err_a) = run_to_exit(true, args, cwd);
    let (code_b, out_b, err_b) = run_to_exit(false, args, cwd);
    assert_eq!(code_b, 1, "redis-server accepted {args:?}: {out_b}");
    assert_eq!(code_a, 1, "redoubt exit code for {args:?}: {out_a}{err_a}");
    assert_eq!(err_a, err_b, "stderr differs for {args:?}");
    if err_b.is_empty() {
        // Redis logged the reason instead: compare the last warning line's message.
        let last = |s: &str| {
            s.lines()
                .rfind(|l| l.contains(" # "))
                .map(|l| log_message(l).to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            last(&out_a),
            last(&out_b),
            "logged reason differs for {args:?}"
        );
    }
}

/// A server process started with its config file first; killed when dropped.
struct Proc {
    child: Child,
    port: u16,
}

impl Proc {
    fn start(ours: bool, file: Option<&Path>, args: &[&str], cwd: &Path) -> Proc {
        let port = free_port();
        let mut cmd = if ours {
            let mut c = Command::new(ours_bin());
            c.arg("server");
            c
        } else {
            Command::new(redis_bin())
        };
        if let Some(f) = file {
            cmd.arg(f);
        }
        let port_s = port.to_string();
        cmd.args(["--port", &port_s, "--bind", "127.0.0.1"])
            .args(args)
            .current_dir(cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().unwrap();
        let p = Proc { child, port };
        wait_ready(port);
        p
    }

    fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            if c.write_all(b"PING\r\n").is_ok() {
                let mut buf = [0u8; 64];
                if matches!(c.read(&mut buf), Ok(n) if n > 0) {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not become ready");
}

/// CONFIG GET through a real client, as a map.
fn config_get(port: u16, pattern: &str) -> HashMap<String, String> {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("GET")
        .arg(pattern)
        .query(&mut c)
        .unwrap()
}

/// Splits a RESP2 flat array of bulk strings into its elements.
fn bulks(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut out = Vec::new();
    let mut lines = text.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') {
            out.push(lines.next().unwrap_or_default().to_string());
        }
    }
    out
}

/// A CONFIG GET reply as sorted (name, value) pairs: Redis orders it by hash.
fn pairs(reply: &[u8]) -> BTreeMap<String, String> {
    let b = bulks(reply);
    b.chunks(2)
        .map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or_default()))
        .collect()
}

#[test]
fn config_get_star_matches_redis() {
    let d = Diff::new(&[]);
    let ours = config_get(d.ours.port, "*");
    let theirs = config_get(d.redis.port, "*");
    let mut a: Vec<&String> = ours.keys().collect();
    let mut b: Vec<&String> = theirs.keys().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "directive names differ");
    for (k, v) in &theirs {
        if k == "port" || k == "dir" {
            continue;
        }
        assert_eq!(&ours[k], v, "value of {k}");
    }
    assert_eq!(ours["port"], d.ours.port.to_string());
    assert_eq!(
        Path::new(&ours["dir"]).canonicalize().unwrap(),
        d.ours.dir.canonicalize().unwrap()
    );
}

/// Every directive's value after start-up with `args`, on both servers.
fn assert_same_config_after_start(args: &[&str]) {
    let mut d = Diff::new(args);
    if let Some(i) = args.iter().position(|a| *a == "--requirepass") {
        d.check(&["AUTH", args[i + 1]]);
    }
    let ours = pairs(&d.a.call(&["CONFIG", "GET", "*"]));
    let theirs = pairs(&d.b.call(&["CONFIG", "GET", "*"]));
    for (k, v) in &theirs {
        if k != "port" && k != "dir" {
            assert_eq!(ours.get(k), Some(v), "{k} after start with {args:?}");
        }
    }
    assert_eq!(ours.len(), theirs.len());
}

#[test]
fn command_line_options_load_like_redis() {
    for args in [
        &["--save", "10", "2", "--save", "20", "3"][..],
        &["--save", "900 1"],
        &["--bind", "127.0.0.1 ::1"],
        &[
            "--client-output-buffer-limit",
            "normal 1mb 2mb 3",
            "--client-output-buffer-limit",
            "pubsub 1gb 0 0",
        ],
        &["--slaveof", "127.0.0.1", "1", "--replica-read-only", "no"],
        &["--notify-keyspace-events", "KEA", "--hz", "0"],
        &[
            "--maxmemory",
            "100mb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--maxmemory-clients",
            "5%",
        ],
        &["--requirepass", "p w", "--masterauth", "x"],
        &[
            "--latency-tracking-info-percentiles",
            "10 20.5",
            "--shutdown-on-sigterm",
            "nosave",
            "force",
        ],
        &[
            "--oom-score-adj-values",
            "0 100 200",
            "--list-max-ziplist-size",
            "-1",
        ],
        &[
            "--lua-replicate-commands",
            "yes",
            "--list-max-ziplist-entries",
            "1",
        ],
    ] {
        assert_same_config_after_start(args);
    }
}

#[test]
fn config_get_patterns_aliases_and_case() {
    let mut d = Diff::new(&[]);
    for q in [
        &["slave-read-only", "replica-read-*"][..],
        &["replica-read-*", "slave-read-only"],
        &["*max*-entries"],
        &["MAXMEMORY"],
        &["maxmemory", "Maxmemory", "maxmem*"],
        &["nonexistent"],
        &["hz", "save", "appendonly"],
        &["rdb-key-save-delay"],
        &["*delay*"],
        &["*lazy*", "*LAZY*"],
        &["[a-c]*"],
        &["notify-keyspace-events", "client-output-buffer-limit"],
    ] {
        let mut args = vec!["CONFIG", "GET"];
        args.extend_from_slice(q);
        let a = d.a.call(&args);
        let b = d.b.call(&args);
        assert_eq!(pairs(&a), pairs(&b), "CONFIG GET {q:?}");
        assert_eq!(a.len(), b.len(), "CONFIG GET {q:?} reply length");
    }
    // The name comes back as typed for an exact lookup; values of `port` differ by nature.
    let a = pairs(&d.a.call(&["CONFIG", "GET", "PORT", "p*rt"]));
    let b = pairs(&d.b.call(&["CONFIG", "GET", "PORT", "p*rt"]));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    d.run(
        "
        CONFIG GET
        CONFIG
        CONFIG HELP
        CONFIG FOO
        CONFIG RESETSTAT extra
        CONFIG REWRITE
        ",
    );
}

#[test]
fn config_set_then_get_matches_redis() {
    let mut d = Diff::new(&[]);
    let cases: &[(&str, &str)] = &[
        ("maxmemory", "1gb"),
        ("maxmemory", "3k"),
        ("maxmemory", "99999999999999999999"),
        ("maxmemory", ""),
        ("maxmemory-clients", "10%"),
        ("maxmemory-clients", "1mb"),
        ("hz", "1000"),
        ("hz", "0"),
        ("hz", "10"),
        ("timeout", "100"),
        ("timeout", "0"),
        ("save", "60 5 300 10"),
        ("save", ""),
        ("notify-keyspace-events", "KEA"),
        ("notify-keyspace-events", "mKEn$"),
        ("notify-keyspace-events", "An"),
        ("notify-keyspace-events", ""),
        (
            "client-output-buffer-limit",
            "normal 1mb 2mb 3 pubsub 0 0 0",
        ),
        ("client-output-buffer-limit", "replica 1gb 2k 3"),
        ("client-output-buffer-limit", "normal 0 0 0"),
        ("oom-score-adj-values", "1 2 3"),
        (
            "latency-tracking-info-percentiles",
            "1.5e1 99.123456789 100",
        ),
        ("latency-tracking-info-percentiles", ""),
        ("shutdown-on-sigint", "nosave now"),
        ("shutdown-on-sigterm", "default"),
        ("loglevel", "WARNING"),
        ("loglevel", "notice"),
        ("maxmemory-policy", "allkeys-LRU"),
        ("slave-read-only", "no"),
        ("replica-read-only", "yes"),
        ("list-max-ziplist-size", "5"),
        ("hash-max-ziplist-value", "1kb"),
        ("appendfsync", "always"),
        ("proto-max-bulk-len", "2mb"),
        ("client-query-buffer-limit", "2mb"),
        ("oom-score-adj", "relative"),
        ("oom-score-adj", "no"),
        ("lua-time-limit", "100"),
        ("slowlog-log-slower-than", "-1"),
        ("slowlog-max-len", "5"),
        ("active-expire-effort", "5"),
        ("maxclients", "500"),
        ("repl-backlog-size", "5mb"),
        ("min-replicas-to-write", "0"),
        ("enable-debug-command", "yes"),
        ("masterauth", "x y"),
        ("masterauth", ""),
        ("replica-announce-ip", "10.1.1.1"),
        ("tls-port", "0"),
        ("protected-mode", "yes"),
    ];
    for (name, value) in cases {
        d.check(&["CONFIG", "SET", name, value]);
        d.check(&["CONFIG", "GET", name]);
    }
    // Several at once, aliases and canonical names side by side.
    d.check(&[
        "CONFIG",
        "SET",
        "slave-read-only",
        "yes",
        "replica-read-only",
        "no",
    ]);
    d.check(&["CONFIG", "GET", "replica-read-only"]);
    d.check(&[
        "CONFIG",
        "SET",
        "timeout",
        "7",
        "hz",
        "20",
        "maxmemory",
        "1mb",
    ]);
    let a = pairs(&d.a.call(&["CONFIG", "GET", "timeout", "hz", "maxmemory"]));
    let b = pairs(&d.b.call(&["CONFIG", "GET", "timeout", "hz", "maxmemory"]));
    assert_eq!(a, b);
}

#[test]
fn config_set_errors_match_redis_and_change_nothing() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        CONFIG SET foo bar
        CONFIG SET FOO 1
        CONFIG SET port abc
        CONFIG SET port 70000
        CONFIG SET maxmemory -1
        CONFIG SET maxmemory 1.5gb
        CONFIG SET daemonize no
        CONFIG SET DAEMONIZE no
        CONFIG SET slaveof "no one"
        CONFIG SET unixsocketperm 700
        CONFIG SET dir /tmp
        CONFIG SET dbfilename a/b
        CONFIG SET hz 1 hz 2
        CONFIG SET hz 5 timeout abc
        CONFIG SET timeout abc hz 5
        CONFIG SET foo 1 daemonize no
        CONFIG SET daemonize no foo 1
        CONFIG SET maxmemory 1 hz x timeout 2
        CONFIG SET a
        CONFIG SET a b c
        CONFIG SET save "0 1"
        CONFIG SET save "3600  1"
        CONFIG SET save "3600 1 300"
        CONFIG SET client-output-buffer-limit "master 1 1 1"
        CONFIG SET client-output-buffer-limit "normal 1 1 -1"
        CONFIG SET client-output-buffer-limit "normal 1 1"
        CONFIG SET oom-score-adj-values "1 2"
        CONFIG SET oom-score-adj-values "1 2 3000"
        CONFIG SET loglevel loud
        CONFIG SET loglevel "notice warning"
        CONFIG SET shutdown-on-sigint "save nosave"
        CONFIG SET activedefrag yes
        CONFIG SET appendonly maybe
        CONFIG SET notify-keyspace-events "K E"
        CONFIG SET slave-priority abc
        CONFIG SET MAXMEMORY abc
        CONFIG SET maxmemory-clients 101%
        CONFIG SET maxmemory-clients -5%
        CONFIG SET proto-max-bulk-len 1
        CONFIG SET maxclients 0
        CONFIG SET active-expire-effort 11
        CONFIG SET timeout 007
        CONFIG SET timeout +5
        CONFIG SET proc-title-template {foo}
        CONFIG SET cluster-announce-hostname a_b
        CONFIG SET latency-tracking-info-percentiles "101"
        CONFIG SET latency-tracking-info-percentiles "x"
        CONFIG SET bind "127.0.0.1  ::1"
        CONFIG GET hz
        CONFIG GET timeout
        CONFIG GET maxmemory
        CONFIG GET save
        CONFIG GET client-output-buffer-limit
        "#,
    );
}

#[test]
fn config_set_runtime_effects() {
    // requirepass: new connections must authenticate; the setting connection stays in.
    let mut d = Diff::new(&[]);
    d.check(&["CONFIG", "SET", "requirepass", "s3cret"]);
    d.check(&["PING"]);
    let (mut a, mut b) = d.second();
    kit::check_pair(&mut a, &mut b, &["GET", "x"]);
    kit::check_pair(&mut a, &mut b, &["AUTH", "s3cret"]);
    kit::check_pair(&mut a, &mut b, &["GET", "x"]);
    d.check(&["CONFIG", "SET", "requirepass", ""]);
    // notify-keyspace-events: events flow once enabled.
    let (mut sa, mut sb) = d.second();
    kit::check_pair(&mut sa, &mut sb, &["SUBSCRIBE", "__keyevent@0__:set"]);
    d.check(&["SET", "k", "1"]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    d.check(&["SET", "k", "2"]);
    kit::check_pair_reply(&mut sa, &mut sb);
    // proto-max-bulk-len bounds requests at once.
    d.check(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    d.check_raw(b"*2\r\n$3\r\nGET\r\n$2000000\r\n");
    d.assert_both_closed();
    d.reconnect();
    // A bind that cannot be satisfied fails and leaves the server listening where it was.
    d.check(&["CONFIG", "SET", "bind", "192.0.2.1"]);
    d.check(&["CONFIG", "GET", "bind"]);
    let (mut a, mut b) = d.second();
    kit::check_pair(&mut a, &mut b, &["PING"]);
    // A port already taken fails the same way.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    d.check(&["CONFIG", "SET", "port", &taken_port]);
}

#[test]
fn protected_configs_dir_and_dbfilename() {
    let mut d = Diff::new(&["--enable-protected-configs", "yes"]);
    d.run(
        r#"
        CONFIG SET dir /
        CONFIG GET dir
        CONFIG SET dir /nonexistent-redoubt-dir
        CONFIG SET dir /tmp hz abc
        CONFIG GET dir
        CONFIG SET dbfilename a/b
        CONFIG SET dbfilename other.rdb
        CONFIG GET dbfilename
        CONFIG SET appendfilename x.aof
        "#,
    );
}

#[test]
fn config_set_port_bind_and_maxclients_apply() {
    let s = kit::Server::start(&[]);
    let mut c = s.raw();
    let new_port = free_port();
    assert_eq!(
        c.call(&["CONFIG", "SET", "port", &new_port.to_string()]),
        b"+OK\r\n"
    );
    wait_ready(new_port);
    assert!(TcpStream::connect(("127.0.0.1", s.port)).is_err());
    let mut c2 = Raw::connect(new_port);
    assert_eq!(
        c2.call(&["CONFIG", "GET", "port"]),
        format!(
            "*2\r\n$4\r\nport\r\n${}\r\n{new_port}\r\n",
            new_port.to_string().len()
        )
        .into_bytes()
    );
    // Another loopback address, then back.
    assert_eq!(c2.call(&["CONFIG", "SET", "bind", "127.0.0.2"]), b"+OK\r\n");
    assert!(TcpStream::connect(("127.0.0.1", new_port)).is_err());
    let mut c3 = TcpStream::connect(("127.0.0.2", new_port)).expect("listening on 127.0.0.2");
    c3.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    c3.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    assert_eq!(c2.call(&["CONFIG", "SET", "bind", "127.0.0.1"]), b"+OK\r\n");
    wait_ready(new_port);
    // maxclients applies to the next connection (c, c2, c3 and c4 are connected).
    let mut c4 = Raw::connect(new_port);
    assert_eq!(c4.call(&["CONFIG", "SET", "maxclients", "5"]), b"+OK\r\n");
    let mut extra = Raw::connect(new_port);
    let mut extra2 = Raw::connect(new_port);
    let mut line = [0u8; 64];
    let n = extra2.stream.read(&mut line).unwrap();
    assert_eq!(&line[..n], b"-ERR max number of clients reached\r\n");
    assert_eq!(extra.call(&["PING"]), b"+PONG\r\n");
    // The timeout closes idle clients.
    assert_eq!(
        c4.call(&["CONFIG", "SET", "maxclients", "100", "timeout", "1"]),
        b"+OK\r\n"
    );
    std::thread::sleep(Duration::from_millis(2500));
    c3.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    assert!(matches!(c3.read(&mut buf), Ok(0)), "idle client kept");
}

#[test]
fn startup_failures_match_redis() {
    let dir = scratch("fail");
    for args in [
        &["--port", "abc"][..],
        &["--port", "70000"],
        &["--port", "1", "--port"],
        &["--port", "1", "2"],
        &["--bogus"],
        &["--bogus", "1", "2"],
        &["--save", "1"],
        &["--save", "0", "1"],
        &["--loglevel", "loud"],
        &["--maxmemory", "-1"],
        &["--replicaof", "127.0.0.1", "x"],
        &["--slaveof", "a"],
        &["--notify-keyspace-events", "K E"],
        &["--appendonly", "maybe"],
        &["--client-output-buffer-limit", "master 1 1 1"],
        &["--dir", "/nonexistent-redoubt-dir"],
        &["--logfile", "/nonexistent-redoubt-dir/x.log"],
        &["--foo.bar"],
        &["--rename-command", "nosuchcmd", "x"],
        &[
            "--rename-command",
            "get",
            "get2",
            "--rename-command",
            "set",
            "get2",
        ],
        &["--port 7000", "--bogus 1"],
        &["--include", "/nonexistent-redoubt-dir/x.conf"],
    ] {
        assert_same_failure(args, &dir);
    }
    // Files: a bad directive on line 3, unbalanced quotes, a bad value in an include.
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "# comment\nport 7000\nbogus 1 2\n").unwrap();
    assert_same_failure(&[bad.to_str().unwrap()], &dir);
    assert_same_failure(&[bad.to_str().unwrap(), "--port", "1"], &dir);
    let quotes = dir.join("quotes.conf");
    std::fs::write(&quotes, "port \"7000\n").unwrap();
    assert_same_failure(&[quotes.to_str().unwrap()], &dir);
    let inc = dir.join("inc.conf");
    std::fs::write(&inc, "timeout 5\nhz x\n").unwrap();
    let with_inc = dir.join("with-inc.conf");
    std::fs::write(&with_inc, format!("port 7000\ninclude {}\n", inc.display())).unwrap();
    assert_same_failure(&[with_inc.to_str().unwrap()], &dir);
    assert_same_failure(&["missing.conf"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

const SAMPLE_CONF: &str = r#"# Redoubt test configuration
   # an indented comment

timeout 42
slave-read-only no
requirepass "a b\"c"
notify-keyspace-events 'Ex'
save 900 1
save 300 10
maxmemory 2mb
maxmemory-policy allkeys-lru
client-output-buffer-limit pubsub 64mb 16mb 90
list-max-ziplist-entries 512
rename-command flushall ""
"#;

const SAMPLE_KEYS: &[&str] = &[
    "timeout",
    "replica-read-only",
    "requirepass",
    "notify-keyspace-events",
    "save",
    "maxmemory",
    "maxmemory-policy",
    "client-output-buffer-limit",
    "hz",
    "loglevel",
];

fn sample_values(p: &Proc) -> Vec<Vec<u8>> {
    let mut c = p.raw();
    c.call(&["AUTH", "a b\"c"]);
    SAMPLE_KEYS
        .iter()
        .map(|k| c.call(&["CONFIG", "GET", k]))
        .collect()
}

#[test]
fn config_file_with_comments_quotes_and_include() {
    let dir = scratch("file");
    let inc = dir.join("extra.conf");
    std::fs::write(&inc, "hz 25\nloglevel warning\n").unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, format!("{SAMPLE_CONF}include {}\n", inc.display())).unwrap();
    let ours = Proc::start(true, Some(&conf), &[], &dir);
    let theirs = Proc::start(false, Some(&conf), &[], &dir);
    assert_eq!(sample_values(&ours), sample_values(&theirs));
    // Command-line options come after the file and win; `--save ""` clears the save points.
    let ours = Proc::start(true, Some(&conf), &["--timeout", "7", "--hz", "30"], &dir);
    let theirs = Proc::start(false, Some(&conf), &["--timeout", "7", "--hz", "30"], &dir);
    assert_eq!(sample_values(&ours), sample_values(&theirs));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lines of a rewritten file that do not depend on the server (port, dir, ACL users).
fn comparable_lines(path: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let keep =
        |l: &&str| !l.starts_with("port ") && !l.starts_with("dir ") && !l.starts_with("user ");
    let (head, tail) = match text.split_once("# Generated by CONFIG REWRITE\n") {
        Some((h, t)) => (h, t),
        None => (text.as_str(), ""),
    };
    let head: Vec<String> = head.lines().filter(keep).map(String::from).collect();
    let mut tail: Vec<String> = tail.lines().filter(keep).map(String::from).collect();
    // Redis appends in hash order; compare the appended lines as a set.
    tail.sort();
    (head, tail)
}

#[test]
fn config_rewrite_round_trip() {
    let dir = scratch("rewrite");
    let ours_conf = dir.join("ours.conf");
    let redis_conf = dir.join("redis.conf");
    std::fs::write(&ours_conf, SAMPLE_CONF).unwrap();
    std::fs::write(&redis_conf, SAMPLE_CONF).unwrap();
    let ours = Proc::start(true, Some(&ours_conf), &[], &dir);
    let theirs = Proc::start(false, Some(&redis_conf), &[], &dir);
    let mut a = ours.raw();
    let mut b = theirs.raw();
    for cmd in [
        &["AUTH", "a b\"c"][..],
        &["CONFIG", "SET", "timeout", "0"],
        &["CONFIG", "SET", "save", "60 5"],
        &["CONFIG", "SET", "maxmemory", "3000000"],
        &["CONFIG", "SET", "notify-keyspace-events", "KEx"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0",
        ],
        &["CONFIG", "SET", "hz", "15"],
        &["CONFIG", "SET", "slowlog-max-len", "64"],
        &["CONFIG", "SET", "bind", "127.0.0.1 -::1"],
        &["CONFIG", "REWRITE"],
    ] {
        kit::check_pair(&mut a, &mut b, cmd);
    }
    let (head_a, tail_a) = comparable_lines(&ours_conf);
    let (head_b, tail_b) = comparable_lines(&redis_conf);
    assert_eq!(head_a, head_b, "rewritten lines in place differ");
    assert_eq!(tail_a, tail_b, "appended lines differ");
    // A second rewrite reuses the generated lines the way Redis does.
    kit::check_pair(&mut a, &mut b, &["CONFIG", "REWRITE"]);
    assert_eq!(comparable_lines(&ours_conf), comparable_lines(&redis_conf));
    // Restarting from the rewritten file gives the same configuration.
    let values_before: Vec<Vec<u8>> = [
        "timeout",
        "save",
        "maxmemory",
        "notify-keyspace-events",
        "client-output-buffer-limit",
        "hz",
        "slowlog-max-len",
    ]
    .iter()
    .map(|k| a.call(&["CONFIG", "GET", k]))
    .collect();
    drop(ours);
    let text = std::fs::read_to_string(&ours_conf).unwrap();
    // Drop the recorded port and bind so the restart can pick a free port.
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("port ") && !l.starts_with("bind "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&ours_conf, text).unwrap();
    let again = Proc::start(true, Some(&ours_conf), &[], &dir);
    let mut c = again.raw();
    c.call(&["AUTH", "a b\"c"]);
    let values_after: Vec<Vec<u8>> = [
        "timeout",
        "save",
        "maxmemory",
        "notify-keyspace-events",
        "client-output-buffer-limit",
        "hz",
        "slowlog-max-len",
    ]
    .iter()
    .map(|k| c.call(&["CONFIG", "GET", k]))
    .collect();
    assert_eq!(values_before, values_after);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_resetstat_resets_counters_but_not_the_slowlog() {
    let mut d = Diff::new(&["--slowlog-log-slower-than", "0"]);
    d.check(&["SET", "a", "1"]);
    d.check(&["GET", "a"]);
    d.check(&["GET", "missing"]);
    d.check(&["NOSUCHCOMMAND"]);
    d.check(&["CONFIG", "RESETSTAT"]);
    for (conn, name) in [(&mut d.a, "redoubt"), (&mut d.b, "redis")] {
        let info = String::from_utf8(conn.call(&["INFO", "all"])).unwrap();
        let field = |k: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}:")))
                .unwrap_or_else(|| panic!("{name}: no {k} in INFO"))
                .trim()
                .to_string()
        };
        assert_eq!(field("total_commands_processed"), "1", "{name}");
        assert_eq!(field("keyspace_hits"), "0", "{name}");
        assert_eq!(field("keyspace_misses"), "0", "{name}");
        assert_eq!(field("total_error_replies"), "0", "{name}");
        assert!(!info.contains("cmdstat_get:"), "{name}: commandstats kept");
        assert!(!info.contains("errorstat_ERR:"), "{name}: errorstats kept");
        let slow = conn.call(&["SLOWLOG", "LEN"]);
        assert_ne!(slow, b":0\r\n", "{name}: slowlog was reset");
    }
}

/// Stops a daemon this test started, even when an assertion fails first.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: signals the daemon this test started (already gone on success).
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}

#[test]
fn daemonize_writes_and_removes_the_pidfile_and_logs_to_logfile() {
    let dir = scratch("daemon");
    let pidfile = dir.join("redoubt.pid");
    let logfile = dir.join("redoubt.log");
    let port = free_port();
    let (code, _, _) = run_to_exit(
        true,
        &[
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            pidfile.to_str().unwrap(),
            "--logfile",
            logfile.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code, 0, "the foreground process exits at once");
    wait_ready(port);
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _guard = KillOnDrop(pid);
    let mut c = Raw::connect(port);
    assert_eq!(
        pairs(&c.call(&["CONFIG", "GET", "daemonize"]))["daemonize"],
        "yes"
    );
    let log = std::fs::read_to_string(&logfile).unwrap();
    assert!(log.contains("Ready to accept connections"), "log: {log}");
    // SAFETY: signalling the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while pidfile.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pidfile removed at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn not_listening_anywhere_exits_like_redis() {
    let dir = scratch("nolisten");
    for args in [&["--port", "0"][..], &["--bind", ""]] {
        let (code_a, out_a, _) = run_to_exit(true, args, &dir);
        let (code_b, out_b, _) = run_to_exit(false, args, &dir);
        assert_eq!((code_a, code_b), (1, 1));
        let msg = "Configured to not listen anywhere, exiting.";
        assert!(out_b.contains(msg) && out_a.contains(msg), "{out_a}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

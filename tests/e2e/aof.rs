//! The append-only file over real processes, with redis-server 7.0.15 as the reference:
//! directories written here load in Redis (and pass redis-check-aof) and the reverse, with
//! every value type, TTLs and several databases, with and without the RDB preamble; an old
//! single-file AOF is upgraded; broken files make both servers do the same thing; rewrites
//! under concurrent writes lose nothing; CONFIG SET appendonly and the rewrite replies and
//! INFO fields match. [`crash`] kills the server mid-write; [`check`] compares
//! `redoubt check-aof` with redis-check-aof.

mod check;
mod crash;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::kit::{free_port, Raw, Server};

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("redoubt-aof-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }

    pub fn aofdir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

pub fn info_field(port: u16, field: &str) -> String {
    let info = text(&Raw::connect(port).call(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

pub fn server(redis: bool, args: &[&str]) -> Server {
    if redis {
        Server::start_redis(args)
    } else {
        Server::start(args)
    }
}

/// A Redoubt or Redis server with the AOF on in `dir`.
pub fn start(redis: bool, dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.s(), "--appendonly", "yes"];
    args.extend_from_slice(extra);
    server(redis, &args)
}

fn wait_rewrite_done(port: u16) {
    wait_until("the AOF rewrite to finish", || {
        info_field(port, "aof_rewrite_in_progress") == "0"
            && info_field(port, "aof_rewrite_scheduled") == "0"
    });
}

pub fn manifest(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.aofdir().join("appendonly.aof.manifest")).unwrap_or_default()
}

/// Every key of every database with its type, content and absolute expiry.
pub fn dump_all(port: u16) -> BTreeMap<(u32, Vec<u8>), String> {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let mut all = BTreeMap::new();
    for db in 0..16u32 {
        redis::cmd("SELECT").arg(db).query::<()>(&mut c).unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        for k in keys {
            let t: String = redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
            let content = match t.as_str() {
                "string" => {
                    let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut c).unwrap();
                    format!("{:?}", text(&v))
                }
                "list" => {
                    let v: Vec<Vec<u8>> = redis::cmd("LRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .query(&mut c)
                        .unwrap();
                    format!("{v:?}")
                }
                "hash" => {
                    let mut v: Vec<(Vec<u8>, Vec<u8>)> =
                        redis::cmd("HGETALL").arg(&k).query(&mut c).unwrap();
                    v.sort();
                    format!("{v:?}")
                }
                "set" => {
                    let mut v: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg(&k).query(&mut c).unwrap();
                    v.sort();
                    format!("{v:?}")
                }
                "zset" => {
                    let v: Vec<Vec<u8>> = redis::cmd("ZRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query(&mut c)
                        .unwrap();
                    format!("{:?}", v.iter().map(|b| text(b)).collect::<Vec<_>>())
                }
                other => panic!("unexpected type {other}"),
            };
            let at: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(&mut c).unwrap();
            all.insert((db, k), format!("{t} {content} expire={at}"));
        }
    }
    all
}

/// Writes every value type in three databases; `round` varies the names so a second call
/// adds to the first.
pub fn fill(port: u16, round: u32) {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    macro_rules! q {
        ($c:expr, [$name:expr $(, $a:expr)*]) => {{
            #[allow(unused_mut)]
            let mut cmd = redis::cmd($name);
            $( cmd.arg($a); )*
            cmd.query::<redis::Value>($c).unwrap();
        }};
    }
    let p = |s: &str| format!("r{round}:{s}");
    for db in [0u32, 3, 15] {
        q!(&mut c, ["SELECT", db]);
        q!(&mut c, ["SET", p("int"), -1234567890123i64]);
        q!(&mut c, ["SET", p("big"), "x".repeat(5000)]);
        q!(&mut c, ["SET", p("bin"), b"a\r\nb\0c\xff".to_vec()]);
        q!(&mut c, ["SET", p("empty"), ""]);
        q!(&mut c, ["APPEND", p("appended"), "abc"]);
        q!(&mut c, ["APPEND", p("appended"), "def"]);
        q!(&mut c, ["INCRBYFLOAT", p("float"), "1.5"]);
        q!(&mut c, ["SET", p("ttl"), "v", "EX", "1000"]);
        q!(&mut c, ["SET", p("pxat"), "v", "PXAT", "4102444800000"]);
        q!(&mut c, ["RPUSH", p("list"), "a", "b", "1", "-2"]);
        for i in 0..300 {
            let item = if i % 7 == 0 {
                "long".repeat(30)
            } else {
                i.to_string()
            };
            q!(&mut c, ["RPUSH", p("biglist"), item]);
        }
        q!(&mut c, ["LPOP", p("biglist")]);
        q!(&mut c, ["HSET", p("hash"), "f", "v", "n", "12"]);
        for i in 0..200 {
            q!(&mut c, ["HSET", p("bighash"), format!("f{i}"), i]);
        }
        q!(&mut c, ["HINCRBYFLOAT", p("hash"), "fl", "2.25"]);
        q!(&mut c, ["SADD", p("intset"), 1, 2, 3, -100]);
        q!(&mut c, ["SADD", p("set"), "a", "b", "c"]);
        for i in 0..200 {
            q!(&mut c, ["SADD", p("bigset"), format!("m{i}")]);
        }
        q!(&mut c, ["SPOP", p("bigset")]);
        q!(
            &mut c,
            [
                "ZADD",
                p("zset"),
                1.5,
                "a",
                "-inf",
                "b",
                "+inf",
                "c",
                1e300,
                "d"
            ]
        );
        q!(&mut c, ["ZINCRBY", p("zset"), 0.1, "a"]);
        for i in 0..200 {
            q!(
                &mut c,
                ["ZADD", p("bigzset"), i as f64 / 3.0, format!("m{i}")]
            );
        }
        q!(&mut c, ["EXPIRE", p("bighash"), "5000"]);
        q!(&mut c, ["PEXPIREAT", p("zset"), "4102444800123"]);
        q!(&mut c, ["SET", p("deleted"), "1"]);
        q!(&mut c, ["DEL", p("deleted")]);
        q!(&mut c, ["MULTI"]);
        q!(&mut c, ["INCR", p("inmulti")]);
        q!(&mut c, ["RPUSH", p("multilist"), "x"]);
        q!(&mut c, ["EXEC"]);
    }
    q!(&mut c, ["SELECT", 0]);
}

/// Writes data in two halves around a rewrite (so both the base and an incremental file hold
/// some), stops the server cleanly and returns what it held.
fn write_and_stop(redis: bool, dir: &TempDir, extra: &[&str]) -> BTreeMap<(u32, Vec<u8>), String> {
    let mut s = start(redis, dir, extra);
    fill(s.port, 1);
    let r = text(&Raw::connect(s.port).call(&["BGREWRITEAOF"]));
    assert_eq!(r, "+Background append only file rewriting started\r\n");
    wait_rewrite_done(s.port);
    fill(s.port, 2);
    let before = dump_all(s.port);
    assert!(s.terminate().success());
    before
}

pub fn redis_check_aof(path: &Path) -> (bool, String) {
    let bin = crate::kit::which("redis-check-aof")
        .expect("redis-check-aof (redis-tools) is installed by scripts/test.sh");
    let out = Command::new(bin).arg(path).output().unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn round_trip(from_redis: bool, extra: &[&str]) {
    let d = TempDir::new(&format!("rt-{from_redis}-{}", extra.join("")));
    let before = write_and_stop(from_redis, &d, extra);
    assert!(before.len() > 60, "{}", before.len());
    let (ok, out) = redis_check_aof(&d.aofdir().join("appendonly.aof.manifest"));
    assert!(
        ok && out.contains("All AOF files and manifest are valid"),
        "{out}"
    );
    let mut other = start(!from_redis, &d, extra);
    let after = dump_all(other.port);
    assert_eq!(before.len(), after.len());
    for (k, v) in &before {
        assert_eq!(Some(v), after.get(k), "key {k:?}");
    }
    // And the files the second server writes on top load back in the first.
    fill(other.port, 3);
    let more = dump_all(other.port);
    assert!(other.terminate().success());
    let first = start(from_redis, &d, extra);
    assert_eq!(dump_all(first.port), more);
}

#[test]
fn redoubt_files_load_in_redis_and_back() {
    round_trip(false, &[]);
}

#[test]
fn redis_files_load_here_and_back() {
    round_trip(true, &[]);
}

#[test]
fn without_rdb_preamble_both_ways() {
    round_trip(false, &["--aof-use-rdb-preamble", "no"]);
    round_trip(true, &["--aof-use-rdb-preamble", "no"]);
}

#[test]
fn fresh_start_layout_matches_redis() {
    for redis in [false, true] {
        let d = TempDir::new(&format!("layout-{redis}"));
        // With the AOF on, an existing dump.rdb is ignored (Redis 7.0 starts empty).
        std::fs::write(d.0.join("dump.rdb"), b"not even an rdb").unwrap();
        let s = start(redis, &d, &[]);
        assert_eq!(text(&Raw::connect(s.port).call(&["DBSIZE"])), ":0\r\n");
        assert_eq!(
            manifest(&d),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            "redis={redis}"
        );
        let mut c = Raw::connect(s.port);
        c.call(&["SET", "a", "1"]);
        c.call(&["SET", "b", "2", "EX", "100"]);
        // With everysec a write may wait behind a running fsync (both servers): poll.
        let path = d.aofdir().join("appendonly.aof.1.incr.aof");
        wait_until("both writes in the file", || {
            text(&std::fs::read(&path).unwrap()).contains("PXAT")
        });
        let incr = text(&std::fs::read(&path).unwrap());
        assert!(incr.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*5\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n$4\r\nPXAT\r\n$13\r\n"), "{incr:?}");
        let base = std::fs::read(d.aofdir().join("appendonly.aof.1.base.rdb")).unwrap();
        assert!(base.starts_with(b"REDIS0010"));
        assert!(
            base.windows(10).any(|w| w == b"aof-base\xc0\x01"),
            "aof-base aux"
        );
    }
}

#[test]
fn old_single_file_aof_is_upgraded_like_redis() {
    let cmds = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$3\r\nval\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n";
    // A preamble AOF: an RDB from Redis followed by commands.
    let rdb = {
        let d = TempDir::new("upgrade-src");
        let r = Server::start_redis(&["--dir", d.s()]);
        Raw::connect(r.port).call(&["SET", "fromrdb", "1"]);
        Raw::connect(r.port).call(&["SAVE"]);
        std::fs::read(d.0.join("dump.rdb")).unwrap()
    };
    let mut preamble = rdb.clone();
    preamble.extend_from_slice(cmds);
    for (what, content) in [("plain", cmds.to_vec()), ("preamble", preamble)] {
        let mut seen = Vec::new();
        for redis in [false, true] {
            let d = TempDir::new(&format!("upgrade-{what}-{redis}"));
            std::fs::write(d.0.join("appendonly.aof"), &content).unwrap();
            let s = start(redis, &d, &[]);
            seen.push((dump_all(s.port), manifest(&d)));
            assert!(!d.0.join("appendonly.aof").exists());
            assert!(d.aofdir().join("appendonly.aof").exists());
        }
        assert_eq!(seen[0], seen[1], "{what}");
        assert!(
            seen[0].1.starts_with("file appendonly.aof seq 1 type b\n"),
            "{}",
            seen[0].1
        );
    }
}

/// What a server did with a directory: `Err(exit code)` or the keys it loaded.
fn outcome(redis: bool, dir: &Path, extra: &[&str]) -> Result<Vec<String>, i32> {
    let port = free_port();
    let bin = if redis {
        crate::kit::which("redis-server").unwrap()
    } else {
        env!("CARGO_BIN_EXE_redoubt").to_string()
    };
    let mut cmd = Command::new(bin);
    if !redis {
        cmd.arg("server");
    }
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
    ])
    .args(["--appendonly", "yes", "--dir", dir.to_str().unwrap()])
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child: Child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return Err(st.code().unwrap_or(-1));
        }
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 64];
            if c.write_all(b"PING\r\n").is_ok()
                && c.read(&mut buf).is_ok_and(|n| n > 0)
                && !buf.starts_with(b"-LOADING")
            {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "server neither started nor exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut keys: Vec<String> = dump_all(port)
        .into_iter()
        .map(|((db, k), v)| format!("{db}:{}={v}", text(&k)))
        .collect();
    keys.sort();
    let _ = child.kill();
    let _ = child.wait();
    Ok(keys)
}

/// Lays out `appendonlydir` with a base holding key `a` and the given incremental file.
fn layout(dir: &Path, base: &[u8], incr: &[u8]) {
    let d = dir.join("appendonlydir");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(d.join("appendonly.aof.1.base.aof"), base).unwrap();
    std::fs::write(d.join("appendonly.aof.1.incr.aof"), incr).unwrap();
}

const BASE: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
const SET_B: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";

#[test]
fn broken_files_behave_like_redis() {
    let multi_open = [
        SET_B,
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n",
    ]
    .concat();
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        (
            "torn tail",
            BASE.to_vec(),
            [SET_B, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1"].concat(),
            "yes",
        ),
        (
            "torn tail, refused",
            BASE.to_vec(),
            [SET_B, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1"].concat(),
            "no",
        ),
        (
            "torn argument",
            BASE.to_vec(),
            [SET_B, b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\n3\r\n"].concat(),
            "yes",
        ),
        (
            "garbage",
            BASE.to_vec(),
            [SET_B, b"xyz\r\n", SET_B].concat(),
            "yes",
        ),
        ("open multi", BASE.to_vec(), multi_open.clone(), "yes"),
        ("open multi, refused", BASE.to_vec(), multi_open, "no"),
        (
            "torn base",
            [BASE, b"*3\r\n$3\r\nSET\r\n$1\r\nb"].concat(),
            SET_B.to_vec(),
            "yes",
        ),
        (
            "unknown command",
            BASE.to_vec(),
            b"*2\r\n$5\r\nFOOBA\r\n$1\r\nb\r\n".to_vec(),
            "yes",
        ),
        ("empty files", Vec::new(), Vec::new(), "yes"),
        ("empty incr", BASE.to_vec(), Vec::new(), "yes"),
        ("lone star", BASE.to_vec(), [SET_B, b"*"].concat(), "yes"),
        (
            "zero argc",
            BASE.to_vec(),
            [SET_B, b"*0\r\n"].concat(),
            "yes",
        ),
        (
            "annotations",
            BASE.to_vec(),
            [b"#TS:1700000000\r\n", SET_B].concat(),
            "yes",
        ),
    ];
    for (what, base, incr, truncated) in cases {
        let mut results = Vec::new();
        for redis in [false, true] {
            let d = TempDir::new(&format!("broken-{}-{redis}", what.replace([' ', ','], "")));
            layout(&d.0, &base, &incr);
            let r = outcome(redis, &d.0, &["--aof-load-truncated", truncated]);
            let sizes: Vec<u64> = ["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof"]
                .iter()
                .map(|f| std::fs::metadata(d.aofdir().join(f)).map_or(0, |m| m.len()))
                .collect();
            results.push((r, sizes));
        }
        assert_eq!(
            results[0], results[1],
            "{what} (left: redoubt, right: redis-server)"
        );
    }
    // A manifest naming a missing file, and broken manifests, stop both.
    for (what, m) in [
        ("missing file", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.9.incr.aof seq 9 type i\n"),
        ("bad manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile x seq 1\n"),
        ("no newline", "file appendonly.aof.1.base.aof seq 1 type b"),
    ] {
        for redis in [false, true] {
            let d = TempDir::new(&format!("manifest-{}-{redis}", what.replace(' ', "")));
            layout(&d.0, BASE, SET_B);
            std::fs::write(d.aofdir().join("appendonly.aof.manifest"), m).unwrap();
            assert_eq!(outcome(redis, &d.0, &[]), Err(1), "{what} redis={redis}");
        }
    }
}

/// The pid of the server's forked child (BGSAVE or rewrite), if one runs.
fn child_of(server_pid: u32) -> Option<i32> {
    let s =
        std::fs::read_to_string(format!("/proc/{server_pid}/task/{server_pid}/children")).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

#[test]
fn rewrite_replies_and_info_match_redis() {
    for redis in [false, true] {
        let d = TempDir::new(&format!("replies-{redis}"));
        let s = start(
            redis,
            &d,
            &[
                "--aof-use-rdb-preamble",
                "no",
                "--rdb-key-save-delay",
                "200000",
            ],
        );
        let mut c = s.raw();
        for i in 0..20 {
            c.call(&["SET", &format!("k{i}"), "v"]);
        }
        let expect = |c: &mut Raw, args: &[&str], want: &str| {
            assert_eq!(text(&c.call(args)), want, "{args:?} redis={redis}");
        };
        expect(
            &mut c,
            &["BGREWRITEAOF"],
            "+Background append only file rewriting started\r\n",
        );
        expect(
            &mut c,
            &["BGREWRITEAOF"],
            "-ERR Background append only file rewriting already in progress\r\n",
        );
        expect(&mut c, &["BGSAVE"], "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n");
        expect(
            &mut c,
            &["BGSAVE", "SCHEDULE"],
            "+Background saving scheduled\r\n",
        );
        assert_eq!(info_field(s.port, "aof_rewrite_in_progress"), "1");
        assert_eq!(info_field(s.port, "aof_current_rewrite_time_sec"), "0");
        assert_eq!(info_field(s.port, "aof_rewrites"), "1");
        // The child can be stopped (Redis's SIGUSR1): not a failure.
        let child = child_of(s.pid()).expect("a rewrite child");
        expect(&mut c, &["CONFIG", "SET", "appendonly", "no"], "+OK\r\n");
        assert!(child_of(s.pid()) != Some(child));
        assert_eq!(info_field(s.port, "aof_enabled"), "0");
        assert_eq!(info_field(s.port, "aof_last_bgrewrite_status"), "ok");
        wait_until("the scheduled BGSAVE", || {
            info_field(s.port, "rdb_saves") == "1"
                && info_field(s.port, "rdb_bgsave_in_progress") == "0"
        });
        // BGREWRITEAOF behind a BGSAVE is scheduled, and runs once the save is done.
        expect(
            &mut c,
            &["CONFIG", "SET", "rdb-key-save-delay", "0"],
            "+OK\r\n",
        );
        expect(&mut c, &["BGSAVE"], "+Background saving started\r\n");
        if let Some(pid) = child_of(s.pid()) {
            // SAFETY: pausing the server's own child so the window cannot close early.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
            expect(
                &mut c,
                &["BGREWRITEAOF"],
                "+Background append only file rewriting scheduled\r\n",
            );
            assert_eq!(info_field(s.port, "aof_rewrite_scheduled"), "1");
            unsafe { libc::kill(pid, libc::SIGCONT) };
        } else {
            c.call(&["BGREWRITEAOF"]);
        }
        wait_rewrite_done(s.port);
        assert_eq!(info_field(s.port, "aof_last_bgrewrite_status"), "ok");
        // With the AOF off the rewrite still produces a base and a manifest.
        let m = manifest(&d);
        assert!(
            m.starts_with("file appendonly.aof.2.base.aof seq 2 type b\n"),
            "{m} redis={redis}"
        );
        // MULTI defers the rewrite to the cron.
        expect(&mut c, &["MULTI"], "+OK\r\n");
        expect(&mut c, &["BGREWRITEAOF"], "+QUEUED\r\n");
        expect(
            &mut c,
            &["EXEC"],
            "*1\r\n+Background append only file rewriting scheduled\r\n",
        );
        wait_rewrite_done(s.port);
    }
}

#[test]
fn config_set_appendonly_yes_at_run_time() {
    let mut manifests = Vec::new();
    for redis in [false, true] {
        let d = TempDir::new(&format!("cfgset-{redis}"));
        let mut s = server(
            redis,
            &[
                "--dir",
                d.s(),
                "--aof-use-rdb-preamble",
                "no",
                "--rdb-key-save-delay",
                "20000",
            ],
        );
        let mut c = s.raw();
        for i in 0..50 {
            c.call(&["SET", &format!("before{i}"), "v"]);
        }
        assert_eq!(
            text(&c.call(&["CONFIG", "SET", "appendonly", "yes"])),
            "+OK\r\n"
        );
        assert_eq!(info_field(s.port, "aof_enabled"), "1");
        // Writes while the first rewrite runs are kept (temporary incremental file).
        for i in 0..50 {
            c.call(&["SET", &format!("during{i}"), "v"]);
        }
        assert!(d.aofdir().join("temp-appendonly.aof.incr").exists());
        // Shutting down now would lose the only copy: refused.
        assert_eq!(
            text(&c.call(&["SHUTDOWN"])),
            "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        );
        wait_rewrite_done(s.port);
        c.call(&["SET", "after", "v"]);
        manifests.push(manifest(&d));
        let before = dump_all(s.port);
        assert_eq!(before.len(), 101);
        assert!(s.terminate().success());
        let s2 = start(!redis, &d, &[]);
        assert_eq!(dump_all(s2.port), before, "redis wrote={redis}");
    }
    assert_eq!(manifests[0], manifests[1]);
    assert_eq!(manifests[0], "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
}

#[test]
fn rewrites_under_concurrent_writes_lose_nothing() {
    let d = TempDir::new("concurrent");
    let s = start(false, &d, &["--auto-aof-rewrite-percentage", "0"]);
    let port = s.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    assert_eq!(
                        text(&c.call(&["INCR", &format!("ctr{t}")])),
                        format!(":{n}\r\n")
                    );
                    c.call(&["RPUSH", &format!("list{t}"), &n.to_string()]);
                    c.call(&["SET", &format!("k{t}:{n}"), &n.to_string()]);
                }
                n
            })
        })
        .collect();
    let mut c = Raw::connect(port);
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(
            text(&c.call(&["BGREWRITEAOF"])),
            "+Background append only file rewriting started\r\n"
        );
        wait_rewrite_done(port);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let counts: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(info_field(port, "aof_rewrites"), "5");
    assert_eq!(info_field(port, "aof_last_bgrewrite_status"), "ok");
    let before = dump_all(port);
    // A kill, not a clean stop: only what the files hold comes back.
    // SAFETY: killing our own child process.
    unsafe { libc::kill(s.pid() as i32, libc::SIGKILL) };
    drop(s);
    let m = manifest(&d);
    assert_eq!(m.lines().count(), 2, "history files were deleted: {m}");
    for redis in [false, true] {
        let s = start(redis, &d, &[]);
        let after = dump_all(s.port);
        assert_eq!(after.len(), before.len());
        assert!(after == before, "redis={redis}");
        let mut c = s.raw();
        for (t, n) in counts.iter().enumerate() {
            assert_eq!(
                text(&c.call(&["GET", &format!("ctr{t}")])),
                format!("${}\r\n{n}\r\n", n.to_string().len())
            );
        }
    }
}

#[test]
fn automatic_rewrite_on_growth() {
    let d = TempDir::new("auto");
    let s = start(
        false,
        &d,
        &[
            "--auto-aof-rewrite-min-size",
            "10kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = s.raw();
    for i in 0..400 {
        c.call(&["SET", &format!("key{i}"), &"v".repeat(40)]);
    }
    wait_until("an automatic rewrite", || {
        info_field(s.port, "aof_rewrites") != "0"
    });
    wait_rewrite_done(s.port);
    assert!(manifest(&d).starts_with("file appendonly.aof.2.base.rdb seq 2 type b\n"));
}

#[test]
fn shutdown_and_sigterm_fsync_and_reload() {
    let d = TempDir::new("shutdown");
    {
        let s = start(false, &d, &["--appendfsync", "no"]);
        let mut c = s.raw();
        c.call(&["SET", "k", "v"]);
        c.cmd(&["SHUTDOWN", "NOSAVE"]);
        assert!(c.is_closed());
    }
    let mut s = start(false, &d, &[]);
    assert_eq!(text(&s.raw().call(&["GET", "k"])), "$1\r\nv\r\n");
    s.raw().call(&["SET", "k2", "v"]);
    assert!(s.terminate().success());
    let s = start(true, &d, &[]);
    assert_eq!(text(&s.raw().call(&["GET", "k2"])), "$1\r\nv\r\n");
}

#[test]
fn replica_aof_follows_its_primary_after_full_sync() {
    let primary = Server::start_redis(&[]);
    fill(primary.port, 1);
    let d = TempDir::new("replica");
    let port = primary.port.to_string();
    let mut replica = start(false, &d, &["--replicaof", "127.0.0.1", &port]);
    let synced = |p: u16| {
        let info = text(&Raw::connect(p).call(&["INFO", "replication"]));
        info.contains("master_link_status:up")
    };
    wait_until("the replica to sync", || synced(replica.port));
    // Writes streamed after the sync land in the AOF as well.
    fill(primary.port, 2);
    let want = dump_all(primary.port);
    wait_until("the replica to catch up", || dump_all(replica.port) == want);
    wait_rewrite_done(replica.port);
    assert!(replica.terminate().success());
    let alone = start(false, &d, &[]);
    assert_eq!(dump_all(alone.port), want);
}

#[test]
fn timestamp_annotations_like_redis() {
    for redis in [false, true] {
        let d = TempDir::new(&format!("ts-{redis}"));
        let s = start(redis, &d, &["--aof-timestamp-enabled", "yes"]);
        Raw::connect(s.port).call(&["SET", "a", "1"]);
        let path = d.aofdir().join("appendonly.aof.1.incr.aof");
        wait_until("the write in the file", || {
            text(&std::fs::read(&path).unwrap()).contains("SET")
        });
        let incr = text(&std::fs::read(&path).unwrap());
        let (ts, rest) = incr.split_once("\r\n").unwrap();
        let secs: i64 = ts.strip_prefix("#TS:").unwrap().parse().unwrap();
        assert!(
            (secs
                - std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64)
                .abs()
                < 5
        );
        assert!(
            rest.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET"),
            "redis={redis}: {incr:?}"
        );
        drop(s);
        // Both load files with annotations.
        let s = start(!redis, &d, &[]);
        assert_eq!(
            text(&Raw::connect(s.port).call(&["GET", "a"])),
            "$1\r\n1\r\n"
        );
    }
}

#[test]
fn turning_the_aof_back_on_continues_the_manifest() {
    let mut seen = Vec::new();
    for redis in [false, true] {
        let d = TempDir::new(&format!("again-{redis}"));
        {
            let mut s = start(redis, &d, &[]);
            Raw::connect(s.port).call(&["SET", "first", "1"]);
            assert!(s.terminate().success());
        }
        let mut s = server(redis, &["--dir", d.s()]);
        let mut c = s.raw();
        c.call(&["SET", "second", "2"]);
        assert_eq!(
            text(&c.call(&["CONFIG", "SET", "appendonly", "yes"])),
            "+OK\r\n"
        );
        wait_rewrite_done(s.port);
        c.call(&["SET", "third", "3"]);
        seen.push(manifest(&d));
        assert!(s.terminate().success());
        let s = start(!redis, &d, &[]);
        let keys: Vec<_> = dump_all(s.port)
            .into_keys()
            .map(|(_, k)| text(&k))
            .collect();
        assert_eq!(keys, ["second", "third"], "redis wrote={redis}");
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
}

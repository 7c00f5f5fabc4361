//! RDB persistence over real processes: SAVE/BGSAVE/SHUTDOWN write a file Redis itself reads
//! (and `redis-check-rdb` accepts), start-up loads it back with TTLs, Redis's own dump loads
//! here, save points fire on their own, and a broken file stops start-up with exit code 1
//! instead of a half-loaded dataset.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::kit::{which, Raw, Server};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("redoubt-persist-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

fn fill(c: &mut Raw) {
    for i in 0..500 {
        c.call(&[
            "SET",
            &format!("k{i}"),
            &format!("{i}-{}", "v".repeat(i % 70)),
        ]);
    }
    c.call(&["SET", "withttl", "x", "EX", "1000"]);
    c.call(&["SELECT", "5"]);
    c.call(&["SET", "db5", "five"]);
    c.call(&["SELECT", "0"]);
}

fn check_filled(port: u16) {
    let mut c = Raw::connect(port);
    assert_eq!(text(&c.call(&["DBSIZE"])), ":501\r\n");
    assert_eq!(
        text(&c.call(&["GET", "k7"])),
        format!("$9\r\n7-{}\r\n", "v".repeat(7))
    );
    let ttl = text(&c.call(&["TTL", "withttl"]));
    let secs: i64 = ttl.trim_start_matches(':').trim_end().parse().unwrap();
    assert!((900..=1000).contains(&secs), "ttl {ttl}");
    c.call(&["SELECT", "5"]);
    assert_eq!(text(&c.call(&["GET", "db5"])), "$4\r\nfive\r\n");
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn info_field(port: u16, field: &str) -> String {
    let info = text(&Raw::connect(port).call(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// Runs redis-check-rdb on `path` and asserts it finds the file sound.
pub(crate) fn check_rdb(path: &Path) {
    let bin = which("redis-check-rdb")
        .expect("redis-check-rdb (redis-tools) is installed by scripts/test.sh");
    let out = Command::new(bin).arg(path).output().unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success() && all.contains("RDB looks OK"),
        "redis-check-rdb: {all}"
    );
}

#[test]
fn save_then_restart_restores_everything() {
    let d = TempDir::new("save");
    {
        let s = Server::start(&["--dir", d.s()]);
        let mut c = s.raw();
        fill(&mut c);
        assert_eq!(text(&c.call(&["SAVE"])), "+OK\r\n");
        assert_eq!(info_field(s.port, "rdb_changes_since_last_save"), "0");
    }
    check_rdb(&d.0.join("dump.rdb"));
    let s = Server::start(&["--dir", d.s()]);
    check_filled(s.port);
    assert_eq!(info_field(s.port, "rdb_last_load_keys_loaded"), "502");
}

#[test]
fn bgsave_forks_and_redis_reads_the_file() {
    let d = TempDir::new("bgsave");
    let s = Server::start(&["--dir", d.s()]);
    let mut c = s.raw();
    fill(&mut c);
    assert_eq!(text(&c.call(&["BGSAVE"])), "+Background saving started\r\n");
    wait_until("the background save to finish", || {
        info_field(s.port, "rdb_bgsave_in_progress") == "0"
            && info_field(s.port, "rdb_saves") == "1"
    });
    assert_eq!(info_field(s.port, "rdb_last_bgsave_status"), "ok");
    // The fork is timed and counted, as Redis reports it.
    let stats = text(&c.call(&["INFO", "stats"]));
    assert!(stats.contains("\r\ntotal_forks:1\r\n"), "{stats}");
    assert!(!stats.contains("\r\nlatest_fork_usec:0\r\n"), "{stats}");
    // Writes keep being served while and after the child saves.
    assert_eq!(text(&c.call(&["SET", "later", "1"])), "+OK\r\n");
    check_rdb(&d.0.join("dump.rdb"));
    let r = Server::start_redis(&["--dir", d.s()]);
    check_filled(r.port);
}

#[test]
fn redis_dump_loads_here() {
    let d = TempDir::new("fromredis");
    {
        let r = Server::start_redis(&["--dir", d.s()]);
        let mut c = r.raw();
        fill(&mut c);
        c.call(&["SET", "big", &"z".repeat(5000)]);
        c.call(&["SET", "num", "-123456789012"]);
        assert_eq!(text(&c.call(&["SAVE"])), "+OK\r\n");
        c.call(&["DEL", "big", "num"]);
    }
    let s = Server::start(&["--dir", d.s()]);
    let mut c = s.raw();
    assert_eq!(text(&c.call(&["STRLEN", "big"])), ":5000\r\n");
    assert_eq!(text(&c.call(&["GET", "num"])), "$13\r\n-123456789012\r\n");
    c.call(&["DEL", "big", "num"]);
    check_filled(s.port);
}

#[test]
fn sigterm_and_shutdown_save_when_save_points_are_set() {
    let d = TempDir::new("sigterm");
    {
        let mut s = Server::start(&["--dir", d.s(), "--save", "3600 1"]);
        fill(&mut s.raw());
        assert!(s.terminate().success());
    }
    let s = Server::start(&["--dir", d.s(), "--save", "3600 1"]);
    check_filled(s.port);
    let mut c = s.raw();
    c.call(&["SET", "after", "restart"]);
    c.cmd(&["SHUTDOWN"]);
    assert!(c.is_closed());
    wait_until("the saved file to hold the new key", || {
        let mut k = keyspace::Keyspace::new(16);
        std::fs::File::open(d.0.join("dump.rdb"))
            .ok()
            .and_then(|f| persist::rdb::load(std::io::BufReader::new(f), &mut k, None).ok())
            .is_some_and(|_| k.exists(0, b"after", 0))
    });
}

#[test]
fn save_points_start_background_saves() {
    let d = TempDir::new("savepoints");
    let s = Server::start(&["--dir", d.s(), "--save", "1 1"]);
    Raw::connect(s.port).call(&["SET", "a", "1"]);
    wait_until("a save point to fire", || {
        info_field(s.port, "rdb_saves") != "0"
    });
    wait_until("the file", || d.0.join("dump.rdb").exists());
}

#[test]
fn broken_files_stop_startup() {
    let d = TempDir::new("broken");
    {
        let s = Server::start(&["--dir", d.s()]);
        fill(&mut s.raw());
        Raw::connect(s.port).call(&["SAVE"]);
    }
    let good = std::fs::read(d.0.join("dump.rdb")).unwrap();
    let bin = env!("CARGO_BIN_EXE_redoubt");
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("truncated".into(), good[..good.len() / 2].to_vec()),
        ("empty".into(), Vec::new()),
        ("garbage".into(), b"not an rdb file at all".to_vec()),
    ];
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    cases.push(("corrupt".into(), flipped));
    for (what, bytes) in cases {
        std::fs::write(d.0.join("dump.rdb"), &bytes).unwrap();
        let port = crate::kit::free_port().to_string();
        let out = Command::new(bin)
            .args(["server", "--port", &port, "--dir", d.s()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out.stdout));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("loading the DB"), "{what}: {all}");
    }
}

//! `redoubt check-rdb` beside Redis's `redis-check-rdb` 7.0 on the same files: sound files
//! written by redis-server and by Redoubt, every truncation, flipped bytes, an empty file, a
//! missing one. Exit codes always agree; the reports agree line for line on sound and
//! truncated files, and on damaged ones both name the problem.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::kit::{which, Server};

/// Runs a checker; returns (exit code, stdout and any stderr marked as such).
fn run(bin: &str, pre: &[&str], file: &Path) -> (i32, String) {
    let out = Command::new(bin)
        .args(pre)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.stderr.is_empty() {
        text.push_str("[stderr] ");
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code().unwrap_or(-1), text)
}

fn ours(file: &Path) -> (i32, String) {
    run(env!("CARGO_BIN_EXE_redoubt"), &["check-rdb"], file)
}

fn redis(file: &Path) -> (i32, String) {
    let bin = which("redis-check-rdb")
        .expect("redis-check-rdb is not installed; run scripts/test.sh, which installs it");
    run(&bin, &[], file)
}

/// Saves a small dataset of every type on `s` and returns the file's bytes.
fn saved(s: &Server) -> Vec<u8> {
    let mut c = s.raw();
    for cmd in [
        vec!["SET", "str", "hello"],
        vec!["SET", "num", "12345"],
        vec!["SET", "long", &"abc".repeat(100)],
        vec!["SET", "ttl", "v", "EX", "100000"],
        vec!["RPUSH", "list", "a", "b", "c"],
        vec!["HSET", "hash", "f", "v", "g", "w"],
        vec!["SADD", "ints", "1", "2", "3"],
        vec!["SADD", "set", "x", "y"],
        vec!["ZADD", "zset", "1", "a", "2.5", "b"],
        vec!["SELECT", "3"],
        vec!["SET", "other", "db"],
        vec!["SAVE"],
    ] {
        c.call(&cmd);
    }
    std::fs::read(s.dir.join("dump.rdb")).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redoubt-check-rdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Both checkers on the same bytes (under the same file name).
fn both(name: &str, data: &[u8]) -> ((i32, String), (i32, String)) {
    let path = scratch(name);
    std::fs::write(&path, data).unwrap();
    let r = (ours(&path), redis(&path));
    let _ = std::fs::remove_file(&path);
    r
}

#[test]
fn sound_files_read_the_same() {
    for s in [Server::start_redis(&[]), Server::start(&[])] {
        let data = saved(&s);
        let ((a_code, a), (b_code, b)) = both("dump.rdb", &data);
        assert_eq!((a_code, b_code), (0, 0), "{a}\n{b}");
        assert_eq!(a, b);
        assert!(a.contains("\\o/ RDB looks OK! \\o/"), "{a}");
        assert!(a.contains("[info] 10 keys read\n[info] 1 expires\n"), "{a}");
    }
}

#[test]
fn every_truncation_reports_like_redis() {
    let s = Server::start_redis(&[]);
    let data = saved(&s);
    for cut in 0..data.len() {
        let ((a_code, a), (b_code, b)) = both("cut.rdb", &data[..cut]);
        assert_eq!((a_code, b_code), (1, 1), "cut at {cut}");
        assert_eq!(a, b, "cut at {cut}");
    }
    // An empty file too.
    let ((a_code, a), (b_code, b)) = both("empty.rdb", b"");
    assert_eq!((a_code, b_code), (1, 1));
    assert_eq!(a, b);
}

#[test]
fn damaged_files_fail_and_name_the_problem() {
    let s = Server::start(&[]);
    let data = saved(&s);
    let mut same_text = 0;
    let mut failed = 0;
    for i in 0..data.len() {
        let mut bad = data.clone();
        bad[i] ^= 0x5a;
        let ((a_code, a), (b_code, b)) = both("flip.rdb", &bad);
        assert_eq!(
            a_code, b_code,
            "flip at {i}:\n{a}\n--- redis-check-rdb:\n{b}"
        );
        // (A flip in the version digits can make it a version below 5, which has no checksum:
        // then both accept it.)
        if a_code == 1 {
            assert!(
                a.contains("--- RDB ERROR DETECTED ---\n[offset "),
                "flip at {i}:\n{a}"
            );
            failed += 1;
        }
        // A flip the structure survives is a checksum mismatch for both, unless it lands in
        // a value Redoubt decodes as it loads and Redis does not (a sorted-set score inside a
        // listpack): then Redoubt names that value (differences.md).
        if b.contains("RDB CRC error") {
            assert!(
                a.contains("RDB CRC error") || a.contains("Invalid RDB data: bad sorted set score"),
                "flip at {i}:\n{a}\n{b}"
            );
        }
        same_text += usize::from(a == b);
    }
    assert!(
        failed >= data.len() - 2,
        "only {failed} of {} damaged files failed",
        data.len()
    );
    assert!(
        same_text > data.len() / 2,
        "{same_text} of {} reports equal",
        data.len()
    );
}

#[test]
fn missing_file_and_usage() {
    let missing = scratch("does-not-exist.rdb");
    let (a_code, a) = ours(&missing);
    let (b_code, b) = redis(&missing);
    assert_eq!((a_code, b_code), (1, 1));
    // Same standard output; Redoubt also says why on standard error.
    let (stdout, why) = a.split_once("[stderr] ").unwrap();
    assert_eq!(stdout, b);
    assert!(why.contains("No such file or directory"), "{why}");
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .arg("check-rdb")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: redoubt check-rdb"));
}

//! Redis's CPU-list directives, read back from /proc: `server_cpulist` pins the main thread,
//! `bio_cpulist` the AOF fsync thread, `bgsave_cpulist` the BGSAVE child and
//! `aof_rewrite_cpulist` the BGREWRITEAOF child; without `bio_cpulist` the fsync thread
//! keeps the CPUs the process started with.

use std::time::{Duration, Instant};

use crate::kit::Server;

fn cpus_allowed(path: &str) -> String {
    let status = std::fs::read_to_string(format!("{path}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list in status")
        .trim()
        .to_string()
}

/// The /proc directory of the server's thread named `name`.
fn thread(pid: u32, name: &str) -> String {
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = t.unwrap().path();
        if std::fs::read_to_string(dir.join("comm")).unwrap().trim() == name {
            return dir.to_string_lossy().into_owned();
        }
    }
    panic!("no thread named {name}");
}

/// Waits for the server's forked child and returns its /proc directory.
fn child(pid: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        if let Some(k) = kids.split_whitespace().next() {
            return format!("/proc/{k}");
        }
        assert!(Instant::now() < deadline, "no child appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The child pins itself right after fork: give it a moment to.
fn child_cpus(pid: u32, want: &str) -> String {
    let dir = child(pid);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let got = cpus_allowed(&dir);
        if got == want || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_no_child(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap()
        .trim()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the child did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn threads_and_children_run_on_the_cpus_named() {
    let n = std::thread::available_parallelism().unwrap().get();
    assert!(
        n >= 2,
        "this test needs two CPUs to tell placements apart ({n} here)"
    );
    let original = cpus_allowed("/proc/self");
    assert_ne!(
        original, "1",
        "the test process itself must be allowed on CPU 0 too"
    );

    let s = Server::start(&[
        "--server_cpulist",
        "0",
        "--bgsave_cpulist",
        "1",
        "--aof_rewrite_cpulist",
        "1",
        "--appendonly",
        "yes",
        "--rdb-key-save-delay",
        "100000",
    ]);
    let pid = s.pid();
    let mut c = s.raw();
    for i in 0..10 {
        c.call(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(cpus_allowed(&format!("/proc/{pid}")), "0", "main thread");
    assert_eq!(
        cpus_allowed(&thread(pid, "aof-fsync")),
        original,
        "without bio_cpulist the fsync thread keeps the process's CPUs"
    );

    // 10 keys at 100 ms each keep the child alive for a second.
    assert_eq!(c.call(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(child_cpus(pid, "1"), "1", "BGSAVE child");
    wait_no_child(pid);
    assert_eq!(
        c.call(&["BGREWRITEAOF"]),
        b"+Background append only file rewriting started\r\n"
    );
    assert_eq!(child_cpus(pid, "1"), "1", "BGREWRITEAOF child");
    wait_no_child(pid);

    let s = Server::start(&["--bio_cpulist", "1", "--appendonly", "yes"]);
    assert_eq!(
        cpus_allowed(&thread(s.pid(), "aof-fsync")),
        "1",
        "bio_cpulist"
    );
    assert_eq!(cpus_allowed(&format!("/proc/{}", s.pid())), original);

    // A malformed list changes nothing, as in Redis.
    let s = Server::start(&["--server_cpulist", "1-0"]);
    assert_eq!(cpus_allowed(&format!("/proc/{}", s.pid())), original);
}

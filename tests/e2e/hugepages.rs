//! `heap-hugepages` (Redoubt's own directive): with `yes` the heap is backed by transparent
//! huge pages, which is what makes the fork behind BGSAVE cheap; the default `no` keeps 4 KB
//! pages.
//! Checked in the process's own accounting (`AnonHugePages` in /proc/PID/smaps_rollup),
//! and that a forked save still writes every key.

use crate::kit::{Raw, Server};

fn text(r: &[u8]) -> String {
    String::from_utf8_lossy(r).into_owned()
}

/// Writes `n` keys of 200 bytes, pipelined.
fn fill(c: &mut Raw, n: usize) {
    let value = "v".repeat(200);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut req = Vec::new();
        for i in chunk {
            req.extend(resp::Frame::command(&["SET", &format!("key:{i}"), &value]));
        }
        c.send(&req);
        for _ in chunk {
            assert_eq!(text(&c.reply()), "+OK\r\n");
        }
    }
}

/// Bytes of the process's anonymous memory mapped with huge pages.
fn anon_huge_bytes(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    let kb: u64 = rollup
        .lines()
        .find_map(|l| l.strip_prefix("AnonHugePages:"))
        .expect("AnonHugePages in smaps_rollup")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// Whether the kernel hands out transparent huge pages at all (`never` turns them off for
/// everyone, whatever a process asks for).
fn system_allows_thp() -> bool {
    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .expect("the kernel reports its transparent huge page mode");
    !mode.contains("[never]")
}

#[test]
fn the_heap_uses_huge_pages_when_told_to() {
    let on = Server::start(&["--heap-hugepages", "yes"]);
    let off = Server::start(&[]);
    for s in [&on, &off] {
        fill(&mut s.raw(), 150_000);
    }
    // With `yes` the server re-executes itself (jemalloc reads its options before `main`):
    // same pid, same name, and the allocator options are not passed on.
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/comm", on.pid())).unwrap(),
        "redoubt\n"
    );
    let huge_on = anon_huge_bytes(on.pid());
    let huge_off = anon_huge_bytes(off.pid());
    // The allocator's first extent is mapped before the configuration is read.
    assert!(
        huge_off <= 2 << 20,
        "the default still maps {huge_off} bytes in huge pages"
    );
    if system_allows_thp() {
        // About 40 MB of keys: most of it should sit in 2 MB pages.
        assert!(huge_on >= 16 << 20, "only {huge_on} bytes in huge pages");
    } else {
        assert_eq!(huge_on, 0);
    }
}

#[test]
fn the_directive_is_read_only_and_hidden_like_redoubts_others() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    assert_eq!(
        text(&c.call(&["CONFIG", "GET", "heap-hugepages"])),
        "*2\r\n$14\r\nheap-hugepages\r\n$2\r\nno\r\n"
    );
    assert_eq!(
        text(&c.call(&["CONFIG", "SET", "heap-hugepages", "yes"])),
        "-ERR CONFIG SET failed (possibly related to argument 'heap-hugepages') - can't set immutable config\r\n"
    );
    let all = text(&c.call(&["CONFIG", "GET", "*"]));
    assert!(!all.contains("heap-hugepages"));
}

#[test]
fn a_forked_save_from_a_huge_page_heap_writes_every_key() {
    let s = Server::start(&["--heap-hugepages", "yes"]);
    let mut c = s.raw();
    fill(&mut c, 100_000);
    assert_eq!(text(&c.call(&["BGSAVE"])), "+Background saving started\r\n");
    // Writes while the child runs land on shared huge pages (split on copy-on-write).
    fill(&mut c, 20_000);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !text(&c.call(&["INFO", "persistence"])).contains("rdb_bgsave_in_progress:0\r\n") {
        assert!(std::time::Instant::now() < deadline, "BGSAVE still running");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(text(&c.call(&["INFO", "persistence"])).contains("rdb_last_bgsave_status:ok\r\n"));
    let loaded = Server::start(&["--dir", s.dir.to_str().unwrap()]);
    assert_eq!(
        text(&loaded.raw().call(&["DBSIZE"])),
        ":100000\r\n",
        "the snapshot holds the keys of the moment it forked"
    );
}

//! DBSIZE FLUSHDB FLUSHALL SWAPDB TIME LASTSAVE SLOWLOG MEMORY LATENCY DEBUG SHUTDOWN.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use resp::Frame;

use super::{frame, items, pairs, text};
use crate::kit::{free_port, Diff, Raw};

#[test]
fn keyspace_admin_commands_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        DBSIZE
        SET a 1
        SET b 2
        DBSIZE
        DBSIZE x
        SELECT 1
        SET c 3
        DBSIZE
        SWAPDB 0 1
        DBSIZE
        GET c
        SELECT 0
        GET c
        GET a
        SWAPDB a 1
        SWAPDB 0 b
        SWAPDB 0 16
        SWAPDB -1 0
        SWAPDB 0 0
        SWAPDB 99999999999999999999 0
        SWAPDB 0 2147483648
        SWAPDB 0
        FLUSHDB foo
        FLUSHDB sync x
        FLUSHDB SYNC
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHALL foo
        FLUSHALL sync async
        FLUSHALL ASYNC
        DBSIZE
        SET x 1
        FLUSHALL
        FLUSHDB
        FLUSHDB async
        DBSIZE
        TIME x
        LASTSAVE x
        "#,
    );
    let dirty = |r: &mut Raw| -> String {
        let info = text(&frame(&r.call(&["INFO", "persistence"])));
        let line = info
            .lines()
            .find(|l| l.starts_with("rdb_changes_since_last_save:"));
        line.expect("rdb_changes_since_last_save").to_string()
    };
    assert_eq!(dirty(&mut d.a), dirty(&mut d.b));
    let t = frame(&d.a.call(&["TIME"]));
    let v = items(&t);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secs: u64 = text(&v[0]).parse().unwrap();
    let micros: u64 = text(&v[1]).parse().unwrap();
    assert!(secs.abs_diff(now) <= 2 && micros < 1_000_000);
    let last = frame(&d.a.call(&["LASTSAVE"]));
    assert!(matches!(last, Frame::Integer(n) if (n as u64).abs_diff(now) < 60));
}

#[test]
fn flush_and_swap_break_watches_like_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET w 1
        WATCH w
        FLUSHALL
        MULTI
        PING
        EXEC
        SELECT 1
        SET w 2
        SELECT 0
        WATCH w
        SWAPDB 0 1
        MULTI
        PING
        EXEC
        "#,
    );
}

/// A SLOWLOG entry with its id, time, duration and address masked.
fn slow_entry(f: &Frame) -> (Vec<String>, String) {
    let v = items(f);
    assert_eq!(v.len(), 6);
    for n in &v[..3] {
        assert!(matches!(n, Frame::Integer(n) if *n >= 0), "{f:?}");
    }
    assert!(text(&v[4]).starts_with("127.0.0.1:"));
    (items(&v[3]).iter().map(text).collect(), text(&v[5]))
}

#[test]
fn slowlog_records_commands_like_redis() {
    let mut d = Diff::new(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "5"]);
    d.run(
        r#"
        SLOWLOG RESET
        CLIENT SETNAME slow
        SET k v
        GET k
        SLOWLOG LEN
        SLOWLOG GET x
        SLOWLOG GET -2
        SLOWLOG GET 1 2
        SLOWLOG LEN x
        SLOWLOG FOO
        SLOWLOG HELP
        SLOWLOG GET 0
        "#,
    );
    let long = "x".repeat(200);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut cmd = vec!["MSET".to_string()];
    cmd.extend(many.iter().flat_map(|m| [m.clone(), long.clone()]).take(39));
    d.check(&["ECHO", &long]);
    let _ = d.a.call(&cmd);
    let _ = d.b.call(&cmd);
    for count in ["2", "-1", "100"] {
        let a = frame(&d.a.call(&["SLOWLOG", "GET", count]));
        let b = frame(&d.b.call(&["SLOWLOG", "GET", count]));
        let ea: Vec<_> = items(&a).iter().map(slow_entry).collect();
        let eb: Vec<_> = items(&b).iter().map(slow_entry).collect();
        assert_eq!(ea, eb, "SLOWLOG GET {count}");
    }
    d.check(&["SLOWLOG", "LEN"]);
    d.check(&["SLOWLOG", "RESET"]);
    let a = frame(&d.a.call(&["SLOWLOG", "GET"]));
    assert_eq!(items(&a).len(), 1, "only the SLOWLOG RESET itself");
}

#[test]
fn memory_commands_match_redis() {
    let mut d = Diff::new(&[]);
    let long = "y".repeat(100);
    d.run(&format!(
        r#"
        SET k hello
        SET n 123
        SET big 12345678901
        SET long {long}
        SET a-much-longer-key-name-than-thirty-two-bytes 1
        MEMORY USAGE k
        MEMORY USAGE n
        MEMORY USAGE big
        MEMORY USAGE long
        MEMORY USAGE a-much-longer-key-name-than-thirty-two-bytes
        MEMORY USAGE nokey
        MEMORY USAGE k SAMPLES 0
        MEMORY USAGE k SAMPLES 10
        MEMORY USAGE k SAMPLES -1
        MEMORY USAGE k SAMPLES x
        MEMORY USAGE k foo
        MEMORY USAGE k SAMPLES
        MEMORY USAGE
        MEMORY HELP
        MEMORY HELP x
        MEMORY PURGE
        MEMORY FOO
        "#
    ));
    let stats = |r: &mut Raw| -> Vec<String> {
        pairs(&frame(&r.call(&["MEMORY", "STATS"])))
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(stats(&mut d.a), stats(&mut d.b));
    super::hello3(&mut d);
    let a = frame(&d.a.call(&["MEMORY", "STATS"]));
    let kv = pairs(&a);
    let get = |k: &str| kv.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert!(matches!(get("total.allocated"), Frame::Integer(n) if n > 0));
    assert!(matches!(get("fragmentation"), Frame::Double(_)));
    assert!(matches!(get("db.0"), Frame::Map(_)));
    assert_eq!(get("keys.count"), Frame::Integer(5));
    assert!(matches!(
        frame(&d.a.call(&["MEMORY", "DOCTOR"])),
        Frame::Verbatim(..)
    ));
    let malloc = text(&frame(&d.a.call(&["MEMORY", "MALLOC-STATS"])));
    assert!(malloc.contains("jemalloc"), "{malloc}");
}

#[test]
fn latency_commands_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        LATENCY LATEST
        LATENCY HISTORY command
        LATENCY GRAPH command
        LATENCY RESET
        LATENCY RESET a b
        LATENCY HELP
        LATENCY FOO
        LATENCY LATEST x
        LATENCY HISTORY
        SET a 1
        SET a 2
        GET a
        LATENCY HISTOGRAM nosuch
        "#,
    );
    let hist = |r: &mut Raw, args: &[&str]| -> Vec<(String, i64, usize)> {
        pairs(&frame(&r.call(args)))
            .into_iter()
            .map(|(name, v)| {
                let kv = pairs(&v);
                assert_eq!(kv[0].0, "calls");
                assert_eq!(kv[1].0, "histogram_usec");
                let Frame::Integer(calls) = kv[0].1 else {
                    panic!("calls is an integer")
                };
                let buckets = pairs(&kv[1].1);
                let Frame::Integer(last) = buckets.last().expect("a bucket").1 else {
                    panic!("bucket counts are integers")
                };
                assert_eq!(last, calls, "cumulative count ends at the call count");
                (name, calls, usize::from(!buckets.is_empty()))
            })
            .collect()
    };
    let a = hist(
        &mut d.a,
        &["LATENCY", "HISTOGRAM", "set", "get", "nosuch", "set"],
    );
    let b = hist(
        &mut d.b,
        &["LATENCY", "HISTOGRAM", "set", "get", "nosuch", "set"],
    );
    assert_eq!(a, b);
    super::hello3(&mut d);
    let a = hist(&mut d.a, &["LATENCY", "HISTOGRAM", "set"]);
    let b = hist(&mut d.b, &["LATENCY", "HISTOGRAM", "set"]);
    assert_eq!(a, b);
}

#[test]
fn latency_monitor_records_slow_commands() {
    let mut d = Diff::new(&[
        "--latency-monitor-threshold",
        "50",
        "--enable-debug-command",
        "yes",
    ]);
    d.check(&["DEBUG", "SLEEP", "0.1"]);
    let shape = |r: &mut Raw| -> Vec<(String, usize)> {
        items(&frame(&r.call(&["LATENCY", "LATEST"])))
            .iter()
            .map(|e| (text(&items(e)[0]), items(e).len()))
            .collect()
    };
    assert_eq!(shape(&mut d.a), shape(&mut d.b));
    let h = frame(&d.a.call(&["LATENCY", "HISTORY", "command"]));
    let sample = items(&items(&h)[0]);
    assert!(matches!(sample[1], Frame::Integer(ms) if ms >= 90), "{h:?}");
    assert!(matches!(
        frame(&d.a.call(&["LATENCY", "GRAPH", "command"])),
        Frame::Bulk(_)
    ));
    d.check(&["LATENCY", "RESET", "command", "nosuch"]);
    d.check(&["LATENCY", "LATEST"]);
}

#[test]
fn debug_subcommands_match_redis() {
    let mut d = Diff::new(&["--enable-debug-command", "yes"]);
    d.run(
        r#"
        DEBUG
        DEBUG FOO
        DEBUG SLEEP 0
        DEBUG SLEEP x
        DEBUG SLEEP 0.01
        DEBUG SET-ACTIVE-EXPIRE 0
        DEBUG SET-ACTIVE-EXPIRE 1
        DEBUG SET-ACTIVE-EXPIRE x
        DEBUG SET-ACTIVE-EXPIRE
        DEBUG ERROR foo
        DEBUG ERROR "BAR baz"
        DEBUG OBJECT nokey
        DEBUG OBJECT
        DEBUG SLEEP 0 1
        "#,
    );
    let long = "z".repeat(30);
    let incompressible: String = (0..40u8).map(|i| (b'!' + i) as char).collect();
    for v in [
        "hello",
        "123",
        "70000",
        "-5",
        "12345678901",
        &long,
        &incompressible,
    ] {
        d.check(&["SET", "k", v]);
        let mask = |r: &mut Raw| -> String {
            let s = text(&frame(&r.call(&["DEBUG", "OBJECT", "k"])));
            let s = s.split_once(" refcount").unwrap().1.to_string();
            s.split(" lru:").next().unwrap().to_string()
        };
        assert_eq!(mask(&mut d.a), mask(&mut d.b), "DEBUG OBJECT of {v}");
    }
    let line = text(&frame(&d.a.call(&["DEBUG", "OBJECT", "k"])));
    assert!(line.starts_with("Value at:0x") && line.contains(" lru_seconds_idle:"));
    // Refused without enable-debug-command.
    let mut off = Diff::new(&[]);
    off.check(&["DEBUG", "SLEEP", "0"]);
}

#[test]
fn debug_sleep_stops_the_whole_server() {
    let s = crate::kit::Server::start(&["--enable-debug-command", "yes"]);
    let mut a = s.raw();
    let mut b = s.raw();
    a.cmd(&["DEBUG", "SLEEP", "0.3"]);
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    assert_eq!(b.call(&["PING"]), b"+PONG\r\n");
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(a.reply(), b"+OK\r\n");
}

#[test]
fn shutdown_errors_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SHUTDOWN foo
        SHUTDOWN NOSAVE SAVE
        SHUTDOWN ABORT
        SHUTDOWN ABORT NOW
        SHUTDOWN FORCE ABORT
        MULTI
        SHUTDOWN
        DISCARD
        "#,
    );
}

/// Starts a server, sends `args`, and returns the exit code once it has stopped.
fn shutdown_exit_code(args: &[&str]) -> Option<i32> {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("redoubt-shutdown-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["server", "--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            drop(s);
            break Raw::connect(port);
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    c.call(&["SET", "k", "v"]);
    c.cmd(args);
    assert!(c.is_closed(), "SHUTDOWN left the connection open");
    let deadline = Instant::now() + Duration::from_secs(5);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit after {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_dir_all(&dir);
    code
}

#[test]
fn shutdown_exits_with_code_zero() {
    assert_eq!(shutdown_exit_code(&["SHUTDOWN"]), Some(0));
    assert_eq!(shutdown_exit_code(&["shutdown", "nosave", "now"]), Some(0));
}

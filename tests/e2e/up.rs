//! `redoubt up`: the whole group starts, the view shows the replicas linked, and Ctrl-C
//! (SIGINT) stops every child.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A base port with `n` consecutive free ports after it.
fn free_run(n: u16) -> u16 {
    for _ in 0..200 {
        let base = 20000 + (std::process::id() as u16 % 1000) * 7 + fastrand_u16() % 20000;
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no run of {n} free ports");
}

fn fastrand_u16() -> u16 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (t.subsec_nanos() % 65521) as u16
}

#[test]
fn up_starts_a_linked_group_and_stops_it_on_sigint() {
    let base = free_run(3);
    let dir = std::env::temp_dir().join(format!("redoubt-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args([
            "up",
            "--port",
            &base.to_string(),
            "--sentinels",
            "0",
            "--dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut linked = 0;
    let mut view = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        if line.starts_with("redoubt up") {
            linked = 0;
        }
        if line.contains(&format!("of 127.0.0.1:{base} link=up")) {
            linked += 1;
        }
        view.push(line);
        if linked == 2 || Instant::now() > deadline {
            break;
        }
    }
    assert_eq!(
        linked,
        2,
        "view never showed both replicas linked:\n{}",
        view.join("\n")
    );
    let primary_port = base.to_string();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success());
    let stopped = Instant::now() + Duration::from_secs(5);
    while Instant::now() < stopped && std::net::TcpStream::connect(("127.0.0.1", base)).is_ok() {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", base)).is_err(),
        "primary on {primary_port} still running after up exited"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

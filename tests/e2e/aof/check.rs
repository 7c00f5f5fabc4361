//! `redoubt check-aof` beside redis-check-aof on the same files: the same report (offsets,
//! messages, `AOF analyzed` figures), the same exit code, and `--fix` leaves the same bytes.
//! For RDB preambles only redis-check-rdb's detail lines (`[offset …]`, `[info] …`) differ.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{start, text, TempDir};
use crate::kit::which;

/// Runs a checker with `args`, answering `answer` to its question.
fn run(redis: bool, args: &[&str], answer: &str) -> (i32, String) {
    let mut cmd = if redis {
        Command::new(which("redis-check-aof").expect("redis-check-aof is installed"))
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_redoubt"));
        c.arg("check-aof");
        c
    };
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(answer.as_bytes());
    let out = child.wait_with_output().unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out.status.code().unwrap_or(-1), all)
}

/// The report without redis-check-rdb's per-field lines.
fn comparable(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with('[') && !l.starts_with("--- RDB"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Checks a copy of `files` with both tools (and `--fix` on a second copy of each).
fn same_on(what: &str, files: &[(&str, &[u8])], target: &str) {
    for extra in [&[][..], &["--fix"][..]] {
        let mut results = Vec::new();
        for redis in [false, true] {
            let d = TempDir::new(&format!(
                "check-{}-{redis}-{}",
                what.replace(' ', ""),
                extra.len()
            ));
            for (name, data) in files {
                let p = d.0.join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, data).unwrap();
            }
            let path = d.0.join(target);
            let mut args: Vec<&str> = extra.to_vec();
            args.push(path.to_str().unwrap());
            let (code, out) = run(redis, &args, "y\n");
            let out = comparable(&out).replace(d.s(), "DIR");
            let after: Vec<Vec<u8>> = files
                .iter()
                .map(|(n, _)| std::fs::read(d.0.join(n)).unwrap())
                .collect();
            results.push((code, out, after));
        }
        assert_eq!(
            results[0], results[1],
            "{what} {extra:?} (left: redoubt check-aof, right: redis-check-aof)"
        );
    }
}

const SET_A: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";

#[test]
fn single_files_report_like_redis_check_aof() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", [SET_A, SET_A].concat()),
        ("torn", [SET_A, b"*3\r\n$3\r\nSET\r\n$1\r\na"].concat()),
        ("torn header", [SET_A, b"*3\r"].concat()),
        ("garbage", [SET_A, b"hello\r\n", SET_A].concat()),
        (
            "open multi",
            [SET_A, b"*1\r\n$5\r\nMULTI\r\n", SET_A].concat(),
        ),
        (
            "closed multi",
            [b"*1\r\n$5\r\nmulti\r\n", SET_A, b"*1\r\n$4\r\nEXEC\r\n"].concat(),
        ),
        (
            "nested multi",
            [b"*1\r\n$5\r\nMULTI\r\n*1\r\n$5\r\nMULTI\r\n", SET_A].concat(),
        ),
        (
            "exec alone",
            [SET_A, b"*1\r\n$4\r\nEXEC\r\n", SET_A].concat(),
        ),
        ("bad prefix", [SET_A, b"*1\r\n#4\r\nPING\r\n"].concat()),
        (
            "no crlf after length",
            [SET_A, b"*1\r\n$4\nPING\r\n"].concat(),
        ),
        (
            "no crlf after argument",
            [SET_A, b"*1\r\n$4\r\nPINGxx"].concat(),
        ),
        (
            "negative length",
            [SET_A, b"*1\r\n$-4\r\nPING\r\n"].concat(),
        ),
        ("annotation", [b"#TS:1700000000\r\n", SET_A].concat()),
        ("empty", Vec::new()),
    ];
    for (what, data) in &cases {
        same_on(what, &[("a.aof", data)], "a.aof");
    }
}

#[test]
fn truncate_to_timestamp_like_redis_check_aof() {
    let data = [
        b"#TS:100\r\n",
        SET_A,
        b"#TS:200\r\n",
        SET_A,
        b"#TS:300\r\n",
        SET_A,
    ]
    .concat();
    for ts in ["250", "50", "400", "x"] {
        let mut results = Vec::new();
        for redis in [false, true] {
            let d = TempDir::new(&format!("ts-{ts}-{redis}"));
            let p = d.0.join("a.aof");
            std::fs::write(&p, &data).unwrap();
            let (code, out) = run(
                redis,
                &["--truncate-to-timestamp", ts, p.to_str().unwrap()],
                "",
            );
            results.push((code, out.replace(d.s(), "DIR"), std::fs::read(&p).unwrap()));
        }
        assert_eq!(results[0], results[1], "timestamp {ts}");
    }
}

#[test]
fn multi_part_directories_like_redis_check_aof() {
    // A directory Redoubt wrote: valid for both tools.
    let d = TempDir::new("check-written");
    {
        let mut s = start(false, &d, &[]);
        super::fill(s.port, 1);
        assert!(s.terminate().success());
    }
    let manifest = d.aofdir().join("appendonly.aof.manifest");
    let (code, out) = run(false, &[manifest.to_str().unwrap()], "");
    let (rcode, rout) = run(true, &[manifest.to_str().unwrap()], "");
    assert_eq!((code, comparable(&out)), (rcode, comparable(&rout)));
    assert_eq!(code, 0, "{out}");

    let m = b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
    let torn: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nb";
    let cases: Vec<(&str, &[u8], &[u8])> = vec![
        ("valid", SET_A, SET_A),
        ("torn incr", SET_A, torn),
        ("torn base", torn, SET_A),
        ("empty incr", SET_A, b""),
    ];
    for (what, base, incr) in cases {
        let files: Vec<(&str, &[u8])> = vec![
            ("d/appendonly.aof.manifest", m),
            ("d/appendonly.aof.1.base.aof", base),
            ("d/appendonly.aof.1.incr.aof", incr),
        ];
        same_on(&format!("dir {what}"), &files, "d/appendonly.aof.manifest");
    }
    // A manifest naming a missing file.
    let files: Vec<(&str, &[u8])> = vec![
        (
            "d/appendonly.aof.manifest",
            b"file appendonly.aof.1.base.aof seq 1 type b\nfile gone.aof seq 2 type i\n",
        ),
        ("d/appendonly.aof.1.base.aof", SET_A),
    ];
    same_on("dir missing file", &files, "d/appendonly.aof.manifest");
    assert!(Path::new("/").exists());
}

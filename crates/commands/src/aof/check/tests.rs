use super::*;

fn run_on(args: &[&str], answer: &str) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let mut input = answer.as_bytes();
    let code = run("redis-check-aof", &args, &mut out, &mut input);
    (code, String::from_utf8_lossy(&out).into_owned())
}

fn temp(name: &str, data: &[u8]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("redoubt-checkaof-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("a.aof");
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn valid_and_truncated_files_report_like_redis_check_aof() {
    let p = temp("ok", b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\n");
    let (code, out) = run_on(&[p.to_str().unwrap()], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok_up_to=20, ok_up_to_line=6, diff=0"),
        "{out}"
    );
    assert!(out.ends_with("is valid\n"), "{out}");

    let data = b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$1\r\na";
    let p = temp("torn", data);
    let s = p.to_str().unwrap();
    let (code, out) = run_on(&[s], "");
    assert_eq!(code, 1);
    assert!(
        out.contains("0x              25: Expected to read 3 bytes, got 1 bytes"),
        "{out}"
    );
    assert!(
        out.contains("size=38, ok_up_to=20, ok_up_to_line=10, diff=18"),
        "{out}"
    );
    let (code, out) = run_on(&["--fix", s], "n\n");
    assert_eq!(code, 1);
    assert!(out.ends_with("Aborting...\n"), "{out}");
    let (code, out) = run_on(&["--fix", s], "y\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Successfully truncated AOF"), "{out}");
    assert_eq!(std::fs::read(&p).unwrap(), &data[..20]);
}

#[test]
fn multi_without_exec_and_bad_prefixes() {
    let p = temp("multi", b"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n");
    let (code, out) = run_on(&[p.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(
        out.contains("Reached EOF before reading EXEC for MULTI"),
        "{out}"
    );
    assert!(out.contains("ok_up_to=0,"), "{out}");
    let p = temp("prefix", b"*1\r\n#4\r\nPING\r\n");
    let (_, out) = run_on(&[p.to_str().unwrap()], "");
    assert!(out.contains("Expected prefix '$', got: '#'"), "{out}");
    let p = temp("garbage", b"*1\r\n$4\r\nPING\r\nhello\r\n");
    let (_, out) = run_on(&[p.to_str().unwrap()], "");
    assert!(out.contains("format error"), "{out}");
    assert!(out.contains("ok_up_to=14,"), "{out}");
}

#[test]
fn usage_and_missing_files() {
    let (code, out) = run_on(&[], "");
    assert_eq!(code, 1);
    assert!(out.starts_with("Usage: redis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>"));
    let (code, out) = run_on(&["/nonexistent/x.aof"], "");
    assert_eq!(code, 1);
    assert!(
        out.starts_with("Cannot open file /nonexistent/x.aof: No such file or directory"),
        "{out}"
    );
}

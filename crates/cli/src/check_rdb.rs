//! `redoubt check-rdb FILE`: redis-check-rdb's report on an RDB file (the walk and the
//! report are `persist::check`); exit code 0 when the file is sound, 1 otherwise.

use std::io::{BufReader, Write};
use std::process::ExitCode;

pub fn run(args: &[String]) -> ExitCode {
    let [path] = args else {
        eprintln!("Usage: redoubt check-rdb <rdb-file-name>");
        return ExitCode::from(1);
    };
    if path == "-v" || path == "--version" {
        println!("redis-check-rdb {}", commands::info::REDIS_VERSION);
        return ExitCode::SUCCESS;
    }
    let mut out = std::io::stdout().lock();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            // redis-check-rdb prints its header and exits 1; the reason goes to stderr here.
            let _ = writeln!(out, "[offset 0] Checking RDB file {path}");
            let _ = out.flush();
            eprintln!("Cannot open RDB file {path}: {e}");
            return ExitCode::from(1);
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let reader = BufReader::with_capacity(1 << 16, file);
    match persist::check::check(reader, path, now, &mut out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("check-rdb: {e}");
            ExitCode::from(1)
        }
    }
}

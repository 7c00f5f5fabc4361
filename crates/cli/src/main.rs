//! The `redoubt` binary: picks the subcommand, turns configuration files and flags into a
//! resolved configuration, runs, and maps errors to exit codes. Stays thin.

mod config;

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str =
    "Usage: redoubt server [/path/to/redis.conf] [--directive value ...]\n       redoubt --version";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let exe = args.first().cloned().unwrap_or_default();
    match args.get(1).map(String::as_str) {
        Some("server") => server(&exe, &args[2..]),
        Some("-v") | Some("--version") | Some("version") => {
            println!(
                "redoubt {} (redis {})",
                env!("CARGO_PKG_VERSION"),
                commands::info::REDIS_VERSION
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(1)
        }
    }
}

fn server(exe: &str, args: &[String]) -> ExitCode {
    let (cfg, file) = match config::load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let opts = server::Options {
        config_file: file,
        executable: exe.to_string(),
    };
    match server::run(cfg, opts) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

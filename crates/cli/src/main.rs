//! The `redoubt` binary: picks the subcommand, turns configuration files and flags into a
//! resolved configuration, runs, and maps errors to exit codes. Stays thin.

mod check_rdb;
mod config;
mod hugepages;
mod up;

use std::process::ExitCode;

use commands::Config;
use config::LoadError;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str =
    "Usage: redoubt server [/path/to/redis.conf] [--directive value ...]\n       redoubt sentinel /path/to/sentinel.conf\n       redoubt up [--port 6379] [--replicas 2] [--sentinels 3] [--dir ./redoubt-up]\n       redoubt check-rdb <rdb-file-name>\n       redoubt check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n       redoubt --version";

/// Where Redis writes its pid when daemonized without a `pidfile`.
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let exe = args.first().cloned().unwrap_or_default();
    match args.get(1).map(String::as_str) {
        Some("server") => server(&exe, &args[2..]),
        Some("sentinel") => sentinel(&args[2..]),
        Some("up") => up::run(&exe, &args[2..]),
        Some("check-rdb") => check_rdb::run(&args[2..]),
        Some("check-aof") => {
            ExitCode::from(commands::aof::check::main("redoubt check-aof", &args[2..]) as u8)
        }
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
    let loaded = match config::load(args) {
        Ok(l) => l,
        Err(LoadError::Fatal(report)) => {
            eprint!("{report}");
            return ExitCode::from(1);
        }
        Err(LoadError::Log(msg)) => {
            warn("", 'C', &msg);
            return ExitCode::from(1);
        }
    };
    let mut cfg = loaded.config;
    if let Some(m) = cfg.loadmodules.first() {
        let path = m.first().cloned().unwrap_or_default();
        warn(
            &cfg.logfile,
            'M',
            &format!("Module {path} failed to load: Redoubt does not load Redis modules"),
        );
        warn(
            &cfg.logfile,
            'M',
            &format!("Can't load module from {path}: server aborting"),
        );
        return ExitCode::from(1);
    }
    // Before anything else is started: with huge pages wanted this restarts the process.
    if let Some(why) = hugepages::setup(cfg.heap_hugepages, loaded.from_stdin) {
        warn(&cfg.logfile, 'M', &why);
    }
    if cfg.daemonize {
        if let Err(e) = daemonize() {
            eprintln!("Cannot daemonize: {e}");
            return ExitCode::from(1);
        }
        if cfg.pidfile.is_empty() {
            cfg.pidfile = DEFAULT_PIDFILE.into();
        }
    }
    if (cfg.port == 0 || cfg.bind.is_empty()) && cfg.unixsocket.is_empty() {
        warn(
            &cfg.logfile,
            'M',
            "Configured to not listen anywhere, exiting.",
        );
        return ExitCode::from(1);
    }
    let pidfile = cfg.pidfile.clone();
    if !pidfile.is_empty() {
        write_pidfile(&cfg, &pidfile);
    }
    let opts = server::Options {
        config_file: loaded.file,
        executable: exe.to_string(),
    };
    let code = match server::run(cfg, opts) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    };
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    code
}

/// `redoubt sentinel sentinel.conf`: a Redis-Sentinel-compatible monitor.
fn sentinel(args: &[String]) -> ExitCode {
    let Some(path) = args.first() else {
        warn(
            "",
            'X',
            "Sentinel needs config file on disk to save state. Exiting...",
        );
        return ExitCode::from(1);
    };
    let loaded = match sentinel::driver::load(path) {
        Ok(l) => l,
        Err(sentinel::driver::ConfError::Fatal(report)) => {
            eprint!("{report}");
            return ExitCode::from(1);
        }
        Err(e) => {
            warn("", 'X', &e.to_string());
            return ExitCode::from(1);
        }
    };
    // A sentinel's heap is small: 2 MB pages would only add to its footprint.
    hugepages::setup(false, false);
    let st = &loaded.settings;
    let mut pidfile = st.pidfile.clone();
    if st.daemonize {
        if let Err(e) = daemonize() {
            eprintln!("Cannot daemonize: {e}");
            return ExitCode::from(1);
        }
        if pidfile.is_empty() {
            pidfile = DEFAULT_PIDFILE.into();
        }
    }
    if !pidfile.is_empty() {
        let _ = std::fs::write(&pidfile, format!("{}\n", std::process::id()));
    }
    let code = match sentinel::driver::run(loaded) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    };
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    code
}

/// A warning in Redis's log format, to the log file or standard output.
fn warn(logfile: &str, role: char, msg: &str) {
    let line = format!(
        "{}:{role} {} # {msg}\n",
        std::process::id(),
        server::timestamp()
    );
    server::write_log(logfile, &line);
}

fn write_pidfile(cfg: &Config, path: &str) {
    if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
        let why = commands::config_table::strerror(&e);
        warn(
            &cfg.logfile,
            'M',
            &format!("Failed to write PID file: {why}"),
        );
    }
}

/// Detaches like Redis's `daemonize()`: fork, the parent exits, the child starts a new
/// session with its standard streams on /dev/null. Runs before any thread exists.
fn daemonize() -> std::io::Result<()> {
    // SAFETY: the process is single-threaded here; the child only continues with its own
    // copy of the state, and the parent exits without running destructors.
    unsafe {
        match libc::fork() {
            -1 => return Err(std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
    Ok(())
}

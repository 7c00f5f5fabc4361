//! Runtime glue: listeners, connections, the cron, shutdown.
//!
//! Module map:
//! - [`listener`]: binds the configured addresses and accepts, enforcing maxclients and
//!   protected mode.
//! - [`conn`]: one task per connection: read, decode every complete request, execute them in
//!   order, flush the replies once per read batch.
//! - [`cron`]: `hz` times a second: active expiry, incremental rehash, client timeouts,
//!   statistics samples.
//!
//! Everything runs on one thread (a current-thread tokio runtime): the keyspace and server
//! state are owned by that thread and reached through one `Rc<RefCell<Core>>`, borrowed only
//! while a batch of commands executes and never across an `.await` — no lock per command.

pub mod conn;
pub mod cron;
pub mod listener;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use commands::{Config, Core};

pub type Shared = Rc<RefCell<Core>>;

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What the binary tells the server besides the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub config_file: Option<String>,
    pub executable: String,
}

/// Runs a server until SHUTDOWN or a signal; returns the exit code.
pub fn run(config: Config, opts: Options) -> std::io::Result<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut core = Core::new(config, now_ms());
        core.srv.config_file = opts.config_file;
        core.srv.executable = opts.executable;
        let shared: Shared = Rc::new(RefCell::new(core));
        let listeners = listener::bind_all(&shared)?;
        let stop = Rc::new(tokio::sync::Notify::new());
        for l in listeners {
            tokio::task::spawn_local(listener::accept_loop(shared.clone(), l, stop.clone()));
        }
        log(&shared, "Ready to accept connections tcp");
        let code = cron::run(shared.clone(), stop.clone()).await;
        Ok(code)
    })
}

/// Writes a log line in Redis's format (`pid:M dd Mon yyyy hh:mm:ss.mmm * message`).
pub fn log(shared: &Shared, msg: &str) {
    let core = shared.borrow();
    let cfg = &core.srv.config;
    if cfg.loglevel == "warning" {
        return;
    }
    let line = format!("{}:M {} * {}\n", std::process::id(), timestamp(), msg);
    write_log(&cfg.logfile, &line);
}

pub fn write_log(logfile: &str, line: &str) {
    use std::io::Write;
    if logfile.is_empty() {
        let _ = std::io::stdout().write_all(line.as_bytes());
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logfile)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

fn timestamp() -> String {
    let ms = now_ms();
    let secs = ms / 1000;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86400));
    let tod = secs.rem_euclid(86400);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(mo - 1) as usize],
        y,
        tod / 3600,
        tod % 3600 / 60,
        tod % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's civil calendar algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

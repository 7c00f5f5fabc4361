//! Runtime glue: listeners, connections, the cron, shutdown.
//!
//! Module map:
//! - [`listener`]: binds the configured addresses and accepts, enforcing maxclients and
//!   protected mode.
//! - [`conn`]: one task per connection: read, decode every complete request, execute them in
//!   order, flush the replies once per read batch.
//! - [`rebind`]: the set of listening sockets, replaced at run time by CONFIG SET port/bind.
//! - [`replica`]: the replica side's link to its primary; [`repl_io`]: the primary side's
//!   batched GETACKs, FAILOVER steps and snapshot relay; [`held`]: write replies held until
//!   replicas confirm them.
//! - [`evict`]: finishes a maxmemory eviction that ran out of time, between client batches.
//! - [`cron`]: `hz` times a second: active expiry, incremental rehash, client timeouts,
//!   statistics samples.
//!
//! Everything runs on one thread (a current-thread tokio runtime): the keyspace and server
//! state are owned by that thread and reached through one `Rc<RefCell<Core>>`, borrowed only
//! while a batch of commands executes and never across an `.await` — no lock per command.

mod coalesce;
pub mod conn;
pub mod cron;
pub mod evict;
pub mod held;
pub mod listener;
pub mod rebind;
pub mod repl_io;
pub mod replica;

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
pub fn run(mut config: Config, opts: Options) -> std::io::Result<i32> {
    let fd_notes = adjust_open_files_limit(&mut config);
    commands::cpulist::init(&config.server_cpulist, &config.bio_cpulist);
    coalesce::tighten_timer_slack();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(coalesce::before_park)
        .on_thread_unpark(coalesce::after_unpark)
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut core = Core::new(config, now_ms());
        core.srv.config_file = opts.config_file;
        core.srv.executable = opts.executable;
        let shared: Shared = Rc::new(RefCell::new(core));
        for note in fd_notes {
            log(&shared, &note);
        }
        load_data(&shared)?;
        let listeners = listener::bind_all(&shared)?;
        let stop = Rc::new(tokio::sync::Notify::new());
        rebind::install(&shared, listeners, stop.clone());
        {
            let mut c = shared.borrow_mut();
            let core = &mut *c;
            if let Some((host, port)) = core.srv.config.replicaof.clone() {
                commands::repl::become_replica(&mut core.srv, host, port, now_ms());
                core.ks.is_replica = true;
            }
        }
        tokio::task::spawn_local(replica::manager(shared.clone()));
        tokio::task::spawn_local(repl_io::run(shared.clone()));
        tokio::task::spawn_local(evict::resume_task(shared.clone()));
        tokio::task::spawn_local(aof_flusher(shared.clone()));
        log(&shared, "Ready to accept connections tcp");
        let code = cron::run(shared.clone(), stop.clone()).await;
        commands::config_cmd::set_listen_hook(None);
        Ok(code)
    })
}

/// Loads the data at start-up, as Redis does: the AOF when `appendonly yes` (even a missing
/// one: then the dataset starts empty), else `dbfilename` if it exists; then opens the AOF.
fn load_data(shared: &Shared) -> std::io::Result<()> {
    let fatal = || std::io::Error::other("Fatal error loading the append only file. Exiting.");
    let from_aof =
        commands::aof::load_at_startup(&mut shared.borrow_mut(), now_ms()).map_err(|_| fatal())?;
    if !from_aof {
        load_rdb(shared)?;
    }
    let mut c = shared.borrow_mut();
    let core = &mut *c;
    commands::aof::open_at_startup(&core.ks, &mut core.srv, now_ms()).map_err(|_| fatal())
}

/// Makes the AOF writes that connections share under `everysec` and `no` (one per turn of
/// the event loop; see `commands::aof::WriteBatch`).
async fn aof_flusher(shared: Shared) {
    let batch = shared.borrow().srv.aof.write_batch();
    loop {
        let round = batch.next_round().await;
        commands::aof::write_pending(&mut shared.borrow_mut().srv, false);
        batch.finish(round);
    }
}

/// Loads `dbfilename` if it exists.
fn load_rdb(shared: &Shared) -> std::io::Result<()> {
    let start = std::time::Instant::now();
    let loaded = {
        let mut c = shared.borrow_mut();
        let core = &mut *c;
        commands::persistence::load_at_startup(&mut core.ks, &mut core.srv, now_ms())
    };
    match loaded {
        Ok(Some(keys)) => {
            let secs = start.elapsed().as_secs_f64();
            log(
                shared,
                &format!("DB loaded from disk: {secs:.3} seconds ({keys} keys)"),
            );
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(std::io::Error::other(e)),
    }
}

/// File descriptors kept beside the clients' (listeners, log, persistence), as in Redis.
const RESERVED_FDS: u64 = 32;

/// Raises RLIMIT_NOFILE to `maxclients` + 32 as Redis's `adjustOpenFilesLimit` does: try
/// the full amount, step down by 16 until the kernel accepts, and if the result is short,
/// lower maxclients to fit. Returns the log lines to write once logging is up.
fn adjust_open_files_limit(config: &mut Config) -> Vec<String> {
    let wanted = config.maxclients as u64 + RESERVED_FDS;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and keeps no pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        config.maxclients = 1024 - RESERVED_FDS as usize;
        return vec![format!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            std::io::Error::last_os_error()
        )];
    }
    let old: u64 = lim.rlim_cur;
    if old >= wanted {
        return Vec::new();
    }
    let hard: u64 = lim.rlim_max;
    let mut best = wanted;
    let mut err = None;
    while best > old {
        let new = libc::rlimit {
            rlim_cur: best,
            rlim_max: best.max(hard),
        };
        // SAFETY: setrlimit only reads the struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
            break;
        }
        err.get_or_insert_with(std::io::Error::last_os_error);
        best = best.saturating_sub(16);
    }
    let best = best.max(old);
    if best >= wanted {
        return vec![format!(
            "Increased maximum number of open files to {best} (it was originally set to {old})."
        )];
    }
    config.maxclients = best.saturating_sub(RESERVED_FDS) as usize;
    let why = err.map_or_else(String::new, |e| e.to_string());
    vec![
        format!(
            "You requested maxclients of {} requiring at least {wanted} max file descriptors.",
            wanted - RESERVED_FDS
        ),
        format!("Server can't set maximum open files to {wanted} because of OS error: {why}."),
        format!(
            "Current maximum open files is {best}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            config.maxclients
        ),
    ]
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

pub use logline::write as write_log;

/// Redis's log timestamp: `dd Mon yyyy hh:mm:ss.mmm`, UTC.
pub fn timestamp() -> String {
    logline::timestamp(now_ms().max(0) as u64)
}

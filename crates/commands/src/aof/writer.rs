//! The file appends go to, and the thread that fsyncs it.
//!
//! The serving thread `write`s the propagated commands into the open incremental file
//! before the replies of the batch that made them leave (so a killed process has lost
//! nothing it acknowledged: the bytes are in the page cache). Durability is the fsync
//! thread's job, never the serving thread's, so the event loop does not stall on the disk:
//!
//! - `always`: every write asks for an fsync, and the connection whose batch wrote holds its
//!   replies until the fsync covering its bytes is done ([`SyncWait`]). While one fsync runs,
//!   other connections keep executing and writing; the next fsync covers all of them (group
//!   commit, the way Redis's one fsync per event-loop turn covers every client of the turn).
//! - `everysec`: the thread fsyncs once a second when something was written since.
//! - `no`: the kernel decides; files retired by a rewrite are still fsynced once.
//!
//! Offsets are counted over the whole life of the server (every file), so a waiter's target
//! stays meaningful when a rewrite switches files: files retired that way are fsynced by the
//! thread before it reports an offset as durable.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Always,
    EverySec,
    No,
}

impl Policy {
    pub fn from_config(s: &str) -> Policy {
        match s {
            "always" => Policy::Always,
            "no" => Policy::No,
            _ => Policy::EverySec,
        }
    }
}

struct State {
    file: Option<Arc<File>>,
    /// Files replaced by a rewrite, still owed an fsync before they are closed.
    retired: Vec<Arc<File>>,
    /// Bytes written to any file so far.
    written: u64,
    /// An fsync was asked for (`always`, shutdown, switching files).
    want: bool,
    policy: Policy,
    stop: bool,
    last_sync: Instant,
    /// Where the thread logs an fsync failure.
    logfile: String,
}

/// What the serving thread and the fsync thread share.
pub struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    /// Bytes known to be on disk.
    synced: AtomicU64,
    /// Wakes connections waiting for an fsync (`always`).
    notify: tokio::sync::Notify,
    in_progress: AtomicBool,
    /// The last fsync error, cleared by the next success.
    error: Mutex<Option<String>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn synced(&self) -> u64 {
        self.synced.load(Ordering::Acquire)
    }

    pub fn written(&self) -> u64 {
        self.lock().written
    }

    pub fn in_progress(&self) -> bool {
        self.in_progress.load(Ordering::Relaxed)
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The open file and the fsync thread behind it.
pub struct Writer {
    pub name: String,
    file: Arc<File>,
    shared: Arc<Shared>,
}

/// A connection's wait for its batch's bytes to be fsynced (`appendfsync always`).
pub struct SyncWait {
    shared: Arc<Shared>,
    target: u64,
}

impl SyncWait {
    pub async fn wait(self) {
        loop {
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so an fsync finishing in between still wakes us.
            notified.as_mut().enable();
            if self.shared.synced() >= self.target || self.shared.lock().stop {
                return;
            }
            notified.await;
        }
    }
}

impl Writer {
    /// Starts writing to `file`, with a new fsync thread.
    pub fn start(name: String, file: File, policy: Policy, logfile: String) -> Writer {
        let file = Arc::new(file);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                file: Some(file.clone()),
                retired: Vec::new(),
                written: 0,
                want: false,
                policy,
                stop: false,
                last_sync: Instant::now(),
                logfile,
            }),
            cv: Condvar::new(),
            synced: AtomicU64::new(0),
            notify: tokio::sync::Notify::new(),
            in_progress: AtomicBool::new(false),
            error: Mutex::new(None),
        });
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                crate::cpulist::enter_background_thread();
                fsync_loop(s)
            });
        if spawned.is_err() {
            // Without the thread, `always` falls back to fsyncing inline (see `request`).
            shared.lock().stop = true;
        }
        Writer { name, file, shared }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Appends `data`; on a short or failed write returns how much was written and the
    /// error, as Redis's `aofWrite` reports it.
    pub fn write(&self, data: &[u8], policy: Policy) -> Result<(), (usize, std::io::Error)> {
        let mut done = 0;
        let result = loop {
            if done == data.len() {
                break Ok(());
            }
            match (&*self.file).write(&data[done..]) {
                Ok(0) => break Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        let mut st = self.shared.lock();
        st.written += done as u64;
        st.policy = policy;
        drop(st);
        result.map_err(|e| (done, e))
    }

    /// Asks for an fsync of everything written so far; the wait for it to be done.
    pub fn request(&self) -> SyncWait {
        let mut st = self.shared.lock();
        let target = st.written;
        if st.stop {
            // No thread: do it here.
            drop(st);
            if self.file.sync_data().is_ok() {
                self.shared.synced.fetch_max(target, Ordering::AcqRel);
            }
        } else {
            st.want = true;
            self.shared.cv.notify_one();
        }
        SyncWait {
            shared: self.shared.clone(),
            target,
        }
    }

    /// Whether everything written is known to be on disk.
    pub fn all_synced(&self) -> bool {
        self.shared.synced() >= self.shared.written()
    }

    /// Switches appends to a new file (a rewrite started); the old one is fsynced and closed
    /// by the thread.
    pub fn switch(&mut self, name: String, file: File) {
        let file = Arc::new(file);
        let old = std::mem::replace(&mut self.file, file.clone());
        self.name = name;
        let mut st = self.shared.lock();
        st.retired.push(old);
        st.file = Some(file);
        self.shared.cv.notify_one();
    }

    /// Cuts the file back to `len` bytes (removing a short write).
    pub fn truncate(&self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }

    /// Renames the file being written (a temporary incr file becoming a listed one).
    pub fn renamed(&mut self, name: String) {
        self.name = name;
    }

    /// Fsyncs on the calling thread (shutdown, turning the AOF off) and stops the thread.
    pub fn close(self) -> std::io::Result<()> {
        let r = self.file.sync_data();
        let mut st = self.shared.lock();
        if r.is_ok() {
            self.shared.synced.fetch_max(st.written, Ordering::AcqRel);
        }
        st.stop = true;
        st.file = None;
        self.shared.cv.notify_one();
        drop(st);
        self.shared.notify.notify_waiters();
        r
    }

    /// Fsyncs on the calling thread and keeps the file open (SHUTDOWN).
    pub fn sync_now(&self) -> std::io::Result<()> {
        let target = self.shared.written();
        let r = self.file.sync_data();
        if r.is_ok() {
            self.shared.synced.fetch_max(target, Ordering::AcqRel);
        }
        r
    }
}

fn fsync_loop(s: Arc<Shared>) {
    let mut st = s.lock();
    loop {
        if st.stop {
            break;
        }
        let behind = st.written > s.synced();
        let since = st.last_sync.elapsed();
        let due = st.policy == Policy::EverySec && behind && since >= Duration::from_secs(1);
        if !(st.want || due || !st.retired.is_empty()) {
            let wait = if st.policy == Policy::EverySec && behind {
                Duration::from_secs(1).saturating_sub(since)
            } else {
                Duration::from_secs(1)
            };
            st =
                s.cv.wait_timeout(st, wait.max(Duration::from_millis(1)))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            continue;
        }
        let target = st.written;
        let file = st.file.clone();
        let retired = std::mem::take(&mut st.retired);
        let policy = st.policy;
        let logfile = st.logfile.clone();
        st.want = false;
        st.last_sync = Instant::now();
        drop(st);
        s.in_progress.store(true, Ordering::Relaxed);
        let mut result = Ok(());
        for f in retired.iter().chain(file.iter()) {
            if let Err(e) = f.sync_data() {
                result = Err(e);
            }
        }
        drop(retired);
        s.in_progress.store(false, Ordering::Relaxed);
        let mut err = s.error.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(()) => {
                *err = None;
                s.synced.fetch_max(target, Ordering::AcqRel);
            }
            Err(e) => {
                let why = crate::config_table::strerror(&e);
                if policy == Policy::Always {
                    // The replies are promised durable: like Redis, stop rather than lie.
                    super::log_to(&logfile, '#', &format!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {why}. Exiting..."));
                    std::process::exit(1);
                }
                super::log_to(&logfile, '#', &format!("Fail to fsync the AOF file: {why}"));
                *err = Some(why);
            }
        }
        drop(err);
        s.notify.notify_waiters();
        st = s.lock();
    }
}

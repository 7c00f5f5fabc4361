//! The tokio driver around the sans-I/O [`Core`]: it owns the clock, the sockets and the
//! config file, turns what it observes into [`Event`]s and carries out the [`Action`]s.
//!
//! Module map:
//! - this file: [`Driver`] (the shared state), the run loop (a jittered timer calling
//!   [`Core::tick`] on the wall clock), the action executor, logging.
//! - [`link`]: one task per monitored address (command + pub/sub connection to a server, a
//!   command connection to a sentinel), reconnecting until told to stop.
//! - [`serve`]: the listener and client connections (PING, INFO, ROLE, HELLO, AUTH, CLIENT,
//!   pub/sub, PUBLISH to `__sentinel__:hello`).
//! - [`client`]: the CLIENT command.
//! - [`commands`]: the SENTINEL subcommands.
//! - [`views`]: the instance tables of SENTINEL MASTERS / REPLICAS / SENTINELS and INFO.
//! - [`scripts`]: notification and client-reconfig scripts (queue, retries, time-out).
//! - [`conffile`]: loading and rewriting `sentinel.conf`.
//!
//! Everything runs on one thread (a current-thread runtime and a `LocalSet`, as the server
//! does). The core sits in a `RefCell` borrowed only inside synchronous code — never across an
//! `.await` — so events are applied one at a time, in order, without locks. Actions are
//! executed in order; `PersistConfig` is written and fsynced before the next one runs, which
//! is what puts a vote on disk before the reply that announces it.

pub mod conffile;

mod client;
mod commands;
mod link;
mod scripts;
mod serve;
mod views;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::core::{Action, Addr, ConfigSnapshot, Core, Event, Level, Millis, Options, ReqId};
use crate::core::{Reply, Timers};
use conffile::{LogLevel, Settings};

pub use conffile::{ConfError, REDIS_VERSION};

/// A loaded configuration, ready to run.
pub struct Loaded {
    pub snapshot: ConfigSnapshot,
    pub settings: Settings,
}

/// Reads and validates `sentinel.conf` (the binary daemonizes between this and [`run`]).
pub fn load(path: &str) -> Result<Loaded, ConfError> {
    let (snapshot, settings) = conffile::load(path)?;
    conffile::check_writable(&settings.path)?;
    Ok(Loaded { snapshot, settings })
}

/// Unix time in milliseconds: the core's clock (a wall clock, so jumps show up as TILT).
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// What the core answered to a request the driver fed it.
#[derive(Debug, Clone)]
pub(crate) enum CoreReply {
    Reply(Reply),
    MasterDown {
        down: bool,
        leader: String,
        leader_epoch: u64,
    },
}

/// `SENTINEL SIMULATE-FAILURE` flags.
#[derive(Default, Clone, Copy)]
pub(crate) struct SimFailure {
    pub after_election: bool,
    pub after_promotion: bool,
}

/// Everything the driver's tasks share.
pub struct Driver {
    pub(crate) core: RefCell<Core>,
    pub(crate) settings: RefCell<Settings>,
    pub(crate) links: RefCell<HashMap<Addr, link::Handle>>,
    pub(crate) clients: RefCell<serve::Registry>,
    replies: RefCell<HashMap<ReqId, CoreReply>>,
    next_req: Cell<ReqId>,
    /// The last INFO text of each server and when it arrived (SENTINEL INFO-CACHE).
    pub(crate) info_cache: RefCell<HashMap<Addr, (Millis, String)>>,
    pub(crate) scripts: RefCell<scripts::Queue>,
    pub(crate) simfailure: Cell<SimFailure>,
    pub(crate) started: Instant,
    /// The process's run id (INFO run_id), distinct from the sentinel id as in Redis.
    pub(crate) run_id: String,
    pub(crate) stop: tokio::sync::Notify,
    pub(crate) exit_code: Cell<i32>,
}

/// Runs a sentinel until SHUTDOWN or a signal; returns the exit code.
pub fn run(loaded: Loaded) -> std::io::Result<i32> {
    let Loaded { snapshot, settings } = loaded;
    if let Some(dir) = &settings.dir {
        std::env::set_current_dir(dir)?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listeners = match serve::bind(&settings) {
            Ok(l) => l,
            Err(e) => {
                let why = e.to_string();
                let why = why.split(" (os error").next().unwrap_or(&why).to_string();
                let line = format!(
                    "{}:X {} # Could not create server TCP listening socket *:{}: bind: {why}\n",
                    std::process::id(),
                    timestamp(now_ms()),
                    settings.port
                );
                write_log(&settings.logfile, &line);
                return Ok(1);
            }
        };
        let now = now_ms();
        let timers = Timers {
            fast: settings.fast,
            ..Timers::default()
        };
        let opts = Options {
            timers,
            seed: fastrand::u64(..),
            port: settings.port,
        };
        let core = Core::new(snapshot, opts, now);
        let drv = Rc::new(Driver {
            core: RefCell::new(core),
            settings: RefCell::new(settings),
            links: RefCell::new(HashMap::new()),
            clients: RefCell::new(serve::Registry::default()),
            replies: RefCell::new(HashMap::new()),
            next_req: Cell::new(1),
            info_cache: RefCell::new(HashMap::new()),
            scripts: RefCell::new(scripts::Queue::default()),
            simfailure: Cell::new(SimFailure::default()),
            started: Instant::now(),
            run_id: random_hex(40),
            stop: tokio::sync::Notify::new(),
            exit_code: Cell::new(0),
        });
        let port = drv.settings.borrow().port;
        drv.log(
            LogLevel::Notice,
            &format!("Running mode=sentinel, port={port}."),
        );
        let start = drv.core.borrow_mut().start(now_ms());
        let myid = drv.core.borrow().myid().to_string();
        drv.log(LogLevel::Warning, &format!("Sentinel ID is {myid}"));
        drv.execute(start);
        for l in listeners {
            tokio::task::spawn_local(serve::accept_loop(drv.clone(), l));
        }
        tokio::task::spawn_local(signals(drv.clone()));
        timer_loop(&drv).await;
        Ok(drv.exit_code.get())
    })
}

/// The timer: `tick` every 50–100 ms (Redis's 10–19 Hz), every 10–20 ms in fast mode, until
/// asked to stop.
async fn timer_loop(drv: &Rc<Driver>) {
    loop {
        let fast = drv.core.borrow().timers().fast;
        let period = if fast {
            fastrand::u64(10..=20)
        } else {
            fastrand::u64(50..=100)
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(period)) => {}
            _ = drv.stop.notified() => break,
        }
        let actions = drv.core.borrow_mut().tick(now_ms());
        drv.execute(actions);
    }
    // Leave the file as the state is, as Redis does on shutdown.
    drv.persist(&drv.core.borrow().snapshot());
    drv.log(
        LogLevel::Warning,
        "Sentinel is now ready to exit, bye bye...",
    );
}

async fn signals(drv: Rc<Driver>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    let which = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    drv.log(
        LogLevel::Warning,
        &format!("Received {which} scheduling shutdown..."),
    );
    drv.shutdown(0);
}

impl Driver {
    pub(crate) fn shutdown(&self, code: i32) {
        self.exit_code.set(code);
        self.stop.notify_one();
    }

    /// Applies one observation and carries out what the core decided.
    pub(crate) fn feed(self: &Rc<Self>, ev: Event) {
        let actions = self.core.borrow_mut().on_event(now_ms(), ev);
        self.execute(actions);
    }

    /// Feeds a request that the core answers in the same step and returns that answer.
    pub(crate) fn request(self: &Rc<Self>, make: impl FnOnce(ReqId) -> Event) -> Option<CoreReply> {
        let req = self.next_req.get();
        self.next_req.set(req + 1);
        self.feed(make(req));
        self.replies.borrow_mut().remove(&req)
    }

    pub(crate) fn execute(self: &Rc<Self>, actions: Vec<Action>) {
        for a in actions {
            self.execute_one(a);
        }
    }

    fn execute_one(self: &Rc<Self>, a: Action) {
        match a {
            Action::Connect { addr, kind } => {
                let h = link::spawn(self.clone(), addr.clone(), kind);
                if let Some(old) = self.links.borrow_mut().insert(addr, h) {
                    old.close();
                }
            }
            Action::Disconnect { addr } => {
                if let Some(h) = self.links.borrow_mut().remove(&addr) {
                    h.close();
                }
            }
            Action::Reconnect { addr } => self.to_link(&addr, link::Msg::Reconnect),
            Action::Ping { addr } => self.send(&addr, link::ping(self, &addr)),
            Action::Info { addr } => self.send(&addr, link::info(self, &addr)),
            Action::ScriptKill { addr } => self.send(&addr, link::script_kill(self, &addr)),
            Action::PublishHello { to, hello } => {
                let publish = link::command_name(self, &to, "PUBLISH");
                self.to_link(&to, link::Msg::Hello { publish, hello });
            }
            Action::AskIsMasterDown {
                to,
                master,
                master_addr,
                current_epoch,
                runid,
            } => {
                let out = link::ask(&master, &master_addr, current_epoch, &runid);
                self.send(&to, out);
            }
            Action::ReplyIsMasterDown {
                req,
                down,
                leader,
                leader_epoch,
            } => {
                let r = CoreReply::MasterDown {
                    down,
                    leader,
                    leader_epoch,
                };
                self.replies.borrow_mut().insert(req, r);
            }
            Action::SendReplicaOfNoOne { addr } => {
                self.send(&addr, link::replica_of(self, &addr, None));
            }
            Action::SendReplicaOf { addr, primary } => {
                self.send(&addr, link::replica_of(self, &addr, Some(&primary)));
            }
            Action::PersistConfig(snap) => self.persist(&snap),
            Action::Emit {
                level,
                channel,
                message,
            } => self.emit(level, channel, &message),
            Action::Reply { req, reply } => {
                self.replies
                    .borrow_mut()
                    .insert(req, CoreReply::Reply(reply));
            }
            Action::RunScript { path, args } => scripts::enqueue(self, path, args),
        }
    }

    fn to_link(&self, addr: &Addr, msg: link::Msg) {
        if let Some(h) = self.links.borrow().get(addr) {
            h.send(msg);
        }
    }

    fn send(&self, addr: &Addr, out: Vec<link::Out>) {
        self.to_link(addr, link::Msg::Cmds(out));
    }

    pub(crate) fn persist(&self, snap: &ConfigSnapshot) {
        let r = conffile::persist(snap, &self.settings.borrow());
        match r {
            Ok(()) => self.log(LogLevel::Notice, "Sentinel new configuration saved on disk"),
            Err(e) => self.log(
                LogLevel::Warning,
                &format!(
                    "WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}"
                ),
            ),
        }
    }

    /// Persists the core's current state (after a change made outside an event).
    pub(crate) fn persist_now(&self) {
        let snap = self.core.borrow().snapshot();
        self.persist(&snap);
    }

    fn emit(&self, level: Level, channel: &str, message: &str) {
        let lvl = match level {
            Level::Verbose => LogLevel::Verbose,
            Level::Notice => LogLevel::Notice,
            Level::Warning => LogLevel::Warning,
        };
        self.log(lvl, &format!("{channel} {message}"));
        serve::publish(self, channel.as_bytes(), message.as_bytes());
        let sim = self.simfailure.get();
        let crash = (sim.after_election && channel == "+elected-leader")
            || (sim.after_promotion && channel == "+promoted-slave");
        if crash {
            self.log(
                LogLevel::Warning,
                "Sentinel CRASH because of SENTINEL simulate-failure",
            );
            std::process::exit(99);
        }
    }

    /// Writes a log line in Redis's format (`pid:X dd Mon yyyy hh:mm:ss.mmm # message`).
    pub(crate) fn log(&self, level: LogLevel, msg: &str) {
        let st = self.settings.borrow();
        if level < st.loglevel {
            return;
        }
        let mark = match level {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        };
        let line = format!(
            "{}:X {} {mark} {msg}\n",
            std::process::id(),
            timestamp(now_ms())
        );
        write_log(&st.logfile, &line);
    }
}

pub use logline::{timestamp, write as write_log};

pub(crate) fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

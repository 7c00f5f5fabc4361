//! The sans-I/O Sentinel core: `tick(now)` and `on_event(now, event)` return the list of
//! [`Action`]s the driver must execute, in order.
//!
//! Module map:
//! - this file: the vocabulary shared with the driver ([`Event`], [`Action`], [`Timers`], …).
//! - [`engine`]: [`Core`] itself — construction, the timer loop, event dispatch, link sync,
//!   config persistence points.
//! - [`instance`]: what the core knows about each primary, replica and peer sentinel.
//! - [`monitor`]: periodic PING/INFO/hello, SDOWN, ODOWN, ping replies.
//! - [`refresh`]: applying an INFO report (new replicas, reboots, role changes, promotion).
//! - [`hello`]: the `__sentinel__:hello` message, peer discovery and config-epoch adoption.
//! - [`vote`]: epochs, IS-MASTER-DOWN-BY-ADDR in both directions, leader election.
//! - [`failover`]: the failover state machine, one function per [`FailoverState`].
//! - [`select`]: choosing the replica to promote.
//! - [`tilt`]: TILT mode on clock jumps.
//! - [`commands`]: operator commands (SENTINEL FAILOVER, RESET, MONITOR, REMOVE, SET, …).
//! - [`config`]: the persistent state ([`ConfigSnapshot`]) and its `sentinel.conf` lines.
//! - [`info`]: the INFO reply parser the driver uses to build [`InfoReport`]s.
//! - [`events`]: pub/sub channel names and message formats, verbatim from Redis.
//!
//! Contract with the driver:
//! - Time is a millisecond clock passed in by the driver (wall clock, as Redis uses, so that a
//!   jump shows up as TILT). Call `tick` about every 100 ms (Redis runs its timer at 10–19 Hz;
//!   jitter helps desynchronise sentinels), more often in fast mode (e.g. every 10–20 ms).
//! - Actions are executed in order. [`Action::PersistConfig`] must be on disk (written and
//!   fsynced) before any later action of the same list is executed: this is how a vote
//!   reaches disk before the reply that announces it.

pub mod commands;
pub mod config;
pub mod engine;
pub mod events;
pub mod failover;
pub mod hello;
pub mod info;
pub mod instance;
pub mod monitor;
pub mod refresh;
pub mod select;
pub mod tilt;
pub mod vote;

pub(crate) mod glob;

#[cfg(test)]
mod tests;

use std::fmt;

pub use config::{ConfigSnapshot, MasterConfig};
pub use engine::{Core, Options};
pub use failover::FailoverState;
pub use hello::Hello;
pub use info::InfoReport;
pub use instance::{Link, Master, Peer, Reconf, Server};

/// Milliseconds on the driver's clock.
pub type Millis = u64;

/// Correlates a request the driver received (a vote request, an operator command) with the
/// [`Action::Reply`] / [`Action::ReplyIsMasterDown`] the core produces for it.
pub type ReqId = u64;

/// An instance address. Hosts are stored lower-case so that comparisons are case-insensitive,
/// as Redis compares addresses with `strcasecmp`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    pub host: String,
    pub port: u16,
}

impl Addr {
    pub fn new(host: impl Into<String>, port: u16) -> Addr {
        Addr {
            host: host.into().to_ascii_lowercase(),
            port,
        }
    }
}

/// `ip:port`, IPv6 addresses bracketed: the name Redis gives replicas (`announceSentinelAddrAndPort`).
impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What a link connects to: a data server (command + pub/sub connection, SUBSCRIBE
/// `__sentinel__:hello` on the latter) or another sentinel (command connection only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Server,
    Sentinel,
}

/// The role an instance reports in INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
}

/// A PING reply, classified. A missing reply is not an event: timeouts are derived from
/// `tick`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PingReply {
    Pong,
    /// `-LOADING …`: valid, the instance is alive.
    Loading,
    /// `-MASTERDOWN …`: valid, the instance is alive.
    MasterDown,
    /// `-BUSY …`: not valid; the core may answer with [`Action::ScriptKill`].
    Busy,
    /// Any other reply (the text, for logs); not valid.
    Other(String),
}

impl PingReply {
    /// Classifies a status or error line (without the leading `+`/`-`) by its prefix, as
    /// Redis does.
    pub fn classify(line: &str) -> PingReply {
        if line.starts_with("PONG") {
            PingReply::Pong
        } else if line.starts_with("LOADING") {
            PingReply::Loading
        } else if line.starts_with("MASTERDOWN") {
            PingReply::MasterDown
        } else if line.starts_with("BUSY") {
            PingReply::Busy
        } else {
            PingReply::Other(line.to_string())
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        matches!(
            self,
            PingReply::Pong | PingReply::Loading | PingReply::MasterDown
        )
    }
}

/// Something the driver observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The link to `addr` is usable: for servers both the command and the pub/sub connection
    /// are up (and SUBSCRIBE was sent); for sentinels the command connection.
    LinkUp {
        addr: Addr,
    },
    /// A connection of the link to `addr` failed or closed. The driver keeps reconnecting
    /// (about once per second) while the link is wanted.
    LinkDown {
        addr: Addr,
    },
    PingReply {
        addr: Addr,
        reply: PingReply,
    },
    /// A bulk-string INFO reply from a server, parsed with [`InfoReport::parse`].
    InfoReply {
        addr: Addr,
        info: InfoReport,
    },
    /// A message on `__sentinel__:hello`: received through the pub/sub link of server `via`,
    /// or (`via: None`) sent to our own PUBLISH command by another sentinel.
    Hello {
        via: Option<Addr>,
        payload: String,
    },
    /// The reply to an [`Action::AskIsMasterDown`] (a 3-element array: integer, bulk,
    /// integer; anything else is dropped by the driver). `master` echoes the action's.
    IsMasterDownReply {
        from: Addr,
        master: String,
        down: bool,
        leader: String,
        leader_epoch: u64,
    },
    /// Another sentinel sent `SENTINEL IS-MASTER-DOWN-BY-ADDR ip port epoch runid`. The
    /// driver parses port and epoch (replying with Redis's integer errors itself); an epoch
    /// given as a negative integer is passed cast to u64, as Redis does.
    IsMasterDownRequest {
        req: ReqId,
        ip: String,
        port: u16,
        current_epoch: u64,
        runid: String,
    },
    /// The EXEC reply of a REPLICAOF transaction. Informational: like Redis, the core
    /// observes the effect through INFO, never through this reply.
    ReplicaOfReply {
        addr: Addr,
        ok: bool,
    },
    /// An operator command that changes state.
    Command {
        req: ReqId,
        cmd: Command,
    },
}

/// Operator commands (the SENTINEL subcommands that change state). Read-only subcommands
/// (MASTERS, REPLICAS, GET-MASTER-ADDR-BY-NAME, …) are answered by the driver from the
/// accessors of [`Core`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// SENTINEL FAILOVER name
    Failover { master: String },
    /// SENTINEL RESET pattern
    Reset { pattern: String },
    /// SENTINEL MONITOR name ip port quorum (the driver has checked that port and quorum are
    /// integers and that the ip is an address)
    Monitor {
        name: String,
        host: String,
        port: i64,
        quorum: i64,
    },
    /// SENTINEL REMOVE name
    Remove { master: String },
    /// SENTINEL SET name option value [option value …] — `args` are the words after the name.
    Set { master: String, args: Vec<String> },
    /// SENTINEL FLUSHCONFIG
    FlushConfig,
    /// SENTINEL CKQUORUM name
    CkQuorum { master: String },
}

/// The reply to a [`Command`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Ok,
    /// A status line other than OK (without the `+`).
    Status(String),
    Int(i64),
    /// A full error line without the leading `-`, e.g. `ERR No such master with that name`.
    Error(String),
}

/// Log level of an emitted event. Everything emitted is also published on the pub/sub
/// channel named after the event; `Warning` events also run the master's
/// notification-script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Verbose,
    Notice,
    Warning,
}

/// Something the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start (and keep) a link to `addr`: reconnect about once per second while it is down,
    /// report [`Event::LinkUp`]/[`Event::LinkDown`]. Sent once when the address becomes known.
    Connect {
        addr: Addr,
        kind: LinkKind,
    },
    /// Forget the link to `addr` (close it, stop reconnecting).
    Disconnect {
        addr: Addr,
    },
    /// Close the link's connections and reconnect (a link that looks stuck). The core already
    /// considers the link down; report LinkUp when it is back.
    Reconnect {
        addr: Addr,
    },
    Ping {
        addr: Addr,
    },
    Info {
        addr: Addr,
    },
    /// `PUBLISH __sentinel__:hello <hello.payload(local_ip)>` on the command link to `to`.
    PublishHello {
        to: Addr,
        hello: Hello,
    },
    /// `SENTINEL is-master-down-by-addr <master_addr.host> <master_addr.port> <current_epoch>
    /// <runid>` to sentinel `to`; reply with [`Event::IsMasterDownReply`] carrying `master`.
    AskIsMasterDown {
        to: Addr,
        master: String,
        master_addr: Addr,
        current_epoch: u64,
        runid: String,
    },
    /// Reply `*3 :down $leader :leader_epoch` to the request `req`.
    ReplyIsMasterDown {
        req: ReqId,
        down: bool,
        leader: String,
        leader_epoch: u64,
    },
    /// MULTI, REPLICAOF NO ONE, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE
    /// pubsub, EXEC.
    SendReplicaOfNoOne {
        addr: Addr,
    },
    /// MULTI, REPLICAOF host port, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE
    /// pubsub, EXEC.
    SendReplicaOf {
        addr: Addr,
        primary: Addr,
    },
    /// SCRIPT KILL (the instance answers PING with -BUSY while SDOWN).
    ScriptKill {
        addr: Addr,
    },
    /// Rewrite sentinel.conf with this state and fsync, before executing the next action.
    PersistConfig(Box<ConfigSnapshot>),
    /// Log and publish `message` on `channel`.
    Emit {
        level: Level,
        channel: &'static str,
        message: String,
    },
    /// The reply to [`Event::Command`] `req`.
    Reply {
        req: ReqId,
        reply: Reply,
    },
    /// Run a notification or client-reconfig script (queue, retry and time-out as Redis).
    RunScript {
        path: String,
        args: Vec<String>,
    },
}

/// Global timers (Redis's `SENTINEL DEBUG` parameters) and the fast-mode switch. Settable at
/// run time with [`Core::set_timers`] so tests and `redoubt up` can make them short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timers {
    pub ping_period: Millis,
    pub info_period: Millis,
    pub ask_period: Millis,
    /// The hello (PUBLISH) period.
    pub publish_period: Millis,
    pub tilt_trigger: Millis,
    pub tilt_period: Millis,
    pub slave_reconf_timeout: Millis,
    pub min_link_reconnect_period: Millis,
    pub election_timeout: Millis,
    /// Random delay (0..max_desync) added to a failover start so sentinels do not retry in
    /// lock-step.
    pub max_desync: Millis,
    /// Redoubt's fast mode: act on replies as they arrive instead of on the next timer round,
    /// ask for votes as soon as a primary is SDOWN, run the instant failover states
    /// back-to-back, and poll the promoted replica's INFO every `fast_info_period`.
    pub fast: bool,
    pub fast_info_period: Millis,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            ping_period: 1000,
            info_period: 10_000,
            ask_period: 1000,
            publish_period: 2000,
            tilt_trigger: 2000,
            tilt_period: 30_000,
            slave_reconf_timeout: 10_000,
            min_link_reconnect_period: 15_000,
            election_timeout: 10_000,
            max_desync: 1000,
            fast: false,
            fast_info_period: 100,
        }
    }
}

/// Defaults of the per-master settings.
pub const DEFAULT_DOWN_AFTER: Millis = 30_000;
pub const DEFAULT_FAILOVER_TIMEOUT: Millis = 180_000;
pub const DEFAULT_PARALLEL_SYNCS: u32 = 1;
pub const DEFAULT_REPLICA_PRIORITY: i64 = 100;

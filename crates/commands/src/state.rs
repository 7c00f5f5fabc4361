//! Server-wide state beside the keyspace: configuration, statistics, the client registry,
//! pub/sub subscriptions, WATCH bookkeeping. Owned, like the keyspace, by the one thread that
//! executes commands ([`Core`]); no locks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use keyspace::{Keyspace, SBytes};

use crate::client::ClientShared;
use crate::config::Config;

/// Per-command counters (INFO commandstats).
#[derive(Debug, Default, Clone)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
    /// Latency histogram (LATENCY HISTOGRAM, INFO latencystats), allocated on first call.
    pub hist: Option<Box<crate::server::histogram::Histogram>>,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections: u64,
    pub total_commands: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub pubsub_messages: u64,
    pub commands: Vec<CmdStat>,
    pub errors: BTreeMap<String, u64>,
    /// Instantaneous ops/sec samples (cron fills).
    pub ops_samples: Vec<u64>,
    pub last_sample_ms: i64,
    pub last_sample_cmds: u64,
    /// How long the last fork took, and how many there were (INFO stats).
    pub latest_fork_usec: u64,
    pub total_forks: u64,
}

/// One SLOWLOG entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub usec: u64,
    pub args: Vec<bytes::Bytes>,
    pub addr: String,
    pub name: String,
}

/// CLIENT PAUSE state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub until_ms: i64,
    /// Only writes are paused (WRITE mode).
    pub writes_only: bool,
}

/// Shutdown requested by SHUTDOWN or a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownRequest {
    pub save: Option<bool>,
    pub now: bool,
    pub force: bool,
}

#[derive(Default)]
pub struct PubSub {
    /// Channel to subscriber ids, in subscription order.
    pub channels: HashMap<Vec<u8>, Vec<u64>>,
    /// Patterns with their subscribers, in subscription order.
    pub patterns: Vec<(Vec<u8>, u64)>,
}

pub struct ServerState {
    pub config: Config,
    pub clients: BTreeMap<u64, Rc<ClientShared>>,
    pub next_client_id: u64,
    pub pubsub: PubSub,
    pub monitors: Vec<u64>,
    /// (db, key) to the ids of the clients watching it.
    pub watchers: HashMap<(usize, SBytes), Vec<u64>>,
    /// Clients whose watched keys changed: their EXEC fails.
    pub cas_dirty: HashSet<u64>,
    pub stats: Stats,
    pub slowlog: std::collections::VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    pub pause: Option<Pause>,
    pub shutdown: Option<ShutdownRequest>,
    pub run_id: String,
    pub start_ms: i64,
    pub config_file: Option<String>,
    pub executable: String,
    pub tcp_port: u16,
    pub loading: bool,
    pub last_save_ms: i64,
    pub lazyfree_pending: u64,
    pub propagation: crate::propagate::Propagation,
    /// Replication: ids, offset, backlog, attached replicas, this server's primary.
    pub repl: crate::repl::ReplState,
    /// RDB saves: the background child, last status, counters.
    pub persist: crate::persistence::PersistState,
    /// The append-only file: its files, the open incremental file, rewrite bookkeeping.
    pub aof: crate::aof::AofState,
    /// The latency monitor's events (LATENCY LATEST/HISTORY).
    pub latency: crate::server::latency::Monitor,
    /// Clients blocked on keys (BLPOP…), the keys they wait on, keys ready to serve.
    pub blocking: crate::blocking::Blocking,
    /// maxmemory: a pending eviction, time spent over the limit.
    pub evict: crate::evict::EvictState,
}

impl ServerState {
    pub fn new(config: Config, now_ms: i64) -> Self {
        let run_id: String = (0..40)
            .map(|_| std::char::from_digit(fastrand::u32(0..16), 16).unwrap())
            .collect();
        ServerState {
            tcp_port: config.port,
            config,
            clients: BTreeMap::new(),
            next_client_id: 1,
            pubsub: PubSub::default(),
            monitors: Vec::new(),
            watchers: HashMap::new(),
            cas_dirty: HashSet::new(),
            stats: Stats::default(),
            slowlog: Default::default(),
            slowlog_next_id: 0,
            pause: None,
            shutdown: None,
            run_id,
            start_ms: now_ms,
            config_file: None,
            executable: String::new(),
            loading: false,
            last_save_ms: now_ms,
            lazyfree_pending: 0,
            propagation: Default::default(),
            repl: Default::default(),
            persist: Default::default(),
            aof: Default::default(),
            latency: Default::default(),
            blocking: Default::default(),
            evict: Default::default(),
        }
    }

    /// Whether this server follows a primary (REPLICAOF): derived from the replication
    /// state, never stored twice.
    pub fn is_replica(&self) -> bool {
        self.repl.primary.is_some()
    }

    /// Whether a forked child (a background save, an AOF rewrite or a replica's snapshot)
    /// shares the parent's pages (Redis's `hasActiveChildProcess`).
    pub fn has_active_child(&self) -> bool {
        self.persist.child.is_some() || self.repl.job.is_some()
    }

    pub fn client(&self, id: u64) -> Option<&Rc<ClientShared>> {
        self.clients.get(&id)
    }
}

/// Everything one command may read or change, owned by the executing thread.
pub struct Core {
    pub ks: Keyspace,
    pub srv: ServerState,
}

impl Core {
    pub fn new(config: Config, now_ms: i64) -> Self {
        crate::set::sync_encoding_limits(&config);
        crate::hash::publish_limits(&config);
        let mut ks = Keyspace::new(config.databases);
        ks.lru_clock = (now_ms / 1000) as u32;
        crate::evict::sync_config(&mut ks, &config);
        crate::pubsub::sync_notify_flags(&mut ks, &config);
        let mut srv = ServerState::new(config, now_ms);
        srv.stats.commands = vec![CmdStat::default(); crate::table::table().entries.len()];
        crate::server::memory::record_startup();
        Core { ks, srv }
    }
}

//! What the core knows about each instance: the link to an address ([`Link`], shared by every
//! master entry that refers to that address, as Redis shares sentinel links), a data server
//! seen as a primary or a replica ([`Server`]), a peer sentinel ([`Peer`]), and a monitored
//! master with its replicas, sentinels and failover state ([`Master`]).
//!
//! Fields are public for the driver's read-only views (SENTINEL MASTERS, REPLICAS, …); only
//! the core changes them.

use std::collections::BTreeMap;

use super::config::MasterConfig;
use super::failover::Failover;
use super::{Addr, LinkKind, Millis, Role, DEFAULT_REPLICA_PRIORITY};

/// Failure-detection state of the link to one address (Redis's `instanceLink`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub kind: LinkKind,
    pub connected: bool,
    /// When the link last came up.
    pub conn_time: Millis,
    /// When the oldest unanswered PING was sent; None when every PING was answered.
    pub act_ping_time: Option<Millis>,
    pub last_ping_time: Option<Millis>,
    /// Last valid PING reply (PONG, LOADING, MASTERDOWN).
    pub last_avail_time: Millis,
    /// Last PING reply of any kind.
    pub last_pong_time: Millis,
    /// Last message seen on the pub/sub connection (servers only).
    pub pubsub_activity: Millis,
}

impl Link {
    /// A link that was never up counts as "waiting for a PONG since now", so an address that
    /// never answers becomes SDOWN after down-after.
    pub fn new(kind: LinkKind, now: Millis) -> Link {
        Link {
            kind,
            connected: false,
            conn_time: now,
            act_ping_time: Some(now),
            last_ping_time: None,
            last_avail_time: now,
            last_pong_time: now,
            pubsub_activity: now,
        }
    }

    pub(crate) fn reset_timers(&mut self, now: Millis) {
        self.act_ping_time = Some(now);
        self.last_ping_time = None;
        self.last_avail_time = now;
        self.last_pong_time = now;
    }
}

/// Progress of a replica being pointed at the promoted replica during a failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconf {
    None,
    /// REPLICAOF <new primary> sent at this time.
    Sent(Millis),
    /// INFO shows it replicating from the new primary.
    InProgress,
    /// INFO shows its link to the new primary up.
    Done,
}

/// A data server as seen from one master entry: the primary itself or one of its replicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub addr: Addr,
    pub runid: Option<String>,
    pub sdown: bool,
    /// When SDOWN was last entered (kept after -sdown, as Redis does).
    pub s_down_since: Option<Millis>,
    pub odown: bool,
    pub o_down_since: Option<Millis>,
    pub info_refresh: Option<Millis>,
    /// When the INFO still unanswered was sent.
    pub info_sent: Option<Millis>,
    pub role_reported: Role,
    pub role_reported_time: Millis,
    pub last_pub_time: Millis,
    /// Set when a primary with a reboot down-after period changed run id.
    pub reboot_since: Option<Millis>,
    pub script_kill_sent: bool,
    // As reported by INFO when the server is a replica.
    pub master_link_down_time: Millis,
    pub slave_priority: i64,
    pub replica_announced: bool,
    pub slave_master_host: Option<String>,
    pub slave_master_port: u16,
    pub master_link_up: bool,
    pub repl_offset: u64,
    pub slave_conf_change_time: Millis,
    // Failover bookkeeping (replicas only).
    pub reconf: Reconf,
    pub promoted: bool,
}

impl Server {
    pub fn new(addr: Addr, role: Role, now: Millis) -> Server {
        Server {
            addr,
            runid: None,
            sdown: false,
            s_down_since: None,
            odown: false,
            o_down_since: None,
            info_refresh: None,
            info_sent: None,
            role_reported: role,
            role_reported_time: now,
            last_pub_time: now,
            reboot_since: None,
            script_kill_sent: false,
            master_link_down_time: 0,
            slave_priority: DEFAULT_REPLICA_PRIORITY,
            replica_announced: true,
            slave_master_host: None,
            slave_master_port: 0,
            master_link_up: false,
            repl_offset: 0,
            slave_conf_change_time: now,
            reconf: Reconf::None,
            promoted: false,
        }
    }

    /// No SDOWN/ODOWN started in the last `ms` (Redis's `sentinelRedisInstanceNoDownFor`).
    pub fn no_down_for(&self, now: Millis, ms: Millis) -> bool {
        match self.s_down_since.max(self.o_down_since) {
            None => true,
            Some(t) => now.saturating_sub(t) > ms,
        }
    }
}

/// Another sentinel monitoring the same master.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub addr: Addr,
    pub runid: String,
    pub sdown: bool,
    pub s_down_since: Option<Millis>,
    pub last_pub_time: Millis,
    pub last_hello_time: Millis,
    pub last_master_down_reply_time: Millis,
    /// When the IS-MASTER-DOWN-BY-ADDR still unanswered was sent.
    pub ask_sent: Option<Millis>,
    /// It said the master is down in its last reply.
    pub master_down: bool,
    /// Whom it voted for, in which epoch, per its last reply.
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl Peer {
    pub fn new(addr: Addr, runid: String, now: Millis) -> Peer {
        Peer {
            addr,
            runid,
            sdown: false,
            s_down_since: None,
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            ask_sent: None,
            master_down: false,
            leader: None,
            leader_epoch: 0,
        }
    }
}

/// A monitored master: the primary's [`Server`] record plus everything attached to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Master {
    pub name: String,
    pub server: Server,
    pub quorum: u32,
    pub down_after: Millis,
    pub failover_timeout: Millis,
    pub parallel_syncs: u32,
    /// master-reboot-down-after-period (0 = off).
    pub reboot_down_after: Millis,
    pub config_epoch: u64,
    /// This sentinel's vote for the failover leader, and the epoch of that vote.
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover: Failover,
    pub replicas: BTreeMap<Addr, Server>,
    /// Keyed by run id.
    pub sentinels: BTreeMap<String, Peer>,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    pub rename_commands: BTreeMap<String, String>,
}

impl Master {
    pub fn from_config(c: &MasterConfig, now: Millis) -> Master {
        let mut m = Master {
            name: c.name.clone(),
            server: Server::new(c.addr.clone(), Role::Primary, now),
            quorum: c.quorum,
            down_after: c.down_after,
            failover_timeout: c.failover_timeout,
            parallel_syncs: c.parallel_syncs,
            reboot_down_after: c.reboot_down_after,
            config_epoch: c.config_epoch,
            leader: c.leader.clone(),
            leader_epoch: c.leader_epoch,
            failover: Failover::default(),
            replicas: BTreeMap::new(),
            sentinels: BTreeMap::new(),
            auth_pass: c.auth_pass.clone(),
            auth_user: c.auth_user.clone(),
            notification_script: c.notification_script.clone(),
            client_reconfig_script: c.client_reconfig_script.clone(),
            rename_commands: c.rename_commands.iter().cloned().collect(),
        };
        for a in &c.known_replicas {
            m.replicas
                .entry(a.clone())
                .or_insert_with(|| Server::new(a.clone(), Role::Replica, now));
        }
        for (a, id) in &c.known_sentinels {
            m.sentinels
                .entry(id.clone())
                .or_insert_with(|| Peer::new(a.clone(), id.clone(), now));
        }
        m
    }

    pub fn failover_in_progress(&self) -> bool {
        self.failover.in_progress()
    }

    /// The address clients should use: the promoted replica's once it has acknowledged the
    /// promotion during a failover (Redis's `sentinelGetCurrentMasterAddress`).
    pub fn current_addr(&self) -> &Addr {
        if self.failover.state >= super::FailoverState::ReconfReplicas {
            if let Some(p) = &self.failover.promoted {
                return p;
            }
        }
        &self.server.addr
    }

    pub(crate) fn sentinel_by_addr(&self, addr: &Addr) -> Option<&Peer> {
        self.sentinels.values().find(|p| &p.addr == addr)
    }

    pub(crate) fn sentinel_by_addr_mut(&mut self, addr: &Addr) -> Option<&mut Peer> {
        self.sentinels.values_mut().find(|p| &p.addr == addr)
    }
}

//! The persistent state of a sentinel: what `sentinel.conf` holds and what a restarted core is
//! built from. [`Action::PersistConfig`](super::Action::PersistConfig) carries a
//! [`ConfigSnapshot`]; [`ConfigSnapshot::to_lines`] renders the `sentinel …` directives the way
//! Redis's config rewrite does (the driver merges them with the rest of the file).

use super::{Addr, Millis, DEFAULT_DOWN_AFTER, DEFAULT_FAILOVER_TIMEOUT, DEFAULT_PARALLEL_SYNCS};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigSnapshot {
    /// 40 hex digits; empty means "pick one" (the core then persists it at start).
    pub myid: String,
    pub current_epoch: u64,
    pub announce_ip: Option<String>,
    /// 0 = announce the listening port.
    pub announce_port: u16,
    pub deny_scripts_reconfig: bool,
    pub masters: Vec<MasterConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterConfig {
    pub name: String,
    /// The primary's address (the promoted replica's while a failover reconfigures replicas).
    pub addr: Addr,
    pub quorum: u32,
    pub down_after: Millis,
    pub failover_timeout: Millis,
    pub parallel_syncs: u32,
    pub reboot_down_after: Millis,
    pub config_epoch: u64,
    pub leader_epoch: u64,
    /// The run id voted for in `leader_epoch`. Redis keeps only the epoch on disk, which is
    /// enough to refuse a second vote in that epoch; the run id lets a restarted core repeat
    /// its vote. The driver may drop it when writing a Redis-compatible file.
    pub leader: Option<String>,
    pub known_replicas: Vec<Addr>,
    /// (address, run id)
    pub known_sentinels: Vec<(Addr, String)>,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    pub rename_commands: Vec<(String, String)>,
}

impl MasterConfig {
    /// `sentinel monitor <name> <host> <port> <quorum>` with every other setting at its default.
    pub fn new(name: impl Into<String>, addr: Addr, quorum: u32) -> MasterConfig {
        MasterConfig {
            name: name.into(),
            addr,
            quorum,
            down_after: DEFAULT_DOWN_AFTER,
            failover_timeout: DEFAULT_FAILOVER_TIMEOUT,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            reboot_down_after: 0,
            config_epoch: 0,
            leader_epoch: 0,
            leader: None,
            known_replicas: Vec::new(),
            known_sentinels: Vec::new(),
            auth_pass: None,
            auth_user: None,
            notification_script: None,
            client_reconfig_script: None,
            rename_commands: Vec::new(),
        }
    }
}

impl ConfigSnapshot {
    /// The `sentinel …` lines, in Redis's rewrite order. Settings at their default are
    /// omitted, as Redis does.
    pub fn to_lines(&self) -> Vec<String> {
        let mut out = vec![format!("sentinel myid {}", self.myid)];
        if !self.deny_scripts_reconfig {
            out.push("sentinel deny-scripts-reconfig no".to_string());
        }
        for m in &self.masters {
            let n = &m.name;
            out.push(format!(
                "sentinel monitor {} {} {} {}",
                n, m.addr.host, m.addr.port, m.quorum
            ));
            if m.down_after != DEFAULT_DOWN_AFTER {
                out.push(format!(
                    "sentinel down-after-milliseconds {n} {}",
                    m.down_after
                ));
            }
            if m.failover_timeout != DEFAULT_FAILOVER_TIMEOUT {
                out.push(format!(
                    "sentinel failover-timeout {n} {}",
                    m.failover_timeout
                ));
            }
            if m.parallel_syncs != DEFAULT_PARALLEL_SYNCS {
                out.push(format!("sentinel parallel-syncs {n} {}", m.parallel_syncs));
            }
            if let Some(s) = &m.notification_script {
                out.push(format!("sentinel notification-script {n} {s}"));
            }
            if let Some(s) = &m.client_reconfig_script {
                out.push(format!("sentinel client-reconfig-script {n} {s}"));
            }
            if let Some(s) = &m.auth_pass {
                out.push(format!("sentinel auth-pass {n} {s}"));
            }
            if let Some(s) = &m.auth_user {
                out.push(format!("sentinel auth-user {n} {s}"));
            }
            if m.reboot_down_after != 0 {
                out.push(format!(
                    "sentinel master-reboot-down-after-period {n} {}",
                    m.reboot_down_after
                ));
            }
            out.push(format!("sentinel config-epoch {n} {}", m.config_epoch));
            out.push(format!("sentinel leader-epoch {n} {}", m.leader_epoch));
            for r in &m.known_replicas {
                out.push(format!("sentinel known-replica {n} {} {}", r.host, r.port));
            }
            for (a, id) in &m.known_sentinels {
                out.push(format!(
                    "sentinel known-sentinel {n} {} {} {id}",
                    a.host, a.port
                ));
            }
            for (from, to) in &m.rename_commands {
                out.push(format!("sentinel rename-command {n} {from} {to}"));
            }
        }
        out.push(format!("sentinel current-epoch {}", self.current_epoch));
        if let Some(ip) = &self.announce_ip {
            out.push(format!("sentinel announce-ip \"{ip}\""));
        }
        if self.announce_port != 0 {
            out.push(format!("sentinel announce-port {}", self.announce_port));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_redis_order() {
        let mut m = MasterConfig::new("mymaster", Addr::new("127.0.0.1", 6379), 2);
        m.down_after = 5000;
        m.config_epoch = 3;
        m.leader_epoch = 3;
        m.known_replicas.push(Addr::new("127.0.0.1", 6380));
        m.known_sentinels
            .push((Addr::new("127.0.0.1", 26380), "b".repeat(40)));
        let snap = ConfigSnapshot {
            myid: "a".repeat(40),
            current_epoch: 3,
            deny_scripts_reconfig: true,
            masters: vec![m],
            ..Default::default()
        };
        let b = "b".repeat(40);
        assert_eq!(
            snap.to_lines(),
            vec![
                format!("sentinel myid {}", "a".repeat(40)),
                "sentinel monitor mymaster 127.0.0.1 6379 2".to_string(),
                "sentinel down-after-milliseconds mymaster 5000".to_string(),
                "sentinel config-epoch mymaster 3".to_string(),
                "sentinel leader-epoch mymaster 3".to_string(),
                "sentinel known-replica mymaster 127.0.0.1 6380".to_string(),
                format!("sentinel known-sentinel mymaster 127.0.0.1 26380 {b}"),
                "sentinel current-epoch 3".to_string(),
            ]
        );
    }
}

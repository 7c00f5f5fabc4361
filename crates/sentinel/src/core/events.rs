//! Event channels and message formats, verbatim from Redis 7.0's `sentinelEvent`: every
//! pub/sub wire string the core produces lives here.
//!
//! An instance is described as `<type> <name> <ip> <port>`, followed for replicas and
//! sentinels by ` @ <master name> <master ip> <master port>`. A master's name is its
//! configured name, a replica's is `ip:port`, a sentinel's is its run id.

use super::Addr;

pub mod ch {
    pub const MONITOR: &str = "+monitor";
    pub const UNMONITOR: &str = "-monitor";
    pub const SET: &str = "+set";
    pub const RESET_MASTER: &str = "+reset-master";
    pub const SDOWN: &str = "+sdown";
    pub const SDOWN_OFF: &str = "-sdown";
    pub const ODOWN: &str = "+odown";
    pub const ODOWN_OFF: &str = "-odown";
    pub const NEW_EPOCH: &str = "+new-epoch";
    pub const TRY_FAILOVER: &str = "+try-failover";
    pub const VOTE_FOR_LEADER: &str = "+vote-for-leader";
    pub const ELECTED_LEADER: &str = "+elected-leader";
    pub const STATE_SELECT_SLAVE: &str = "+failover-state-select-slave";
    pub const SELECTED_SLAVE: &str = "+selected-slave";
    pub const STATE_SEND_SLAVEOF_NOONE: &str = "+failover-state-send-slaveof-noone";
    pub const STATE_WAIT_PROMOTION: &str = "+failover-state-wait-promotion";
    pub const PROMOTED_SLAVE: &str = "+promoted-slave";
    pub const STATE_RECONF_SLAVES: &str = "+failover-state-reconf-slaves";
    pub const SLAVE_RECONF_SENT: &str = "+slave-reconf-sent";
    pub const SLAVE_RECONF_SENT_BE: &str = "+slave-reconf-sent-be";
    pub const SLAVE_RECONF_SENT_TIMEOUT: &str = "-slave-reconf-sent-timeout";
    pub const SLAVE_RECONF_INPROG: &str = "+slave-reconf-inprog";
    pub const SLAVE_RECONF_DONE: &str = "+slave-reconf-done";
    pub const FAILOVER_END: &str = "+failover-end";
    pub const FAILOVER_END_FOR_TIMEOUT: &str = "+failover-end-for-timeout";
    pub const SWITCH_MASTER: &str = "+switch-master";
    pub const ABORT_NOT_ELECTED: &str = "-failover-abort-not-elected";
    pub const ABORT_NO_GOOD_SLAVE: &str = "-failover-abort-no-good-slave";
    pub const ABORT_SLAVE_TIMEOUT: &str = "-failover-abort-slave-timeout";
    pub const SLAVE: &str = "+slave";
    pub const SENTINEL: &str = "+sentinel";
    pub const SENTINEL_ADDRESS_SWITCH: &str = "+sentinel-address-switch";
    pub const SENTINEL_ADDRESS_UPDATE: &str = "+sentinel-address-update";
    pub const SENTINEL_INVALID_ADDR: &str = "+sentinel-invalid-addr";
    pub const CONFIG_UPDATE_FROM: &str = "+config-update-from";
    pub const CONVERT_TO_SLAVE: &str = "+convert-to-slave";
    pub const FIX_SLAVE_CONFIG: &str = "+fix-slave-config";
    pub const REBOOT: &str = "+reboot";
    pub const ROLE_CHANGE: &str = "+role-change";
    pub const ROLE_CHANGE_OFF: &str = "-role-change";
    pub const TILT: &str = "+tilt";
    pub const TILT_OFF: &str = "-tilt";
}

pub const TILT_ENTERED: &str = "#tilt mode entered";
pub const TILT_EXITED: &str = "#tilt mode exited";

/// `master <name> <ip> <port>`
pub fn master_desc(name: &str, addr: &Addr) -> String {
    format!("master {} {} {}", name, addr.host, addr.port)
}

/// `slave <ip:port> <ip> <port> @ <master> <mip> <mport>`
pub fn replica_desc(addr: &Addr, master: &str, master_addr: &Addr) -> String {
    format!(
        "slave {} {} {} @ {} {} {}",
        addr, addr.host, addr.port, master, master_addr.host, master_addr.port
    )
}

/// `sentinel <runid> <ip> <port> @ <master> <mip> <mport>`
pub fn sentinel_desc(runid: &str, addr: &Addr, master: &str, master_addr: &Addr) -> String {
    format!(
        "sentinel {} {} {} @ {} {} {}",
        runid, addr.host, addr.port, master, master_addr.host, master_addr.port
    )
}

/// `+odown` carries the vote count: `… #quorum 2/2`.
pub fn odown_msg(desc: &str, votes: u32, quorum: u32) -> String {
    format!("{desc} #quorum {votes}/{quorum}")
}

/// `+switch-master <name> <old ip> <old port> <new ip> <new port>`
pub fn switch_master_msg(name: &str, from: &Addr, to: &Addr) -> String {
    format!(
        "{} {} {} {} {}",
        name, from.host, from.port, to.host, to.port
    )
}

/// `+vote-for-leader <runid> <epoch>` (no instance prefix).
pub fn vote_msg(leader: &str, epoch: u64) -> String {
    format!("{leader} {epoch}")
}

/// `+role-change … new reported role is master|slave`
pub fn role_change_msg(desc: &str, primary: bool) -> String {
    format!(
        "{desc} new reported role is {}",
        if primary { "master" } else { "slave" }
    )
}

/// `+sentinel-address-switch master <name> <ip> <port> ip <new ip> port <new port> for <runid>`
pub fn address_switch_msg(master_desc: &str, addr: &Addr, runid: &str) -> String {
    format!(
        "{master_desc} ip {} port {} for {runid}",
        addr.host, addr.port
    )
}

/// `+sentinel-address-update <sentinel desc> <n> additional matching instances`
pub fn address_update_msg(desc: &str, n: usize) -> String {
    format!("{desc} {n} additional matching instances")
}

/// `+monitor master <name> <ip> <port> quorum <n>`
pub fn monitor_msg(desc: &str, quorum: u32) -> String {
    format!("{desc} quorum {quorum}")
}

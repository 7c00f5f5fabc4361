//! INFO replication, the primary's periodic PING, and the checks the command gate makes
//! (min-replicas-to-write, replica-serve-stale-data).

use super::{LinkState, SyncState};
use crate::state::ServerState;

/// Periodic primary-side duty: a PING into the stream every `repl-ping-replica-period`
/// seconds while replicas are attached, so they can tell a silent primary from a dead one.
/// Not while a FAILOVER waits for its target to catch up: the offset must stand still.
pub fn cron(srv: &mut ServerState, now: i64) {
    if srv.repl.primary.is_some()
        || srv.repl.replicas.is_empty()
        || super::writes_paused_by_failover(srv)
    {
        return;
    }
    let period = srv.config.repl_ping_replica_period.max(1) as i64 * 1000;
    if now - srv.repl.last_ping_ms >= period {
        srv.repl.last_ping_ms = now;
        // Into the replication stream only (not the AOF), with no SELECT, as Redis does.
        super::feed(srv, b"*1\r\n$4\r\nPING\r\n");
    }
}

/// The INFO replication section, field for field as Redis 7.0 prints it.
pub fn info_section(srv: &ServerState, now: i64, out: &mut String) {
    use std::fmt::Write;
    let r = &srv.repl;
    let cfg = &srv.config;
    let mut line = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{k}:{v}\r\n");
    };
    match &r.primary {
        Some(p) => {
            let up = p.state == LinkState::Connected;
            line("role", &"slave");
            line("master_host", &p.host);
            line("master_port", &p.port);
            line("master_link_status", &if up { "up" } else { "down" });
            line(
                "master_last_io_seconds_ago",
                &if up { (now - p.last_io_ms) / 1000 } else { -1 },
            );
            line(
                "master_sync_in_progress",
                &u8::from(p.state == LinkState::Transfer),
            );
            line("slave_read_repl_offset", &r.offset);
            line("slave_repl_offset", &r.offset);
            if !up {
                let since = p.down_since_ms.map_or(-1, |t| (now - t) / 1000);
                line("master_link_down_since_seconds", &since);
            }
            line("slave_priority", &cfg.replica_priority);
            line("slave_read_only", &u8::from(cfg.replica_read_only));
            line("replica_announced", &u8::from(cfg.replica_announced));
        }
        None => line("role", &"master"),
    }
    line("connected_slaves", &r.replicas.len());
    let sending = r.job.as_ref().is_some_and(|j| j.sent.is_some());
    for (i, rep) in r.replicas.iter().enumerate() {
        let state = match rep.state {
            SyncState::Transfer if sending => "send_bulk",
            SyncState::WaitSnapshot | SyncState::Transfer => "wait_bgsave",
            SyncState::WaitAck | SyncState::Online => "online",
        };
        let lag = (now - rep.ack_ms) / 1000;
        let v = format!(
            "ip={},port={},state={state},offset={},lag={}",
            rep.ip, rep.listening_port, rep.ack_offset, lag
        );
        line(&format!("slave{i}"), &v);
    }
    line("master_failover_state", &r.failover.state.name());
    line("master_replid", &r.ids.replid);
    line("master_replid2", &r.ids.replid2);
    line("master_repl_offset", &r.offset);
    line("second_repl_offset", &r.ids.second_repl_offset);
    line("repl_backlog_active", &u8::from(r.backlog.is_some()));
    line("repl_backlog_size", &cfg.repl_backlog_size);
    let (first, hist) = r
        .backlog
        .as_ref()
        .map_or((0, 0), |b| (b.start_offset() + 1, b.histlen()));
    line("repl_backlog_first_byte_offset", &first);
    line("repl_backlog_histlen", &hist);
}

/// Online replicas whose last ACK is recent enough to count for `min-replicas-to-write`.
pub fn good_replicas(srv: &ServerState, now: i64) -> usize {
    let max_lag = srv.config.min_replicas_max_lag as i64 * 1000;
    srv.repl
        .replicas
        .iter()
        .filter(|r| r.online() && now - r.ack_ms <= max_lag)
        .count()
}

/// Redis's `checkGoodReplicasStatus`: writes need `min-replicas-to-write` replicas that
/// acknowledged within `min-replicas-max-lag` seconds (a replica itself never refuses).
/// With `min-replicas-ack-writes` on, a write is also refused up front while fewer than
/// that many replicas are online at all: it could not be confirmed.
pub fn enough_good_replicas(srv: &ServerState) -> bool {
    let cfg = &srv.config;
    if srv.repl.primary.is_some() || cfg.min_replicas_to_write == 0 {
        return true;
    }
    if cfg.min_replicas_ack_writes {
        let online = srv.repl.replicas.iter().filter(|r| r.online()).count();
        if (online as u64) < cfg.min_replicas_to_write {
            return false;
        }
    }
    if cfg.min_replicas_max_lag == 0 {
        return true;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    good_replicas(srv, now) as u64 >= cfg.min_replicas_to_write
}

/// `replica-serve-stale-data no` with the link to the primary down: commands not flagged
/// `stale` get MASTERDOWN.
pub fn stale_reads_denied(srv: &ServerState) -> bool {
    !srv.config.replica_serve_stale_data
        && srv
            .repl
            .primary
            .as_ref()
            .is_some_and(|p| p.state != LinkState::Connected)
}

//! Choosing the replica to promote (Redis's `sentinelSelectSlave`).
//!
//! Excluded: SDOWN replicas, disconnected ones, ones that did not answer PING in the last
//! five ping periods, priority 0, INFO older than five ping periods (primary SDOWN, when
//! replica INFO is polled every second) or three info periods (otherwise), and replicas whose
//! link to the primary has been down longer than the primary has been down plus ten times
//! down-after. The rest are sorted by priority (lower first), replication offset (higher
//! first), run id (lexicographically smaller first, unknown run id last).

use std::cmp::Ordering;

use super::instance::{Master, Server};
use super::{Addr, Core, Millis};

impl Core {
    pub fn select_replica(&self, now: Millis, m: &Master) -> Option<Addr> {
        let t = &self.timers;
        let mut max_master_down = m.down_after.saturating_mul(10);
        if m.server.sdown {
            if let Some(since) = m.server.s_down_since {
                max_master_down += now.saturating_sub(since);
            }
        }
        let info_validity = if m.server.sdown {
            t.ping_period * 5
        } else {
            t.info_period * 3
        };
        let mut candidates: Vec<&Server> = m
            .replicas
            .values()
            .filter(|r| {
                let link_ok = self.links.get(&r.addr).is_some_and(|l| {
                    l.connected && now.saturating_sub(l.last_avail_time) <= t.ping_period * 5
                });
                !r.sdown
                    && link_ok
                    && r.slave_priority != 0
                    && r.info_refresh
                        .is_some_and(|i| now.saturating_sub(i) <= info_validity)
                    && r.master_link_down_time <= max_master_down
            })
            .collect();
        candidates.sort_by(|a, b| compare_for_promotion(a, b));
        candidates.first().map(|r| r.addr.clone())
    }
}

/// Better candidates sort first.
pub fn compare_for_promotion(a: &Server, b: &Server) -> Ordering {
    a.slave_priority
        .cmp(&b.slave_priority)
        .then(b.repl_offset.cmp(&a.repl_offset))
        .then_with(|| match (&a.runid, &b.runid) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
        })
}

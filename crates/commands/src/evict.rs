//! maxmemory: how much memory the server uses, the eviction that keeps it under the limit,
//! and the OOM answer when nothing more may be evicted (Redis's `performEvictions`).
//!
//! **Used memory** is what the command thread holds from the allocator: jemalloc's own
//! per-thread counters of bytes allocated and freed (usable sizes, like Redis's
//! `zmalloc_used_memory`). Everything the server allocates happens on that one thread, so the
//! difference is the live heap; reading it is two loads, cheap enough for every command.
//!
//! **When**: with `maxmemory` set, before every command (from the gate, so only commands
//! that passed the earlier checks), after `CONFIG SET maxmemory`, and, while an eviction
//! that ran out of time is pending, from a server task woken through [`EvictState::wake`]
//! that evicts in slices between client batches (Redis's `evictionTimeProc`). Replicas that
//! ignore maxmemory (the default), a loading server and a paused server do not evict.
//!
//! **How**: keys are chosen by the keyspace ([`keyspace::evict`]); each deletion is measured
//! by the drop in used memory, counted (`evicted_keys`), propagated as DEL (UNLINK with
//! `lazyfree-lazy-eviction`) and notified as `evicted`. Memory queued for replicas is not
//! counted, so the DELs themselves cannot feed a runaway eviction loop.

use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use keyspace::{Access, Keyspace, Policy};

use crate::client::Client;
use crate::config::{notify, Config};
use crate::errors::CmdError;
use crate::state::ServerState;
use crate::table::{flag, table, Entry};

/// Keys evicted between checks of the time limit.
const CHECK_EVERY: u64 = 16;

/// Eviction bookkeeping: a pending (time-limited) eviction and INFO's exceeded times.
#[derive(Debug, Default)]
pub struct EvictState {
    /// An eviction stopped at its time limit with memory still over; `wake` has been
    /// signalled for the server's task to resume it.
    pub pending: bool,
    pub wake: Rc<tokio::sync::Notify>,
    /// Since when memory has been over the limit (`current_eviction_exceeded_time`).
    pub exceeded_since: Option<Instant>,
    /// Finished over-the-limit periods, in microseconds (`total_eviction_exceeded_time`).
    pub exceeded_total_us: u64,
}

impl EvictState {
    /// Milliseconds over the limit so far and in total (INFO stats).
    pub fn exceeded_ms(&self) -> (u64, u64) {
        let current = self
            .exceeded_since
            .map_or(0, |t| t.elapsed().as_micros() as u64);
        ((self.exceeded_total_us + current) / 1000, current / 1000)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        self.exceeded_total_us = 0;
        self.exceeded_since = None;
    }
}

/// What an eviction pass achieved (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit, or not allowed to evict now.
    Ok,
    /// Still over the limit when the time budget ran out; continues from the cron.
    Running,
    /// Over the limit and nothing (more) may be evicted.
    Fail,
}

/// Bytes the command thread holds from the allocator.
pub fn used_memory() -> u64 {
    use tikv_jemalloc_ctl::thread::{allocatedp, deallocatedp, ThreadLocal};
    thread_local! {
        static COUNTERS: Option<(ThreadLocal<u64>, ThreadLocal<u64>)> =
            allocatedp::read().ok().zip(deallocatedp::read().ok());
    }
    COUNTERS.with(|c| c.map_or(0, |(a, d)| a.get().saturating_sub(d.get())))
}

/// Memory not counted against maxmemory: output queued for replicas (Redis also leaves out
/// the AOF buffer; Redoubt's AOF writes through without one).
pub fn not_counted(srv: &ServerState) -> u64 {
    srv.repl
        .replicas
        .iter()
        .filter_map(|r| srv.clients.get(&r.client_id))
        .map(|c| c.pending.borrow().capacity() as u64)
        .sum()
}

/// Brings the keyspace's access tracking in line with `maxmemory-policy` and the LFU tunables.
pub fn sync_config(ks: &mut Keyspace, cfg: &Config) {
    let lfu = Policy::parse(&cfg.maxmemory_policy).is_some_and(Policy::is_lfu);
    ks.access = if lfu {
        Access::Lfu {
            log_factor: u32::try_from(cfg.lfu_log_factor).unwrap_or(u32::MAX),
            decay_time: u32::try_from(cfg.lfu_decay_time).unwrap_or(u32::MAX),
        }
    } else {
        Access::Lru
    };
}

/// The configured `maxmemory-policy`.
pub fn policy(cfg: &Config) -> Policy {
    Policy::parse(&cfg.maxmemory_policy).unwrap_or(Policy::NoEviction)
}

/// Whether the policy tracks access frequency (OBJECT FREQ works, IDLETIME does not).
pub fn lfu_selected(cfg: &Config) -> bool {
    Policy::parse(&cfg.maxmemory_policy).is_some_and(Policy::is_lfu)
}

/// The OOM part of the gate: evicts if memory is over the limit and refuses the command
/// when that failed and the command may grow memory (flagged denyoom, an EXEC of such, or
/// anything but EXEC/DISCARD/QUIT/RESET queued into a transaction).
pub fn gate(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    client: &Client,
    entry: &Entry,
    now: i64,
) -> Result<(), CmdError> {
    if perform(ks, srv, now) != Outcome::Fail {
        return Ok(());
    }
    let spec = entry.spec;
    let queued_denyoom = || {
        client.multi.as_ref().is_some_and(|m| {
            m.queued.iter().any(|(id, _)| {
                table()
                    .entries
                    .get(*id)
                    .is_some_and(|e| e.spec.is(flag::DENYOOM))
            })
        })
    };
    let reject = spec.is(flag::DENYOOM)
        || (spec.name == "exec" && queued_denyoom())
        || (client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset"));
    if reject {
        Err(CmdError::Oom)
    } else {
        Ok(())
    }
}

/// Whether this server may evict now (Redis's `isSafeToPerformEvictions`).
fn may_evict(srv: &ServerState, now: i64) -> bool {
    let paused = srv.pause.is_some_and(|p| p.until_ms > now);
    let ignored = srv.is_replica() && srv.config.replica_ignore_maxmemory;
    !(srv.loading || paused || ignored)
}

/// Evicts until used memory is back under `maxmemory`, the policy allows nothing more, or
/// the `maxmemory-eviction-tenacity` time budget is spent.
pub fn perform(ks: &mut Keyspace, srv: &mut ServerState, now: i64) -> Outcome {
    let max = srv.config.maxmemory;
    if max == 0 {
        return finish(srv, Outcome::Ok);
    }
    // Like Redis's, a "fake" OK: the over-the-limit time keeps counting.
    if !may_evict(srv, now) {
        return Outcome::Ok;
    }
    let used = used_memory();
    let logical = if used > max {
        used.saturating_sub(not_counted(srv))
    } else {
        used
    };
    if logical <= max {
        return finish(srv, Outcome::Ok);
    }
    let policy = policy(&srv.config);
    if policy == Policy::NoEviction {
        return finish(srv, Outcome::Fail);
    }
    let outcome = evict_loop(ks, srv, policy, logical - max, now);
    crate::exec::after_keyspace_events(ks, srv, None);
    finish(srv, outcome)
}

fn evict_loop(
    ks: &mut Keyspace,
    srv: &mut ServerState,
    policy: Policy,
    to_free: u64,
    now: i64,
) -> Outcome {
    let start = Instant::now();
    let limit_us = time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let samples = usize::try_from(srv.config.maxmemory_samples).unwrap_or(usize::MAX);
    let lazy = srv.config.lazyfree_lazy_eviction;
    let mut freed: i64 = 0;
    let mut keys: u64 = 0;
    srv.evict.pending = false;
    while freed < to_free as i64 {
        let Some((db, key)) = ks.eviction_candidate(policy, samples) else {
            return Outcome::Fail;
        };
        let before = used_memory() as i64;
        let del_start = Instant::now();
        drop(ks.evict(db, &key));
        let del_ms = del_start.elapsed().as_millis() as u64;
        freed += before - used_memory() as i64;
        crate::server::latency::maybe_add_sample(srv, "eviction-del", del_ms, now);
        let key = Bytes::copy_from_slice(&key);
        let word = crate::strings::del_word(lazy);
        crate::propagate::propagate(srv, db, &[word, key.clone()]);
        crate::pubsub::notify_keyspace_event(srv, None, notify::EVICTED, "evicted", &key, db);
        keys += 1;
        if keys.is_multiple_of(CHECK_EVERY) && start.elapsed().as_micros() as u64 > limit_us {
            srv.evict.pending = true;
            srv.evict.wake.notify_one();
            break;
        }
    }
    let ms = start.elapsed().as_millis() as u64;
    crate::server::latency::maybe_add_sample(srv, "eviction-cycle", ms, now);
    if srv.evict.pending {
        Outcome::Running
    } else {
        Outcome::Ok
    }
}

/// Tracks how long memory stays over the limit (Redis's `update_metrics`).
fn finish(srv: &mut ServerState, outcome: Outcome) -> Outcome {
    let st = &mut srv.evict;
    match outcome {
        Outcome::Ok => {
            st.pending = false;
            if let Some(t) = st.exceeded_since.take() {
                st.exceeded_total_us += t.elapsed().as_micros() as u64;
            }
        }
        Outcome::Running | Outcome::Fail => {
            st.exceeded_since.get_or_insert_with(Instant::now);
        }
    }
    outcome
}

/// `maxmemory-eviction-tenacity` as a time budget: 50 µs a step up to 10, then 15% more a
/// step (about two minutes at 99), unlimited at 100.
pub fn time_limit_us(tenacity: u64) -> u64 {
    match tenacity {
        0..=10 => 50 * tenacity,
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

/// One more slice of a pending eviction; true while there is more to do.
pub fn resume(ks: &mut Keyspace, srv: &mut ServerState, now: i64) -> bool {
    srv.evict.pending && perform(ks, srv, now) == Outcome::Running
}

/// After `CONFIG SET`: access tracking follows the policy, and a lowered limit evicts now.
pub fn on_config_set(ks: &mut Keyspace, srv: &mut ServerState, old_maxmemory: u64, now: i64) {
    sync_config(ks, &srv.config);
    let max = srv.config.maxmemory;
    if max != 0 && max != old_maxmemory {
        perform(ks, srv, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_budgets_match_redis() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!((100_000_000..140_000_000).contains(&time_limit_us(99)));
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}

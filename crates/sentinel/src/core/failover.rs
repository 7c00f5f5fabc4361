//! The failover state machine (Redis's `sentinelFailoverStateMachine`), one function per
//! [`FailoverState`]:
//!
//! ```text
//! None ─ODOWN─▶ WaitStart ─elected─▶ SelectReplica ─▶ SendReplicaOfNoOne ─▶ WaitPromotion
//!                  │ not elected          │ no good replica     │ / ─ timeout ─┘
//!                  ▼                      ▼                     ▼
//!                abort ◀──────────────────┴─────────────────────┘
//! WaitPromotion ─INFO role:master─▶ ReconfReplicas ─all done / timeout─▶ UpdateConfig
//! UpdateConfig ─▶ +switch-master: the promoted replica becomes the master entry, the old
//!                 primary one of its replicas (reconfigured when it comes back).
//! ```
//!
//! The promotion itself is observed in INFO (see `refresh`), never in the REPLICAOF reply.

use super::engine::MCtx;
use super::events::{ch, master_desc, replica_desc, switch_master_msg};
use super::instance::{Master, Reconf, Server};
use super::{Action, Addr, Core, Level, Millis, Role};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    #[default]
    None,
    WaitStart,
    SelectReplica,
    SendReplicaOfNoOne,
    WaitPromotion,
    ReconfReplicas,
    UpdateConfig,
}

impl FailoverState {
    /// The name SENTINEL MASTER shows in `failover-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectReplica => "select_slave",
            FailoverState::SendReplicaOfNoOne => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfReplicas => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// Failover bookkeeping of one master.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failover {
    pub state: FailoverState,
    /// The epoch this failover was started in (the epoch we need to be elected in).
    pub epoch: u64,
    pub state_change_time: Millis,
    /// Start of the last attempt, desynchronised; None if never (a failover may start at once).
    pub start_time: Option<Millis>,
    pub promoted: Option<Addr>,
    /// SENTINEL FAILOVER: no election needed.
    pub forced: bool,
}

impl Failover {
    pub fn in_progress(&self) -> bool {
        self.state != FailoverState::None
    }
}

impl Core {
    /// ODOWN, no failover running, and none started in the last two failover timeouts.
    pub(crate) fn start_failover_if_needed(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        m: &mut Master,
    ) -> bool {
        if !m.server.odown || m.failover_in_progress() {
            return false;
        }
        if let Some(t) = m.failover.start_time {
            if now.saturating_sub(t) < m.failover_timeout.saturating_mul(2) {
                return false;
            }
        }
        self.start_failover(now, ctx, m);
        true
    }

    pub(crate) fn start_failover(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        self.current_epoch += 1;
        self.dirty = true;
        m.failover.state = FailoverState::WaitStart;
        m.failover.epoch = self.current_epoch;
        m.failover.forced = false;
        self.ev(
            ctx,
            Level::Warning,
            ch::NEW_EPOCH,
            self.current_epoch.to_string(),
        );
        self.ev(
            ctx,
            Level::Warning,
            ch::TRY_FAILOVER,
            master_desc(&ctx.name, &ctx.addr),
        );
        m.failover.start_time = Some(now + self.desync());
        m.failover.state_change_time = now;
    }

    /// One step of the state machine; in fast mode the instant states run back to back.
    pub(crate) fn failover_step(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        for _ in 0..4 {
            let before = m.failover.state;
            match before {
                FailoverState::None | FailoverState::UpdateConfig => return,
                FailoverState::WaitStart => self.wait_start(now, ctx, m),
                FailoverState::SelectReplica => self.select_state(now, ctx, m),
                FailoverState::SendReplicaOfNoOne => self.send_replicaof_noone(now, ctx, m),
                FailoverState::WaitPromotion => self.wait_promotion(now, ctx, m),
                FailoverState::ReconfReplicas => self.reconf_next_replica(now, ctx, m),
            }
            let after = m.failover.state;
            let instant = matches!(
                after,
                FailoverState::SelectReplica | FailoverState::SendReplicaOfNoOne
            );
            if !self.timers.fast || after == before || !instant {
                return;
            }
        }
    }

    fn wait_start(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        let leader = self.get_leader(now, ctx, m, m.failover.epoch);
        let elected = leader.as_deref().is_some_and(|l| self.is_me(l));
        if !elected && !m.failover.forced {
            let timeout = self.timers.election_timeout.min(m.failover_timeout);
            let started = m.failover.start_time.unwrap_or(now);
            if now.saturating_sub(started) > timeout {
                self.ev(
                    ctx,
                    Level::Warning,
                    ch::ABORT_NOT_ELECTED,
                    master_desc(&ctx.name, &ctx.addr),
                );
                self.abort_failover(now, m);
            }
            return;
        }
        let desc = master_desc(&ctx.name, &ctx.addr);
        self.ev(ctx, Level::Warning, ch::ELECTED_LEADER, desc.clone());
        self.set_state(now, m, FailoverState::SelectReplica);
        self.ev(ctx, Level::Warning, ch::STATE_SELECT_SLAVE, desc);
    }

    fn select_state(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        let Some(addr) = self.select_replica(now, m) else {
            self.ev(
                ctx,
                Level::Warning,
                ch::ABORT_NO_GOOD_SLAVE,
                master_desc(&ctx.name, &ctx.addr),
            );
            self.abort_failover(now, m);
            return;
        };
        let desc = replica_desc(&addr, &ctx.name, &ctx.addr);
        self.ev(ctx, Level::Warning, ch::SELECTED_SLAVE, desc.clone());
        if let Some(r) = m.replicas.get_mut(&addr) {
            r.promoted = true;
        }
        m.failover.promoted = Some(addr);
        self.set_state(now, m, FailoverState::SendReplicaOfNoOne);
        self.ev(ctx, Level::Notice, ch::STATE_SEND_SLAVEOF_NOONE, desc);
    }

    fn send_replicaof_noone(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        let Some(addr) = m.failover.promoted.clone() else {
            self.abort_failover(now, m);
            return;
        };
        // Keep retrying while the chosen replica is unreachable, up to the failover timeout.
        if !self.link_up(&addr) {
            if now.saturating_sub(m.failover.state_change_time) > m.failover_timeout {
                self.ev(
                    ctx,
                    Level::Warning,
                    ch::ABORT_SLAVE_TIMEOUT,
                    master_desc(&ctx.name, &ctx.addr),
                );
                self.abort_failover(now, m);
            }
            return;
        }
        self.out
            .push(Action::SendReplicaOfNoOne { addr: addr.clone() });
        self.ev(
            ctx,
            Level::Notice,
            ch::STATE_WAIT_PROMOTION,
            replica_desc(&addr, &ctx.name, &ctx.addr),
        );
        self.set_state(now, m, FailoverState::WaitPromotion);
        if self.timers.fast {
            if let Some(r) = m.replicas.get_mut(&addr) {
                r.info_sent = Some(now);
            }
            self.out.push(Action::Info { addr });
        }
    }

    /// The promotion is seen in INFO (`on_promoted`); here only the timeout.
    fn wait_promotion(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        if now.saturating_sub(m.failover.state_change_time) > m.failover_timeout {
            self.ev(
                ctx,
                Level::Warning,
                ch::ABORT_SLAVE_TIMEOUT,
                master_desc(&ctx.name, &ctx.addr),
            );
            self.abort_failover(now, m);
        }
    }

    /// The promoted replica reports role:master: the new configuration gets our epoch.
    pub(crate) fn on_promoted(&mut self, now: Millis, ctx: &MCtx, m: &mut Master, addr: &Addr) {
        m.config_epoch = m.failover.epoch;
        self.set_state(now, m, FailoverState::ReconfReplicas);
        self.dirty = true;
        self.persist_point();
        self.ev(
            ctx,
            Level::Warning,
            ch::PROMOTED_SLAVE,
            replica_desc(addr, &ctx.name, &ctx.addr),
        );
        self.ev(
            ctx,
            Level::Warning,
            ch::STATE_RECONF_SLAVES,
            master_desc(&ctx.name, &ctx.addr),
        );
        self.reconf_script(m, "leader", &ctx.addr, addr);
        // Tell everybody now rather than at the next hello period.
        let back = self.timers.publish_period + 1;
        m.server.last_pub_time = m.server.last_pub_time.saturating_sub(back);
        for r in m.replicas.values_mut() {
            r.last_pub_time = r.last_pub_time.saturating_sub(back);
        }
        for p in m.sentinels.values_mut() {
            p.last_pub_time = p.last_pub_time.saturating_sub(back);
        }
    }

    /// Point up to parallel-syncs replicas at a time to the promoted one.
    fn reconf_next_replica(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        let Some(primary) = m.failover.promoted.clone() else {
            return;
        };
        let mut in_progress = m
            .replicas
            .values()
            .filter(|r| matches!(r.reconf, Reconf::Sent(_) | Reconf::InProgress))
            .count() as u64;
        let addrs: Vec<Addr> = m.replicas.keys().cloned().collect();
        for addr in addrs {
            if in_progress >= u64::from(m.parallel_syncs) {
                break;
            }
            let desc = replica_desc(&addr, &ctx.name, &ctx.addr);
            let up = self.link_up(&addr);
            let Some(r) = m.replicas.get_mut(&addr) else {
                continue;
            };
            if r.promoted || r.reconf == Reconf::Done {
                continue;
            }
            // A replica that does not move on is counted as done; the sentinels will fix its
            // configuration later if needed.
            if let Reconf::Sent(t) = r.reconf {
                if now.saturating_sub(t) > self.timers.slave_reconf_timeout {
                    r.reconf = Reconf::Done;
                    self.ev(ctx, Level::Notice, ch::SLAVE_RECONF_SENT_TIMEOUT, desc);
                    continue;
                }
            }
            if matches!(r.reconf, Reconf::Sent(_) | Reconf::InProgress) || !up {
                continue;
            }
            r.reconf = Reconf::Sent(now);
            self.out.push(Action::SendReplicaOf {
                addr,
                primary: primary.clone(),
            });
            self.ev(ctx, Level::Notice, ch::SLAVE_RECONF_SENT, desc);
            in_progress += 1;
        }
        self.detect_end(now, ctx, m, &primary);
    }

    /// Done when every reachable replica is reconfigured, or at the failover timeout (then a
    /// best-effort REPLICAOF goes to the rest).
    fn detect_end(&mut self, now: Millis, ctx: &MCtx, m: &mut Master, primary: &Addr) {
        if m.replicas.get(primary).is_none_or(|p| p.sdown) {
            return;
        }
        let mut pending = m
            .replicas
            .values()
            .filter(|r| !r.promoted && r.reconf != Reconf::Done && !r.sdown)
            .count();
        let timeout = now.saturating_sub(m.failover.state_change_time) > m.failover_timeout;
        let desc = master_desc(&ctx.name, &ctx.addr);
        if timeout {
            pending = 0;
            self.ev(
                ctx,
                Level::Warning,
                ch::FAILOVER_END_FOR_TIMEOUT,
                desc.clone(),
            );
        }
        if pending == 0 {
            self.ev(ctx, Level::Warning, ch::FAILOVER_END, desc);
            self.set_state(now, m, FailoverState::UpdateConfig);
        }
        if timeout {
            let addrs: Vec<Addr> = m.replicas.keys().cloned().collect();
            for addr in addrs {
                let up = self.link_up(&addr);
                let Some(r) = m.replicas.get_mut(&addr) else {
                    continue;
                };
                if r.promoted || matches!(r.reconf, Reconf::Done | Reconf::Sent(_)) || !up {
                    continue;
                }
                r.reconf = Reconf::Sent(now);
                let desc = replica_desc(&addr, &ctx.name, &ctx.addr);
                self.out.push(Action::SendReplicaOf {
                    addr,
                    primary: primary.clone(),
                });
                self.ev(ctx, Level::Notice, ch::SLAVE_RECONF_SENT_BE, desc);
            }
        }
    }

    /// Only before the promotion was acknowledged; afterwards a failover always runs to its end.
    pub(crate) fn abort_failover(&mut self, now: Millis, m: &mut Master) {
        m.failover.state = FailoverState::None;
        m.failover.forced = false;
        m.failover.state_change_time = now;
        if let Some(p) = m.failover.promoted.take() {
            if let Some(r) = m.replicas.get_mut(&p) {
                r.promoted = false;
            }
        }
    }

    fn set_state(&mut self, now: Millis, m: &mut Master, state: FailoverState) {
        m.failover.state = state;
        m.failover.state_change_time = now;
    }

    /// UPDATE_CONFIG: `+switch-master`, then the promoted replica becomes the master entry.
    pub(crate) fn switch_to_promoted(&mut self, now: Millis, name: &str) {
        let Some(mut m) = self.masters.remove(name) else {
            return;
        };
        let ctx = MCtx::of(&m);
        let to = m
            .failover
            .promoted
            .clone()
            .unwrap_or_else(|| ctx.addr.clone());
        self.ev(
            &ctx,
            Level::Warning,
            ch::SWITCH_MASTER,
            switch_master_msg(name, &ctx.addr, &to),
        );
        self.change_address(now, &mut m, to);
        self.masters.insert(name.to_string(), m);
    }

    /// Re-points a master entry at `to`: replicas are forgotten and re-added fresh (minus the
    /// new primary, plus the old one), so the old primary is watched — and reconfigured as a
    /// replica when it comes back claiming to be a primary.
    pub(crate) fn change_address(&mut self, now: Millis, m: &mut Master, to: Addr) {
        let old = m.server.addr.clone();
        let mut replicas: Vec<Addr> = m.replicas.keys().filter(|a| **a != to).cloned().collect();
        if to != old {
            replicas.push(old);
        }
        self.reset_master(now, m, true, false);
        m.server.addr = to;
        m.server.s_down_since = None;
        m.server.o_down_since = None;
        let primary = m.server.addr.clone();
        self.refresh_link(now, &primary);
        // Peers' answers were about the old address.
        for p in m.sentinels.values_mut() {
            p.master_down = false;
            p.leader = None;
        }
        let ctx = MCtx::of(m);
        for a in replicas {
            if m.replicas.contains_key(&a) {
                continue;
            }
            self.refresh_link(now, &a);
            m.replicas
                .insert(a.clone(), Server::new(a.clone(), Role::Replica, now));
            self.ev(
                &ctx,
                Level::Notice,
                ch::SLAVE,
                replica_desc(&a, &ctx.name, &ctx.addr),
            );
        }
        self.dirty = true;
    }

    /// Redis gives re-created instances fresh links (down-after counts from now) and pings
    /// as soon as they connect; ours stay connected, so ping now.
    fn refresh_link(&mut self, now: Millis, addr: &Addr) {
        let Some(link) = self.links.get_mut(addr) else {
            return;
        };
        link.reset_timers(now);
        if link.connected {
            self.send_ping(now, addr);
        }
    }

    /// Forget replicas (and sentinels unless `keep_sentinels`), runtime flags, the vote and
    /// any failover; a new failover may start at once.
    pub(crate) fn reset_master(
        &mut self,
        now: Millis,
        m: &mut Master,
        keep_sentinels: bool,
        announce: bool,
    ) {
        m.replicas.clear();
        if !keep_sentinels {
            m.sentinels.clear();
        }
        let s = &mut m.server;
        s.sdown = false;
        s.odown = false;
        s.script_kill_sent = false;
        s.reboot_since = None;
        s.runid = None;
        s.slave_master_host = None;
        s.role_reported = Role::Primary;
        s.role_reported_time = now;
        m.leader = None;
        m.failover = super::failover::Failover {
            epoch: m.failover.epoch,
            ..Default::default()
        };
        if announce {
            let desc = master_desc(&m.name, &m.server.addr);
            let script = m.notification_script.clone();
            self.emit(script.as_deref(), Level::Warning, ch::RESET_MASTER, desc);
        }
    }
}

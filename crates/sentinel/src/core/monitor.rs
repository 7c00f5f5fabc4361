//! Failure detection: the periodic PING / INFO / hello to every instance (Redis's
//! `sentinelSendPeriodicCommands`), PING replies, subjective down (SDOWN, one sentinel's
//! view) and objective down (ODOWN, quorum sentinels agree), and the per-master timer round
//! that ties monitoring and acting together.

use super::engine::MCtx;
use super::events::{ch, master_desc, odown_msg, replica_desc, sentinel_desc};
use super::instance::Master;
use super::{Action, Addr, Core, Level, LinkKind, Millis, PingReply, Role};

impl Core {
    /// One timer round for one master (taken out of the map while it runs).
    pub(crate) fn handle_master(&mut self, now: Millis, m: &mut Master) {
        let ctx = MCtx::of(m);
        self.periodic_server(now, m, None);
        if self.acting(now) {
            self.act_master(now, &ctx, m);
        }
        let replicas: Vec<Addr> = m.replicas.keys().cloned().collect();
        for a in replicas {
            self.periodic_server(now, m, Some(&a));
            if self.acting(now) {
                self.check_sdown_replica(now, &ctx, m, &a);
            }
        }
        let peers: Vec<String> = m.sentinels.keys().cloned().collect();
        for id in peers {
            self.periodic_sentinel(now, m, &id);
            if self.acting(now) {
                self.check_sdown_sentinel(now, &ctx, m, &id);
            }
        }
    }

    /// The acting half for the primary: SDOWN, ODOWN, failover start and state machine, asking
    /// the other sentinels.
    pub(crate) fn act_master(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) {
        let became_sdown = self.check_sdown_primary(now, ctx, m);
        self.check_odown(ctx, m, now);
        let mut ask_now = became_sdown && self.timers.fast;
        if self.start_failover_if_needed(now, ctx, m) {
            ask_now = true;
        }
        if ask_now {
            self.ask_sentinels(now, m, true);
        }
        self.failover_step(now, ctx, m);
        self.ask_sentinels(now, m, false);
    }

    /// Fast mode: run the acting half of one master right away, from an event handler.
    pub(crate) fn act_now(&mut self, now: Millis, name: &str) {
        if !self.timers.fast || !self.acting(now) {
            return;
        }
        let Some(mut m) = self.masters.remove(name) else {
            return;
        };
        let ctx = MCtx::of(&m);
        self.act_master(now, &ctx, &mut m);
        let switch = m.failover.state == super::FailoverState::UpdateConfig;
        self.masters.insert(name.to_string(), m);
        if switch {
            self.switch_to_promoted(now, name);
        }
    }

    /// PING, INFO and hello to the primary (`replica: None`) or one replica.
    fn periodic_server(&mut self, now: Millis, m: &mut Master, replica: Option<&Addr>) {
        let failover = m.failover_in_progress();
        let master_busy = m.server.odown || failover;
        let ping_period = m.down_after.min(self.timers.ping_period);
        let hello = self.hello_for(m);
        let s = match replica {
            None => &mut m.server,
            Some(a) => match m.replicas.get_mut(a) {
                Some(s) => s,
                None => return,
            },
        };
        if !self.link_up(&s.addr) {
            return;
        }
        // Replicas are watched closely while their primary is failing: one of them may be
        // promoted by someone else, and their link-down time must be fresh for selection.
        // Fast mode keeps replica INFO within the selection validity at all times, since the
        // election may complete within milliseconds of SDOWN.
        let fast = self.timers.fast;
        // A replica entry claiming to be a primary (the old primary, back) is about to be
        // converted: in fast mode watch it as closely as a promotion.
        let claims = replica.is_some() && s.role_reported == Role::Primary && !s.promoted;
        let info_period = if replica.is_some() && (failover || claims) && fast {
            self.timers.fast_info_period
        } else if replica.is_some() && (master_busy || fast || s.master_link_down_time != 0) {
            self.timers.info_period.min(1000)
        } else {
            self.timers.info_period
        };
        let stale = s
            .info_refresh
            .is_none_or(|t| now.saturating_sub(t) > info_period);
        let unanswered = s
            .info_sent
            .is_some_and(|t| now.saturating_sub(t) <= info_period);
        if stale && !unanswered {
            s.info_sent = Some(now);
            self.out.push(Action::Info {
                addr: s.addr.clone(),
            });
        }
        let addr = s.addr.clone();
        self.maybe_ping(now, &addr, ping_period);
        if now.saturating_sub(s.last_pub_time) > self.timers.publish_period {
            s.last_pub_time = now;
            self.out.push(Action::PublishHello { to: addr, hello });
        }
    }

    fn periodic_sentinel(&mut self, now: Millis, m: &mut Master, id: &str) {
        let ping_period = m.down_after.min(self.timers.ping_period);
        let hello = self.hello_for(m);
        let Some(p) = m.sentinels.get_mut(id) else {
            return;
        };
        if !self.link_up(&p.addr) {
            return;
        }
        let addr = p.addr.clone();
        self.maybe_ping(now, &addr, ping_period);
        if now.saturating_sub(p.last_pub_time) > self.timers.publish_period {
            p.last_pub_time = now;
            self.out.push(Action::PublishHello { to: addr, hello });
        }
    }

    /// Ping when the last reply is older than the period, at most twice per period.
    fn maybe_ping(&mut self, now: Millis, addr: &Addr, period: Millis) {
        let Some(link) = self.links.get(addr) else {
            return;
        };
        if now.saturating_sub(link.last_pong_time) > period
            && link
                .last_ping_time
                .is_none_or(|t| now.saturating_sub(t) > period / 2)
        {
            self.send_ping(now, addr);
        }
    }

    pub(crate) fn send_ping(&mut self, now: Millis, addr: &Addr) {
        let Some(link) = self.links.get_mut(addr) else {
            return;
        };
        link.last_ping_time = Some(now);
        // The oldest unanswered ping is what times out.
        link.act_ping_time.get_or_insert(now);
        self.out.push(Action::Ping { addr: addr.clone() });
    }

    pub(crate) fn on_ping_reply(&mut self, now: Millis, addr: &Addr, reply: PingReply) {
        let Some(link) = self.links.get_mut(addr) else {
            return;
        };
        link.last_pong_time = now;
        if reply.is_valid() {
            link.last_avail_time = now;
            link.act_ping_time = None;
        }
        for m in self.masters.values_mut() {
            let servers = std::iter::once(&mut m.server).chain(m.replicas.values_mut());
            for s in servers.filter(|s| &s.addr == addr) {
                if reply == PingReply::Pong {
                    s.reboot_since = None;
                }
                if reply == PingReply::Busy && s.sdown && !s.script_kill_sent {
                    s.script_kill_sent = true;
                    self.out.push(Action::ScriptKill { addr: addr.clone() });
                }
            }
        }
    }

    /// How long the link to `addr` has been failing; also asks for a reconnection when a
    /// connected link looks stuck (a PING pending for half the down-after period, or a silent
    /// pub/sub connection).
    fn link_elapsed(&mut self, now: Millis, addr: &Addr, down_after: Millis) -> Millis {
        let t = &self.timers;
        let Some(link) = self.links.get_mut(addr) else {
            return 0;
        };
        let elapsed = match link.act_ping_time {
            Some(a) => now.saturating_sub(a),
            None if !link.connected => now.saturating_sub(link.last_avail_time),
            None => 0,
        };
        if link.connected && now.saturating_sub(link.conn_time) > t.min_link_reconnect_period {
            let cmd_stuck = link
                .act_ping_time
                .is_some_and(|a| now.saturating_sub(a) > down_after / 2)
                && now.saturating_sub(link.last_pong_time) > down_after / 2;
            let pubsub_stuck = link.kind == LinkKind::Server
                && now.saturating_sub(link.pubsub_activity) > t.publish_period * 3;
            if cmd_stuck || pubsub_stuck {
                link.connected = false;
                self.out.push(Action::Reconnect { addr: addr.clone() });
            }
        }
        elapsed
    }

    /// Returns true when the primary just became SDOWN.
    fn check_sdown_primary(&mut self, now: Millis, ctx: &MCtx, m: &mut Master) -> bool {
        let elapsed = self.link_elapsed(now, &m.server.addr, m.down_after);
        let s = &m.server;
        // A primary that says it is a replica for long enough is as good as unreachable.
        let demoted = s.role_reported == Role::Replica
            && now.saturating_sub(s.role_reported_time)
                > m.down_after + self.timers.info_period * 2;
        let rebooted = s
            .reboot_since
            .is_some_and(|t| now.saturating_sub(t) > m.reboot_down_after);
        let down = elapsed > m.down_after || demoted || rebooted;
        let desc = master_desc(&ctx.name, &ctx.addr);
        let s = &mut m.server;
        let changed = self.set_sdown(now, ctx, down, &mut s.sdown, &mut s.s_down_since, desc);
        if changed == Some(false) {
            s.script_kill_sent = false;
        }
        changed == Some(true)
    }

    fn check_sdown_replica(&mut self, now: Millis, ctx: &MCtx, m: &mut Master, a: &Addr) {
        let elapsed = self.link_elapsed(now, a, m.down_after);
        let Some(s) = m.replicas.get_mut(a) else {
            return;
        };
        let desc = replica_desc(a, &ctx.name, &ctx.addr);
        let down = elapsed > m.down_after;
        if self.set_sdown(now, ctx, down, &mut s.sdown, &mut s.s_down_since, desc) == Some(false) {
            s.script_kill_sent = false;
        }
    }

    fn check_sdown_sentinel(&mut self, now: Millis, ctx: &MCtx, m: &mut Master, id: &str) {
        let Some(addr) = m.sentinels.get(id).map(|p| p.addr.clone()) else {
            return;
        };
        let elapsed = self.link_elapsed(now, &addr, m.down_after);
        let Some(p) = m.sentinels.get_mut(id) else {
            return;
        };
        let desc = sentinel_desc(id, &addr, &ctx.name, &ctx.addr);
        let down = elapsed > m.down_after;
        self.set_sdown(now, ctx, down, &mut p.sdown, &mut p.s_down_since, desc);
    }

    /// Applies an SDOWN verdict; returns Some(new state) when it changed.
    fn set_sdown(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        down: bool,
        flag: &mut bool,
        since: &mut Option<Millis>,
        desc: String,
    ) -> Option<bool> {
        if down == *flag {
            return None;
        }
        *flag = down;
        if down {
            *since = Some(now);
            self.ev(ctx, Level::Warning, ch::SDOWN, desc);
        } else {
            self.ev(ctx, Level::Warning, ch::SDOWN_OFF, desc);
        }
        Some(down)
    }

    /// ODOWN: SDOWN here plus enough sentinels that said "down" in their last reply.
    fn check_odown(&mut self, ctx: &MCtx, m: &mut Master, now: Millis) {
        let mut votes = 0;
        let mut odown = false;
        if m.server.sdown {
            votes = 1 + m.sentinels.values().filter(|p| p.master_down).count() as u32;
            odown = votes >= m.quorum;
        }
        let desc = master_desc(&ctx.name, &ctx.addr);
        if odown && !m.server.odown {
            m.server.odown = true;
            m.server.o_down_since = Some(now);
            self.ev(
                ctx,
                Level::Warning,
                ch::ODOWN,
                odown_msg(&desc, votes, m.quorum),
            );
        } else if !odown && m.server.odown {
            m.server.odown = false;
            self.ev(ctx, Level::Warning, ch::ODOWN_OFF, desc);
        }
    }
}

//! Applying an INFO report to the primary or a replica (Redis's `sentinelRefreshInstanceInfo`).
//!
//! Monitoring half (always, even in TILT): run id and `+reboot`, replicas discovered from the
//! primary's `slaveN` lines, the replica fields, role changes. Acting half (not in TILT): a
//! promoted replica reporting role:master moves the failover on; a replica that turned
//! primary on its own (the old primary coming back) is turned into a replica again
//! (`+convert-to-slave`); a replica following the wrong primary is fixed
//! (`+fix-slave-config`); replicas being reconfigured advance to in-progress and done.

use super::engine::MCtx;
use super::events::{ch, master_desc, replica_desc, role_change_msg};
use super::instance::{Master, Reconf, Server};
use super::{Action, Addr, Core, FailoverState, InfoReport, Level, Millis, Role};

impl Core {
    pub(crate) fn on_info(&mut self, now: Millis, addr: &Addr, info: &InfoReport) {
        let names: Vec<String> = self
            .masters
            .values()
            .filter(|m| &m.server.addr == addr || m.replicas.contains_key(addr))
            .map(|m| m.name.clone())
            .collect();
        for name in names {
            let Some(mut m) = self.masters.remove(&name) else {
                continue;
            };
            let ctx = MCtx::of(&m);
            if &m.server.addr == addr {
                self.refresh(now, &ctx, &mut m, None, info);
            }
            if m.replicas.contains_key(addr) {
                self.refresh(now, &ctx, &mut m, Some(addr), info);
            }
            self.masters.insert(name.clone(), m);
            self.act_now(now, &name);
        }
    }

    fn refresh(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        m: &mut Master,
        replica: Option<&Addr>,
        info: &InfoReport,
    ) {
        let desc = match replica {
            None => master_desc(&ctx.name, &ctx.addr),
            Some(a) => replica_desc(a, &ctx.name, &ctx.addr),
        };
        let reboot_down_after = m.reboot_down_after;
        let Some(s) = entry(m, replica) else {
            return;
        };
        s.master_link_down_time = info
            .master_link_down_since_seconds
            .unwrap_or(0)
            .saturating_mul(1000);
        if let Some(id) = &info.run_id {
            match &s.runid {
                Some(old) if old != id => {
                    if replica.is_none() && reboot_down_after != 0 {
                        s.reboot_since = Some(now);
                    }
                    s.runid = Some(id.clone());
                    self.ev(ctx, Level::Notice, ch::REBOOT, desc.clone());
                }
                Some(_) => {}
                None => s.runid = Some(id.clone()),
            }
        }
        if info.role == Some(Role::Replica) {
            apply_replica_fields(now, s, info);
        }
        s.info_refresh = Some(now);
        s.info_sent = None;
        let role_change = info.role.filter(|r| *r != s.role_reported);
        if let Some(role) = role_change {
            s.role_reported = role;
            s.role_reported_time = now;
            if role == Role::Replica {
                s.slave_conf_change_time = now;
            }
        }
        if replica.is_none() {
            for a in &info.replicas {
                if !m.replicas.contains_key(a) {
                    m.replicas
                        .insert(a.clone(), Server::new(a.clone(), Role::Replica, now));
                    self.ev(
                        ctx,
                        Level::Notice,
                        ch::SLAVE,
                        replica_desc(a, &ctx.name, &ctx.addr),
                    );
                    self.dirty = true;
                }
            }
        }
        if let Some(role) = role_change {
            let coherent = (role == Role::Primary) == replica.is_none();
            let channel = if coherent {
                ch::ROLE_CHANGE
            } else {
                ch::ROLE_CHANGE_OFF
            };
            self.ev(
                ctx,
                Level::Verbose,
                channel,
                role_change_msg(&desc, role == Role::Primary),
            );
        }
        if self.tilt_since.is_some() {
            return;
        }
        if let Some(a) = replica {
            match info.role {
                Some(Role::Primary) => self.replica_claims_primary(now, ctx, m, a, &desc),
                Some(Role::Replica) => self.replica_follows(now, ctx, m, a, &desc),
                None => {}
            }
        }
    }

    /// A replica entry reports role:master: either our promotion worked, or an instance we
    /// believe is a replica (typically the old primary, back after a failover) must be
    /// turned into one — after giving the leader time to announce a newer config.
    fn replica_claims_primary(
        &mut self,
        now: Millis,
        ctx: &MCtx,
        m: &mut Master,
        a: &Addr,
        desc: &str,
    ) {
        let Some(s) = m.replicas.get(a) else {
            return;
        };
        if s.promoted && m.failover.state == FailoverState::WaitPromotion {
            self.on_promoted(now, ctx, m, a);
            return;
        }
        // Redis waits four hello periods so that a newer configuration (this instance
        // promoted in a later epoch we have not heard of) can reach us first. In fast mode
        // the leader publishes its hello the moment it promotes, so a few INFO rounds are
        // enough and the returning old primary follows within a second of coming back.
        let wait = if self.timers.fast {
            self.timers.fast_info_period * 3
        } else {
            self.timers.publish_period * 4
        };
        if !s.promoted
            && self.looks_sane(now, m)
            && s.no_down_for(now, wait)
            && now.saturating_sub(s.role_reported_time) > wait
        {
            self.out.push(Action::SendReplicaOf {
                addr: a.clone(),
                primary: m.server.addr.clone(),
            });
            self.ev(ctx, Level::Notice, ch::CONVERT_TO_SLAVE, desc.to_string());
        }
    }

    fn replica_follows(&mut self, now: Millis, ctx: &MCtx, m: &mut Master, a: &Addr, desc: &str) {
        let sane = self.looks_sane(now, m);
        let primary = m.server.addr.clone();
        let promoted = m.failover.promoted.clone();
        let wait = m.failover_timeout;
        let Some(s) = m.replicas.get_mut(a) else {
            return;
        };
        let follows = |s: &Server, p: &Addr| {
            s.slave_master_port == p.port
                && s.slave_master_host
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&p.host))
        };
        if !follows(s, &primary)
            && sane
            && s.no_down_for(now, wait)
            && now.saturating_sub(s.slave_conf_change_time) > wait
        {
            self.out.push(Action::SendReplicaOf {
                addr: a.clone(),
                primary: primary.clone(),
            });
            self.ev(ctx, Level::Notice, ch::FIX_SLAVE_CONFIG, desc.to_string());
        }
        let Some(p) = promoted else {
            return;
        };
        if matches!(s.reconf, Reconf::Sent(_)) && follows(s, &p) {
            s.reconf = Reconf::InProgress;
            self.ev(
                ctx,
                Level::Notice,
                ch::SLAVE_RECONF_INPROG,
                desc.to_string(),
            );
        }
        if s.reconf == Reconf::InProgress && s.master_link_up {
            s.reconf = Reconf::Done;
            self.ev(ctx, Level::Notice, ch::SLAVE_RECONF_DONE, desc.to_string());
        }
    }

    /// The master entry is a primary we can trust as a reference: it says it is one, it is
    /// not down, and its INFO is recent.
    pub(crate) fn looks_sane(&self, now: Millis, m: &Master) -> bool {
        let s = &m.server;
        s.role_reported == Role::Primary
            && !s.sdown
            && !s.odown
            && s.info_refresh
                .is_some_and(|t| now.saturating_sub(t) < self.timers.info_period * 2)
    }
}

fn entry<'a>(m: &'a mut Master, replica: Option<&Addr>) -> Option<&'a mut Server> {
    match replica {
        None => Some(&mut m.server),
        Some(a) => m.replicas.get_mut(a),
    }
}

fn apply_replica_fields(now: Millis, s: &mut Server, info: &InfoReport) {
    if let Some(h) = &info.master_host {
        let changed = s
            .slave_master_host
            .as_deref()
            .is_none_or(|old| !old.eq_ignore_ascii_case(h));
        if changed {
            s.slave_master_host = Some(h.clone());
            s.slave_conf_change_time = now;
        }
    }
    if let Some(p) = info.master_port {
        if p != s.slave_master_port {
            s.slave_master_port = p;
            s.slave_conf_change_time = now;
        }
    }
    s.master_link_up = info.master_link_up;
    if let Some(p) = info.slave_priority {
        s.slave_priority = p;
    }
    if let Some(o) = info.slave_repl_offset {
        s.repl_offset = o;
    }
    if let Some(a) = info.replica_announced {
        s.replica_announced = a;
    }
}

//! [`Core`]: the sentinel state and its two entry points, [`Core::tick`] (the timer: Redis's
//! `sentinelTimer`) and [`Core::on_event`]. Also the plumbing every rule uses: emitting
//! events, persistence points, and keeping the driver's set of links in step with the set of
//! known instances.

use std::collections::BTreeMap;

use super::config::{ConfigSnapshot, MasterConfig};
use super::events::{ch, master_desc, monitor_msg};
use super::instance::{Link, Master};
use super::{Action, Addr, Event, FailoverState, Level, LinkKind, Millis, Timers};

/// Start-up options that are not part of the persisted state.
#[derive(Clone, Debug)]
pub struct Options {
    pub timers: Timers,
    /// Seeds the random failover desynchronisation (and the id, when none is configured).
    pub seed: u64,
    /// The port this sentinel listens on, announced in hellos unless announce-port is set.
    pub port: u16,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timers: Timers::default(),
            seed: 0,
            port: 26379,
        }
    }
}

/// A master's identity, cloned out so events can be described while its records are borrowed
/// mutably.
pub(crate) struct MCtx {
    pub name: String,
    pub addr: Addr,
    pub script: Option<String>,
}

impl MCtx {
    pub fn of(m: &Master) -> MCtx {
        MCtx {
            name: m.name.clone(),
            addr: m.server.addr.clone(),
            script: m.notification_script.clone(),
        }
    }
}

pub struct Core {
    pub(crate) myid: String,
    pub(crate) current_epoch: u64,
    pub(crate) announce_ip: Option<String>,
    pub(crate) announce_port: u16,
    pub(crate) deny_scripts_reconfig: bool,
    pub(crate) port: u16,
    pub(crate) masters: BTreeMap<String, Master>,
    pub(crate) links: BTreeMap<Addr, Link>,
    pub(crate) timers: Timers,
    pub(crate) tilt_since: Option<Millis>,
    pub(crate) previous_time: Millis,
    pub(crate) rng: fastrand::Rng,
    pub(crate) out: Vec<Action>,
    /// State changed since the last PersistConfig.
    pub(crate) dirty: bool,
    /// Index in `out` of a PersistConfig placeholder filled at the end of the step.
    pub(crate) persist_at: Option<usize>,
}

impl Core {
    pub fn new(config: ConfigSnapshot, opts: Options, now: Millis) -> Core {
        let mut rng = fastrand::Rng::with_seed(opts.seed);
        let mut dirty = false;
        let myid = if config.myid.is_empty() {
            dirty = true;
            (0..40)
                .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
                .collect()
        } else {
            config.myid.clone()
        };
        let mut current_epoch = config.current_epoch;
        let mut masters = BTreeMap::new();
        for mc in &config.masters {
            current_epoch = current_epoch.max(mc.config_epoch);
            masters.insert(mc.name.clone(), Master::from_config(mc, now));
        }
        Core {
            myid,
            current_epoch,
            announce_ip: config.announce_ip,
            announce_port: config.announce_port,
            deny_scripts_reconfig: config.deny_scripts_reconfig,
            port: opts.port,
            masters,
            links: BTreeMap::new(),
            timers: opts.timers,
            tilt_since: None,
            previous_time: now,
            rng,
            out: Vec::new(),
            dirty,
            persist_at: None,
        }
    }

    /// First actions after start: links to every known instance, `+monitor` for every master,
    /// and the config if an id had to be picked.
    pub fn start(&mut self, now: Millis) -> Vec<Action> {
        self.previous_time = now;
        let monitors: Vec<(String, u32, Option<String>)> = self
            .masters
            .values()
            .map(|m| {
                (
                    master_desc(&m.name, &m.server.addr),
                    m.quorum,
                    m.notification_script.clone(),
                )
            })
            .collect();
        for (desc, quorum, script) in monitors {
            self.emit(
                script.as_deref(),
                Level::Warning,
                ch::MONITOR,
                monitor_msg(&desc, quorum),
            );
        }
        self.finish(now)
    }

    /// The timer. Monitoring half for every instance, then (unless in TILT) the acting half.
    pub fn tick(&mut self, now: Millis) -> Vec<Action> {
        self.check_tilt(now);
        let names: Vec<String> = self.masters.keys().cloned().collect();
        for name in names {
            let Some(mut m) = self.masters.remove(&name) else {
                continue;
            };
            self.handle_master(now, &mut m);
            let switch = m.failover.state == FailoverState::UpdateConfig;
            self.masters.insert(name.clone(), m);
            if switch {
                self.switch_to_promoted(now, &name);
            }
        }
        self.finish(now)
    }

    pub fn on_event(&mut self, now: Millis, ev: Event) -> Vec<Action> {
        match ev {
            Event::LinkUp { addr } => self.on_link_up(now, &addr),
            Event::LinkDown { addr } => self.on_link_down(&addr),
            Event::PingReply { addr, reply } => self.on_ping_reply(now, &addr, reply),
            Event::InfoReply { addr, info } => self.on_info(now, &addr, &info),
            Event::Hello { via, payload } => self.on_hello(now, via.as_ref(), &payload),
            Event::IsMasterDownReply {
                from,
                master,
                down,
                leader,
                leader_epoch,
            } => self.on_is_master_down_reply(now, &from, &master, down, leader, leader_epoch),
            Event::IsMasterDownRequest {
                req,
                ip,
                port,
                current_epoch,
                runid,
            } => self.on_is_master_down_request(
                now,
                req,
                &Addr::new(ip, port),
                current_epoch,
                &runid,
            ),
            Event::ReplicaOfReply { .. } => {}
            Event::Command { req, cmd } => self.on_command(now, req, cmd),
        }
        self.finish(now)
    }

    /// Replaces the timers (SENTINEL DEBUG, or tests).
    pub fn set_timers(&mut self, timers: Timers) {
        self.timers = timers;
    }

    // ---- accessors for the driver's read-only views ----

    pub fn myid(&self) -> &str {
        &self.myid
    }
    pub fn current_epoch(&self) -> u64 {
        self.current_epoch
    }
    pub fn timers(&self) -> &Timers {
        &self.timers
    }
    pub fn in_tilt(&self) -> bool {
        self.tilt_since.is_some()
    }
    pub fn masters(&self) -> impl Iterator<Item = &Master> {
        self.masters.values()
    }
    pub fn master(&self, name: &str) -> Option<&Master> {
        self.masters.get(name)
    }
    /// The master an address belongs to (as primary or replica): for AUTH and renamed commands.
    pub fn master_of(&self, addr: &Addr) -> Option<&Master> {
        self.masters
            .values()
            .find(|m| &m.server.addr == addr || m.replicas.contains_key(addr))
    }
    pub fn link(&self, addr: &Addr) -> Option<&Link> {
        self.links.get(addr)
    }
    /// SENTINEL GET-MASTER-ADDR-BY-NAME
    pub fn current_master_addr(&self, name: &str) -> Option<&Addr> {
        self.masters.get(name).map(Master::current_addr)
    }

    /// The state to persist.
    pub fn snapshot(&self) -> ConfigSnapshot {
        ConfigSnapshot {
            myid: self.myid.clone(),
            current_epoch: self.current_epoch,
            announce_ip: self.announce_ip.clone(),
            announce_port: self.announce_port,
            deny_scripts_reconfig: self.deny_scripts_reconfig,
            masters: self.masters.values().map(master_config).collect(),
        }
    }

    // ---- plumbing ----

    /// Publishes an event; `Warning` events also run the master's notification script.
    pub(crate) fn emit(
        &mut self,
        script: Option<&str>,
        level: Level,
        channel: &'static str,
        message: String,
    ) {
        let run = match (level, script) {
            (Level::Warning, Some(path)) => {
                Some(RunArgs(path.to_string(), channel, message.clone()))
            }
            _ => None,
        };
        self.out.push(Action::Emit {
            level,
            channel,
            message,
        });
        if let Some(RunArgs(path, channel, message)) = run {
            self.out.push(Action::RunScript {
                path,
                args: vec![channel.to_string(), message],
            });
        }
    }

    pub(crate) fn ev(&mut self, m: &MCtx, level: Level, channel: &'static str, message: String) {
        self.emit(m.script.as_deref(), level, channel, message);
    }

    /// A point where the state must be on disk before anything that follows: a placeholder is
    /// queued here and filled with the end-of-step snapshot (a later state is as good as this
    /// one: epochs and votes only move forward).
    pub(crate) fn persist_point(&mut self) {
        if self.dirty && self.persist_at.is_none() {
            self.persist_at = Some(self.out.len());
            self.out.push(Action::PersistConfig(Box::default()));
        }
    }

    fn finish(&mut self, now: Millis) -> Vec<Action> {
        self.sync_links(now);
        if self.dirty {
            let snap = Action::PersistConfig(Box::new(self.snapshot()));
            match self.persist_at {
                Some(i) if i < self.out.len() => self.out[i] = snap,
                _ => self.out.push(snap),
            }
            self.dirty = false;
        }
        self.persist_at = None;
        std::mem::take(&mut self.out)
    }

    /// Connect to every address now known, let go of the ones no longer known.
    fn sync_links(&mut self, now: Millis) {
        let mut wanted: BTreeMap<Addr, LinkKind> = BTreeMap::new();
        for m in self.masters.values() {
            for a in std::iter::once(&m.server.addr).chain(m.replicas.keys()) {
                wanted.entry(a.clone()).or_insert(LinkKind::Server);
            }
            for p in m.sentinels.values() {
                if p.addr.port != 0 {
                    wanted.entry(p.addr.clone()).or_insert(LinkKind::Sentinel);
                }
            }
        }
        let gone: Vec<Addr> = self
            .links
            .keys()
            .filter(|a| !wanted.contains_key(*a))
            .cloned()
            .collect();
        for addr in gone {
            self.links.remove(&addr);
            self.out.push(Action::Disconnect { addr });
        }
        for (addr, kind) in wanted {
            if !self.links.contains_key(&addr) {
                self.links.insert(addr.clone(), Link::new(kind, now));
                self.out.push(Action::Connect { addr, kind });
            }
        }
    }

    fn on_link_up(&mut self, now: Millis, addr: &Addr) {
        let Some(link) = self.links.get_mut(addr) else {
            return;
        };
        link.connected = true;
        link.conn_time = now;
        link.pubsub_activity = now;
        self.forget_pending(addr);
        // Redis pings as soon as the command connection is up.
        self.send_ping(now, addr);
    }

    fn on_link_down(&mut self, addr: &Addr) {
        if let Some(link) = self.links.get_mut(addr) {
            link.connected = false;
        }
        self.forget_pending(addr);
    }

    /// Requests sent on a connection that went away will never be answered.
    pub(crate) fn forget_pending(&mut self, addr: &Addr) {
        for m in self.masters.values_mut() {
            let servers = std::iter::once(&mut m.server).chain(m.replicas.values_mut());
            for s in servers.filter(|s| &s.addr == addr) {
                s.info_sent = None;
            }
            for p in m.sentinels.values_mut().filter(|p| &p.addr == addr) {
                p.ask_sent = None;
            }
        }
    }

    pub(crate) fn link_up(&self, addr: &Addr) -> bool {
        self.links.get(addr).is_some_and(|l| l.connected)
    }

    pub(crate) fn is_me(&self, runid: &str) -> bool {
        runid.eq_ignore_ascii_case(&self.myid)
    }

    /// A random delay in 0..max_desync.
    pub(crate) fn desync(&mut self) -> Millis {
        if self.timers.max_desync == 0 {
            0
        } else {
            self.rng.u64(0..self.timers.max_desync)
        }
    }
}

struct RunArgs(String, &'static str, String);

fn master_config(m: &Master) -> MasterConfig {
    let addr = m.current_addr().clone();
    let mut c = MasterConfig::new(m.name.clone(), addr.clone(), m.quorum);
    c.down_after = m.down_after;
    c.failover_timeout = m.failover_timeout;
    c.parallel_syncs = m.parallel_syncs;
    c.reboot_down_after = m.reboot_down_after;
    c.config_epoch = m.config_epoch;
    c.leader_epoch = m.leader_epoch;
    c.leader = m.leader.clone();
    // The promoted replica is the primary on disk, so the old primary is listed in its place.
    c.known_replicas = m
        .replicas
        .keys()
        .map(|a| {
            if *a == addr {
                m.server.addr.clone()
            } else {
                a.clone()
            }
        })
        .collect();
    c.known_sentinels = m
        .sentinels
        .values()
        .map(|p| (p.addr.clone(), p.runid.clone()))
        .collect();
    c.auth_pass = m.auth_pass.clone();
    c.auth_user = m.auth_user.clone();
    c.notification_script = m.notification_script.clone();
    c.client_reconfig_script = m.client_reconfig_script.clone();
    c.rename_commands = m
        .rename_commands
        .iter()
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect();
    c
}

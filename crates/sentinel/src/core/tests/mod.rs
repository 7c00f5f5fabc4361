//! Unit tests of the core: build a state, feed one event (or one tick), assert the exact list
//! of actions. [`H`] is a tiny hand-driven driver: it can answer PING/INFO for the instances
//! marked alive so that time can be advanced without scripting every reply.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

mod failover;
mod hello;
mod misc;
mod monitor;
mod select;
mod vote;
mod vote_table;

pub const ME: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const S2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
pub const S3: &str = "cccccccccccccccccccccccccccccccccccccccc";
pub const T0: Millis = 1_000_000;
pub const P: u16 = 6379;
pub const R1: u16 = 6380;
pub const R2: u16 = 6381;
pub const P2: u16 = 26380;
pub const P3: u16 = 26381;

pub fn a(port: u16) -> Addr {
    Addr::new("127.0.0.1", port)
}

pub fn runid(port: u16) -> String {
    format!("{port:0>40}")
}

/// mymaster at 6379 (quorum 2, down-after 5 s, failover-timeout 60 s), replicas 6380 and
/// 6381, peer sentinels S2 (26380) and S3 (26381).
pub fn config() -> ConfigSnapshot {
    let mut m = MasterConfig::new("mymaster", a(P), 2);
    m.down_after = 5000;
    m.failover_timeout = 60_000;
    m.known_replicas = vec![a(R1), a(R2)];
    m.known_sentinels = vec![(a(P2), S2.to_string()), (a(P3), S3.to_string())];
    ConfigSnapshot {
        myid: ME.to_string(),
        deny_scripts_reconfig: true,
        masters: vec![m],
        ..Default::default()
    }
}

pub fn primary_info(replicas: &[u16]) -> InfoReport {
    InfoReport {
        run_id: Some(runid(P)),
        role: Some(Role::Primary),
        replicas: replicas.iter().map(|&p| a(p)).collect(),
        ..Default::default()
    }
}

pub fn replica_info(port: u16, master: u16, offset: u64) -> InfoReport {
    InfoReport {
        run_id: Some(runid(port)),
        role: Some(Role::Replica),
        master_host: Some("127.0.0.1".to_string()),
        master_port: Some(master),
        master_link_up: true,
        slave_repl_offset: Some(offset),
        slave_priority: Some(100),
        ..Default::default()
    }
}

/// "channel message" of every Emit, in order.
pub fn emits(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|x| match x {
            Action::Emit {
                channel, message, ..
            } => Some(format!("{channel} {message}")),
            _ => None,
        })
        .collect()
}

pub fn emit(level: Level, channel: &'static str, message: &str) -> Action {
    Action::Emit {
        level,
        channel,
        message: message.to_string(),
    }
}

/// Actions other than Emit, PING, INFO and hello: what a rule *does*.
pub fn deeds(actions: &[Action]) -> Vec<Action> {
    actions
        .iter()
        .filter(|x| {
            !matches!(
                x,
                Action::Emit { .. }
                    | Action::Ping { .. }
                    | Action::Info { .. }
                    | Action::PublishHello { .. }
            )
        })
        .cloned()
        .collect()
}

pub struct H {
    pub core: Core,
    pub now: Millis,
    /// Ports that answer PING and INFO during `advance`.
    pub alive: BTreeSet<u16>,
    pub infos: BTreeMap<u16, InfoReport>,
}

impl H {
    pub fn with(cfg: ConfigSnapshot, timers: Timers) -> H {
        let opts = Options {
            timers,
            seed: 7,
            port: 26379,
        };
        let mut core = Core::new(cfg, opts, T0);
        core.start(T0);
        H {
            core,
            now: T0,
            alive: BTreeSet::new(),
            infos: BTreeMap::new(),
        }
    }

    /// The standard set-up, every link up and answered, INFO fresh.
    pub fn standard() -> H {
        let mut h = H::with(config(), Timers::default());
        h.healthy();
        h
    }

    pub fn healthy(&mut self) {
        self.alive = [P, R1, R2, P2, P3].into_iter().collect();
        self.infos.insert(P, primary_info(&[R1, R2]));
        self.infos.insert(R1, replica_info(R1, P, 100));
        self.infos.insert(R2, replica_info(R2, P, 90));
        for p in [P, R1, R2, P2, P3] {
            self.ev(Event::LinkUp { addr: a(p) });
            self.pong(p);
        }
        for p in [P, R1, R2] {
            self.info(p);
        }
    }

    pub fn ev(&mut self, e: Event) -> Vec<Action> {
        self.core.on_event(self.now, e)
    }

    pub fn tick(&mut self) -> Vec<Action> {
        self.core.tick(self.now)
    }

    pub fn pong(&mut self, port: u16) -> Vec<Action> {
        self.ev(Event::PingReply {
            addr: a(port),
            reply: PingReply::Pong,
        })
    }

    pub fn info(&mut self, port: u16) -> Vec<Action> {
        let info = self.infos.get(&port).cloned().unwrap_or_default();
        self.ev(Event::InfoReply {
            addr: a(port),
            info,
        })
    }

    /// Ticks every 100 ms for `ms`, answering PING and INFO of alive instances at once.
    pub fn advance(&mut self, ms: Millis) -> Vec<Action> {
        let end = self.now + ms;
        let mut all = Vec::new();
        while self.now < end {
            self.now = (self.now + 100).min(end);
            let acts = self.tick();
            all.extend(self.answer(acts));
        }
        all
    }

    /// Feeds the replies alive instances would give to `acts`; returns `acts` plus whatever
    /// the replies caused.
    pub fn answer(&mut self, acts: Vec<Action>) -> Vec<Action> {
        let mut all = Vec::new();
        let mut queue = acts;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for act in queue {
                match &act {
                    Action::Ping { addr } if self.alive.contains(&addr.port) => {
                        next.extend(self.pong(addr.port));
                    }
                    Action::Info { addr }
                        if self.alive.contains(&addr.port)
                            && self.infos.contains_key(&addr.port) =>
                    {
                        next.extend(self.info(addr.port));
                    }
                    // Our own hello comes back on the server's pub/sub connection.
                    Action::PublishHello { to, hello }
                        if self.alive.contains(&to.port) && to.port < 10_000 =>
                    {
                        let payload = hello.payload("127.0.0.1");
                        next.extend(self.ev(Event::Hello {
                            via: Some(to.clone()),
                            payload,
                        }));
                    }
                    _ => {}
                }
                all.push(act);
            }
            queue = next;
        }
        all
    }

    pub fn master(&self) -> &Master {
        self.core.master("mymaster").expect("mymaster")
    }

    /// Peer sentinels say the primary is down (and maybe whom they voted for).
    pub fn peer_says_down(&mut self, port: u16, leader: &str, epoch: u64) -> Vec<Action> {
        self.ev(Event::IsMasterDownReply {
            from: a(port),
            master: "mymaster".to_string(),
            down: true,
            leader: leader.to_string(),
            leader_epoch: epoch,
        })
    }
}

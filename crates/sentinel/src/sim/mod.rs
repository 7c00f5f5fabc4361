//! A simulated network for testing several sentinel cores together (test-only).
//!
//! Discrete-event simulation on one virtual clock: sentinels tick every ~100 ms (with
//! jitter), every message takes 1–3 ms, and the harness plays the driver (links, reconnects
//! once a second, pub/sub fan-out of hellos, vote requests between cores) and the data servers
//! (fake primaries/replicas that obey REPLICAOF and answer PING and INFO).
//!
//! Faults, after raft-rs's `Network`: `cut` a pair of endpoints, `isolate` one, `partition`
//! into groups, `heal`; plus `kill`/`restart` a server, `crash`/`restart` a sentinel (it comes
//! back from the config it persisted), and `pause` either (SIGSTOP: messages wait, the clock
//! does not). A cut does not close connections (as with a real partition, only silence);
//! cores notice through their own timeouts.
//!
//! Invariants are checked as the run goes: a vote reply never leaves before the vote is on
//! "disk", and at most one sentinel is elected leader per epoch.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use crate::core::{
    Action, Addr, ConfigSnapshot, Core, Event, MasterConfig, Millis, Options, PingReply, ReqId,
    Role, Timers,
};

mod server;
#[cfg(test)]
mod tests;

use server::Op;
pub use server::Server;

pub const MASTER: &str = "mymaster";

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub sentinels: usize,
    /// Data servers: server 0 starts as the primary, the others as its replicas.
    pub servers: usize,
    pub quorum: u32,
    pub down_after: Millis,
    pub failover_timeout: Millis,
    pub fast: bool,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            sentinels: 3,
            servers: 3,
            quorum: 2,
            down_after: 1000,
            failover_timeout: 5000,
            fast: false,
            seed: 1,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Line {
    pub at: Millis,
    pub node: usize,
    pub channel: &'static str,
    pub message: String,
}

struct Node {
    addr: Addr,
    core: Option<Core>,
    up: BTreeSet<Addr>,
    wanted: BTreeSet<Addr>,
    paused_until: Millis,
    disk: Option<ConfigSnapshot>,
    /// Vote requests this node is answering: req -> (asker, master).
    requests: BTreeMap<ReqId, (usize, String)>,
}

enum Item {
    Tick(usize),
    ToSentinel(usize, Event),
    Ask {
        target: usize,
        from: usize,
        master: String,
        addr: Addr,
        epoch: u64,
        runid: String,
    },
    ToServer {
        from: usize,
        server: usize,
        op: Op,
    },
    /// A PING to sentinel `target` from sentinel `from`.
    PingSentinel {
        target: usize,
        from: usize,
    },
    Attempt(usize, Addr),
}

pub struct Sim {
    pub now: Millis,
    pub cfg: SimConfig,
    nodes: Vec<Node>,
    pub servers: Vec<Server>,
    queue: BinaryHeap<Reverse<(Millis, u64)>>,
    items: BTreeMap<u64, Item>,
    seq: u64,
    cuts: BTreeSet<(Addr, Addr)>,
    rng: fastrand::Rng,
    next_req: ReqId,
    pub log: Vec<Line>,
    /// epoch -> sentinels that emitted +elected-leader in it.
    pub elected: BTreeMap<u64, BTreeSet<usize>>,
    /// (time, sentinel, replica) of every REPLICAOF NO ONE sent.
    pub promotions: Vec<(Millis, usize, Addr)>,
}

pub fn sentinel_addr(i: usize) -> Addr {
    Addr::new(format!("10.0.1.{}", i + 1), 26379)
}

pub fn server_addr(j: usize) -> Addr {
    Addr::new(format!("10.0.0.{}", j + 1), 6379)
}

fn myid(i: usize) -> String {
    format!("{:040x}", (i as u128 + 1) * 0x1111_1111_1111_1111)
}

impl Sim {
    pub fn new(cfg: SimConfig) -> Sim {
        let mut sim = Sim {
            now: 1_000_000,
            nodes: Vec::new(),
            servers: Vec::new(),
            queue: BinaryHeap::new(),
            items: BTreeMap::new(),
            seq: 0,
            cuts: BTreeSet::new(),
            rng: fastrand::Rng::with_seed(cfg.seed),
            next_req: 1,
            log: Vec::new(),
            elected: BTreeMap::new(),
            promotions: Vec::new(),
            cfg,
        };
        for j in 0..sim.cfg.servers {
            sim.servers.push(Server {
                addr: server_addr(j),
                runid: format!("{:040}", j + 1),
                role: if j == 0 { Role::Primary } else { Role::Replica },
                primary: (j != 0).then(|| server_addr(0)),
                offset: 0,
                alive: true,
                paused_until: 0,
                link_down_since: None,
            });
        }
        for i in 0..sim.cfg.sentinels {
            sim.nodes.push(Node {
                addr: sentinel_addr(i),
                core: None,
                up: BTreeSet::new(),
                wanted: BTreeSet::new(),
                paused_until: 0,
                disk: None,
                requests: BTreeMap::new(),
            });
            sim.boot(i);
        }
        sim
    }

    fn initial_config(&self, i: usize) -> ConfigSnapshot {
        let mut m = MasterConfig::new(MASTER, server_addr(0), self.cfg.quorum);
        m.down_after = self.cfg.down_after;
        m.failover_timeout = self.cfg.failover_timeout;
        m.known_replicas = (1..self.cfg.servers).map(server_addr).collect();
        m.known_sentinels = (0..self.cfg.sentinels)
            .filter(|&k| k != i)
            .map(|k| (sentinel_addr(k), myid(k)))
            .collect();
        ConfigSnapshot {
            myid: myid(i),
            masters: vec![m],
            deny_scripts_reconfig: true,
            ..Default::default()
        }
    }

    /// (Re)starts sentinel `i` from what it persisted, or from the initial config.
    fn boot(&mut self, i: usize) {
        let cfg = self.nodes[i]
            .disk
            .clone()
            .unwrap_or_else(|| self.initial_config(i));
        let opts = Options {
            timers: Timers {
                fast: self.cfg.fast,
                ..Timers::default()
            },
            seed: self.cfg.seed ^ ((i as u64 + 1) * 7919),
            port: 26379,
        };
        let mut core = Core::new(cfg, opts, self.now);
        let acts = core.start(self.now);
        let n = &mut self.nodes[i];
        n.core = Some(core);
        n.up.clear();
        n.wanted.clear();
        n.requests.clear();
        self.apply(i, acts);
        let first = self.now + self.rng.u64(1..100);
        self.push(first, Item::Tick(i));
    }

    // ---- faults ----

    fn pair(a: &Addr, b: &Addr) -> (Addr, Addr) {
        if a <= b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        }
    }

    pub fn cut(&mut self, a: &Addr, b: &Addr) {
        self.cuts.insert(Self::pair(a, b));
    }

    fn endpoints(&self) -> Vec<Addr> {
        self.nodes
            .iter()
            .map(|n| n.addr.clone())
            .chain(self.servers.iter().map(|s| s.addr.clone()))
            .collect()
    }

    pub fn isolate(&mut self, a: &Addr) {
        for b in self.endpoints() {
            if &b != a {
                self.cut(a, &b);
            }
        }
    }

    /// Every endpoint in a group can reach only its own group; endpoints in no group keep
    /// their connectivity.
    pub fn partition(&mut self, groups: &[Vec<Addr>]) {
        for (gi, g) in groups.iter().enumerate() {
            for (hi, h) in groups.iter().enumerate() {
                if gi != hi {
                    for a in g {
                        for b in h {
                            self.cut(a, b);
                        }
                    }
                }
            }
        }
    }

    pub fn heal(&mut self) {
        self.cuts.clear();
    }

    pub fn reachable(&self, a: &Addr, b: &Addr) -> bool {
        !self.cuts.contains(&Self::pair(a, b))
    }

    pub fn kill_server(&mut self, j: usize) {
        self.servers[j].alive = false;
        let addr = self.servers[j].addr.clone();
        self.drop_links_to(&addr);
    }

    /// The server restarts with the role it had (an old primary comes back as a primary).
    pub fn restart_server(&mut self, j: usize) {
        self.servers[j].alive = true;
    }

    pub fn pause_server(&mut self, j: usize, ms: Millis) {
        self.servers[j].paused_until = self.now + ms;
    }

    pub fn pause_sentinel(&mut self, i: usize, ms: Millis) {
        self.nodes[i].paused_until = self.now + ms;
    }

    pub fn crash_sentinel(&mut self, i: usize) {
        self.nodes[i].core = None;
        let addr = self.nodes[i].addr.clone();
        self.drop_links_to(&addr);
    }

    pub fn restart_sentinel(&mut self, i: usize) {
        if self.nodes[i].core.is_none() {
            self.boot(i);
        }
    }

    /// Connections to a dead process are reset: the other side sees LinkDown.
    fn drop_links_to(&mut self, addr: &Addr) {
        for k in 0..self.nodes.len() {
            if self.nodes[k].up.remove(addr) {
                let t = self.now + self.latency();
                self.push(
                    t,
                    Item::ToSentinel(k, Event::LinkDown { addr: addr.clone() }),
                );
                self.push(self.now + 1000, Item::Attempt(k, addr.clone()));
            }
        }
    }

    // ---- queries ----

    pub fn core(&self, i: usize) -> Option<&Core> {
        self.nodes[i].core.as_ref()
    }

    pub fn primary_seen_by(&self, i: usize) -> Option<Addr> {
        self.core(i)?.master(MASTER).map(|m| m.server.addr.clone())
    }

    pub fn server_index(&self, addr: &Addr) -> Option<usize> {
        self.servers.iter().position(|s| &s.addr == addr)
    }

    pub fn emitted(&self, node: usize, channel: &str) -> usize {
        self.log
            .iter()
            .filter(|l| l.node == node && l.channel == channel)
            .count()
    }

    /// The first line `node` emitted on `channel`.
    pub fn first(&self, node: usize, channel: &str) -> Option<&Line> {
        self.log
            .iter()
            .find(|l| l.node == node && l.channel == channel)
    }

    // ---- the loop ----

    fn push(&mut self, at: Millis, item: Item) {
        self.seq += 1;
        self.items.insert(self.seq, item);
        self.queue.push(Reverse((at, self.seq)));
    }

    fn latency(&mut self) -> Millis {
        self.rng.u64(1..=3)
    }

    pub fn run_for(&mut self, ms: Millis) {
        let end = self.now + ms;
        self.run_until(end, |_| false);
    }

    /// Runs until `done` holds (checked after every item) or the clock reaches `end`;
    /// returns whether `done` held.
    pub fn run_until(&mut self, end: Millis, done: impl Fn(&Sim) -> bool) -> bool {
        while let Some(&Reverse((at, seq))) = self.queue.peek() {
            if at > end {
                break;
            }
            self.queue.pop();
            self.now = self.now.max(at);
            if let Some(item) = self.items.remove(&seq) {
                self.process(item);
            }
            if done(self) {
                return true;
            }
        }
        self.now = self.now.max(end);
        done(self)
    }

    fn process(&mut self, item: Item) {
        let now = self.now;
        // A stopped process handles nothing until it resumes; its messages wait.
        let paused = match &item {
            Item::Tick(i) | Item::ToSentinel(i, _) | Item::Attempt(i, _) => {
                self.nodes[*i].paused_until
            }
            Item::Ask { target, .. } | Item::PingSentinel { target, .. } => {
                self.nodes[*target].paused_until
            }
            Item::ToServer { server, .. } => self.servers[*server].paused_until,
        };
        if paused > now {
            self.push(paused, item);
            return;
        }
        match item {
            Item::Tick(i) => {
                let Some(core) = self.nodes[i].core.as_mut() else {
                    return;
                };
                let acts = core.tick(now);
                self.apply(i, acts);
                let next = now + 90 + self.rng.u64(0..20);
                self.push(next, Item::Tick(i));
            }
            Item::ToSentinel(i, ev) => self.deliver(i, ev),
            Item::Ask {
                target,
                from,
                master,
                addr,
                epoch,
                runid,
            } => {
                if self.nodes[target].core.is_none() {
                    return;
                }
                let req = self.next_req;
                self.next_req += 1;
                self.nodes[target].requests.insert(req, (from, master));
                let ev = Event::IsMasterDownRequest {
                    req,
                    ip: addr.host,
                    port: addr.port,
                    current_epoch: epoch,
                    runid,
                };
                self.deliver(target, ev);
            }
            Item::ToServer { from, server, op } => self.serve(from, server, op),
            Item::PingSentinel { target, from } => {
                let addr = self.nodes[target].addr.clone();
                if self.nodes[target].core.is_some()
                    && self.reachable(&addr, &self.nodes[from].addr)
                {
                    let t = self.now + self.latency();
                    let ev = Event::PingReply {
                        addr,
                        reply: PingReply::Pong,
                    };
                    self.push(t, Item::ToSentinel(from, ev));
                }
            }
            Item::Attempt(i, addr) => self.attempt(i, addr),
        }
    }

    fn deliver(&mut self, i: usize, ev: Event) {
        let now = self.now;
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        let acts = core.on_event(now, ev);
        self.apply(i, acts);
    }

    fn attempt(&mut self, i: usize, addr: Addr) {
        let n = &self.nodes[i];
        if n.core.is_none() || !n.wanted.contains(&addr) || n.up.contains(&addr) {
            return;
        }
        let target_alive = match self.server_index(&addr) {
            Some(j) => self.servers[j].alive,
            None => self
                .nodes
                .iter()
                .any(|k| k.addr == addr && k.core.is_some()),
        };
        if target_alive && self.reachable(&n.addr, &addr) {
            self.nodes[i].up.insert(addr.clone());
            let t = self.now + self.latency();
            self.push(t, Item::ToSentinel(i, Event::LinkUp { addr }));
        } else {
            self.push(self.now + 1000, Item::Attempt(i, addr));
        }
    }

    /// The driver executing a core's actions.
    fn apply(&mut self, i: usize, acts: Vec<Action>) {
        for act in acts {
            match act {
                Action::Connect { addr, .. } => {
                    self.nodes[i].wanted.insert(addr.clone());
                    self.push(self.now + 1, Item::Attempt(i, addr));
                }
                Action::Disconnect { addr } => {
                    self.nodes[i].wanted.remove(&addr);
                    self.nodes[i].up.remove(&addr);
                }
                Action::Reconnect { addr } => {
                    self.nodes[i].up.remove(&addr);
                    self.push(self.now + 1000, Item::Attempt(i, addr));
                }
                Action::Ping { addr } => self.send(i, &addr, Op::Ping),
                Action::Info { addr } => self.send(i, &addr, Op::Info),
                Action::PublishHello { to, hello } => {
                    let payload = hello.payload(&self.nodes[i].addr.host);
                    match self.sentinel_index(&to) {
                        Some(k) => {
                            if self.can_send(i, &to) {
                                let t = self.now + self.latency();
                                self.push(
                                    t,
                                    Item::ToSentinel(k, Event::Hello { via: None, payload }),
                                );
                            }
                        }
                        None => self.send(i, &to, Op::Publish(payload)),
                    }
                }
                Action::AskIsMasterDown {
                    to,
                    master,
                    master_addr,
                    current_epoch,
                    runid,
                } => {
                    if let Some(target) = self.sentinel_index(&to).filter(|_| self.can_send(i, &to))
                    {
                        let t = self.now + self.latency();
                        self.push(
                            t,
                            Item::Ask {
                                target,
                                from: i,
                                master,
                                addr: master_addr,
                                epoch: current_epoch,
                                runid,
                            },
                        );
                    }
                }
                Action::ReplyIsMasterDown {
                    req,
                    down,
                    leader,
                    leader_epoch,
                } => self.reply_vote(i, req, down, leader, leader_epoch),
                Action::SendReplicaOfNoOne { addr } => {
                    self.promotions.push((self.now, i, addr.clone()));
                    self.send(i, &addr, Op::ReplicaOfNoOne);
                }
                Action::SendReplicaOf { addr, primary } => {
                    self.send(i, &addr, Op::ReplicaOf(primary))
                }
                Action::PersistConfig(snap) => self.nodes[i].disk = Some(*snap),
                Action::Emit {
                    channel, message, ..
                } => {
                    if channel == "+elected-leader" {
                        let epoch = self.nodes[i]
                            .core
                            .as_ref()
                            .and_then(|c| c.master(MASTER))
                            .map_or(0, |m| m.failover.epoch);
                        self.elected.entry(epoch).or_default().insert(i);
                        let leaders = &self.elected[&epoch];
                        assert!(
                            leaders.len() <= 1,
                            "two leaders in epoch {epoch}: {leaders:?}"
                        );
                    }
                    self.log.push(Line {
                        at: self.now,
                        node: i,
                        channel,
                        message,
                    });
                }
                Action::Reply { .. } | Action::RunScript { .. } | Action::ScriptKill { .. } => {}
            }
        }
    }

    /// Persist before you promise: the vote in a reply must already be on disk.
    fn reply_vote(&mut self, i: usize, req: ReqId, down: bool, leader: String, leader_epoch: u64) {
        let Some((asker, master)) = self.nodes[i].requests.remove(&req) else {
            return;
        };
        if leader != "*" {
            let disk = self.nodes[i].disk.as_ref().and_then(|d| {
                d.masters
                    .iter()
                    .find(|m| m.name == master)
                    .map(|m| m.leader_epoch)
            });
            assert!(
                disk.is_some_and(|e| e >= leader_epoch),
                "sentinel {i} replied with a vote in epoch {leader_epoch} not yet on disk ({disk:?})"
            );
        }
        let from = self.nodes[i].addr.clone();
        if self.reachable(&from, &self.nodes[asker].addr) && self.nodes[asker].up.contains(&from) {
            let t = self.now + self.latency();
            let ev = Event::IsMasterDownReply {
                from,
                master,
                down,
                leader,
                leader_epoch,
            };
            self.push(t, Item::ToSentinel(asker, ev));
        }
    }

    fn sentinel_index(&self, addr: &Addr) -> Option<usize> {
        self.nodes.iter().position(|n| &n.addr == addr)
    }

    fn can_send(&self, i: usize, to: &Addr) -> bool {
        self.nodes[i].up.contains(to) && self.reachable(&self.nodes[i].addr, to)
    }

    fn send(&mut self, i: usize, to: &Addr, op: Op) {
        if !self.can_send(i, to) {
            return;
        }
        let t = self.now + self.latency();
        if let Some(server) = self.server_index(to) {
            self.push(
                t,
                Item::ToServer {
                    from: i,
                    server,
                    op,
                },
            );
        } else if let (Some(target), Op::Ping) = (self.sentinel_index(to), op) {
            self.push(t, Item::PingSentinel { target, from: i });
        }
    }
}

//! The fake data servers of the simulation: a primary or a replica that answers PING and
//! INFO, fans hellos out to subscribed sentinels, and obeys REPLICAOF. Replication is
//! reduced to what the sentinels can observe: who follows whom, whether the link is up, and
//! an offset that a linked replica copies from its primary.

use super::{Event, Item, Sim};
use crate::core::{Addr, InfoReport, Millis, PingReply, Role};

pub struct Server {
    pub addr: Addr,
    pub runid: String,
    pub role: Role,
    pub primary: Option<Addr>,
    pub offset: u64,
    pub alive: bool,
    pub paused_until: Millis,
    pub(super) link_down_since: Option<Millis>,
}

pub(super) enum Op {
    Ping,
    Info,
    Publish(String),
    ReplicaOfNoOne,
    ReplicaOf(Addr),
}

impl Sim {
    pub(super) fn serve(&mut self, from: usize, j: usize, op: Op) {
        if !self.servers[j].alive {
            return;
        }
        let addr = self.servers[j].addr.clone();
        let back = self.reachable(&addr, &self.nodes[from].addr);
        let t = self.now + self.latency();
        match op {
            Op::Ping if back => {
                let ev = Event::PingReply {
                    addr,
                    reply: PingReply::Pong,
                };
                self.push(t, Item::ToSentinel(from, ev));
            }
            Op::Info if back => {
                let info = self.info(j);
                self.push(t, Item::ToSentinel(from, Event::InfoReply { addr, info }));
            }
            Op::Publish(payload) => {
                for k in 0..self.nodes.len() {
                    if self.nodes[k].up.contains(&addr)
                        && self.reachable(&addr, &self.nodes[k].addr)
                    {
                        let ev = Event::Hello {
                            via: Some(addr.clone()),
                            payload: payload.clone(),
                        };
                        self.push(t, Item::ToSentinel(k, ev));
                    }
                }
            }
            Op::ReplicaOfNoOne => {
                let s = &mut self.servers[j];
                s.role = Role::Primary;
                s.primary = None;
            }
            Op::ReplicaOf(p) => {
                let s = &mut self.servers[j];
                s.role = Role::Replica;
                s.primary = Some(p);
            }
            _ => {}
        }
    }

    /// What server `j` would say in INFO now.
    fn info(&mut self, j: usize) -> InfoReport {
        let now = self.now;
        let me = &self.servers[j];
        let mut r = InfoReport {
            run_id: Some(me.runid.clone()),
            role: Some(me.role),
            ..Default::default()
        };
        if me.role == Role::Primary {
            r.replicas = self
                .servers
                .iter()
                .filter(|s| {
                    s.alive
                        && s.role == Role::Replica
                        && s.primary.as_ref() == Some(&me.addr)
                        && self.reachable(&s.addr, &me.addr)
                })
                .map(|s| s.addr.clone())
                .collect();
            self.servers[j].offset = now;
            return r;
        }
        let primary = me
            .primary
            .clone()
            .and_then(|p| self.server_index(&p).map(|k| (p, k)));
        let up = primary.as_ref().is_some_and(|(p, k)| {
            let ps = &self.servers[*k];
            ps.alive
                && ps.role == Role::Primary
                && ps.paused_until <= now
                && self.reachable(&me.addr, p)
        });
        if let Some((p, k)) = &primary {
            r.master_host = Some(p.host.clone());
            r.master_port = Some(p.port);
            if up {
                let o = self.servers[*k].offset.max(now);
                self.servers[*k].offset = o;
                self.servers[j].offset = o;
            }
        }
        let me = &mut self.servers[j];
        me.link_down_since = if up {
            None
        } else {
            Some(me.link_down_since.unwrap_or(now))
        };
        r.master_link_up = up;
        r.master_link_down_since_seconds = me.link_down_since.map(|t| (now - t) / 1000);
        r.slave_repl_offset = Some(me.offset);
        r.slave_priority = Some(100);
        r
    }
}

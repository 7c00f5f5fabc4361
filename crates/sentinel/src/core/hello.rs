//! The hello message on `__sentinel__:hello`: how sentinels find each other and spread the
//! newest configuration. Format (8 comma-separated fields):
//! `sentinel_ip,sentinel_port,sentinel_runid,current_epoch,master_name,master_ip,master_port,master_config_epoch`.
//!
//! Receiving one adds (or re-addresses) the sender as a peer of that master, adopts a greater
//! current epoch, and — the heart of config propagation — adopts the sender's master address
//! when its config epoch is greater than ours (`+config-update-from`, `+switch-master`).

use super::engine::MCtx;
use super::events::{
    address_switch_msg, address_update_msg, ch, master_desc, sentinel_desc, switch_master_msg,
};
use super::info::{atoi, atou};
use super::instance::{Master, Peer};
use super::{Action, Addr, Core, Level, Millis};

/// A hello this sentinel publishes. `sentinel_ip` is the announce-ip when configured; when
/// `None` the driver puts the local address of the connection it publishes on (Redis's
/// `anetFdToString(..., FD_TO_SOCK_NAME)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    pub sentinel_ip: Option<String>,
    pub sentinel_port: u16,
    pub runid: String,
    pub current_epoch: u64,
    pub master_name: String,
    pub master_addr: Addr,
    pub master_config_epoch: u64,
}

impl Hello {
    pub fn payload(&self, local_ip: &str) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.sentinel_ip.as_deref().unwrap_or(local_ip),
            self.sentinel_port,
            self.runid,
            self.current_epoch,
            self.master_name,
            self.master_addr.host,
            self.master_addr.port,
            self.master_config_epoch
        )
    }
}

fn port_of(s: &str) -> u16 {
    u16::try_from(atoi(s)).unwrap_or(0)
}

impl Core {
    pub(crate) fn hello_for(&self, m: &Master) -> Hello {
        Hello {
            sentinel_ip: self.announce_ip.clone(),
            sentinel_port: if self.announce_port != 0 {
                self.announce_port
            } else {
                self.port
            },
            runid: self.myid.clone(),
            current_epoch: self.current_epoch,
            master_name: m.name.clone(),
            master_addr: m.current_addr().clone(),
            master_config_epoch: m.config_epoch,
        }
    }

    pub(crate) fn on_hello(&mut self, now: Millis, via: Option<&Addr>, payload: &str) {
        if let Some(link) = via.and_then(|a| self.links.get_mut(a)) {
            link.pubsub_activity = now;
        }
        // Our own hellos come back through every server we publish to.
        if payload.contains(self.myid.as_str()) {
            return;
        }
        let t: Vec<&str> = payload.split(',').collect();
        if t.len() != 8 {
            return;
        }
        let name = t[4];
        if !self.masters.contains_key(name) {
            return;
        }
        let addr = Addr::new(t[0], port_of(t[1]));
        let runid = t[2].to_string();
        let epoch = atou(t[3]);
        let master_addr = Addr::new(t[5], port_of(t[6]));
        let config_epoch = atou(t[7]);

        let known = self.masters[name]
            .sentinels
            .get(&runid)
            .is_some_and(|p| p.addr == addr);
        if !known {
            self.add_peer(now, name, &addr, &runid);
        }
        let Some(mut m) = self.masters.remove(name) else {
            return;
        };
        let ctx = MCtx::of(&m);
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.dirty = true;
            self.ev(&ctx, Level::Warning, ch::NEW_EPOCH, epoch.to_string());
        }
        if m.config_epoch < config_epoch {
            m.config_epoch = config_epoch;
            self.dirty = true;
            if master_addr != m.server.addr {
                let from = sentinel_desc(&runid, &addr, &ctx.name, &ctx.addr);
                self.ev(&ctx, Level::Warning, ch::CONFIG_UPDATE_FROM, from);
                let msg = switch_master_msg(&ctx.name, &ctx.addr, &master_addr);
                self.ev(&ctx, Level::Warning, ch::SWITCH_MASTER, msg);
                self.change_address(now, &mut m, master_addr.clone());
                self.reconf_script(&m, "observer", &ctx.addr, &master_addr);
            }
        }
        if let Some(p) = m.sentinels.get_mut(&runid) {
            p.last_hello_time = now;
        }
        self.masters.insert(name.to_string(), m);
    }

    /// A sentinel we did not know at this address: handle an address change of a known run
    /// id, evict a different sentinel claiming the same address, then add it.
    fn add_peer(&mut self, now: Millis, name: &str, addr: &Addr, runid: &str) {
        let Some(m) = self.masters.get_mut(name) else {
            return;
        };
        let ctx = MCtx::of(m);
        let removed = m.sentinels.remove(runid).is_some();
        let mut obsolete = None;
        if removed {
            let desc = master_desc(&ctx.name, &ctx.addr);
            self.ev(
                &ctx,
                Level::Notice,
                ch::SENTINEL_ADDRESS_SWITCH,
                address_switch_msg(&desc, addr, runid),
            );
        } else if let Some(other) = m.sentinel_by_addr(addr) {
            let desc = sentinel_desc(&other.runid, &other.addr, &ctx.name, &ctx.addr);
            obsolete = Some(other.runid.clone());
            self.ev(&ctx, Level::Notice, ch::SENTINEL_INVALID_ADDR, desc);
        }
        if let Some(old) = obsolete {
            for m in self.masters.values_mut() {
                m.sentinels.remove(&old);
            }
        }
        let Some(m) = self.masters.get_mut(name) else {
            return;
        };
        m.sentinels.insert(
            runid.to_string(),
            Peer::new(addr.clone(), runid.to_string(), now),
        );
        if removed {
            self.update_peer_address_everywhere(name, addr, runid);
        } else {
            let desc = sentinel_desc(runid, addr, &ctx.name, &ctx.addr);
            self.ev(&ctx, Level::Notice, ch::SENTINEL, desc);
        }
        self.dirty = true;
    }

    /// The same sentinel (run id) under other masters moves to its new address too.
    fn update_peer_address_everywhere(&mut self, name: &str, addr: &Addr, runid: &str) {
        let mut updated = 0;
        for (n, m) in self.masters.iter_mut() {
            if n == name {
                continue;
            }
            if let Some(p) = m.sentinels.get_mut(runid) {
                if &p.addr != addr {
                    p.addr = addr.clone();
                    updated += 1;
                }
            }
        }
        if updated > 0 {
            if let Some(m) = self.masters.get(name) {
                let ctx = MCtx::of(m);
                let desc = sentinel_desc(runid, addr, &ctx.name, &ctx.addr);
                self.ev(
                    &ctx,
                    Level::Notice,
                    ch::SENTINEL_ADDRESS_UPDATE,
                    address_update_msg(&desc, updated),
                );
            }
        }
    }

    /// Runs the client-reconfig-script: `<master> <leader|observer> start <from ip> <from
    /// port> <to ip> <to port>`.
    pub(crate) fn reconf_script(&mut self, m: &Master, role: &str, from: &Addr, to: &Addr) {
        if let Some(path) = &m.client_reconfig_script {
            self.out.push(Action::RunScript {
                path: path.clone(),
                args: vec![
                    m.name.clone(),
                    role.to_string(),
                    "start".to_string(),
                    from.host.clone(),
                    from.port.to_string(),
                    to.host.clone(),
                    to.port.to_string(),
                ],
            });
        }
    }
}

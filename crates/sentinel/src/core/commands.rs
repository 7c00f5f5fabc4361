//! Operator commands that change state: SENTINEL FAILOVER, RESET, MONITOR, REMOVE, SET,
//! FLUSHCONFIG, CKQUORUM. Replies and error strings are Redis 7.0's; where Redis rewrites the
//! config before replying, a PersistConfig precedes the reply.

use super::config::MasterConfig;
use super::engine::MCtx;
use super::events::{ch, master_desc, monitor_msg};
use super::glob;
use super::instance::Master;
use super::{Action, Addr, Command, Core, Level, Millis, Reply, ReqId};

const NO_SUCH_MASTER: &str = "ERR No such master with that name";
const SCRIPTS_DENIED: &str = "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration";

impl Core {
    pub(crate) fn on_command(&mut self, now: Millis, req: ReqId, cmd: Command) {
        let reply = match cmd {
            Command::Failover { master } => self.cmd_failover(now, &master),
            Command::Reset { pattern } => self.cmd_reset(now, &pattern),
            Command::Monitor {
                name,
                host,
                port,
                quorum,
            } => return self.cmd_monitor(now, req, name, host, port, quorum),
            Command::Remove { master } => self.cmd_remove(&master),
            Command::Set { master, args } => self.cmd_set(&master, &args),
            Command::FlushConfig => {
                self.dirty = true;
                self.persist_point();
                Reply::Ok
            }
            Command::CkQuorum { master } => self.cmd_ckquorum(&master),
        };
        self.out.push(Action::Reply { req, reply });
    }

    /// A failover without election, as long as a replica can be promoted.
    fn cmd_failover(&mut self, now: Millis, name: &str) -> Reply {
        let Some(mut m) = self.masters.remove(name) else {
            return Reply::Error(NO_SUCH_MASTER.into());
        };
        let reply = if m.failover_in_progress() {
            Reply::Error("INPROG Failover already in progress".into())
        } else if self.select_replica(now, &m).is_none() {
            Reply::Error("NOGOODSLAVE No suitable replica to promote".into())
        } else {
            let ctx = MCtx::of(&m);
            self.start_failover(now, &ctx, &mut m);
            m.failover.forced = true;
            Reply::Ok
        };
        self.masters.insert(name.to_string(), m);
        reply
    }

    fn cmd_reset(&mut self, now: Millis, pattern: &str) -> Reply {
        let names: Vec<String> = self
            .masters
            .keys()
            .filter(|n| glob::matches(pattern.as_bytes(), n.as_bytes()))
            .cloned()
            .collect();
        for name in &names {
            let Some(mut m) = self.masters.remove(name) else {
                continue;
            };
            self.reset_master(now, &mut m, false, true);
            if let Some(link) = self.links.get_mut(&m.server.addr) {
                link.reset_timers(now);
                link.connected = false;
            }
            self.out.push(Action::Reconnect {
                addr: m.server.addr.clone(),
            });
            self.masters.insert(name.clone(), m);
            self.dirty = true;
        }
        Reply::Int(names.len() as i64)
    }

    fn cmd_monitor(
        &mut self,
        now: Millis,
        req: ReqId,
        name: String,
        host: String,
        port: i64,
        quorum: i64,
    ) {
        let err = if quorum <= 0 {
            Some("ERR Quorum must be 1 or greater.")
        } else if !(0..=65535).contains(&port) {
            Some("ERR Invalid port number.")
        } else if self.masters.contains_key(&name) {
            Some("ERR Duplicate master name.")
        } else {
            None
        };
        if let Some(e) = err {
            self.out.push(Action::Reply {
                req,
                reply: Reply::Error(e.into()),
            });
            return;
        }
        let quorum = u32::try_from(quorum).unwrap_or(u32::MAX);
        let addr = Addr::new(host, port as u16);
        let m = Master::from_config(&MasterConfig::new(name.clone(), addr.clone(), quorum), now);
        self.masters.insert(name.clone(), m);
        self.dirty = true;
        self.persist_point();
        self.out.push(Action::Reply {
            req,
            reply: Reply::Ok,
        });
        let desc = master_desc(&name, &addr);
        self.emit(
            None,
            Level::Warning,
            ch::MONITOR,
            monitor_msg(&desc, quorum),
        );
    }

    fn cmd_remove(&mut self, name: &str) -> Reply {
        let Some(m) = self.masters.remove(name) else {
            return Reply::Error(NO_SUCH_MASTER.into());
        };
        let ctx = MCtx::of(&m);
        self.ev(
            &ctx,
            Level::Warning,
            ch::UNMONITOR,
            master_desc(&ctx.name, &ctx.addr),
        );
        self.dirty = true;
        self.persist_point();
        Reply::Ok
    }

    /// SENTINEL SET name option value [option value …]; changes made before an error stay.
    fn cmd_set(&mut self, name: &str, args: &[String]) -> Reply {
        let Some(mut m) = self.masters.remove(name) else {
            return Reply::Error(NO_SUCH_MASTER.into());
        };
        let mut changes = 0;
        let mut i = 0;
        let mut result = Reply::Ok;
        while i < args.len() {
            match self.set_one(&mut m, args, i) {
                Ok(used) => {
                    changes += 1;
                    i += used;
                }
                Err(e) => {
                    result = Reply::Error(e);
                    break;
                }
            }
        }
        self.masters.insert(name.to_string(), m);
        if changes > 0 {
            self.dirty = true;
            self.persist_point();
        }
        result
    }

    /// Applies the option at `args[i]`; returns how many words it used.
    fn set_one(&mut self, m: &mut Master, args: &[String], i: usize) -> Result<usize, String> {
        let opt = args[i].as_str();
        let more = args.len() - i - 1;
        let lower = opt.to_ascii_lowercase();
        let value = args.get(i + 1).map(String::as_str).unwrap_or("");
        let bad = |v: &str| format!("ERR Invalid argument '{v}' for SENTINEL SET '{opt}'");
        let positive = |v: &str| parse_i64(v).filter(|&n| n > 0).ok_or_else(|| bad(v));
        let mut shown = value.to_string();
        let used = match lower.as_str() {
            _ if more == 0 => 0,
            "down-after-milliseconds" => {
                m.down_after = positive(value)? as u64;
                2
            }
            "failover-timeout" => {
                m.failover_timeout = positive(value)? as u64;
                2
            }
            "parallel-syncs" => {
                m.parallel_syncs = u32::try_from(positive(value)?).unwrap_or(u32::MAX);
                2
            }
            "quorum" => {
                m.quorum = u32::try_from(positive(value)?).unwrap_or(u32::MAX);
                2
            }
            "master-reboot-down-after-period" => {
                m.reboot_down_after = parse_i64(value)
                    .filter(|&n| n >= 0)
                    .ok_or_else(|| bad(value))? as u64;
                2
            }
            "notification-script" | "client-reconfig-script" => {
                if self.deny_scripts_reconfig {
                    return Err(SCRIPTS_DENIED.into());
                }
                let v = (!value.is_empty()).then(|| value.to_string());
                if lower == "notification-script" {
                    m.notification_script = v;
                } else {
                    m.client_reconfig_script = v;
                }
                2
            }
            "auth-pass" | "auth-user" => {
                let v = (!value.is_empty()).then(|| value.to_string());
                if lower == "auth-pass" {
                    m.auth_pass = v;
                    shown = "******".to_string();
                } else {
                    m.auth_user = v;
                }
                self.drop_connections(m);
                2
            }
            "rename-command" if more > 1 => {
                let new = args[i + 2].as_str();
                if value.is_empty() || new.is_empty() {
                    return Err(bad(if new.is_empty() { new } else { value }));
                }
                m.rename_commands.remove(value);
                if !value.eq_ignore_ascii_case(new) {
                    m.rename_commands.insert(value.to_string(), new.to_string());
                }
                shown = format!("{value} {new}");
                3
            }
            _ => 0,
        };
        if used == 0 {
            return Err(format!(
                "ERR Unknown option or number of arguments for SENTINEL SET '{opt}'"
            ));
        }
        let ctx = MCtx::of(m);
        let desc = master_desc(&ctx.name, &ctx.addr);
        self.ev(
            &ctx,
            Level::Warning,
            ch::SET,
            format!("{desc} {opt} {shown}"),
        );
        Ok(used)
    }

    fn drop_connections(&mut self, m: &Master) {
        for addr in std::iter::once(&m.server.addr).chain(m.replicas.keys()) {
            if let Some(link) = self.links.get_mut(addr) {
                link.connected = false;
                self.out.push(Action::Reconnect { addr: addr.clone() });
            }
        }
    }

    fn cmd_ckquorum(&self, name: &str) -> Reply {
        let Some(m) = self.masters.get(name) else {
            return Reply::Error(NO_SUCH_MASTER.into());
        };
        let voters = m.sentinels.len() + 1;
        let usable = 1 + m.sentinels.values().filter(|p| !p.sdown).count();
        let no_quorum = usable < m.quorum as usize;
        let no_auth = usable < voters / 2 + 1;
        if !no_quorum && !no_auth {
            return Reply::Status(format!(
                "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
            ));
        }
        let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
        if no_quorum {
            e.push_str(
                "Not enough available Sentinels to reach the specified quorum for this master",
            );
        }
        if no_auth {
            if no_quorum {
                e.push_str(". ");
            }
            e.push_str(
                "Not enough available Sentinels to reach the majority and authorize a failover",
            );
        }
        Reply::Error(e)
    }
}

/// Redis's strict integer parse (`string2ll`): no sign other than a leading `-`, no spaces.
fn parse_i64(s: &str) -> Option<i64> {
    if s.starts_with('+') || s.is_empty() {
        return None;
    }
    s.parse().ok()
}

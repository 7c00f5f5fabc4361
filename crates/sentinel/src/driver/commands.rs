//! `SENTINEL <subcommand>`: arity and argument checks as Redis 7.0's command table does them,
//! read-only answers from the core's accessors, and the state-changing subcommands fed to
//! the core as [`Command`] events (their replies come back as actions).
//!
//! Settings that live outside the core's state machine — SENTINEL DEBUG timers, CONFIG SET
//! announce-ip and friends, SIMULATE-FAILURE — are applied here directly.

use std::rc::Rc;

use resp::ReplyWriter;

use super::conffile::Settings;
use super::serve::arity_ok;
use super::{now_ms, views, CoreReply, Driver, LogLevel, SimFailure};
use crate::core::glob;
use crate::core::{Command, Event, Reply, Timers, DEFAULT_DOWN_AFTER, DEFAULT_FAILOVER_TIMEOUT};

const SUBCOMMANDS: &[(&str, i32)] = &[
    ("ckquorum", 3),
    ("config", -3),
    ("debug", -2),
    ("failover", 3),
    ("flushconfig", 2),
    ("get-master-addr-by-name", 3),
    ("help", 2),
    ("info-cache", -3),
    ("is-master-down-by-addr", 6),
    ("master", 3),
    ("masters", 2),
    ("monitor", 6),
    ("myid", 2),
    ("pending-scripts", 2),
    ("remove", 3),
    ("replicas", 3),
    ("reset", 3),
    ("sentinels", 3),
    ("set", -5),
    ("simulate-failure", -3),
    ("slaves", 3),
];

const NO_SUCH_MASTER: &str = "ERR No such master with that name";
const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";

fn s(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

fn int(a: &[u8]) -> Option<i64> {
    resp::parse_i64(a)
}

/// The subcommand lookup and arity check Redis's command table does before anything else:
/// the full name (`sentinel|masters`) or the error to reply.
pub(crate) fn lookup(args: &[Vec<u8>]) -> Result<String, String> {
    let sub = s(&args[1]).to_ascii_lowercase();
    let Some(&(_, arity)) = SUBCOMMANDS.iter().find(|c| c.0 == sub) else {
        let shown: String = s(&args[1]).chars().take(128).collect();
        return Err(format!(
            "ERR unknown subcommand '{shown}'. Try SENTINEL HELP."
        ));
    };
    if !arity_ok(arity, args.len()) {
        return Err(format!(
            "ERR wrong number of arguments for 'sentinel|{sub}' command"
        ));
    }
    Ok(format!("sentinel|{sub}"))
}

/// Runs a SENTINEL subcommand that passed [`lookup`].
pub(crate) fn sentinel(drv: &Rc<Driver>, args: &[Vec<u8>], w: &mut ReplyWriter) {
    let sub = s(&args[1]).to_ascii_lowercase();
    let a = &args[2..];
    match sub.as_str() {
        "masters" => {
            let core = drv.core.borrow();
            w.array(core.masters().count());
            for m in core.masters() {
                views::master(drv, &core, m, w);
            }
        }
        "master" | "replicas" | "slaves" | "sentinels" => {
            let core = drv.core.borrow();
            let Some(m) = core.master(&s(&a[0])) else {
                w.error(NO_SUCH_MASTER);
                return;
            };
            match sub.as_str() {
                "master" => views::master(drv, &core, m, w),
                "sentinels" => views::sentinels(drv, &core, m, w),
                _ => views::replicas(drv, &core, m, w),
            }
        }
        "myid" => w.bulk(drv.core.borrow().myid().as_bytes()),
        "get-master-addr-by-name" => {
            let core = drv.core.borrow();
            match core.current_master_addr(&s(&a[0])) {
                Some(addr) => {
                    w.array(2);
                    w.bulk(addr.host.as_bytes());
                    w.bulk_int(i64::from(addr.port));
                }
                None => w.null_array(),
            }
        }
        "is-master-down-by-addr" => is_master_down(drv, a, w),
        "failover" => {
            let master = s(&a[0]);
            let r = core_command(
                drv,
                Command::Failover {
                    master: master.clone(),
                },
            );
            if matches!(r, Reply::Ok) {
                drv.log(
                    LogLevel::Warning,
                    &format!("Executing user requested FAILOVER of '{master}'"),
                );
            }
            write_reply(w, r);
        }
        "reset" => {
            let pattern = s(&a[0]);
            write_reply(w, core_command(drv, Command::Reset { pattern }));
        }
        "remove" => {
            let master = s(&a[0]);
            write_reply(w, core_command(drv, Command::Remove { master }));
        }
        "flushconfig" => write_reply(w, core_command(drv, Command::FlushConfig)),
        "ckquorum" => {
            let master = s(&a[0]);
            write_reply(w, core_command(drv, Command::CkQuorum { master }));
        }
        "set" => {
            let master = s(&a[0]);
            let args = a[1..].iter().map(|x| s(x)).collect();
            write_reply(w, core_command(drv, Command::Set { master, args }));
        }
        "monitor" => monitor(drv, a, w),
        "config" => config(drv, a, w),
        "debug" => debug(drv, a, w),
        "info-cache" => info_cache(drv, a, w),
        "pending-scripts" => super::scripts::pending(drv, w),
        "simulate-failure" => simulate_failure(drv, a, w),
        _ => help(w),
    }
}

fn core_command(drv: &Rc<Driver>, cmd: Command) -> Reply {
    match drv.request(|req| Event::Command { req, cmd }) {
        Some(CoreReply::Reply(r)) => r,
        _ => Reply::Error("ERR internal error: no reply from the sentinel core".into()),
    }
}

fn write_reply(w: &mut ReplyWriter, r: Reply) {
    match r {
        Reply::Ok => w.ok(),
        Reply::Status(t) => w.simple(&t),
        Reply::Int(n) => w.int(n),
        Reply::Error(e) => w.error(&e),
    }
}

/// SENTINEL IS-MASTER-DOWN-BY-ADDR ip port current-epoch runid
fn is_master_down(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    let (Some(port), Some(epoch)) = (int(&a[1]), int(&a[2])) else {
        w.error(NOT_AN_INTEGER);
        return;
    };
    let reply = u16::try_from(port).ok().and_then(|port| {
        drv.request(|req| Event::IsMasterDownRequest {
            req,
            ip: s(&a[0]),
            port,
            current_epoch: epoch as u64,
            runid: s(&a[3]),
        })
    });
    let (down, leader, leader_epoch) = match reply {
        Some(CoreReply::MasterDown {
            down,
            leader,
            leader_epoch,
        }) => (down, leader, leader_epoch),
        // A port no instance can have: no such master, no vote.
        _ => (false, "*".to_string(), 0),
    };
    w.array(3);
    w.int(i64::from(down));
    w.bulk(leader.as_bytes());
    w.int(leader_epoch as i64);
}

/// SENTINEL MONITOR name ip port quorum
fn monitor(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    let Some(quorum) = int(&a[3]) else {
        w.error("ERR Invalid quorum");
        return;
    };
    let Some(port) = int(&a[2]) else {
        w.error("ERR Invalid port");
        return;
    };
    if quorum <= 0 {
        w.error("ERR Quorum must be 1 or greater.");
        return;
    }
    let host = s(&a[1]);
    let resolve = drv.settings.borrow().resolve_hostnames;
    let valid = host.parse::<std::net::IpAddr>().is_ok()
        || (resolve && std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0)).is_ok());
    if !valid {
        w.error("ERR Invalid IP address or hostname specified");
        return;
    }
    let name = s(&a[0]);
    let cmd = Command::Monitor {
        name: name.clone(),
        host,
        port,
        quorum,
    };
    let r = core_command(drv, cmd);
    if matches!(r, Reply::Ok) {
        apply_debug_defaults(drv, &name);
    }
    write_reply(w, r);
}

/// A master added at run time takes SENTINEL DEBUG's default-down-after and
/// default-failover-timeout, as in Redis.
fn apply_debug_defaults(drv: &Rc<Driver>, name: &str) {
    let (down_after, failover_timeout) = {
        let st = drv.settings.borrow();
        (st.default_down_after, st.default_failover_timeout)
    };
    if down_after == DEFAULT_DOWN_AFTER && failover_timeout == DEFAULT_FAILOVER_TIMEOUT {
        return;
    }
    if let Some(m) = drv.core.borrow_mut().masters.get_mut(name) {
        m.down_after = down_after;
        m.failover_timeout = failover_timeout;
    }
    drv.persist_now();
}

const CONFIG_NAMES: [&str; 7] = [
    "resolve-hostnames",
    "announce-hostnames",
    "announce-ip",
    "announce-port",
    "sentinel-user",
    "sentinel-pass",
    "fast-failover",
];

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// SENTINEL CONFIG GET pattern | SENTINEL CONFIG SET name value
fn config(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    let op = s(&a[0]).to_ascii_lowercase();
    match (op.as_str(), a.len()) {
        ("get", 2) => {
            let pattern = s(&a[1]).to_ascii_lowercase();
            let core = drv.core.borrow();
            let st = drv.settings.borrow();
            let mut out = Vec::new();
            for name in CONFIG_NAMES {
                if !glob::matches(pattern.as_bytes(), name.as_bytes()) {
                    continue;
                }
                let v = match name {
                    "resolve-hostnames" => yes_no(st.resolve_hostnames),
                    "announce-hostnames" => yes_no(st.announce_hostnames),
                    "announce-ip" => core.announce_ip.clone().unwrap_or_default(),
                    "announce-port" => core.announce_port.to_string(),
                    "sentinel-user" => st.sentinel_user.clone().unwrap_or_default(),
                    "sentinel-pass" => st.sentinel_pass.clone().unwrap_or_default(),
                    _ => yes_no(core.timers().fast),
                };
                out.push((name, v));
            }
            w.map(out.len());
            for (k, v) in out {
                w.bulk(k.as_bytes());
                w.bulk(v.as_bytes());
            }
        }
        ("set", 3) => config_set(drv, &s(&a[1]), &s(&a[2]), w),
        _ => w.error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."),
    }
}

fn config_set(drv: &Rc<Driver>, name: &str, value: &str, w: &mut ReplyWriter) {
    let bad = || format!("ERR Invalid value '{value}' to SENTINEL CONFIG SET '{name}'");
    let yn = || match value.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let mut drop_sentinel_links = false;
    match name.to_ascii_lowercase().as_str() {
        "resolve-hostnames" | "announce-hostnames" | "fast-failover" => {
            let Some(v) = yn() else {
                w.error(&bad());
                return;
            };
            let lname = name.to_ascii_lowercase();
            let mut st = drv.settings.borrow_mut();
            match lname.as_str() {
                "resolve-hostnames" => st.resolve_hostnames = v,
                "announce-hostnames" => st.announce_hostnames = v,
                _ => {
                    st.fast = v;
                    let mut core = drv.core.borrow_mut();
                    let mut t = core.timers().clone();
                    t.fast = v;
                    core.set_timers(t);
                }
            }
        }
        "announce-ip" => {
            drv.core.borrow_mut().announce_ip = (!value.is_empty()).then(|| value.to_string());
        }
        "announce-port" => match int(value.as_bytes()).filter(|p| (0..=65535).contains(p)) {
            Some(p) => drv.core.borrow_mut().announce_port = p as u16,
            None => {
                w.error(&bad());
                return;
            }
        },
        "sentinel-user" | "sentinel-pass" => {
            let v = (!value.is_empty()).then(|| value.to_string());
            let mut st = drv.settings.borrow_mut();
            if name.eq_ignore_ascii_case("sentinel-user") {
                st.sentinel_user = v;
            } else {
                st.sentinel_pass = v;
            }
            drop_sentinel_links = true;
        }
        _ => {
            w.error(&format!(
                "ERR Invalid argument '{name}' to SENTINEL CONFIG SET"
            ));
            return;
        }
    }
    drv.persist_now();
    w.ok();
    if drop_sentinel_links {
        let addrs: Vec<_> = {
            let core = drv.core.borrow();
            core.masters()
                .flat_map(|m| m.sentinels.values().map(|p| p.addr.clone()))
                .collect()
        };
        let links = drv.links.borrow();
        for a in addrs {
            if let Some(h) = links.get(&a) {
                h.send(super::link::Msg::Reconnect);
            }
        }
    }
}

/// SENTINEL DEBUG [param value …]
fn debug(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    if a.is_empty() {
        let t = drv.core.borrow().timers().clone();
        let st = drv.settings.borrow();
        let rows: [(&str, u64); 13] = [
            ("INFO-PERIOD", t.info_period),
            ("PING-PERIOD", t.ping_period),
            ("ASK-PERIOD", t.ask_period),
            ("PUBLISH-PERIOD", t.publish_period),
            ("DEFAULT-DOWN-AFTER", st.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", st.default_failover_timeout),
            ("TILT-TRIGGER", t.tilt_trigger),
            ("TILT-PERIOD", t.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", t.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", t.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", t.election_timeout),
            ("SCRIPT-MAX-RUNTIME", st.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", st.script_retry_delay),
        ];
        w.map(rows.len());
        for (k, v) in rows {
            w.bulk(k.as_bytes());
            w.bulk_int(v as i64);
        }
        return;
    }
    let mut t = drv.core.borrow().timers().clone();
    let mut st = drv.settings.borrow().clone();
    // Like Redis, options before a bad one stay applied.
    let r = set_debug(&mut t, &mut st, a);
    drv.core.borrow_mut().set_timers(t);
    *drv.settings.borrow_mut() = st;
    match r {
        Ok(()) => w.ok(),
        Err(e) => w.error(&e),
    }
}

fn set_debug(t: &mut Timers, st: &mut Settings, a: &[Vec<u8>]) -> Result<(), String> {
    let mut j = 0;
    while j < a.len() {
        let opt = s(&a[j]);
        let unknown =
            || format!("ERR Unknown option or number of arguments for SENTINEL DEBUG '{opt}'");
        let Some(v) = a.get(j + 1) else {
            return Err(unknown());
        };
        let lower = opt.to_ascii_lowercase();
        let slot: &mut u64 = match lower.as_str() {
            "info-period" => &mut t.info_period,
            "ping-period" => &mut t.ping_period,
            "ask-period" => &mut t.ask_period,
            "publish-period" => &mut t.publish_period,
            "default-down-after" => &mut st.default_down_after,
            "default-failover-timeout" => &mut st.default_failover_timeout,
            "tilt-trigger" => &mut t.tilt_trigger,
            "tilt-period" => &mut t.tilt_period,
            "slave-reconf-timeout" => &mut t.slave_reconf_timeout,
            "min-link-reconnect-period" => &mut t.min_link_reconnect_period,
            "election-timeout" => &mut t.election_timeout,
            "script-max-runtime" => &mut st.script_max_runtime,
            "script-retry-delay" => &mut st.script_retry_delay,
            // Redoubt's own knobs.
            "fast-info-period" => &mut t.fast_info_period,
            "max-desync" => &mut t.max_desync,
            _ => return Err(unknown()),
        };
        let min = i64::from(lower != "max-desync");
        match int(v).filter(|&n| n >= min) {
            Some(n) => *slot = n as u64,
            None => {
                return Err(format!(
                    "ERR Invalid argument '{}' for SENTINEL DEBUG '{opt}'",
                    s(v)
                ))
            }
        }
        j += 2;
    }
    Ok(())
}

/// SENTINEL INFO-CACHE name [name …]: the last INFO of each master and its replicas, with
/// its age in milliseconds.
fn info_cache(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    let core = drv.core.borrow();
    let cache = drv.info_cache.borrow();
    let now = now_ms();
    let names: Vec<String> = a.iter().map(|x| s(x)).collect();
    let masters: Vec<_> = core.masters().filter(|m| names.contains(&m.name)).collect();
    w.array(masters.len() * 2);
    for m in masters {
        w.bulk(m.name.as_bytes());
        w.array(m.replicas.len() + 1);
        for addr in std::iter::once(&m.server.addr).chain(m.replicas.keys()) {
            w.array(2);
            match cache.get(addr) {
                Some((t, text)) => {
                    w.int(now.saturating_sub(*t) as i64);
                    w.bulk(text.as_bytes());
                }
                None => {
                    w.int(0);
                    w.null();
                }
            }
        }
    }
}

fn simulate_failure(drv: &Rc<Driver>, a: &[Vec<u8>], w: &mut ReplyWriter) {
    let mut f = SimFailure::default();
    for x in a {
        match s(x).to_ascii_lowercase().as_str() {
            "crash-after-election" => {
                f.after_election = true;
                drv.log(LogLevel::Warning, "Failure simulation: this Sentinel will crash after being successfully elected as failover leader");
            }
            "crash-after-promotion" => {
                f.after_promotion = true;
                drv.log(LogLevel::Warning, "Failure simulation: this Sentinel will crash after promoting the selected replica to master");
            }
            "help" => {
                w.array(2);
                w.bulk(b"crash-after-election");
                w.bulk(b"crash-after-promotion");
                return;
            }
            _ => {
                w.error("ERR Unknown failure simulation specified");
                return;
            }
        }
    }
    drv.simfailure.set(f);
    w.ok();
}

/// SENTINEL HELP, in Redis's layout (`SENTINEL <subcommand> …`, then each subcommand).
fn help(w: &mut ReplyWriter) {
    const LINES: &[&str] = &[
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>",
        "    Check whether the quorum and the majority for a failover can be reached.",
        "CONFIG SET <param> <value>",
        "    Set a global Sentinel parameter.",
        "CONFIG GET <param>",
        "    Get global Sentinel parameters.",
        "DEBUG [<param> <value> ...]",
        "    Show or set the timing parameters (milliseconds).",
        "GET-MASTER-ADDR-BY-NAME <master-name>",
        "    Address of the current primary of that master.",
        "FAILOVER <master-name>",
        "    Fail over now, without the agreement of the other Sentinels.",
        "FLUSHCONFIG",
        "    Rewrite the configuration file with the current state.",
        "INFO-CACHE <master-name>",
        "    The last INFO of the primary and of its replicas.",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
        "    Whether this Sentinel sees that primary as down (and its vote).",
        "MASTER <master-name>",
        "    State of that master.",
        "MASTERS",
        "    State of every monitored master.",
        "MONITOR <name> <ip> <port> <quorum>",
        "    Start monitoring a new master.",
        "MYID",
        "    This Sentinel's ID.",
        "PENDING-SCRIPTS",
        "    Scripts queued or running.",
        "REMOVE <master-name>",
        "    Stop monitoring that master.",
        "REPLICAS <master-name>",
        "    Replicas of that master and their state.",
        "RESET <pattern>",
        "    Reset the masters whose names match the pattern.",
        "SENTINELS <master-name>",
        "    Other Sentinels monitoring that master and their state.",
        "SET <master-name> <option> <value> [<option> <value> ...]",
        "    Change settings of that master.",
        "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
        "    Make this Sentinel crash at a point of a failover.",
        "HELP",
        "    Print this help.",
    ];
    w.array(LINES.len());
    for l in LINES {
        w.simple(l);
    }
}

#[cfg(test)]
mod tests {
    use super::lookup;

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn lookup_checks_subcommand_and_arity_like_redis() {
        assert_eq!(
            lookup(&args(&["SENTINEL", "Masters"])),
            Ok("sentinel|masters".into())
        );
        assert_eq!(
            lookup(&args(&["sentinel", "masters", "x"])),
            Err("ERR wrong number of arguments for 'sentinel|masters' command".into())
        );
        assert_eq!(
            lookup(&args(&["sentinel", "Foo"])),
            Err("ERR unknown subcommand 'Foo'. Try SENTINEL HELP.".into())
        );
        // SET needs at least one option/value pair; CONFIG checks its own form later.
        assert!(lookup(&args(&["sentinel", "set", "m", "quorum"])).is_err());
        assert!(lookup(&args(&["sentinel", "set", "m", "quorum", "2"])).is_ok());
        assert!(lookup(&args(&["sentinel", "config", "get"])).is_ok());
    }
}

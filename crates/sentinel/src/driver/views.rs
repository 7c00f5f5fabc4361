//! Read-only views of the core in Redis's wire formats: the field lists of SENTINEL MASTER(S)
//! / REPLICAS / SENTINELS (Redis's `addReplySentinelRedisInstance`, in its field order, every
//! value a bulk string) and the INFO text (server, clients, cpu, stats, sentinel sections).

use resp::ReplyWriter;

use super::conffile::REDIS_VERSION;
use super::{now_ms, Driver};
use crate::core::{Addr, Core, Link, Master, Millis, Peer, Reconf, Role, Server};

/// Collects `name value` pairs, then writes them as one map.
struct Fields(Vec<(&'static str, String)>);

impl Fields {
    fn add(&mut self, k: &'static str, v: impl ToString) {
        self.0.push((k, v.to_string()));
    }

    fn write(self, w: &mut ReplyWriter) {
        w.map(self.0.len());
        for (k, v) in self.0 {
            w.bulk(k.as_bytes());
            w.bulk(v.as_bytes());
        }
    }
}

fn ago(now: Millis, t: Millis) -> i64 {
    now as i64 - t as i64
}

/// Fields shared by every kind of instance, up to `down-after-milliseconds`.
#[allow(clippy::too_many_arguments)]
fn common(
    f: &mut Fields,
    drv: &Driver,
    now: Millis,
    name: &str,
    addr: &Addr,
    runid: &str,
    flags: Vec<&str>,
    link: Option<&Link>,
    failover_state: Option<&str>,
    down: (Option<Millis>, Option<Millis>),
    down_after: Millis,
) {
    let mut flags = flags;
    let connected = link.is_some_and(|l| l.connected);
    if !connected {
        // Redis lists "disconnected" right after the role flags.
        let at = flags
            .iter()
            .position(|f| !matches!(*f, "s_down" | "o_down" | "master" | "slave" | "sentinel"))
            .unwrap_or(flags.len());
        flags.insert(at, "disconnected");
    }
    let (pending, refcount) = {
        let links = drv.links.borrow();
        let pending = links.get(addr).map_or(0, |h| h.pending.get());
        let core = drv.core.borrow();
        let refs = core
            .masters()
            .filter(|m| m.sentinels.values().any(|p| &p.addr == addr))
            .count()
            .max(1);
        (pending, refs)
    };
    f.add("name", name);
    f.add("ip", &addr.host);
    f.add("port", addr.port);
    f.add("runid", runid);
    f.add("flags", flags.join(","));
    f.add("link-pending-commands", pending);
    f.add("link-refcount", refcount);
    if let Some(s) = failover_state {
        f.add("failover-state", s);
    }
    let (act, avail, pong) = match link {
        Some(l) => (
            l.act_ping_time.map_or(0, |t| ago(now, t)),
            ago(now, l.last_avail_time),
            ago(now, l.last_pong_time),
        ),
        None => (0, 0, 0),
    };
    f.add("last-ping-sent", act);
    f.add("last-ok-ping-reply", avail);
    f.add("last-ping-reply", pong);
    if let Some(t) = down.0 {
        f.add("s-down-time", ago(now, t));
    }
    if let Some(t) = down.1 {
        f.add("o-down-time", ago(now, t));
    }
    f.add("down-after-milliseconds", down_after);
}

fn server_fields(f: &mut Fields, now: Millis, s: &Server) {
    f.add("info-refresh", s.info_refresh.map_or(0, |t| ago(now, t)));
    f.add(
        "role-reported",
        if s.role_reported == Role::Primary {
            "master"
        } else {
            "slave"
        },
    );
    f.add("role-reported-time", ago(now, s.role_reported_time));
}

pub(crate) fn master(drv: &Driver, core: &Core, m: &Master, w: &mut ReplyWriter) {
    let now = now_ms();
    let s = &m.server;
    let mut flags = Vec::new();
    if s.sdown {
        flags.push("s_down");
    }
    if s.odown {
        flags.push("o_down");
    }
    flags.push("master");
    if m.failover_in_progress() {
        flags.push("failover_in_progress");
    }
    if m.failover.forced {
        flags.push("force_failover");
    }
    if s.script_kill_sent {
        flags.push("script_kill_sent");
    }
    let mut f = Fields(Vec::new());
    let state = m.failover_in_progress().then(|| m.failover.state.as_str());
    let down = (
        s.sdown.then_some(s.s_down_since).flatten(),
        s.odown.then_some(s.o_down_since).flatten(),
    );
    let runid = s.runid.as_deref().unwrap_or("");
    let link = core.link(&s.addr);
    common(
        &mut f,
        drv,
        now,
        &m.name,
        &s.addr,
        runid,
        flags,
        link,
        state,
        down,
        m.down_after,
    );
    server_fields(&mut f, now, s);
    f.add("config-epoch", m.config_epoch);
    f.add("num-slaves", m.replicas.len());
    f.add("num-other-sentinels", m.sentinels.len());
    f.add("quorum", m.quorum);
    f.add("failover-timeout", m.failover_timeout);
    f.add("parallel-syncs", m.parallel_syncs);
    if let Some(p) = &m.notification_script {
        f.add("notification-script", p);
    }
    if let Some(p) = &m.client_reconfig_script {
        f.add("client-reconfig-script", p);
    }
    f.write(w);
}

pub(crate) fn replicas(drv: &Driver, core: &Core, m: &Master, w: &mut ReplyWriter) {
    let now = now_ms();
    let shown: Vec<&Server> = m
        .replicas
        .values()
        .filter(|r| r.replica_announced)
        .collect();
    w.array(shown.len());
    for s in shown {
        let mut flags = Vec::new();
        if s.sdown {
            flags.push("s_down");
        }
        flags.push("slave");
        if s.promoted {
            flags.push("promoted");
        }
        match s.reconf {
            Reconf::None => {}
            Reconf::Sent(_) => flags.push("reconf_sent"),
            Reconf::InProgress => flags.push("reconf_inprog"),
            Reconf::Done => flags.push("reconf_done"),
        }
        if s.script_kill_sent {
            flags.push("script_kill_sent");
        }
        let mut f = Fields(Vec::new());
        let down = (s.sdown.then_some(s.s_down_since).flatten(), None);
        let name = s.addr.to_string();
        let runid = s.runid.as_deref().unwrap_or("");
        let link = core.link(&s.addr);
        common(
            &mut f,
            drv,
            now,
            &name,
            &s.addr,
            runid,
            flags,
            link,
            None,
            down,
            m.down_after,
        );
        server_fields(&mut f, now, s);
        f.add("master-link-down-time", s.master_link_down_time);
        f.add(
            "master-link-status",
            if s.master_link_up { "ok" } else { "err" },
        );
        f.add("master-host", s.slave_master_host.as_deref().unwrap_or("?"));
        f.add("master-port", s.slave_master_port);
        f.add("slave-priority", s.slave_priority);
        f.add("slave-repl-offset", s.repl_offset);
        f.add("replica-announced", u8::from(s.replica_announced));
        f.write(w);
    }
}

pub(crate) fn sentinels(drv: &Driver, core: &Core, m: &Master, w: &mut ReplyWriter) {
    let now = now_ms();
    w.array(m.sentinels.len());
    for p in m.sentinels.values() {
        peer(drv, core, m, p, now, w);
    }
}

fn peer(drv: &Driver, core: &Core, m: &Master, p: &Peer, now: Millis, w: &mut ReplyWriter) {
    let mut flags = Vec::new();
    if p.sdown {
        flags.push("s_down");
    }
    flags.push("sentinel");
    if p.master_down {
        flags.push("master_down");
    }
    let mut f = Fields(Vec::new());
    let down = (p.sdown.then_some(p.s_down_since).flatten(), None);
    let link = core.link(&p.addr);
    common(
        &mut f,
        drv,
        now,
        &p.runid,
        &p.addr,
        &p.runid,
        flags,
        link,
        None,
        down,
        m.down_after,
    );
    f.add("last-hello-message", ago(now, p.last_hello_time));
    f.add("voted-leader", p.leader.as_deref().unwrap_or("?"));
    f.add("voted-leader-epoch", p.leader_epoch);
    f.write(w);
}

const SECTIONS: [&str; 5] = ["server", "clients", "cpu", "stats", "sentinel"];

/// INFO [section …]: the sections a sentinel has; "all", "everything" and "default" (or no
/// argument) give all of them.
pub(crate) fn info(drv: &Driver, args: &[Vec<u8>]) -> String {
    let wanted: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let all = wanted.is_empty()
        || wanted
            .iter()
            .any(|s| matches!(s.as_str(), "all" | "everything" | "default"));
    let mut out = String::new();
    for sec in SECTIONS {
        if !all && !wanted.iter().any(|w| w == sec) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match sec {
            "server" => server_section(drv, &mut out),
            "clients" => {
                let n = drv.clients.borrow().clients.len();
                out.push_str(&format!(
                    "# Clients\r\nconnected_clients:{n}\r\ncluster_connections:0\r\nmaxclients:10000\r\n"
                ));
            }
            "cpu" => cpu_section(&mut out),
            "stats" => {
                let reg = drv.clients.borrow();
                out.push_str(&format!(
                    "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n",
                    reg.total_connections, reg.total_commands
                ));
            }
            _ => sentinel_section(drv, &mut out),
        }
    }
    out
}

fn server_section(drv: &Driver, out: &mut String) {
    let st = drv.settings.borrow();
    let up = drv.started.elapsed().as_secs();
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    out.push_str(&format!(
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:sentinel\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\nexecutable:{exe}\r\nconfig_file:{}\r\n",
        std::process::id(),
        drv.run_id,
        st.port,
        now_ms() * 1000,
        up / 86_400,
        st.path.display(),
    ));
}

fn cpu_section(out: &mut String) {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    out.push_str(&format!(
        "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\n",
        secs(ru.ru_stime),
        secs(ru.ru_utime)
    ));
}

fn sentinel_section(drv: &Driver, out: &mut String) {
    let core = drv.core.borrow();
    let scripts = drv.scripts.borrow();
    let tilt_since = core
        .tilt_since
        .map_or(-1, |t| (ago(now_ms(), t) / 1000).max(0));
    let sim = drv.simfailure.get();
    let sim_flags = u8::from(sim.after_election) | (u8::from(sim.after_promotion) << 1);
    out.push_str(&format!(
        "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{tilt_since}\r\nsentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\nsentinel_simulate_failure_flags:{sim_flags}\r\n",
        core.masters().count(),
        u8::from(core.in_tilt()),
        scripts.running(),
        scripts.queued(),
    ));
    for (i, m) in core.masters().enumerate() {
        let status = if m.server.odown {
            "odown"
        } else if m.server.sdown {
            "sdown"
        } else {
            "ok"
        };
        out.push_str(&format!(
            "master{i}:name={},status={status},address={}:{},slaves={},sentinels={}\r\n",
            m.name,
            m.server.addr.host,
            m.server.addr.port,
            m.replicas.len(),
            m.sentinels.len() + 1
        ));
    }
}

//! INFO: Redis 7.0's sections, field names and section selection (`default`, `all`,
//! `everything`, any list of names; unknown names select nothing). Values are real where
//! Redoubt has them — memory from jemalloc's counters and /proc, CPU from getrusage — and the
//! constants a standalone primary without forks or modules reports otherwise.

use std::collections::HashSet;
use std::fmt::Write;

use keyspace::Keyspace;

use crate::ctx::Ctx;
use crate::errors::CmdResult;
use crate::server::memory;
use crate::state::ServerState;

/// The Redis version Redoubt reports for compatibility (clients gate features on it).
pub const REDIS_VERSION: &str = "7.0.15";

/// Sections `INFO` and `INFO default` show.
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections a list of INFO arguments selects.
pub struct Selection {
    names: HashSet<String>,
    all: bool,
}

impl Selection {
    pub fn parse(args: &[impl AsRef<[u8]>]) -> Selection {
        let mut names = HashSet::new();
        let mut all = false;
        if args.is_empty() {
            names.extend(DEFAULT.iter().map(|s| s.to_string()));
        }
        for a in args {
            let s = String::from_utf8_lossy(a.as_ref()).to_ascii_lowercase();
            match s.as_str() {
                "default" => names.extend(DEFAULT.iter().map(|s| s.to_string())),
                "all" | "everything" => all = true,
                _ => {
                    names.insert(s);
                }
            }
        }
        Selection { names, all }
    }

    fn has(&self, name: &str) -> bool {
        self.all || self.names.contains(name)
    }
}

/// INFO [section ...]
pub fn info(ctx: &mut Ctx) -> CmdResult {
    let sel = Selection::parse(&ctx.args[1..]);
    let text = render(ctx.ks, ctx.srv, &sel, ctx.now);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The whole INFO text for a selection.
pub fn render(ks: &Keyspace, srv: &ServerState, sel: &Selection, now: i64) -> String {
    type Section = fn(&Keyspace, &ServerState, i64, &mut String);
    let sections: &[(&[&str], &str, Section)] = &[
        (&["server"], "Server", server),
        (&["clients"], "Clients", clients),
        (&["memory"], "Memory", memory_section),
        (&["persistence"], "Persistence", persistence),
        (&["stats"], "Stats", stats),
        (&["replication"], "Replication", replication),
        (&["cpu"], "CPU", cpu),
        (&["module_list", "modules"], "Modules", |_, _, _, _| {}),
        (&["commandstats"], "Commandstats", commandstats),
        (&["errorstats"], "Errorstats", errorstats),
        (&["latencystats"], "Latencystats", latencystats),
        (&["cluster"], "Cluster", |_, _, _, o| {
            o.push_str("cluster_enabled:0\r\n")
        }),
        (&["keyspace"], "Keyspace", keyspace_section),
    ];
    let mut out = String::new();
    let mut first = true;
    for (names, title, f) in sections {
        if !names.iter().any(|n| sel.has(n)) {
            continue;
        }
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        let _ = write!(out, "# {title}\r\n");
        f(ks, srv, now, &mut out);
    }
    out
}

/// Appends `name:value\r\n` lines.
macro_rules! fields {
    ($out:expr, $($name:literal => $val:expr),* $(,)?) => {
        $( let _ = write!($out, concat!($name, ":{}\r\n"), $val); )*
    };
}

fn os_name() -> String {
    // SAFETY: uname fills the zeroed struct; its fields are NUL-terminated strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "Linux".into();
        }
        let f = |p: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(p.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn server(_ks: &Keyspace, srv: &ServerState, now: i64, out: &mut String) {
    let uptime = (now - srv.start_ms).max(0) / 1000;
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    fields!(out,
        "redis_version" => REDIS_VERSION,
        "redis_git_sha1" => "00000000",
        "redis_git_dirty" => 0,
        "redis_build_id" => "0",
        "redis_mode" => "standalone",
        "os" => os_name(),
        "arch_bits" => usize::BITS,
        "monotonic_clock" => "POSIX clock_gettime",
        "multiplexing_api" => "epoll",
        "atomicvar_api" => "c11-builtin",
        "gcc_version" => "0.0.0",
        "process_id" => std::process::id(),
        "process_supervised" => "no",
        "run_id" => srv.run_id,
        "tcp_port" => srv.tcp_port,
        "server_time_usec" => now_us,
        "uptime_in_seconds" => uptime,
        "uptime_in_days" => uptime / 86400,
        "hz" => srv.config.hz,
        "configured_hz" => srv.config.hz,
        "lru_clock" => (now / 1000) & 0xFF_FFFF,
        "executable" => srv.executable,
        "config_file" => srv.config_file.as_deref().unwrap_or(""),
        "io_threads_active" => 0,
    );
}

/// Whether a registered client is a replica link (its flags show `S`).
fn is_replica(c: &crate::client::ClientShared) -> bool {
    c.flags.borrow().contains('S')
}

fn clients(_ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    let replicas = srv.clients.values().filter(|c| is_replica(c)).count();
    let max_in = srv
        .clients
        .values()
        .map(|c| c.qbuf.get())
        .max()
        .unwrap_or(0);
    let max_out = srv
        .clients
        .values()
        .map(|c| c.omem.get())
        .max()
        .unwrap_or(0);
    let blocked = srv
        .clients
        .values()
        .filter(|c| c.paused_or_blocked.get())
        .count();
    fields!(out,
        "connected_clients" => srv.clients.len() - replicas,
        "cluster_connections" => 0,
        "maxclients" => srv.config.maxclients,
        "client_recent_max_input_buffer" => max_in,
        "client_recent_max_output_buffer" => max_out,
        "blocked_clients" => blocked,
        "tracking_clients" => 0,
        "clients_in_timeout_table" => srv.blocking.with_deadline(),
    );
}

/// Redis's `bytesToHuman`.
pub fn human(n: u64) -> String {
    const UNITS: [(u64, char); 5] = [
        (1 << 10, 'K'),
        (1 << 20, 'M'),
        (1 << 30, 'G'),
        (1 << 40, 'T'),
        (1 << 50, 'P'),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    for (unit, c) in UNITS {
        if n < unit * 1024 {
            return format!("{:.2}{c}", n as f64 / unit as f64);
        }
    }
    format!("{n}B")
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64).saturating_mul(size.max(0) as u64)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn memory_section(ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    let m = memory::mem_info();
    let o = memory::overhead(ks, srv, m.startup);
    let used = m.used;
    let dataset = used.saturating_sub(o.total);
    let net = used.saturating_sub(m.startup);
    let sys = total_system_memory();
    let maxmem = srv.config.maxmemory;
    fields!(out,
        "used_memory" => used,
        "used_memory_human" => human(used),
        "used_memory_rss" => m.rss,
        "used_memory_rss_human" => human(m.rss),
        "used_memory_peak" => m.peak,
        "used_memory_peak_human" => human(m.peak),
        "used_memory_peak_perc" => format!("{:.2}%", ratio(used, m.peak) * 100.0),
        "used_memory_overhead" => o.total,
        "used_memory_startup" => m.startup,
        "used_memory_dataset" => dataset,
        "used_memory_dataset_perc" => format!("{:.2}%", ratio(dataset, net) * 100.0),
        "allocator_allocated" => m.allocated,
        "allocator_active" => m.active,
        "allocator_resident" => m.resident,
        "total_system_memory" => sys,
        "total_system_memory_human" => human(sys),
        "used_memory_lua" => 0,
        "used_memory_vm_eval" => 0,
        "used_memory_lua_human" => human(0),
        "used_memory_scripts_eval" => 0,
        "number_of_cached_scripts" => 0,
        "number_of_functions" => 0,
        "number_of_libraries" => 0,
        "used_memory_vm_functions" => 0,
        "used_memory_vm_total" => 0,
        "used_memory_vm_total_human" => human(0),
        "used_memory_functions" => 0,
        "used_memory_scripts" => 0,
        "used_memory_scripts_human" => human(0),
        "maxmemory" => maxmem,
        "maxmemory_human" => human(maxmem),
        "maxmemory_policy" => srv.config.maxmemory_policy,
        "allocator_frag_ratio" => format!("{:.2}", ratio(m.active, m.allocated)),
        "allocator_frag_bytes" => m.active.saturating_sub(m.allocated),
        "allocator_rss_ratio" => format!("{:.2}", ratio(m.resident, m.active)),
        "allocator_rss_bytes" => m.resident.saturating_sub(m.active),
        "rss_overhead_ratio" => format!("{:.2}", ratio(m.rss, m.resident)),
        "rss_overhead_bytes" => m.rss.saturating_sub(m.resident),
        "mem_fragmentation_ratio" => format!("{:.2}", ratio(m.rss, used)),
        "mem_fragmentation_bytes" => m.rss.saturating_sub(used),
        "mem_not_counted_for_evict" => crate::evict::not_counted(srv),
        "mem_replication_backlog" => 0,
        "mem_total_replication_buffers" => 0,
        "mem_clients_slaves" => 0,
        "mem_clients_normal" => o.clients_normal,
        "mem_cluster_links" => 0,
        "mem_aof_buffer" => srv.aof.buffered(),
        "mem_allocator" => "jemalloc-5.3.0",
        "active_defrag_running" => 0,
        "lazyfree_pending_objects" => srv.lazyfree_pending,
        "lazyfreed_objects" => 0,
    );
}

fn persistence(ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    fields!(out,
        "loading" => u8::from(srv.loading),
        "async_loading" => 0,
        "current_cow_peak" => 0,
        "current_cow_size" => 0,
        "current_cow_size_age" => 0,
        "current_fork_perc" => "0.00",
        "current_save_keys_processed" => 0,
        "current_save_keys_total" => 0,
        "rdb_changes_since_last_save" => ks.dirty,
        "rdb_bgsave_in_progress" => u8::from(srv.persist.rdb_child().is_some()),
        "rdb_last_save_time" => srv.last_save_ms / 1000,
        "rdb_last_bgsave_status" => if srv.persist.last_bgsave_ok { "ok" } else { "err" },
        "rdb_last_bgsave_time_sec" => srv.persist.last_bgsave_secs,
        "rdb_current_bgsave_time_sec" => srv.persist.rdb_child().map_or(-1, |c| (_now - c.start_ms) / 1000),
        "rdb_saves" => srv.persist.rdb_saves,
        "rdb_last_cow_size" => 0,
        "rdb_last_load_keys_expired" => srv.persist.last_load_expired,
        "rdb_last_load_keys_loaded" => srv.persist.last_load_keys,
    );
    crate::aof::info(srv, _now, out);
    fields!(out,
        "module_fork_in_progress" => 0,
        "module_fork_last_cow_size" => 0,
    );
    crate::aof::info_tail(srv, out);
}

fn stats(ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    let st = &srv.stats;
    let ops = if st.ops_samples.is_empty() {
        0
    } else {
        st.ops_samples.iter().sum::<u64>() / st.ops_samples.len() as u64
    };
    let mut patterns: Vec<&Vec<u8>> = srv.pubsub.patterns.iter().map(|(p, _)| p).collect();
    patterns.sort();
    patterns.dedup();
    let k = &ks.stats;
    fields!(out,
        "total_connections_received" => st.total_connections,
        "total_commands_processed" => st.total_commands,
        "instantaneous_ops_per_sec" => ops,
        "total_net_input_bytes" => st.net_input_bytes,
        "total_net_output_bytes" => st.net_output_bytes,
        "total_net_repl_input_bytes" => 0,
        "total_net_repl_output_bytes" => 0,
        "instantaneous_input_kbps" => "0.00",
        "instantaneous_output_kbps" => "0.00",
        "instantaneous_input_repl_kbps" => "0.00",
        "instantaneous_output_repl_kbps" => "0.00",
        "rejected_connections" => st.rejected_connections,
        "sync_full" => srv.repl.sync_full,
        "sync_partial_ok" => srv.repl.sync_partial_ok,
        "sync_partial_err" => srv.repl.sync_partial_err,
        "expired_keys" => k.expired_keys,
        "expired_stale_perc" => format!("{:.2}", k.expired_stale_perc * 100.0),
        "expired_time_cap_reached_count" => k.expired_time_cap_reached_count,
        "expire_cycle_cpu_milliseconds" => 0,
        "evicted_keys" => k.evicted_keys,
        "evicted_clients" => 0,
        "total_eviction_exceeded_time" => srv.evict.exceeded_ms().0,
        "current_eviction_exceeded_time" => srv.evict.exceeded_ms().1,
        "keyspace_hits" => k.keyspace_hits,
        "keyspace_misses" => k.keyspace_misses,
        "pubsub_channels" => srv.pubsub.channels.len(),
        "pubsub_patterns" => patterns.len(),
        "pubsubshard_channels" => 0,
        "latest_fork_usec" => srv.stats.latest_fork_usec,
        "total_forks" => srv.stats.total_forks,
        "migrate_cached_sockets" => 0,
        "slave_expires_tracked_keys" => 0,
        "active_defrag_hits" => 0,
        "active_defrag_misses" => 0,
        "active_defrag_key_hits" => 0,
        "active_defrag_key_misses" => 0,
        "total_active_defrag_time" => 0,
        "current_active_defrag_time" => 0,
        "tracking_total_keys" => 0,
        "tracking_total_items" => 0,
        "tracking_total_prefixes" => 0,
        "unexpected_error_replies" => st.unexpected_error_replies,
        "total_error_replies" => st.total_error_replies,
        "dump_payload_sanitizations" => 0,
        "total_reads_processed" => 0,
        "total_writes_processed" => 0,
        "io_threaded_reads_processed" => 0,
        "io_threaded_writes_processed" => 0,
        "reply_buffer_shrinks" => 0,
        "reply_buffer_expands" => 0,
    );
}

/// The replication section comes from the replication module, which owns the link state.
fn replication(_ks: &Keyspace, srv: &ServerState, now: i64, out: &mut String) {
    crate::repl::info_section(srv, now, out);
}

fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct.
    let r = unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut r);
        r
    };
    let tv = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (tv(r.ru_stime), tv(r.ru_utime))
}

fn cpu(_ks: &Keyspace, _srv: &ServerState, _now: i64, out: &mut String) {
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
    let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
    fields!(out,
        "used_cpu_sys" => sys,
        "used_cpu_user" => user,
        "used_cpu_sys_children" => csys,
        "used_cpu_user_children" => cuser,
        "used_cpu_sys_main_thread" => tsys,
        "used_cpu_user_main_thread" => tuser,
    );
}

fn commandstats(_ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    let t = crate::table::table();
    for (e, st) in t.entries.iter().zip(&srv.stats.commands) {
        if st.calls == 0 && st.failed == 0 && st.rejected == 0 {
            continue;
        }
        let per_call = if st.calls == 0 {
            0.0
        } else {
            st.usec as f64 / st.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            e.fullname, st.calls, st.usec, per_call, st.rejected, st.failed
        );
    }
}

fn errorstats(_ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    for (code, n) in &srv.stats.errors {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

/// A percentile as Redis labels it: `%f` with trailing zeros (and point) trimmed.
fn percentile_label(p: f64) -> String {
    let s = format!("{p:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn latencystats(_ks: &Keyspace, srv: &ServerState, _now: i64, out: &mut String) {
    let t = crate::table::table();
    let ps = &srv.config.latency_tracking_info_percentiles;
    for (e, st) in t.entries.iter().zip(&srv.stats.commands) {
        let Some(h) = st.hist.as_deref() else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{}:", e.fullname);
        for (i, p) in ps.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let v = h.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{}={:.3}", percentile_label(*p), v);
        }
        out.push_str("\r\n");
    }
}

fn keyspace_section(ks: &Keyspace, _srv: &ServerState, _now: i64, out: &mut String) {
    for (i, db) in ks.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{i}:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires_len(),
            db.avg_ttl
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_like_redis() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(1805624), "1.72M");
        assert_eq!(human(25276510208), "23.54G");
    }

    #[test]
    fn section_selection() {
        let s = Selection::parse(&[b"CPU", b"foo"]);
        assert!(s.has("cpu") && !s.has("server"));
        let none: [&[u8]; 0] = [];
        let d = Selection::parse(&none);
        assert!(d.has("keyspace") && !d.has("commandstats"));
        let a = Selection::parse(&[b"all"]);
        assert!(a.has("commandstats") && a.has("latencystats"));
    }

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(50.0), "50");
        assert_eq!(percentile_label(99.9), "99.9");
    }
}

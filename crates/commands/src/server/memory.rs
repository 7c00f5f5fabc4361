//! MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, and the memory figures INFO
//! reports. Totals come from jemalloc's own counters (the binary's global allocator), read
//! after an epoch advance; RSS from /proc/self/statm. Per-key sizes follow Redis's
//! `objectComputeSize` arithmetic with jemalloc's size classes, so a string key reports the
//! number Redis would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use keyspace::Value;

use crate::ctx::Ctx;
use crate::errors::{subcommand_syntax, CmdError, CmdResult};
use crate::state::ServerState;
use crate::table::{flag::*, Spec};

pub const SPEC: Spec = Spec::new("memory", -2, 0, crate::help_only).subs(&[
    Spec::new("help", 2, LOADING | STALE, help).acl("slow"),
    Spec::new("purge", 2, 0, purge).acl("slow"),
    Spec::new("doctor", 2, 0, doctor).acl("slow"),
    Spec::new("malloc-stats", 2, 0, malloc_stats).acl("slow"),
    Spec::new("stats", 2, 0, stats).acl("slow"),
    Spec::new("usage", -3, READONLY, usage)
        .keys(2, 2, 1)
        .acl("read slow"),
]);

/// Redis's robj header.
const ROBJ: usize = 16;
/// Redis's dictEntry.
const DICT_ENTRY: usize = 24;

/// The jemalloc size class an allocation of `n` bytes occupies.
pub fn size_class(n: usize) -> usize {
    match n {
        0..=8 => 8,
        9..=128 => n.div_ceil(16) * 16,
        _ => {
            let delta = n.next_power_of_two() / 8;
            n.div_ceil(delta) * delta
        }
    }
}

/// Bytes of an sds header for a string of `len` (`sdsReqType`); `embedded_ok` allows the
/// one-byte type-5 header used for short keys.
fn sds_header(len: usize, type5_ok: bool) -> usize {
    match len {
        0..=31 if type5_ok && len > 0 => 1,
        0..=255 => 3,
        256..=65535 => 5,
        _ if len as u64 <= u32::MAX as u64 => 9,
        _ => 17,
    }
}

/// The memory Redis would account to a value (`objectComputeSize`).
pub fn value_size(v: &Value) -> usize {
    let mut scratch = Default::default();
    let len = v.str_bytes(&mut scratch).map_or(0, |s| s.len());
    match v.encoding() {
        "int" => ROBJ,
        "embstr" => size_class(ROBJ + 3 + len + 1),
        // A string grown in place has Redis's greedy spare room (twice its length after
        // the last append); one written whole has none.
        "raw" if v.heap_size() > len + std::mem::size_of::<Vec<u8>>() => {
            ROBJ + size_class(sds_header(2 * len, false) + 2 * len + 1)
        }
        "raw" => ROBJ + size_class(sds_header(len, false) + len + 1),
        _ => ROBJ + v.heap_size(),
    }
}

/// MEMORY USAGE's total for a key: value, key string and table entry. Lists and hashes
/// follow Redis's sampling (`samples` elements, all when 0).
pub fn key_usage(key: &[u8], v: &Value, samples: usize) -> usize {
    let value = match v {
        Value::List(l) => ROBJ + l.redis_usage(samples),
        Value::Hash(h) => ROBJ + h.redis_usage(samples),
        _ => value_size(v),
    };
    value + size_class(sds_header(key.len(), true) + key.len() + 1) + DICT_ENTRY
}

/// MEMORY USAGE key [SAMPLES count]
fn usage(ctx: &mut Ctx) -> CmdResult {
    let mut j = 3;
    let mut samples = 5;
    while j < ctx.argc() {
        if ctx.is(j, "samples") && j + 1 < ctx.argc() {
            let n = ctx.i64_arg(j + 1)?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            samples = usize::try_from(n).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    // Like Redis's `dbFind`, no expiry check: a logically expired key still has a size.
    match ctx.ks.db(ctx.client.db).peek(ctx.arg(2)) {
        Some(slot) => {
            let n = key_usage(ctx.arg(2), &slot.value, samples);
            ctx.out.int(n as i64);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// Allocator and process figures, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemInfo {
    /// What the server holds (`used_memory`, the figure maxmemory compares against).
    pub used: u64,
    /// jemalloc's arena statistics (`allocator_allocated`).
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub rss: u64,
    pub peak: u64,
    pub startup: u64,
}

static PEAK: AtomicU64 = AtomicU64::new(0);
static STARTUP: OnceLock<u64> = OnceLock::new();

/// Reads the allocator's counters now (and raises the recorded peak).
pub fn mem_info() -> MemInfo {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    let allocated = stats::allocated::read().unwrap_or(0) as u64;
    let active = stats::active::read().unwrap_or(0) as u64;
    let resident = stats::resident::read().unwrap_or(0) as u64;
    let used = crate::evict::used_memory();
    let peak = PEAK.fetch_max(used, Ordering::Relaxed).max(used);
    let startup = *STARTUP.get_or_init(|| used);
    MemInfo {
        used,
        allocated,
        active,
        resident,
        rss: process_rss(),
        peak,
        startup,
    }
}

/// Marks the allocation level of an idle, empty server (`used_memory_startup`).
pub fn record_startup() {
    let _ = STARTUP.set(mem_info().used);
}

/// Resident set size from /proc/self/statm (pages × page size).
pub fn process_rss() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The dataset/overhead split Redis's MEMORY STATS and INFO memory report.
pub struct Overhead {
    pub total: u64,
    /// Per non-empty database: (index, main table bytes, expires table bytes).
    pub dbs: Vec<(usize, u64, u64)>,
    pub keys: u64,
    pub clients_normal: u64,
}

pub fn overhead(ks: &keyspace::Keyspace, srv: &ServerState, startup: u64) -> Overhead {
    let mut dbs = Vec::new();
    let mut keys = 0u64;
    let mut total = startup;
    for (i, db) in ks.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let main = db.dict().overhead_bytes() as u64;
        let exp = db.expires().overhead_bytes() as u64;
        total += main + exp;
        keys += db.len() as u64;
        dbs.push((i, main, exp));
    }
    let clients_normal: u64 = srv
        .clients
        .values()
        .map(|c| c.qbuf.get() as u64 + c.omem.get() as u64)
        .sum();
    total += clients_normal;
    Overhead {
        total,
        dbs,
        keys,
        clients_normal,
    }
}

/// MEMORY STATS
fn stats(ctx: &mut Ctx) -> CmdResult {
    let m = mem_info();
    let o = overhead(ctx.ks, ctx.srv, m.startup);
    let dataset = m.used.saturating_sub(o.total);
    let net = m.used.saturating_sub(m.startup);
    let out = &mut *ctx.out;
    out.map(27 + o.dbs.len());
    let int = |out: &mut resp::ReplyWriter, k: &str, v: u64| {
        out.bulk(k.as_bytes());
        out.int(v as i64);
    };
    let dbl = |out: &mut resp::ReplyWriter, k: &str, v: f64| {
        out.bulk(k.as_bytes());
        out.double(v);
    };
    int(out, "peak.allocated", m.peak);
    int(out, "total.allocated", m.used);
    int(out, "startup.allocated", m.startup);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", o.clients_normal);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (i, main, exp) in &o.dbs {
        out.bulk(format!("db.{i}").as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", *main);
        int(out, "overhead.hashtable.expires", *exp);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", o.total);
    int(out, "keys.count", o.keys);
    int(
        out,
        "keys.bytes-per-key",
        net.checked_div(o.keys).unwrap_or(0),
    );
    int(out, "dataset.bytes", dataset);
    dbl(out, "dataset.percentage", ratio(dataset, net) * 100.0);
    dbl(out, "peak.percentage", ratio(m.used, m.peak) * 100.0);
    int(out, "allocator.allocated", m.allocated);
    int(out, "allocator.active", m.active);
    int(out, "allocator.resident", m.resident);
    dbl(
        out,
        "allocator-fragmentation.ratio",
        ratio(m.active, m.allocated),
    );
    int(
        out,
        "allocator-fragmentation.bytes",
        m.active.saturating_sub(m.allocated),
    );
    dbl(out, "allocator-rss.ratio", ratio(m.resident, m.active));
    int(
        out,
        "allocator-rss.bytes",
        m.resident.saturating_sub(m.active),
    );
    dbl(out, "rss-overhead.ratio", ratio(m.rss, m.resident));
    int(out, "rss-overhead.bytes", m.rss.saturating_sub(m.resident));
    dbl(out, "fragmentation", ratio(m.rss, m.used));
    int(out, "fragmentation.bytes", m.rss.saturating_sub(m.used));
    Ok(())
}

/// MEMORY DOCTOR
fn doctor(ctx: &mut Ctx) -> CmdResult {
    let m = mem_info();
    let frag = ratio(m.rss, m.allocated);
    let text = if m.allocated < 5 * 1024 * 1024 {
        "The instance is empty or uses very little memory; there is nothing to diagnose.\n"
            .to_string()
    } else if frag > 1.4 && m.rss.saturating_sub(m.allocated) > 10 * 1024 * 1024 {
        format!(
            "High fragmentation: the process holds {:.2} times the memory its data uses \
             (rss {} bytes, allocated {} bytes). MEMORY PURGE may return some of it.\n",
            frag, m.rss, m.allocated
        )
    } else {
        "No memory problems detected.\n".to_string()
    };
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

unsafe extern "C" fn collect_stats(opaque: *mut libc::c_void, msg: *const libc::c_char) {
    if opaque.is_null() || msg.is_null() {
        return;
    }
    // SAFETY: `opaque` is the `String` passed to malloc_stats_print below, alive for the
    // call; jemalloc hands over a NUL-terminated message.
    let out = &mut *(opaque as *mut String);
    out.push_str(&std::ffi::CStr::from_ptr(msg).to_string_lossy());
}

/// MEMORY MALLOC-STATS
fn malloc_stats(ctx: &mut Ctx) -> CmdResult {
    let mut text = String::new();
    // SAFETY: the callback only appends to `text`, which outlives the call; a null options
    // pointer asks for the default report.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(collect_stats),
            &mut text as *mut String as *mut libc::c_void,
            std::ptr::null(),
        );
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// MEMORY PURGE
fn purge(ctx: &mut Ctx) -> CmdResult {
    // MALLCTL_ARENAS_ALL is 4096: purge every arena's dirty pages.
    let name = b"arena.4096.purge\0";
    // SAFETY: a void mallctl: no old or new value pointers, a NUL-terminated name.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr() as *const libc::c_char,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
    ctx.out.ok();
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() != 2 {
        return Err(subcommand_syntax(ctx.args));
    }
    crate::reply_help(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_size_classes() {
        let classes: Vec<usize> = [1, 8, 9, 17, 33, 129, 257, 1025, 16385]
            .iter()
            .map(|&n| size_class(n))
            .collect();
        assert_eq!(classes, vec![8, 8, 16, 32, 48, 160, 320, 1280, 20480]);
    }

    #[test]
    fn string_usage_matches_redis() {
        // Numbers redis-server 7.0 (jemalloc) reports for MEMORY USAGE.
        assert_eq!(key_usage(b"k", &Value::string(b"hello"), 5), 64);
        assert_eq!(key_usage(b"n", &Value::string(b"123"), 5), 48);
    }
}

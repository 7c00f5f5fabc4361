//! DEBUG: the subset of Redis's debugging subcommands that tests and tools rely on — SLEEP,
//! OBJECT, SET-ACTIVE-EXPIRE, ERROR, HELP here, RELOAD in [`reload`], POPULATE in
//! [`populate`]. The gate refuses DEBUG unless `enable-debug-command` allows it (the
//! PROTECTED flag).

mod populate;
mod reload;

use keyspace::Value;

use crate::ctx::Ctx;
use crate::errors::{subcommand_syntax, CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const SPEC: Spec = Spec::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    debug,
)
.acl("admin slow dangerous");

/// Redis's shared integers (0..10000) report this reference count.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// The LRU clock is 24 bits of seconds.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// DEBUG subcommand [arg ...]
fn debug(ctx: &mut Ctx) -> CmdResult {
    let sub = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    match (sub.as_str(), ctx.argc()) {
        ("help", 2) => help(ctx),
        ("sleep", 3) => sleep(ctx),
        ("object", 3) => object(ctx),
        ("reload", _) => reload::reload(ctx),
        ("populate", 3..=5) => populate::populate(ctx),
        ("set-active-expire", 3) => {
            ctx.srv.config.active_expire_enabled = atoi(ctx.arg(2)) != 0;
            ctx.out.ok();
            Ok(())
        }
        ("error", 3) => {
            let msg = String::from_utf8_lossy(ctx.arg(2)).into_owned();
            Err(CmdError::Raw(msg.into()))
        }
        _ => Err(subcommand_syntax(ctx.args)),
    }
}

/// C's `atoi`: leading digits with an optional sign, 0 when there are none.
fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            acc.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

/// C's `strtod` on the longest numeric prefix; 0 when there is none.
fn strtod_prefix(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&i| t.is_char_boundary(i))
        .find_map(|i| t[..i].parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// DEBUG SLEEP seconds: stops the whole server, as in Redis.
fn sleep(ctx: &mut Ctx) -> CmdResult {
    let secs = strtod_prefix(ctx.arg(2));
    if secs > 0.0 {
        // Bounded so that a typo cannot stall the server for years.
        std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(86_400.0)));
    }
    ctx.out.ok();
    Ok(())
}

/// The RDB-serialized length of a value (`rdbSavedObjectLen`).
fn serialized_len(v: &Value, compress: bool) -> usize {
    let mut buf = Vec::new();
    let opts = persist::SaveOptions { compress };
    match persist::value::write_object(&mut buf, v, opts) {
        Ok(()) => buf.len(),
        Err(_) => 0,
    }
}

/// DEBUG OBJECT key
fn object(ctx: &mut Ctx) -> CmdResult {
    let clock = ctx.ks.lru_clock;
    let compress = ctx.srv.config.rdbcompression;
    let Some(slot) = ctx.ks.db(ctx.client.db).peek(ctx.arg(2)) else {
        return Err(CmdError::NoSuchKey);
    };
    let v = &slot.value;
    let refcount = match v {
        Value::Int(n) if (0..10_000).contains(n) => SHARED_REFCOUNT,
        _ => 1,
    };
    let lru = slot.lru & LRU_CLOCK_MAX;
    let idle = (clock & LRU_CLOCK_MAX).wrapping_sub(lru) & LRU_CLOCK_MAX;
    // Quicklists add their node figures, as Redis 7.0 does.
    let extra = match v {
        Value::List(l) => format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            l.node_count(),
            l.len() as f64 / l.node_count().max(1) as f64,
            keyspace::list::List::stored_fill(crate::list::fill(ctx)),
            i64::from(ctx.srv.config.list_compress_depth != 0),
            l.packed_size()
        ),
        _ => String::new(),
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        v as *const Value,
        refcount,
        v.encoding(),
        serialized_len(v, compress),
        lru,
        idle,
        extra
    );
    ctx.out.simple(&line);
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "DEBUG",
        &[
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas. Cluster slots are not respected so keys not belonging to the",
            "    current node can be created in cluster mode.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "    Examples:",
            "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
            "      the database.",
            "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
            "      existing RDB file.",
            "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
            "      file to the database.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_prefixes() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b" -12abc"), -12);
        assert_eq!(strtod_prefix(b"0.5s"), 0.5);
        assert_eq!(strtod_prefix(b"x"), 0.0);
        assert_eq!(strtod_prefix(b"inf"), 0.0);
    }

    #[test]
    fn serialized_lengths_match_redis() {
        assert_eq!(serialized_len(&Value::string(b"hello"), true), 6);
        assert_eq!(serialized_len(&Value::string(b"123"), true), 2);
    }
}

//! OBJECT ENCODING FREQ IDLETIME REFCOUNT HELP: what Redis's object header would say.
//!
//! The lookups neither touch the access time nor fire `keymiss`, but are counted. REFCOUNT
//! reports what Redis's shared integer objects (0..9999) report. FREQ needs an LFU
//! maxmemory-policy and IDLETIME a non-LFU one: the key's access field holds one or the other
//! (see `keyspace::evict`).

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};
use keyspace::Value;

pub const SUBCOMMANDS: &[Spec] = &[
    Spec::new("help", 2, LOADING | STALE, help).acl("keyspace slow"),
    Spec::new("freq", 3, READONLY, freq)
        .keys(2, 2, 1)
        .acl("keyspace read slow"),
    Spec::new("encoding", 3, READONLY, encoding)
        .keys(2, 2, 1)
        .acl("keyspace read slow"),
    Spec::new("idletime", 3, READONLY, idletime)
        .keys(2, 2, 1)
        .acl("keyspace read slow"),
    Spec::new("refcount", 3, READONLY, refcount)
        .keys(2, 2, 1)
        .acl("keyspace read slow"),
];

/// Redis's LRU clock is 24 bits of seconds; idle times wrap with it.
pub use keyspace::evict::LRU_CLOCK_MAX;

/// Integers Redis keeps as shared objects (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10000;
/// The refcount Redis reports for a shared object (`OBJ_SHARED_REFCOUNT`).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Looks the key up, or replies null and returns None.
fn lookup<'c>(ctx: &'c mut Ctx) -> Option<&'c Value> {
    let (db, now) = (ctx.db(), ctx.now);
    if ctx.ks.get_no_touch(db, ctx.arg(2), now).is_none() {
        ctx.out.null();
        return None;
    }
    ctx.ks.db(db).peek(ctx.arg(2)).map(|s| &s.value)
}

/// OBJECT ENCODING key
fn encoding(ctx: &mut Ctx) -> CmdResult {
    if let Some(enc) = lookup(ctx).map(Value::encoding) {
        ctx.out.bulk(enc.as_bytes());
    }
    Ok(())
}

/// OBJECT REFCOUNT key
fn refcount(ctx: &mut Ctx) -> CmdResult {
    let shared = |v: &Value| matches!(v, Value::Int(n) if (0..SHARED_INTEGERS).contains(n));
    if let Some(is_shared) = lookup(ctx).map(shared) {
        ctx.out.int(if is_shared { SHARED_REFCOUNT } else { 1 });
    }
    Ok(())
}

/// OBJECT IDLETIME key
fn idletime(ctx: &mut Ctx) -> CmdResult {
    if lookup(ctx).is_none() {
        return Ok(());
    }
    if crate::evict::lfu_selected(&ctx.srv.config) {
        return Err(CmdError::err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let lru = ctx.ks.db(ctx.db()).peek(ctx.arg(2)).map_or(0, |s| s.lru);
    ctx.out.int(i64::from(idle_seconds(ctx.ks.lru_clock, lru)));
    Ok(())
}

pub use keyspace::evict::idle_seconds;

/// OBJECT FREQ key
fn freq(ctx: &mut Ctx) -> CmdResult {
    if lookup(ctx).is_none() {
        return Ok(());
    }
    if !crate::evict::lfu_selected(&ctx.srv.config) {
        return Err(CmdError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let field = ctx.ks.db(ctx.db()).peek(ctx.arg(2)).map_or(0, |s| s.lru);
    let decay = u32::try_from(ctx.srv.config.lfu_decay_time).unwrap_or(u32::MAX);
    let freq = keyspace::evict::lfu_decayed(field, ctx.ks.lru_clock, decay);
    ctx.out.int(i64::from(freq));
    Ok(())
}

/// OBJECT HELP
fn help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}

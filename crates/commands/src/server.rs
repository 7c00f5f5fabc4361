//! Server commands: DBSIZE FLUSHDB FLUSHALL SWAPDB TIME LASTSAVE SHUTDOWN MONITOR here;
//! COMMAND, SLOWLOG, MEMORY, LATENCY and DEBUG in the submodules; INFO in [`crate::info`].
//!
//! Submodules:
//! - [`command`]: COMMAND and its subcommands, key extraction (GETKEYS).
//! - [`meta`]: Redis's per-command interface data (groups, tips, key specs).
//! - [`slowlog`], [`memory`], [`latency`], [`debug`]: one family each.
//! - [`histogram`]: per-command latency histograms.

pub mod command;
pub mod debug;
pub mod histogram;
pub mod latency;
pub mod memory;
pub mod meta;
pub mod slowlog;

use crate::client::Kind;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::ShutdownRequest;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("dbsize", 1, READONLY | FAST, dbsize).acl("keyspace read fast"),
    Spec::new("flushdb", -1, WRITE, flushdb).acl("keyspace write slow dangerous"),
    Spec::new("flushall", -1, WRITE, flushall).acl("keyspace write slow dangerous"),
    Spec::new("swapdb", 3, WRITE | FAST, swapdb).acl("keyspace write fast dangerous"),
    Spec::new("time", 1, LOADING | STALE | FAST, time).acl("fast"),
    Spec::new("lastsave", 1, LOADING | STALE | FAST, lastsave).acl("admin fast dangerous"),
    Spec::new("info", -1, LOADING | STALE | SENTINEL, crate::info::info).acl("slow dangerous"),
    Spec::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY | SENTINEL,
        shutdown,
    )
    .acl("admin slow dangerous"),
    Spec::new("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, monitor)
        .acl("admin slow dangerous"),
    command::SPEC,
    slowlog::SPEC,
    memory::SPEC,
    latency::SPEC,
    debug::SPEC,
];

/// DBSIZE
fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.ks.db(ctx.client.db).len();
    ctx.out.int(n as i64);
    Ok(())
}

/// Parses FLUSHDB/FLUSHALL's optional `ASYNC|SYNC`; `true` means asynchronous.
fn flush_mode(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.argc() {
        1 => Ok(ctx.srv.config.lazyfree_lazy_user_flush),
        2 if ctx.is(1, "sync") => Ok(false),
        2 if ctx.is(1, "async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

/// FLUSHDB [ASYNC|SYNC]
fn flushdb(ctx: &mut Ctx) -> CmdResult {
    // Memory is released in place either way; ASYNC only changes how Redis frees it.
    flush_mode(ctx)?;
    let db = ctx.db();
    ctx.ks.flush_db(db);
    // Propagated even when the database was already empty (Redis forces it), without
    // counting as a change beyond the keys removed.
    ctx.propagate_as(ctx.args.to_vec());
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
fn flushall(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx)?;
    ctx.ks.flush_all();
    ctx.propagate_as(ctx.args.to_vec());
    ctx.out.ok();
    Ok(())
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let a = db_index(ctx.arg(1)).ok_or(CmdError::err("invalid first DB index"))?;
    let b = db_index(ctx.arg(2)).ok_or(CmdError::err("invalid second DB index"))?;
    let n = ctx.ks.db_count() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::DbIndexOutOfRange);
    }
    ctx.ks.swap_db(a as usize, b as usize);
    ctx.out.ok();
    Ok(())
}

/// A database index as Redis's `getIntFromObjectOrReply` reads it (an `int`).
fn db_index(b: &[u8]) -> Option<i64> {
    keyspace::parse_i64(b).filter(|n| i32::try_from(*n).is_ok())
}

/// TIME
fn time(ctx: &mut Ctx) -> CmdResult {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(t.as_secs() as i64);
    ctx.out.bulk_int(t.subsec_micros() as i64);
    Ok(())
}

/// LASTSAVE
fn lastsave(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.srv.last_save_ms / 1000);
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
fn shutdown(ctx: &mut Ctx) -> CmdResult {
    let (mut nosave, mut save, mut now, mut force, mut abort) = (false, false, false, false, false);
    for i in 1..ctx.argc() {
        let flag = if ctx.is(i, "nosave") {
            &mut nosave
        } else if ctx.is(i, "save") {
            &mut save
        } else if ctx.is(i, "now") {
            &mut now
        } else if ctx.is(i, "force") {
            &mut force
        } else if ctx.is(i, "abort") {
            &mut abort
        } else {
            return Err(CmdError::Syntax);
        };
        *flag = true;
    }
    if (nosave && save) || (abort && (nosave || save || now || force)) {
        return Err(CmdError::Syntax);
    }
    if abort {
        // Shutdown is immediate here (no replicas to wait for yet), so there is never one
        // in progress to abort.
        return Err(CmdError::err("No shutdown in progress."));
    }
    let save = if nosave {
        Some(false)
    } else {
        save.then_some(true)
    };
    let saved = crate::persistence::save_before_shutdown(ctx.ks, ctx.srv, save, ctx.now);
    if saved.is_err() && !force {
        return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
    }
    // Saved (or not wanted) already: the exit path must not save again.
    ctx.srv.shutdown = Some(ShutdownRequest {
        save: Some(false),
        now,
        force,
    });
    // The connection closes when the process exits; like Redis, no reply is sent on success.
    ctx.client.close_after_reply = true;
    Ok(())
}

/// MONITOR
fn monitor(ctx: &mut Ctx) -> CmdResult {
    if matches!(ctx.client.kind, Kind::Monitor | Kind::Replica) {
        return Ok(());
    }
    ctx.client.kind = Kind::Monitor;
    ctx.srv.monitors.push(ctx.client.id);
    ctx.client.sync_shared();
    ctx.out.ok();
    Ok(())
}

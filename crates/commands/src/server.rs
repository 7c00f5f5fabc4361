//! Server commands: DBSIZE FLUSHDB FLUSHALL SWAPDB INFO TIME COMMAND SHUTDOWN MONITOR SLOWLOG
//! MEMORY LATENCY DEBUG LASTSAVE.

use crate::ctx::Ctx;
use crate::errors::CmdResult;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("dbsize", 1, READONLY | FAST, dbsize).acl("keyspace read fast"),
    Spec::new("info", -1, LOADING | STALE | SENTINEL, crate::info::info).acl("slow dangerous"),
];

/// DBSIZE
fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.ks.db(ctx.client.db).len();
    ctx.out.int(n as i64);
    Ok(())
}

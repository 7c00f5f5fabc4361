//! Generic key commands: DEL, EXISTS, EXPIRE family, TTL, TYPE, KEYS, SCAN, RENAME, …

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::CmdResult;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("del", -2, WRITE, del)
        .keys(1, -1, 1)
        .acl("keyspace write slow"),
    Spec::new("exists", -2, READONLY | FAST, exists)
        .keys(1, -1, 1)
        .acl("keyspace read fast"),
];

/// DEL key [key ...]
fn del(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let mut n = 0;
    for i in 1..ctx.argc() {
        if ctx.ks.remove(db, ctx.arg(i), now).is_some() {
            n += 1;
            ctx.notify(notify::GENERIC, "del", ctx.arg(i));
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// EXISTS key [key ...]
fn exists(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let n = (1..ctx.argc())
        .filter(|&i| ctx.ks.exists(db, ctx.arg(i), now))
        .count();
    ctx.out.int(n as i64);
    Ok(())
}

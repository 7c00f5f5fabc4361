//! DEL UNLINK EXISTS TYPE TOUCH RANDOMKEY: the commands that look at or drop keys whole.

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::CmdResult;

/// DEL key [key ...] — and UNLINK key [key ...], which only differs in freeing lazily.
pub fn del(ctx: &mut Ctx) -> CmdResult {
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

/// EXISTS key [key ...] — a key named twice counts twice.
pub fn exists(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let mut n = 0;
    for i in 1..ctx.argc() {
        if ctx.ks.get_no_touch(db, ctx.arg(i), now).is_some() {
            n += 1;
        } else {
            super::keymiss(ctx, ctx.arg(i));
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TYPE key
pub fn type_cmd(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let name = ctx
        .ks
        .get_no_touch(db, ctx.arg(1), now)
        .map(|v| v.type_name());
    match name {
        Some(t) => ctx.out.simple(t),
        None => {
            super::keymiss(ctx, ctx.arg(1));
            ctx.out.simple("none");
        }
    }
    Ok(())
}

/// TOUCH key [key ...] — a read of each key: its access time is updated.
pub fn touch(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let mut n = 0;
    for i in 1..ctx.argc() {
        if ctx.ks.get(db, ctx.arg(i), now).is_some() {
            n += 1;
        } else {
            super::keymiss(ctx, ctx.arg(i));
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// RANDOMKEY
///
/// Keys found expired are deleted on the way (on a primary) and another is drawn. A replica
/// cannot delete them, so when every key has a TTL it gives up after 100 draws and returns
/// a possibly expired name, as Redis's `dbRandomKey` does, rather than loop forever.
pub fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let mut tries = 100;
    loop {
        let d = ctx.ks.db(db);
        let all_volatile = d.len() == d.expires_len();
        let Some(key) = d.random_key().cloned() else {
            ctx.out.null();
            return Ok(());
        };
        if d.expire_of(&key).is_some() {
            if all_volatile && ctx.ks.is_replica {
                tries -= 1;
                if tries == 0 {
                    ctx.out.bulk(&key);
                    return Ok(());
                }
            }
            if ctx.ks.peek(db, &key, now).is_none() {
                continue;
            }
        }
        ctx.out.bulk(&key);
        return Ok(());
    }
}

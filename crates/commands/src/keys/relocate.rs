//! RENAME RENAMENX MOVE COPY: keys that change name or database, value and TTL kept.
//!
//! Redis counts each of these as one change (`server.dirty++`); the keyspace counts a take
//! and a put separately, so the handlers set the count back to one.

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use keyspace::Ttl;

/// RENAME key newkey
pub fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
pub fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if ctx.ks.peek(db, src, now).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    // Renaming a key onto itself changes nothing (and propagates nothing), once it exists.
    if src == dst {
        reply(ctx, nx, false);
        return Ok(());
    }
    if ctx.ks.peek(db, dst, now).is_some() && nx {
        reply(ctx, nx, false);
        return Ok(());
    }
    let dirty = ctx.ks.dirty;
    let Some((slot, at)) = ctx.ks.take(db, src, now) else {
        return Err(CmdError::NoSuchKey);
    };
    ctx.ks.put_slot(db, dst, slot, at);
    ctx.ks.dirty = dirty + 1;
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    reply(ctx, nx, true);
    Ok(())
}

/// RENAME answers OK; RENAMENX 1 if it renamed, else 0.
fn reply(ctx: &mut Ctx, nx: bool, renamed: bool) {
    if nx {
        ctx.out.int(i64::from(renamed));
    } else {
        ctx.out.ok();
    }
}

/// MOVE key db
pub fn move_cmd(ctx: &mut Ctx) -> CmdResult {
    let (src_db, now) = (ctx.db(), ctx.now);
    let dst_db = super::db_index_arg(ctx, 2)?;
    if dst_db == src_db {
        return Err(super::same_object());
    }
    let key = ctx.arg(1);
    if ctx.ks.peek(src_db, key, now).is_none() || ctx.ks.peek(dst_db, key, now).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let dirty = ctx.ks.dirty;
    let Some((slot, at)) = ctx.ks.take(src_db, key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    ctx.ks.put_slot(dst_db, key, slot, at);
    ctx.ks.dirty = dirty + 1;
    ctx.notify_db(notify::GENERIC, "move_from", key, src_db);
    ctx.notify_db(notify::GENERIC, "move_to", key, dst_db);
    ctx.out.int(1);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy(ctx: &mut Ctx) -> CmdResult {
    let (src_db, now) = (ctx.db(), ctx.now);
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < ctx.argc() {
        if ctx.is(i, "replace") {
            replace = true;
        } else if ctx.is(i, "db") && i + 1 < ctx.argc() {
            dst_db = super::db_index_arg(ctx, i + 1)?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if src_db == dst_db && src == dst {
        return Err(super::same_object());
    }
    // The source is read (its access time updated, the lookup counted); the copy is new.
    let Some(value) = ctx.ks.get(src_db, src, now).cloned() else {
        super::keymiss(ctx, src);
        ctx.out.int(0);
        return Ok(());
    };
    let at = ctx.ks.expire_of(src_db, src);
    if ctx.ks.peek(dst_db, dst, now).is_some() && !replace {
        ctx.out.int(0);
        return Ok(());
    }
    // Redis deletes the old destination and adds the copy: blocked clients are signalled.
    ctx.ks
        .add(dst_db, dst, value, at.map_or(Ttl::Clear, Ttl::At));
    ctx.notify_db(notify::GENERIC, "copy_to", dst, dst_db);
    ctx.out.int(1);
    Ok(())
}

//! Generic key commands of Redis 7.0, one concern per file:
//!
//! - [`basic`]: DEL UNLINK EXISTS TYPE TOUCH RANDOMKEY.
//! - [`expire`]: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME
//!   PEXPIRETIME, PERSIST — and the propagated form (absolute PEXPIREAT, or DEL when the
//!   time has passed).
//! - [`iterate`]: KEYS and SCAN (the cursor parser and option loop the collection SCANs share).
//! - [`relocate`]: RENAME RENAMENX MOVE COPY.
//! - [`object`]: OBJECT ENCODING FREQ IDLETIME REFCOUNT HELP.
//! - [`dump`]: DUMP RESTORE, over the RDB value encoding of the `persist` crate.
//!
//! Lookups follow Redis's kinds: read lookups (`lookupKeyRead`) count hits and misses and fire
//! `keymiss`, some without touching the access time (`LOOKUP_NOTOUCH`); write lookups only
//! apply lazy expiry. Every command checks all its arguments before it changes anything.

pub mod basic;
pub mod dump;
pub mod expire;
pub mod iterate;
pub mod object;
pub mod relocate;

#[cfg(test)]
mod tests;

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::CmdError;
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("del", -2, WRITE, basic::del)
        .keys(1, -1, 1)
        .acl("keyspace write slow"),
    Spec::new("unlink", -2, WRITE | FAST, basic::del)
        .keys(1, -1, 1)
        .acl("keyspace write fast"),
    Spec::new("exists", -2, READONLY | FAST, basic::exists)
        .keys(1, -1, 1)
        .acl("keyspace read fast"),
    Spec::new("type", 2, READONLY | FAST, basic::type_cmd)
        .keys(1, 1, 1)
        .acl("keyspace read fast"),
    Spec::new("touch", -2, READONLY | FAST, basic::touch)
        .keys(1, -1, 1)
        .acl("keyspace read fast"),
    Spec::new("randomkey", 1, READONLY, basic::randomkey).acl("keyspace read slow"),
    Spec::new("expire", -3, WRITE | FAST, expire::expire)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("pexpire", -3, WRITE | FAST, expire::pexpire)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("expireat", -3, WRITE | FAST, expire::expireat)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("pexpireat", -3, WRITE | FAST, expire::pexpireat)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("ttl", 2, READONLY | FAST, expire::ttl)
        .keys(1, 1, 1)
        .acl("keyspace read fast"),
    Spec::new("pttl", 2, READONLY | FAST, expire::pttl)
        .keys(1, 1, 1)
        .acl("keyspace read fast"),
    Spec::new("expiretime", 2, READONLY | FAST, expire::expiretime)
        .keys(1, 1, 1)
        .acl("keyspace read fast"),
    Spec::new("pexpiretime", 2, READONLY | FAST, expire::pexpiretime)
        .keys(1, 1, 1)
        .acl("keyspace read fast"),
    Spec::new("persist", 2, WRITE | FAST, expire::persist)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("keys", 2, READONLY, iterate::keys).acl("keyspace read slow dangerous"),
    Spec::new("scan", -2, READONLY, iterate::scan).acl("keyspace read slow"),
    Spec::new("rename", 3, WRITE, relocate::rename)
        .keys(1, 2, 1)
        .acl("keyspace write slow"),
    Spec::new("renamenx", 3, WRITE | FAST, relocate::renamenx)
        .keys(1, 2, 1)
        .acl("keyspace write fast"),
    Spec::new("move", 3, WRITE | FAST, relocate::move_cmd)
        .keys(1, 1, 1)
        .acl("keyspace write fast"),
    Spec::new("copy", -3, WRITE | DENYOOM, relocate::copy)
        .keys(1, 2, 1)
        .acl("keyspace write slow"),
    Spec::new("object", -2, 0, crate::help_only)
        .acl("slow")
        .subs(object::SUBCOMMANDS),
    Spec::new("dump", 2, READONLY, dump::dump)
        .keys(1, 1, 1)
        .acl("keyspace read slow"),
    Spec::new("restore", -4, WRITE | DENYOOM, dump::restore)
        .keys(1, 1, 1)
        .acl("keyspace write slow dangerous"),
];

/// A read lookup that found nothing owes the `keymiss` notification.
fn keymiss(ctx: &mut Ctx, key: &[u8]) {
    ctx.notify(notify::KEY_MISS, "keymiss", key);
}

/// Parses a database number as Redis's `getIntFromObjectOrReply` then `selectDb` check it
/// (MOVE, COPY … DB).
fn db_index_arg(ctx: &Ctx, i: usize) -> Result<usize, CmdError> {
    let n = ctx.i64_arg(i)?;
    if n < i64::from(i32::MIN) || n > i64::from(i32::MAX) {
        return Err(CmdError::RangeBetween(i32::MIN as i64, i32::MAX as i64));
    }
    if n < 0 || n as usize >= ctx.ks.db_count() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// Redis's reply when a key would be moved or copied onto itself.
fn same_object() -> CmdError {
    CmdError::err("source and destination objects are the same")
}

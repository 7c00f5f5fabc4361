//! String commands: GET, SET and the rest of the string family.

use keyspace::{Ttl, Value};

use crate::config::notify;
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("get", 2, READONLY | FAST, get)
        .keys(1, 1, 1)
        .acl("read string fast"),
    Spec::new("set", -3, WRITE | DENYOOM, set)
        .keys(1, 1, 1)
        .acl("write string slow"),
];

/// Writes a string value as a bulk reply.
pub fn reply_value(ctx: &mut Ctx, v: &Value) -> CmdResult {
    match v {
        Value::Int(n) => ctx.out.bulk_int(*n),
        Value::Str(s) => ctx.out.bulk(s),
        Value::Raw(r) => ctx.out.bulk(r),
    }
    Ok(())
}

/// GET key
fn get(ctx: &mut Ctx) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    match ctx.ks.get(db, ctx.arg(1), now) {
        None => ctx.out.null(),
        Some(v) if !v.is_string() => return Err(CmdError::WrongType),
        Some(Value::Int(n)) => ctx.out.bulk_int(*n),
        Some(Value::Str(s)) => ctx.out.bulk(s),
        Some(Value::Raw(r)) => ctx.out.bulk(r),
    }
    Ok(())
}

/// SET key value (minimal; the string family owner extends it)
fn set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() != 3 {
        return Err(CmdError::Syntax);
    }
    let db = ctx.db();
    ctx.ks
        .set(db, ctx.arg(1), Value::string(ctx.arg(2)), Ttl::Clear);
    ctx.notify(notify::STRING, "set", ctx.arg(1));
    ctx.out.ok();
    Ok(())
}

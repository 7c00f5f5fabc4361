//! SLOWLOG GET [count] / LEN / RESET / HELP. The executor records the entries
//! (`exec::maybe_slowlog`); this module only reads and clears them.

use crate::ctx::Ctx;
use crate::errors::{subcommand_syntax, CmdError, CmdResult};
use crate::table::{flag::*, Spec};

const ADM: u32 = ADMIN | LOADING | STALE;
const ACL: &str = "admin slow dangerous";

pub const SPEC: Spec = Spec::new("slowlog", -2, 0, crate::help_only).subs(&[
    Spec::new("len", 2, ADM, len).acl(ACL),
    Spec::new("help", 2, LOADING | STALE, help).acl("slow"),
    Spec::new("reset", 2, ADM, reset).acl(ACL),
    Spec::new("get", -2, ADM, get).acl(ACL),
]);

/// SLOWLOG GET [count]
fn get(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx.args));
    }
    let total = ctx.srv.slowlog.len();
    let mut count = 10usize;
    if ctx.argc() == 3 {
        let n = ctx
            .i64_arg(2)
            .ok()
            .filter(|n| *n >= -1)
            .ok_or(CmdError::err("count should be greater than or equal to -1"))?;
        count = if n == -1 {
            total
        } else {
            usize::try_from(n).unwrap_or(usize::MAX)
        };
    }
    let count = count.min(total);
    let out = &mut *ctx.out;
    out.array(count);
    for e in ctx.srv.slowlog.iter().take(count) {
        out.array(6);
        out.int(e.id as i64);
        out.int(e.time);
        out.int(e.usec as i64);
        out.array(e.args.len());
        for a in &e.args {
            out.bulk(a);
        }
        out.bulk(e.addr.as_bytes());
        out.bulk(e.name.as_bytes());
    }
    Ok(())
}

/// SLOWLOG LEN
fn len(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.srv.slowlog.len() as i64);
    Ok(())
}

/// SLOWLOG RESET
fn reset(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.slowlog.clear();
    ctx.out.ok();
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

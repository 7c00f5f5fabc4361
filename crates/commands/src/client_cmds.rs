//! CLIENT subcommands: ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE REPLY NO-EVICT
//! GETREDIR TRACKINGINFO UNBLOCK HELP. Other connections are reached through their
//! [`ClientShared`] in the registry; a killed connection is dropped from the registry at once
//! and its task closes the socket when it next wakes.

use std::fmt::Write;

use resp::Proto;

use crate::client::{ClientShared, ReplyMode};
use crate::ctx::Ctx;
use crate::errors::{subcommand_syntax, CmdError, CmdResult};
use crate::state::Pause;
use crate::table::{flag::*, table, Spec};

const CONN: u32 = NOSCRIPT | LOADING | STALE;
const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const ACL: &str = "slow connection";
const ADM_ACL: &str = "admin slow dangerous connection";

pub const TABLE: &[Spec] = &[Spec::new("client", -2, 0, crate::help_only).subs(&[
    Spec::new("pause", -3, ADM, pause).acl(ADM_ACL),
    Spec::new("reply", 3, CONN, reply).acl(ACL),
    Spec::new("no-evict", 3, ADM, no_evict).acl(ADM_ACL),
    Spec::new("help", 2, LOADING | STALE, help).acl(ACL),
    Spec::new("trackinginfo", 2, CONN, trackinginfo).acl(ACL),
    Spec::new("kill", -3, ADM, kill).acl(ADM_ACL),
    Spec::new("unblock", -3, ADM, unblock).acl(ADM_ACL),
    Spec::new("getredir", 2, CONN, getredir).acl(ACL),
    Spec::new("unpause", 2, ADM, unpause).acl(ADM_ACL),
    Spec::new("id", 2, CONN, client_id).acl(ACL),
    Spec::new("getname", 2, CONN, getname).acl(ACL),
    Spec::new("info", 2, CONN, info).acl(ACL),
    Spec::new("setname", 3, CONN, setname).acl(ACL),
    Spec::new("list", -2, ADM, list).acl(ADM_ACL),
])];

/// Client names may not contain spaces, newlines or other special characters.
pub fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Pubsub,
    Primary,
}

fn client_type_by_name(name: &[u8]) -> Result<ClientType, CmdError> {
    let n = String::from_utf8_lossy(name).to_ascii_lowercase();
    match n.as_str() {
        "normal" => Ok(ClientType::Normal),
        "slave" | "replica" => Ok(ClientType::Replica),
        "pubsub" => Ok(ClientType::Pubsub),
        "master" => Ok(ClientType::Primary),
        _ => Err(CmdError::err_owned(format!(
            "Unknown client type '{}'",
            String::from_utf8_lossy(name)
        ))),
    }
}

/// Redis's `getClientType`: MONITOR clients count as normal.
fn client_type(c: &ClientShared) -> ClientType {
    let f = c.flags.borrow();
    if f.contains('M') {
        ClientType::Primary
    } else if f.contains('S') {
        ClientType::Replica
    } else if f.contains('P') {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// The flags field, with `d` for a client whose watched keys changed.
fn flags_field(c: &ClientShared, dirty_cas: bool) -> String {
    let f = c.flags.borrow().clone();
    if !dirty_cas {
        return f;
    }
    let f = if f == "N" { String::new() } else { f };
    // `d` sits after the multi/blocked/tracking flags and before the closing ones.
    let at = f.find(['c', 'u', 'A', 'U', 'r', 'e']).unwrap_or(f.len());
    let mut out = f;
    out.insert(at, 'd');
    out
}

/// One CLIENT LIST / CLIENT INFO line (without the newline), in Redis 7.0's field order.
fn info_line(ctx: &Ctx, c: &ClientShared) -> String {
    let me = c.id == ctx.client.id;
    let now = ctx.now;
    let name = c
        .name
        .borrow()
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let idle = if me {
        0
    } else {
        (now - c.last_interaction_ms.get()).max(0) / 1000
    };
    let cmd = if me {
        ctx.entry.fullname.as_str()
    } else {
        c.last_cmd
            .get()
            .and_then(|i| table().entries.get(i))
            .map_or("NULL", |e| e.fullname.as_str())
    };
    let argv_mem: usize = if me {
        ctx.args.iter().map(|a| a.len()).sum()
    } else {
        0
    };
    let user = if me {
        ctx.client.user.as_str()
    } else {
        "default"
    };
    let qbuf = c.qbuf.get();
    let omem = c.omem.get();
    let mut s = String::with_capacity(300);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub=0 multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs=1024 rbp=0 obl=0 \
         oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        name,
        (now - c.created_ms).max(0) / 1000,
        idle,
        flags_field(c, ctx.srv.cas_dirty.contains(&c.id)),
        c.db.get(),
        c.sub_count.get(),
        c.psub_count.get(),
        c.multi_count.get(),
        qbuf,
        0,
        argv_mem,
        omem,
        1024 + qbuf + omem + argv_mem,
        cmd,
        user,
        if c.proto.get() == Proto::Resp3 { 3 } else { 2 },
    );
    s
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT SETNAME connection-name
fn setname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.args[2].clone();
    validate_name(&name)?;
    *ctx.client.shared.name.borrow_mut() = (!name.is_empty()).then_some(name);
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETNAME
fn getname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.client.shared.name.borrow().clone();
    match name {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// CLIENT INFO
fn info(ctx: &mut Ctx) -> CmdResult {
    ctx.client.sync_shared();
    let me = ctx.client.shared.clone();
    let mut line = info_line(ctx, &me);
    line.push('\n');
    ctx.out.verbatim("txt", line.as_bytes());
    Ok(())
}

/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
fn list(ctx: &mut Ctx) -> CmdResult {
    ctx.client.sync_shared();
    let mut chosen = Vec::new();
    if ctx.argc() == 4 && ctx.is(2, "type") {
        let t = client_type_by_name(ctx.arg(3))?;
        chosen.extend(
            ctx.srv
                .clients
                .values()
                .filter(|c| client_type(c) == t)
                .cloned(),
        );
    } else if ctx.argc() > 3 && ctx.is(2, "id") {
        for i in 3..ctx.argc() {
            let id = ctx
                .i64_arg(i)
                .map_err(|_| CmdError::err("Invalid client ID"))?;
            if let Some(c) = u64::try_from(id)
                .ok()
                .and_then(|id| ctx.srv.clients.get(&id))
            {
                chosen.push(c.clone());
            }
        }
    } else if ctx.argc() != 2 {
        return Err(CmdError::Syntax);
    } else {
        chosen.extend(ctx.srv.clients.values().cloned());
    }
    let mut text = String::new();
    for c in &chosen {
        text.push_str(&info_line(ctx, c));
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// CLIENT KILL ip:port
/// CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
fn kill(ctx: &mut Ctx) -> CmdResult {
    let mut id: Option<u64> = None;
    let mut ctype = None;
    let mut addr: Option<Vec<u8>> = None;
    let mut laddr: Option<Vec<u8>> = None;
    let mut skipme = true;
    let old_form = ctx.argc() == 3;
    if old_form {
        addr = Some(ctx.arg(2).to_vec());
        skipme = false;
    } else if ctx.argc().is_multiple_of(2) {
        let mut i = 2;
        while i < ctx.argc() {
            let v = ctx.arg(i + 1);
            if ctx.is(i, "id") {
                let n = ctx
                    .i64_arg(i + 1)
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or(CmdError::err("client-id should be greater than 0"))?;
                id = Some(n as u64);
            } else if ctx.is(i, "type") {
                ctype = Some(client_type_by_name(v)?);
            } else if ctx.is(i, "addr") {
                addr = Some(v.to_vec());
            } else if ctx.is(i, "laddr") {
                laddr = Some(v.to_vec());
            } else if ctx.is(i, "user") {
                // Only the default user exists until ACL users do.
                if v != b"default" {
                    return Err(CmdError::err_owned(format!(
                        "No such user '{}'",
                        String::from_utf8_lossy(v)
                    )));
                }
            } else if ctx.is(i, "skipme") {
                skipme = if ctx.is(i + 1, "yes") {
                    true
                } else if ctx.is(i + 1, "no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                };
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.sync_shared();
    let me = ctx.client.id;
    let victims: Vec<u64> = ctx
        .srv
        .clients
        .values()
        .filter(|c| addr.as_ref().is_none_or(|a| a[..] == *c.addr.as_bytes()))
        .filter(|c| laddr.as_ref().is_none_or(|a| a[..] == *c.laddr.as_bytes()))
        .filter(|c| ctype.is_none_or(|t| client_type(c) == t))
        .filter(|c| id.is_none_or(|i| c.id == i))
        .filter(|c| !(skipme && c.id == me))
        .map(|c| c.id)
        .collect();
    for v in &victims {
        if *v == me {
            ctx.client.close_after_reply = true;
        } else if let Some(c) = ctx.srv.clients.remove(v) {
            ctx.srv.monitors.retain(|m| m != v);
            c.kill();
        }
    }
    if old_form {
        if victims.is_empty() {
            return Err(CmdError::err("No such client"));
        }
        ctx.out.ok();
    } else {
        ctx.out.int(victims.len() as i64);
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]
fn pause(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(subcommand_syntax(ctx.args));
    }
    let mut writes_only = false;
    if ctx.argc() == 4 {
        if ctx.is(3, "write") {
            writes_only = true;
        } else if !ctx.is(3, "all") {
            return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL"));
        }
    }
    let ms = ctx.i64_arg(2).map_err(|_| CmdError::Timeout)?;
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let end = if ms > 0 {
        ms.checked_add(ctx.now)
            .ok_or(CmdError::err("timeout is out of range"))?
    } else {
        0
    };
    // A later end time wins; the mode is the latest one asked for.
    let until_ms = match ctx.srv.pause {
        Some(p) if p.until_ms > ctx.now => p.until_ms.max(end),
        _ => end,
    };
    ctx.srv.pause = (until_ms > ctx.now).then_some(Pause {
        until_ms,
        writes_only,
    });
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNPAUSE
fn unpause(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.pause = None;
    ctx.out.ok();
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP
fn reply(ctx: &mut Ctx) -> CmdResult {
    if ctx.is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if ctx.is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if ctx.is(2, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF
fn no_evict(ctx: &mut Ctx) -> CmdResult {
    if ctx.is(2, "on") {
        ctx.client.no_evict = true;
    } else if ctx.is(2, "off") {
        ctx.client.no_evict = false;
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.sync_shared();
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR: tracking is not supported, so there is never a redirection.
fn getredir(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(-1);
    Ok(())
}

/// CLIENT TRACKINGINFO: always the reply of a client with tracking off.
fn trackinginfo(ctx: &mut Ctx) -> CmdResult {
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(1);
    out.bulk(b"off");
    out.bulk(b"redirect");
    out.int(-1);
    out.bulk(b"prefixes");
    out.array(0);
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
fn unblock(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(subcommand_syntax(ctx.args));
    }
    if ctx.argc() == 4 && !ctx.is(3, "timeout") && !ctx.is(3, "error") {
        return Err(CmdError::err(
            "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ));
    }
    let id = ctx.i64_arg(2)?;
    let error = ctx.argc() == 4 && ctx.is(3, "error");
    let done = crate::blocking::unblock_by_admin(ctx.ks, ctx.srv, id as u64, error);
    ctx.out.int(i64::from(done));
    Ok(())
}

fn help(ctx: &mut Ctx) -> CmdResult {
    crate::reply_help(
        ctx,
        "CLIENT",
        &[
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert!(validate_name(b"ok-name").is_ok());
        assert!(validate_name(b"a b").is_err());
        assert_eq!(client_type_by_name(b"REPLICA"), Ok(ClientType::Replica));
        assert_eq!(client_type_by_name(b"slave"), Ok(ClientType::Replica));
        assert!(client_type_by_name(b"foo").is_err());
    }

    #[test]
    fn dirty_cas_flag_position() {
        let c = ClientShared::new(1, "a".into(), "b".into(), 3, 0);
        assert_eq!(flags_field(&c, false), "N");
        assert_eq!(flags_field(&c, true), "d");
        *c.flags.borrow_mut() = "xce".into();
        assert_eq!(flags_field(&c, true), "xdce");
    }
}

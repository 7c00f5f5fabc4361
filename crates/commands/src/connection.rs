//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET.

use bytes::Bytes;
use resp::Proto;

use crate::client::{Kind, ReplyMode};
use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::table::{flag::*, Spec};

pub const TABLE: &[Spec] = &[
    Spec::new("ping", -1, FAST | SENTINEL, ping).acl("fast connection"),
    Spec::new("echo", 2, LOADING | STALE | FAST, echo).acl("fast connection"),
    Spec::new("select", 2, LOADING | STALE | FAST, select).acl("fast connection"),
    Spec::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        quit,
    )
    .acl("fast connection"),
    Spec::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        hello,
    )
    .acl("fast connection"),
    Spec::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        auth,
    )
    .acl("fast connection"),
    Spec::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        reset,
    )
    .acl("fast connection"),
];

/// PING [message]
fn ping(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 2 {
        return Err(CmdError::Arity(ctx.name().into()));
    }
    if ctx.client.in_pubsub() && ctx.client.shared.proto.get() == Proto::Resp2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(ctx.args.get(1).map_or(&b""[..], |a| &a[..]));
    } else if ctx.argc() == 2 {
        ctx.out.bulk(&ctx.args[1]);
    } else {
        ctx.out.simple("PONG");
    }
    Ok(())
}

/// ECHO message
fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.out.bulk(&ctx.args[1]);
    Ok(())
}

/// SELECT index
fn select(ctx: &mut Ctx) -> CmdResult {
    let id = ctx.i64_arg(1)?;
    if id < i32::MIN as i64 || id > i32::MAX as i64 {
        return Err(CmdError::NotInteger);
    }
    if id < 0 || id as usize >= ctx.ks.db_count() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    ctx.client.db = id as usize;
    ctx.client.shared.db.set(id as usize);
    ctx.out.ok();
    Ok(())
}

/// QUIT
fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

/// Checks a password for `user`; only the default user exists without ACL files.
fn check_password(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &ctx.srv.config.requirepass {
        None => true,
        Some(p) => p[..] == *pass,
    }
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass): (&[u8], &[u8]) = if ctx.argc() == 2 {
        (b"default", ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if ctx.argc() == 2 && ctx.srv.config.requirepass.is_none() {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if !check_password(ctx, user, pass) {
        return Err(CmdError::WrongPass);
    }
    ctx.client.authenticated = true;
    ctx.client.user = String::from_utf8_lossy(user).into_owned();
    ctx.out.ok();
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx) -> CmdResult {
    let mut ver = None;
    let mut i = 1;
    if ctx.argc() >= 2 {
        let v = ctx
            .i64_arg(1)
            .map_err(|_| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::Raw("NOPROTO unsupported protocol version".into()));
        }
        ver = Some(v);
        i = 2;
    }
    let mut auth: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    while i < ctx.argc() {
        let more = ctx.argc() - i - 1;
        if ctx.is(i, "auth") && more >= 2 {
            auth = Some((ctx.args[i + 1].clone(), ctx.args[i + 2].clone()));
            i += 3;
        } else if ctx.is(i, "setname") && more >= 1 {
            name = Some(ctx.args[i + 1].clone());
            i += 2;
        } else {
            return Err(CmdError::err_owned(format!(
                "Syntax error in HELLO option '{}'",
                crate::errors::trunc(&ctx.args[i], 128)
            )));
        }
    }
    if let Some((u, p)) = &auth {
        if !check_password(ctx, u, p) {
            return Err(CmdError::WrongPass);
        }
        ctx.client.authenticated = true;
        ctx.client.user = String::from_utf8_lossy(u).into_owned();
    }
    if !ctx.client.authenticated {
        return Err(CmdError::Raw(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into(),
        ));
    }
    if let Some(n) = name {
        crate::client_cmds::validate_name(&n)?;
        *ctx.client.shared.name.borrow_mut() = (!n.is_empty()).then_some(n);
    }
    if let Some(v) = ver {
        let proto = if v == 3 { Proto::Resp3 } else { Proto::Resp2 };
        ctx.out.proto = proto;
        ctx.client.shared.proto.set(proto);
    }
    let role = if ctx.srv.is_replica() {
        "replica"
    } else {
        "master"
    };
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::info::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.proto == Proto::Resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.client.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(role.as_bytes());
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// RESET: back to a fresh connection's state.
fn reset(ctx: &mut Ctx) -> CmdResult {
    crate::multi::discard_transaction(ctx.ks, ctx.srv, ctx.client);
    crate::pubsub::unsubscribe_all(ctx.srv, ctx.client);
    if ctx.client.kind == Kind::Monitor {
        ctx.srv.monitors.retain(|&i| i != ctx.client.id);
        ctx.client.kind = Kind::Normal;
    }
    ctx.client.db = 0;
    ctx.client.reply_mode = ReplyMode::On;
    ctx.client.no_evict = false;
    ctx.client.authenticated = ctx.srv.config.requirepass.is_none();
    ctx.client.user = "default".into();
    *ctx.client.shared.name.borrow_mut() = None;
    ctx.out.proto = Proto::Resp2;
    ctx.client.shared.proto.set(Proto::Resp2);
    ctx.client.sync_shared();
    ctx.out.simple("RESET");
    Ok(())
}

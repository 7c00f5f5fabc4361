//! The Sentinel's own port: the listener, one task per client connection, the checks Redis
//! makes before running a command (unknown command, arity, AUTH, pub/sub context), and the
//! commands a Redis 7.0 sentinel accepts besides SENTINEL ([`super::commands`]) and CLIENT
//! ([`super::client`]): PING, INFO, ROLE, HELLO, AUTH, COMMAND, ACL, SHUTDOWN, the pub/sub
//! commands — clients subscribe to the event channels (`+switch-master`, `+sdown`, …) — and
//! PUBLISH, which only accepts hello messages from other sentinels.
//!
//! Requests are decoded with `resp::parse_request` (RESP multibulk and inline), replies
//! written with `ReplyWriter` in the client's protocol (RESP2, or RESP3 after HELLO 3), one
//! flush per read batch. Pub/sub messages reach a client through its channel in the
//! [`Registry`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use resp::{parse_request, request::Request, Proto, ReplyWriter, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::conffile::{Settings, REDIS_VERSION};
use super::{client, commands, views, Driver};
use crate::core::glob;
use crate::core::Event;

const HELLO_CHANNEL: &[u8] = b"__sentinel__:hello";

pub(crate) enum ClientMsg {
    Push(Bytes),
    Kill,
}

/// One client connection's state, shared with the registry for CLIENT LIST/KILL and
/// publishing.
pub(crate) struct ClientState {
    pub id: u64,
    pub name: String,
    pub addr: String,
    pub laddr: String,
    pub proto: Proto,
    pub authed: bool,
    pub channels: BTreeSet<Vec<u8>>,
    pub patterns: BTreeSet<Vec<u8>>,
    pub created: Instant,
    pub last_cmd: String,
    pub(crate) tx: UnboundedSender<ClientMsg>,
}

impl ClientState {
    pub(crate) fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    pub clients: BTreeMap<u64, Rc<RefCell<ClientState>>>,
    next_id: u64,
    pub total_connections: u64,
    pub total_commands: u64,
}

/// Binds the configured addresses (all interfaces when no `bind` is given, as a sentinel
/// does by default).
pub(crate) fn bind(st: &Settings) -> std::io::Result<Vec<TcpListener>> {
    let binds: Vec<String> = if st.bind.is_empty() {
        vec!["0.0.0.0".into(), "::".into()]
    } else {
        st.bind
            .iter()
            .map(|b| match b.trim_start_matches('-') {
                "*" => "0.0.0.0".to_string(),
                "::*" => "::".to_string(),
                other => other.to_string(),
            })
            .collect()
    };
    let mut out = Vec::new();
    let mut last_err = None;
    for b in binds {
        match listen(&b, st.port) {
            Ok(l) => out.push(l),
            Err(e) => last_err = Some(e),
        }
    }
    match (out.is_empty(), last_err) {
        (true, Some(e)) => Err(e),
        _ => Ok(out),
    }
}

/// One listening socket; IPv6 ones are IPv6-only so that `0.0.0.0` and `::` can coexist.
fn listen(host: &str, port: u16) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let addr = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::SocketAddr::new(ip, port),
        Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?
            .next()
            .ok_or_else(|| std::io::Error::other("bind address does not resolve"))?,
    };
    let ip = addr.ip();
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if ip.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(511)?;
    TcpListener::from_std(sock.into())
}

pub(crate) async fn accept_loop(drv: Rc<Driver>, l: TcpListener) {
    loop {
        match l.accept().await {
            Ok((s, _)) => {
                let _ = s.set_nodelay(true);
                tokio::task::spawn_local(client_task(drv.clone(), s));
            }
            // Out of descriptors, most likely: let connections close before trying again.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

pub(crate) enum Flow {
    Continue,
    Close,
}

async fn client_task(drv: Rc<Driver>, stream: TcpStream) {
    let (tx, mut rx) = unbounded_channel();
    let st = {
        let mut reg = drv.clients.borrow_mut();
        reg.next_id += 1;
        reg.total_connections += 1;
        let st = Rc::new(RefCell::new(ClientState {
            id: reg.next_id,
            name: String::new(),
            addr: stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            laddr: stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            proto: Proto::Resp2,
            authed: drv.settings.borrow().requirepass.is_none(),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            created: Instant::now(),
            last_cmd: "NULL".into(),
            tx,
        }));
        let id = reg.next_id;
        reg.clients.insert(id, st.clone());
        st
    };
    let id = st.borrow().id;
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut ranges = Vec::new();
    loop {
        tokio::select! {
            r = rd.read_buf(&mut buf) => {
                if !matches!(r, Ok(n) if n > 0) {
                    break;
                }
                let mut w = ReplyWriter::new(st.borrow().proto);
                let flow = run_batch(&drv, &st, &mut buf, &mut ranges, &mut w);
                if wr.write_all(&w.buf).await.is_err() || matches!(flow, Flow::Close) {
                    break;
                }
            }
            m = rx.recv() => match m {
                Some(ClientMsg::Push(b)) => {
                    if wr.write_all(&b).await.is_err() {
                        break;
                    }
                }
                Some(ClientMsg::Kill) | None => break,
            },
        }
    }
    drv.clients.borrow_mut().clients.remove(&id);
}

/// Executes every complete request in `buf`.
fn run_batch(
    drv: &Rc<Driver>,
    st: &Rc<RefCell<ClientState>>,
    buf: &mut BytesMut,
    ranges: &mut Vec<std::ops::Range<usize>>,
    w: &mut ReplyWriter,
) -> Flow {
    loop {
        let limits = RequestLimits {
            authenticated: st.borrow().authed,
            ..Default::default()
        };
        ranges.clear();
        let args: Vec<Vec<u8>> = match parse_request(buf, &limits, ranges) {
            Ok(None) => return Flow::Continue,
            Ok(Some(Request::Multibulk { consumed })) => {
                let a = ranges.iter().map(|r| buf[r.clone()].to_vec()).collect();
                buf.advance(consumed);
                a
            }
            Ok(Some(Request::Inline { consumed, args })) => {
                buf.advance(consumed);
                args
            }
            Err(e) => {
                w.error(&format!("ERR {}", e.0));
                return Flow::Close;
            }
        };
        if args.is_empty() {
            continue;
        }
        drv.clients.borrow_mut().total_commands += 1;
        if let Flow::Close = dispatch(drv, st, &args, w) {
            return Flow::Close;
        }
    }
}

/// name, arity (negative: at least), callable before AUTH
const COMMANDS: &[(&str, i32, bool)] = &[
    ("acl", -2, false),
    ("auth", -2, true),
    ("client", -2, false),
    ("command", -1, false),
    ("hello", -1, true),
    ("info", -1, false),
    ("ping", -1, false),
    ("psubscribe", -2, false),
    ("publish", 3, false),
    ("punsubscribe", -1, false),
    ("role", 1, false),
    ("sentinel", -2, false),
    ("shutdown", -1, false),
    ("subscribe", -2, false),
    ("unsubscribe", -1, false),
];

pub(crate) fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

fn unknown_command(args: &[Vec<u8>]) -> String {
    let name = String::from_utf8_lossy(&args[0]);
    let mut rest = String::new();
    for a in &args[1..] {
        if rest.len() >= 128 {
            break;
        }
        let room = 128 - rest.len();
        let s = String::from_utf8_lossy(a);
        let cut: String = s.chars().take(room).collect();
        rest.push_str(&format!("'{cut}' "));
    }
    let name: String = name.chars().take(128).collect();
    format!("ERR unknown command '{name}', with args beginning with: {rest}")
}

fn dispatch(
    drv: &Rc<Driver>,
    st: &Rc<RefCell<ClientState>>,
    args: &[Vec<u8>],
    w: &mut ReplyWriter,
) -> Flow {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    if name == "quit" {
        w.ok();
        return Flow::Close;
    }
    let Some(&(cmd, arity, no_auth)) = COMMANDS.iter().find(|c| c.0 == name) else {
        w.error(&unknown_command(args));
        return Flow::Continue;
    };
    st.borrow_mut().last_cmd = cmd.to_string();
    if !arity_ok(arity, args.len()) {
        w.error(&format!(
            "ERR wrong number of arguments for '{cmd}' command"
        ));
        return Flow::Continue;
    }
    let mut fullname = cmd.to_string();
    if cmd == "sentinel" {
        match commands::lookup(args) {
            Ok(f) => fullname = f,
            Err(e) => {
                w.error(&e);
                return Flow::Continue;
            }
        }
    }
    if !no_auth && !st.borrow().authed {
        w.error("NOAUTH Authentication required.");
        return Flow::Continue;
    }
    let subscribed = {
        let s = st.borrow();
        s.proto == Proto::Resp2 && s.subscriptions() > 0
    };
    let pubsub_ok = matches!(
        cmd,
        "ping" | "subscribe" | "psubscribe" | "unsubscribe" | "punsubscribe"
    );
    if subscribed && !pubsub_ok {
        w.error(&format!("ERR Can't execute '{fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
        return Flow::Continue;
    }
    match cmd {
        "acl" => acl(args, w),
        "auth" => auth(drv, st, args, w),
        "client" => return client::client(drv, st, args, w),
        "command" => command(args, w),
        "hello" => hello(drv, st, args, w),
        "info" => {
            let text = views::info(drv, &args[1..]);
            w.bulk(text.as_bytes());
        }
        "ping" => ping(subscribed, args, w),
        "subscribe" | "psubscribe" => subscribe(st, cmd == "psubscribe", &args[1..], w),
        "unsubscribe" | "punsubscribe" => unsubscribe(st, cmd == "punsubscribe", &args[1..], w),
        "publish" => publish_cmd(drv, args, w),
        "role" => {
            let core = drv.core.borrow();
            w.array(2);
            w.bulk(b"sentinel");
            let names: Vec<&str> = core.masters().map(|m| m.name.as_str()).collect();
            w.array(names.len());
            for n in names {
                w.bulk(n.as_bytes());
            }
        }
        "sentinel" => commands::sentinel(drv, args, w),
        "shutdown" => return shutdown(drv, args, w),
        _ => w.error(&unknown_command(args)),
    }
    Flow::Continue
}

pub(crate) fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

fn ping(subscribed: bool, args: &[Vec<u8>], w: &mut ReplyWriter) {
    if args.len() > 2 {
        w.error("ERR wrong number of arguments for 'ping' command");
    } else if subscribed {
        w.array(2);
        w.bulk(b"pong");
        w.bulk(args.get(1).map(Vec::as_slice).unwrap_or(b""));
    } else if let Some(a) = args.get(1) {
        w.bulk(a);
    } else {
        w.simple("PONG");
    }
}

/// Checks a user/password pair against `requirepass` (the default user is the only one).
fn check_password(drv: &Driver, user: Option<&[u8]>, pass: &[u8]) -> bool {
    if user.is_some_and(|u| u != b"default") {
        return false;
    }
    match &drv.settings.borrow().requirepass {
        Some(p) => p.as_bytes() == pass,
        None => true,
    }
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn auth(drv: &Driver, st: &RefCell<ClientState>, args: &[Vec<u8>], w: &mut ReplyWriter) {
    if args.len() > 3 {
        w.error("ERR syntax error");
        return;
    }
    if args.len() == 2 && drv.settings.borrow().requirepass.is_none() {
        w.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        return;
    }
    let (user, pass) = if args.len() == 3 {
        (Some(args[1].as_slice()), &args[2])
    } else {
        (None, &args[1])
    };
    if check_password(drv, user, pass) {
        st.borrow_mut().authed = true;
        w.ok();
    } else {
        w.error(WRONGPASS);
    }
}

fn hello(drv: &Driver, st: &RefCell<ClientState>, args: &[Vec<u8>], w: &mut ReplyWriter) {
    let mut proto = None;
    if let Some(v) = args.get(1) {
        match resp::parse_i64(v) {
            Some(n) if n == 2 || n == 3 => proto = Some(n),
            Some(_) => {
                w.error("NOPROTO unsupported protocol version");
                return;
            }
            None => {
                w.error("ERR Protocol version is not an integer or out of range");
                return;
            }
        }
    }
    let mut auth: Option<(&[u8], &[u8])> = None;
    let mut setname = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        match lower(&args[i]).as_str() {
            "auth" if more >= 2 => {
                auth = Some((&args[i + 1], &args[i + 2]));
                i += 3;
            }
            "setname" if more >= 1 => {
                setname = Some(args[i + 1].clone());
                i += 2;
            }
            _ => {
                let opt = String::from_utf8_lossy(&args[i]);
                w.error(&format!("ERR Syntax error in HELLO option '{opt}'"));
                return;
            }
        }
    }
    if let Some((u, p)) = auth {
        if !check_password(drv, Some(u), p) {
            w.error(WRONGPASS);
            return;
        }
        st.borrow_mut().authed = true;
    }
    if !st.borrow().authed {
        w.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if let Some(n) = setname {
        if let Err(e) = client::set_name(st, &n) {
            w.error(e);
            return;
        }
    }
    let mut s = st.borrow_mut();
    if let Some(p) = proto {
        s.proto = if p == 3 { Proto::Resp3 } else { Proto::Resp2 };
        w.proto = s.proto;
    }
    w.map(6);
    w.bulk(b"server");
    w.bulk(b"redis");
    w.bulk(b"version");
    w.bulk(REDIS_VERSION.as_bytes());
    w.bulk(b"proto");
    w.int(if s.proto == Proto::Resp3 { 3 } else { 2 });
    w.bulk(b"id");
    w.int(s.id as i64);
    w.bulk(b"mode");
    w.bulk(b"sentinel");
    w.bulk(b"modules");
    w.array(0);
}

fn command(args: &[Vec<u8>], w: &mut ReplyWriter) {
    match args.get(1).map(|a| lower(a)).as_deref() {
        Some("count") => w.int(COMMANDS.len() as i64),
        Some("docs") => w.map(0),
        _ => w.array(0),
    }
}

fn acl(args: &[Vec<u8>], w: &mut ReplyWriter) {
    match lower(&args[1]).as_str() {
        "whoami" => w.bulk(b"default"),
        "users" => {
            w.array(1);
            w.bulk(b"default");
        }
        _ => {
            let s = String::from_utf8_lossy(&args[1]);
            w.error(&format!("ERR unknown subcommand '{s}'. Try ACL HELP."));
        }
    }
}

fn shutdown(drv: &Driver, args: &[Vec<u8>], w: &mut ReplyWriter) -> Flow {
    for a in &args[1..] {
        if !matches!(lower(a).as_str(), "nosave" | "save" | "now" | "force") {
            w.error("ERR syntax error");
            return Flow::Continue;
        }
    }
    drv.log(super::LogLevel::Warning, "User requested shutdown...");
    drv.shutdown(0);
    Flow::Close
}

fn subscribe(st: &RefCell<ClientState>, pattern: bool, names: &[Vec<u8>], w: &mut ReplyWriter) {
    let mut s = st.borrow_mut();
    for n in names {
        if pattern {
            s.patterns.insert(n.clone());
        } else {
            s.channels.insert(n.clone());
        }
        w.push(3);
        w.bulk(if pattern { b"psubscribe" } else { b"subscribe" });
        w.bulk(n);
        w.int(s.subscriptions() as i64);
    }
}

fn unsubscribe(st: &RefCell<ClientState>, pattern: bool, names: &[Vec<u8>], w: &mut ReplyWriter) {
    let mut s = st.borrow_mut();
    let kind: &[u8] = if pattern {
        b"punsubscribe"
    } else {
        b"unsubscribe"
    };
    let names: Vec<Vec<u8>> = if names.is_empty() {
        let set = if pattern { &s.patterns } else { &s.channels };
        set.iter().cloned().collect()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        w.push(3);
        w.bulk(kind);
        w.null();
        w.int(s.subscriptions() as i64);
        return;
    }
    for n in names {
        if pattern {
            s.patterns.remove(&n);
        } else {
            s.channels.remove(&n);
        }
        w.push(3);
        w.bulk(kind);
        w.bulk(&n);
        w.int(s.subscriptions() as i64);
    }
}

fn publish_cmd(drv: &Rc<Driver>, args: &[Vec<u8>], w: &mut ReplyWriter) {
    if args[1] != HELLO_CHANNEL {
        w.error("ERR Only HELLO messages are accepted by Sentinel instances.");
        return;
    }
    let payload = String::from_utf8_lossy(&args[2]).into_owned();
    drv.feed(Event::Hello { via: None, payload });
    w.int(1);
}

/// Sends an event to every client subscribed to `channel` or to a matching pattern.
pub(crate) fn publish(drv: &Driver, channel: &[u8], message: &[u8]) {
    let reg = drv.clients.borrow();
    for c in reg.clients.values() {
        let c = c.borrow();
        if c.channels.contains(channel) {
            let mut w = ReplyWriter::new(c.proto);
            w.push(3);
            w.bulk(b"message");
            w.bulk(channel);
            w.bulk(message);
            let _ = c.tx.send(ClientMsg::Push(w.buf.freeze()));
        }
        for p in &c.patterns {
            if glob::matches(p, channel) {
                let mut w = ReplyWriter::new(c.proto);
                w.push(4);
                w.bulk(b"pmessage");
                w.bulk(p);
                w.bulk(channel);
                w.bulk(message);
                let _ = c.tx.send(ClientMsg::Push(w.buf.freeze()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{arity_ok, unknown_command};

    #[test]
    fn unknown_command_quotes_args_up_to_128_bytes() {
        let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            unknown_command(&a(&["GET", "x", "y"])),
            "ERR unknown command 'GET', with args beginning with: 'x' 'y' "
        );
        let long = "z".repeat(200);
        let e = unknown_command(&a(&["foo", &long, "next"]));
        assert!(e.ends_with(&format!("'{}' ", "z".repeat(128))), "{e}");
    }

    #[test]
    fn arity_is_exact_or_minimum() {
        assert!(arity_ok(3, 3) && !arity_ok(3, 4));
        assert!(arity_ok(-2, 2) && arity_ok(-2, 5) && !arity_ok(-2, 1));
    }
}

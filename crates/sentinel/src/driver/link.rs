//! Links to monitored addresses: one task per address, alive from the core's `Connect` to its
//! `Disconnect`.
//!
//! A server link is a command connection plus a pub/sub connection subscribed to
//! `__sentinel__:hello`; a sentinel link is a command connection only. Each connection
//! starts with AUTH (the master's auth-user/auth-pass for servers; sentinel-user/pass, or
//! else requirepass, for sentinels) and CLIENT SETNAME `sentinel-<id>-cmd|pubsub`, as Redis
//! does. `LinkUp` is reported once every connection of the link is established; a failure of
//! either closes both, reports `LinkDown` and retries one ping period after the last attempt.
//!
//! Commands are queued with what their reply means ([`Expect`]); replies arrive in order on
//! the command connection and are turned into core events here.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use resp::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::{now_ms, Driver};
use crate::core::{Addr, Event, Hello, InfoReport, LinkKind, PingReply};

const HELLO_CHANNEL: &str = "__sentinel__:hello";
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// A reply larger than this is a broken peer, not an INFO.
const MAX_BUFFER: usize = 64 * 1024 * 1024;

/// What a reply on the command connection is for.
#[derive(Debug, Clone)]
pub(crate) enum Expect {
    Ping,
    Info,
    Ask { master: String },
    Exec,
    Discard,
}

/// One command for the command connection.
pub(crate) struct Out {
    args: Vec<Vec<u8>>,
    expect: Expect,
}

pub(crate) enum Msg {
    Cmds(Vec<Out>),
    /// PUBLISH a hello; the link fills in its own address when the hello has none.
    Hello {
        publish: String,
        hello: Hello,
    },
    Reconnect,
    Close,
}

/// The executor's side of a link.
pub(crate) struct Handle {
    tx: UnboundedSender<Msg>,
    /// Commands sent and not yet answered (SENTINEL MASTERS' link-pending-commands).
    pub pending: Rc<Cell<usize>>,
}

impl Handle {
    pub fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    pub fn close(&self) {
        self.send(Msg::Close);
    }
}

pub(crate) fn spawn(drv: Rc<Driver>, addr: Addr, kind: LinkKind) -> Handle {
    let (tx, rx) = unbounded_channel();
    let pending = Rc::new(Cell::new(0));
    tokio::task::spawn_local(run(drv, addr, kind, rx, pending.clone()));
    Handle { tx, pending }
}

/// The command's name after the master's rename-command table (servers only).
pub(crate) fn command_name(drv: &Driver, addr: &Addr, cmd: &str) -> String {
    let core = drv.core.borrow();
    core.master_of(addr)
        .and_then(|m| {
            m.rename_commands
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(cmd))
                .map(|(_, to)| to.clone())
        })
        .unwrap_or_else(|| cmd.to_string())
}

fn out(args: Vec<String>, expect: Expect) -> Out {
    Out {
        args: args.into_iter().map(String::into_bytes).collect(),
        expect,
    }
}

pub(crate) fn ping(drv: &Driver, addr: &Addr) -> Vec<Out> {
    vec![out(vec![command_name(drv, addr, "PING")], Expect::Ping)]
}

pub(crate) fn info(drv: &Driver, addr: &Addr) -> Vec<Out> {
    vec![out(vec![command_name(drv, addr, "INFO")], Expect::Info)]
}

pub(crate) fn script_kill(drv: &Driver, addr: &Addr) -> Vec<Out> {
    let cmd = command_name(drv, addr, "SCRIPT");
    vec![out(vec![cmd, "KILL".into()], Expect::Discard)]
}

pub(crate) fn ask(master: &str, master_addr: &Addr, epoch: u64, runid: &str) -> Vec<Out> {
    let args = vec![
        "SENTINEL".to_string(),
        "is-master-down-by-addr".to_string(),
        master_addr.host.clone(),
        master_addr.port.to_string(),
        epoch.to_string(),
        runid.to_string(),
    ];
    let master = master.to_string();
    vec![out(args, Expect::Ask { master })]
}

/// The REPLICAOF transaction, as Redis sends it: MULTI, SLAVEOF, CONFIG REWRITE (allowed to
/// fail on a server without a config file), CLIENT KILL TYPE normal and pubsub, EXEC.
pub(crate) fn replica_of(drv: &Driver, addr: &Addr, primary: Option<&Addr>) -> Vec<Out> {
    let name = |c: &str| command_name(drv, addr, c);
    let (host, port) = match primary {
        Some(p) => (p.host.clone(), p.port.to_string()),
        None => ("NO".to_string(), "ONE".to_string()),
    };
    let client = name("CLIENT");
    vec![
        out(vec![name("MULTI")], Expect::Discard),
        out(vec![name("SLAVEOF"), host, port], Expect::Discard),
        out(vec![name("CONFIG"), "REWRITE".into()], Expect::Discard),
        out(
            vec![
                client.clone(),
                "KILL".into(),
                "TYPE".into(),
                "normal".into(),
            ],
            Expect::Discard,
        ),
        out(
            vec![client, "KILL".into(), "TYPE".into(), "pubsub".into()],
            Expect::Discard,
        ),
        out(vec![name("EXEC")], Expect::Exec),
    ]
}

enum End {
    Close,
    Reconnect,
    Failed,
}

async fn run(
    drv: Rc<Driver>,
    addr: Addr,
    kind: LinkKind,
    mut rx: UnboundedReceiver<Msg>,
    pending: Rc<Cell<usize>>,
) {
    loop {
        let attempt = tokio::time::Instant::now();
        if let Ok(conn) = connect(&drv, &addr, kind).await {
            drv.feed(Event::LinkUp { addr: addr.clone() });
            let end = serve(&drv, &addr, conn, &mut rx, &pending).await;
            pending.set(0);
            if matches!(end, End::Close) {
                return;
            }
            drv.feed(Event::LinkDown { addr: addr.clone() });
            if matches!(end, End::Reconnect) {
                continue;
            }
        }
        if !wait_retry(&drv, &mut rx, attempt).await {
            return;
        }
    }
}

/// Waits until one ping period after the last attempt (Redis retries a link at most that
/// often), dropping the commands that arrive meanwhile. Returns false when the link is to be
/// forgotten.
async fn wait_retry(
    drv: &Driver,
    rx: &mut UnboundedReceiver<Msg>,
    attempt: tokio::time::Instant,
) -> bool {
    // Fast mode retries ten times a second, so a restarted instance is seen at once.
    let period = {
        let core = drv.core.borrow();
        let t = core.timers();
        if t.fast {
            t.fast_info_period.clamp(50, 1000)
        } else {
            t.ping_period.clamp(50, 1000)
        }
    };
    let sleep = tokio::time::sleep_until(attempt + Duration::from_millis(period));
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            m = rx.recv() => match m {
                None | Some(Msg::Close) => return false,
                Some(Msg::Reconnect) => return true,
                Some(_) => {}
            },
        }
    }
}

struct Conn {
    cmd: TcpStream,
    pubsub: Option<TcpStream>,
    /// Replies expected for the handshake commands already queued.
    handshake: Vec<Expect>,
    cmd_out: BytesMut,
    pubsub_out: BytesMut,
}

async fn dial(addr: &Addr) -> std::io::Result<TcpStream> {
    let s = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((addr.host.as_str(), addr.port)),
    )
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timeout"))??;
    s.set_nodelay(true)?;
    Ok(s)
}

async fn connect(drv: &Driver, addr: &Addr, kind: LinkKind) -> std::io::Result<Conn> {
    let cmd = dial(addr).await?;
    let pubsub = match kind {
        LinkKind::Server => Some(dial(addr).await?),
        LinkKind::Sentinel => None,
    };
    let (user, pass) = credentials(drv, addr, kind);
    let id8: String = drv.core.borrow().myid().chars().take(8).collect();
    let mut c = Conn {
        cmd,
        pubsub,
        handshake: Vec::new(),
        cmd_out: BytesMut::new(),
        pubsub_out: BytesMut::new(),
    };
    let auth_cmd = command_name(drv, addr, "AUTH");
    let client_cmd = command_name(drv, addr, "CLIENT");
    let auth: Option<Vec<String>> = pass.map(|p| match user {
        Some(u) => vec![auth_cmd.clone(), u, p],
        None => vec![auth_cmd.clone(), p],
    });
    let has_pubsub = c.pubsub.is_some();
    for (buf, suffix, is_cmd) in [
        (&mut c.cmd_out, "cmd", true),
        (&mut c.pubsub_out, "pubsub", false),
    ] {
        if !is_cmd && !has_pubsub {
            continue;
        }
        if let Some(a) = &auth {
            buf.extend_from_slice(&Frame::command(a));
            if is_cmd {
                c.handshake.push(Expect::Discard);
            }
        }
        let name = format!("sentinel-{id8}-{suffix}");
        buf.extend_from_slice(&Frame::command(&[client_cmd.as_str(), "SETNAME", &name]));
        if is_cmd {
            c.handshake.push(Expect::Discard);
        }
    }
    if has_pubsub {
        let sub = command_name(drv, addr, "SUBSCRIBE");
        c.pubsub_out
            .extend_from_slice(&Frame::command(&[sub.as_str(), HELLO_CHANNEL]));
    }
    Ok(c)
}

fn credentials(drv: &Driver, addr: &Addr, kind: LinkKind) -> (Option<String>, Option<String>) {
    match kind {
        LinkKind::Sentinel => {
            let st = drv.settings.borrow();
            match &st.sentinel_pass {
                Some(p) => (st.sentinel_user.clone(), Some(p.clone())),
                // As in Redis: requirepass is used both ways when sentinel-pass is not set.
                None => (None, st.requirepass.clone()),
            }
        }
        LinkKind::Server => {
            let core = drv.core.borrow();
            match core.master_of(addr) {
                Some(m) => (m.auth_user.clone(), m.auth_pass.clone()),
                None => (None, None),
            }
        }
    }
}

/// Reads from an optional connection; never completes when there is none.
async fn read_opt(r: &mut Option<OwnedReadHalf>, buf: &mut BytesMut) -> std::io::Result<usize> {
    match r {
        Some(r) => r.read_buf(buf).await,
        None => std::future::pending().await,
    }
}

async fn write_opt(w: &mut Option<OwnedWriteHalf>, buf: &mut BytesMut) -> std::io::Result<usize> {
    match w {
        Some(w) => w.write_buf(buf).await,
        None => std::future::pending().await,
    }
}

async fn serve(
    drv: &Rc<Driver>,
    addr: &Addr,
    conn: Conn,
    rx: &mut UnboundedReceiver<Msg>,
    pending: &Cell<usize>,
) -> End {
    let local_ip = conn
        .cmd
        .local_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let (mut crd, mut cwr) = conn.cmd.into_split();
    let (mut prd, mut pwr) = match conn.pubsub {
        Some(p) => {
            let (r, w) = p.into_split();
            (Some(r), Some(w))
        }
        None => (None, None),
    };
    let mut expects: VecDeque<Expect> = conn.handshake.into_iter().collect();
    let mut cout = conn.cmd_out;
    let mut pout = conn.pubsub_out;
    let mut cin = BytesMut::with_capacity(16 * 1024);
    let mut pin = BytesMut::with_capacity(4 * 1024);
    loop {
        pending.set(expects.len());
        tokio::select! {
            m = rx.recv() => match m {
                None | Some(Msg::Close) => return End::Close,
                Some(Msg::Reconnect) => return End::Reconnect,
                Some(Msg::Cmds(outs)) => {
                    for o in outs {
                        cout.extend_from_slice(&Frame::command(&o.args));
                        expects.push_back(o.expect);
                    }
                }
                Some(Msg::Hello { publish, hello }) => {
                    let payload = hello.payload(&local_ip);
                    cout.extend_from_slice(&Frame::command(&[publish.as_str(), HELLO_CHANNEL, &payload]));
                    expects.push_back(Expect::Discard);
                }
            },
            r = crd.read_buf(&mut cin) => {
                if !matches!(r, Ok(n) if n > 0) || cin.len() > MAX_BUFFER {
                    return End::Failed;
                }
                while let Ok(Some((frame, n))) = Frame::decode(&cin) {
                    cin.advance(n);
                    if let Some(e) = expects.pop_front() {
                        on_reply(drv, addr, e, frame);
                    }
                }
                if Frame::decode(&cin).is_err() {
                    return End::Failed;
                }
            }
            r = read_opt(&mut prd, &mut pin) => {
                if !matches!(r, Ok(n) if n > 0) || pin.len() > MAX_BUFFER {
                    return End::Failed;
                }
                while let Ok(Some((frame, n))) = Frame::decode(&pin) {
                    pin.advance(n);
                    on_pubsub(drv, addr, frame);
                }
                if Frame::decode(&pin).is_err() {
                    return End::Failed;
                }
            }
            r = cwr.write_buf(&mut cout), if !cout.is_empty() => {
                if r.is_err() {
                    return End::Failed;
                }
            }
            r = write_opt(&mut pwr, &mut pout), if !pout.is_empty() => {
                if r.is_err() {
                    return End::Failed;
                }
            }
        }
    }
}

fn text(f: &Frame) -> Option<String> {
    f.as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn on_reply(drv: &Rc<Driver>, addr: &Addr, e: Expect, frame: Frame) {
    let addr = addr.clone();
    match e {
        Expect::Discard => {}
        Expect::Ping => {
            let reply = match &frame {
                Frame::Simple(s) | Frame::Error(s) => {
                    PingReply::classify(&String::from_utf8_lossy(s))
                }
                other => PingReply::Other(format!("{other:?}")),
            };
            drv.feed(Event::PingReply { addr, reply });
        }
        Expect::Info => {
            if matches!(frame, Frame::Bulk(_) | Frame::Verbatim(..)) {
                let t = text(&frame).unwrap_or_default();
                let info = InfoReport::parse(&t);
                drv.info_cache
                    .borrow_mut()
                    .insert(addr.clone(), (now_ms(), t));
                drv.feed(Event::InfoReply { addr, info });
            }
        }
        Expect::Ask { master } => {
            if let Frame::Array(v) = &frame {
                if let [Frame::Integer(down), l, Frame::Integer(epoch)] = v.as_slice() {
                    if let Some(leader) = text(l) {
                        drv.feed(Event::IsMasterDownReply {
                            from: addr,
                            master,
                            down: *down == 1,
                            leader,
                            leader_epoch: *epoch as u64,
                        });
                    }
                }
            }
        }
        Expect::Exec => {
            let ok = matches!(frame, Frame::Array(_));
            drv.feed(Event::ReplicaOfReply { addr, ok });
        }
    }
}

/// A message on the pub/sub connection: `message __sentinel__:hello <payload>`.
fn on_pubsub(drv: &Rc<Driver>, addr: &Addr, frame: Frame) {
    let (Frame::Array(v) | Frame::Push(v)) = frame else {
        return;
    };
    if let [kind, _channel, payload] = v.as_slice() {
        if kind.as_bytes() == Some(b"message") {
            if let Some(payload) = text(payload) {
                drv.feed(Event::Hello {
                    via: Some(addr.clone()),
                    payload,
                });
            }
        }
    }
}

//! The replica side of replication: a link task that follows the primary named by
//! REPLICAOF, restarted whenever the target changes.
//!
//! Handshake as Redis 7.0 does it (PING, AUTH, REPLCONF listening-port, REPLCONF capa eof
//! capa psync2, PSYNC <replid> <offset+1>), then either a full copy (`+FULLRESYNC`, an RDB in
//! `$<len>` or `$EOF:<mark>` form, loaded in one step) or a continuation (`+CONTINUE`), then
//! the command stream, applied through the executor as the primary client and passed on
//! byte for byte to this server's own backlog and sub-replicas. `REPLCONF ACK <offset>` goes
//! back every second and whenever the primary asks with GETACK.

use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use commands::client::Kind;
use commands::repl::LinkState;
use commands::{Client, ClientShared};
use resp::request::Request;
use resp::{parse_request, ReplyWriter, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::{log, now_ms, Shared};

type IoResult<T> = std::io::Result<T>;

fn io_err(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::other(msg.into())
}

/// Watches the REPLICAOF target and keeps one link task running for it.
pub async fn manager(shared: Shared) {
    let mut current: Option<(u64, JoinHandle<()>)> = None;
    loop {
        let (gen, target, wake) = {
            let c = shared.borrow();
            let r = &c.srv.repl;
            (
                r.generation,
                r.primary.as_ref().map(|p| (p.host.clone(), p.port)),
                r.wake.clone(),
            )
        };
        if current.as_ref().map(|(g, _)| *g) != Some(gen) {
            if let Some((_, h)) = current.take() {
                h.abort();
            }
            if let Some((host, port)) = target {
                let task = tokio::task::spawn_local(link(shared.clone(), host, port));
                current = Some((gen, task));
            }
        }
        wake.notified().await;
    }
}

fn set_state(shared: &Shared, state: LinkState) {
    let mut c = shared.borrow_mut();
    let now = now_ms();
    if let Some(p) = c.srv.repl.primary.as_mut() {
        p.state = state;
        p.last_io_ms = now;
        if state == LinkState::Connected {
            p.down_since_ms = None;
        } else if p.down_since_ms.is_none() {
            p.down_since_ms = Some(now);
        }
    }
}

async fn link(shared: Shared, host: String, port: u16) {
    loop {
        set_state(&shared, LinkState::Connecting);
        log(&shared, &format!("Connecting to MASTER {host}:{port}"));
        if let Err(e) = session(&shared, &host, port).await {
            log(
                &shared,
                &format!("Replication link with {host}:{port}: {e}"),
            );
        }
        set_state(&shared, LinkState::Connect);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A buffered connection to the primary.
struct PrimaryConn {
    stream: TcpStream,
    buf: BytesMut,
    timeout: Duration,
}

impl PrimaryConn {
    async fn fill(&mut self) -> IoResult<()> {
        self.buf.reserve(64 * 1024);
        let n = tokio::time::timeout(self.timeout, self.stream.read_buf(&mut self.buf))
            .await
            .map_err(|_| io_err("timeout reading from primary"))??;
        if n == 0 {
            return Err(io_err("primary closed the connection"));
        }
        Ok(())
    }

    /// Reads one line, skipping the bare newlines a primary sends as keepalives.
    async fn line(&mut self) -> IoResult<String> {
        loop {
            while self.buf.first() == Some(&b'\n') {
                self.buf.advance(1);
            }
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line = self.buf.split_to(i + 1);
                let text = String::from_utf8_lossy(&line[..i])
                    .trim_end_matches('\r')
                    .to_string();
                return Ok(text);
            }
            self.fill().await?;
        }
    }

    async fn send(&mut self, args: &[&[u8]]) -> IoResult<()> {
        self.stream.write_all(&resp::Frame::command(args)).await
    }

    async fn call(&mut self, args: &[&[u8]]) -> IoResult<String> {
        self.send(args).await?;
        self.line().await
    }

    /// Reads the RDB payload of a full resync: `$<len>\r\n<bytes>` or `$EOF:<mark>\r\n...<mark>`.
    async fn rdb(&mut self) -> IoResult<Bytes> {
        let head = self.line().await?;
        let Some(spec) = head.strip_prefix('$') else {
            return Err(io_err(format!("bad bulk header from primary: {head}")));
        };
        if let Some(mark) = spec.strip_prefix("EOF:") {
            let mark = mark.as_bytes().to_vec();
            loop {
                if self.buf.len() >= mark.len() && self.buf.ends_with(&mark) {
                    let mut data = self.buf.split();
                    data.truncate(data.len() - mark.len());
                    return Ok(data.freeze());
                }
                self.fill().await?;
            }
        }
        let len: usize = spec.parse().map_err(|_| io_err("bad RDB length"))?;
        while self.buf.len() < len {
            self.fill().await?;
        }
        Ok(self.buf.split_to(len).freeze())
    }
}

/// One connection's life: handshake, sync, stream. Returns when the link breaks.
async fn session(shared: &Shared, host: &str, port: u16) -> IoResult<()> {
    let (timeout, my_port, auth, replid, offset) = {
        let c = shared.borrow();
        let cfg = &c.srv.config;
        let user = (!cfg.masteruser.is_empty()).then(|| cfg.masteruser.clone());
        let auth = cfg.masterauth.clone().map(|p| (user, p));
        let r = &c.srv.repl;
        (
            Duration::from_secs(cfg.repl_timeout.max(1)),
            cfg.port,
            auth,
            r.ids.replid.clone(),
            r.offset,
        )
    };
    let stream = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| io_err("connect timeout"))??;
    stream.set_nodelay(true)?;
    let mut conn = PrimaryConn {
        stream,
        buf: BytesMut::new(),
        timeout,
    };
    set_state(shared, LinkState::Handshake);
    let pong = conn.call(&[b"PING"]).await?;
    let ok_errors = ["-NOAUTH", "-NOPERM", "-ERR operation not permitted"];
    if pong.starts_with('-') && !ok_errors.iter().any(|e| pong.starts_with(e)) {
        return Err(io_err(format!("Error reply to PING from master: '{pong}'")));
    }
    if let Some((user, pass)) = auth {
        let reply = match user {
            Some(u) => conn.call(&[b"AUTH", u.as_bytes(), &pass]).await?,
            None => conn.call(&[b"AUTH", &pass]).await?,
        };
        if reply.starts_with('-') {
            return Err(io_err(format!("Unable to AUTH to MASTER: {reply}")));
        }
    }
    let p = my_port.to_string();
    conn.call(&[b"REPLCONF", b"listening-port", p.as_bytes()])
        .await?;
    conn.call(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    let off = (offset + 1).to_string();
    let reply = conn
        .call(&[b"PSYNC", replid.as_bytes(), off.as_bytes()])
        .await?;
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC ") {
        let mut parts = rest.split_whitespace();
        let id = parts.next().unwrap_or_default().to_string();
        let start: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        set_state(shared, LinkState::Transfer);
        let rdb = conn.rdb().await?;
        load_snapshot(shared, &rdb, id, start)?;
        log(
            shared,
            &format!(
                "MASTER <-> REPLICA sync: Finished with success ({} bytes)",
                rdb.len()
            ),
        );
    } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        continue_history(shared, rest.trim());
        log(shared, "Successful partial resynchronization with master.");
    } else {
        return Err(io_err(format!("unexpected reply to PSYNC: {reply}")));
    }
    stream_loop(shared, conn).await
}

/// Replaces the dataset with a full-resync snapshot and adopts the primary's history.
fn load_snapshot(shared: &Shared, rdb: &[u8], replid: String, offset: i64) -> IoResult<()> {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    core.ks.flush_all();
    core.ks.events.touched.clear();
    let res = persist::rdb::load(rdb, &mut core.ks, None);
    core.ks.dirty = 0;
    res.map_err(|e| {
        io_err(format!(
            "Failed trying to load the MASTER synchronization DB: {e}"
        ))
    })?;
    let r = &mut core.srv.repl;
    r.ids = replication::ReplIds {
        replid,
        replid2: "0".repeat(40),
        second_repl_offset: -1,
    };
    r.offset = offset;
    r.stream_db = 0;
    let size = core.srv.config.repl_backlog_size.max(16 * 1024) as usize;
    r.backlog = Some(replication::Backlog::new(size, offset));
    // Sub-replicas must copy the new dataset from us.
    for rep in std::mem::take(&mut r.replicas) {
        if let Some(c) = core.srv.clients.get(&rep.client_id) {
            c.kill();
        }
    }
    Ok(())
}

/// `+CONTINUE [<new replid>]`: the primary's history continues ours; adopt its id if new.
fn continue_history(shared: &Shared, new_id: &str) {
    let mut c = shared.borrow_mut();
    let r = &mut c.srv.repl;
    if !new_id.is_empty() && new_id != r.ids.replid {
        r.ids.replid2 = std::mem::replace(&mut r.ids.replid, new_id.to_string());
        r.ids.second_repl_offset = r.offset + 1;
    }
    if r.backlog.is_none() {
        r.backlog = Some(replication::Backlog::new(1024 * 1024, r.offset));
    }
}

/// Registers the client that applies the primary's stream; removed again when dropped.
struct PrimaryClient {
    shared: Shared,
    client: Client,
}

impl PrimaryClient {
    fn new(shared: &Shared, addr: String) -> PrimaryClient {
        let mut c = shared.borrow_mut();
        let id = c.srv.next_client_id;
        c.srv.next_client_id += 1;
        let sh = Rc::new(ClientShared::new(id, addr, String::new(), -1, now_ms()));
        c.srv.clients.insert(id, sh.clone());
        if let Some(p) = c.srv.repl.primary.as_mut() {
            p.client_id = Some(id);
        }
        let mut client = Client::new(sh, true);
        client.kind = Kind::Primary;
        client.db = c.srv.repl.stream_db;
        client.sync_shared();
        PrimaryClient {
            shared: shared.clone(),
            client,
        }
    }
}

impl Drop for PrimaryClient {
    fn drop(&mut self) {
        if let Ok(mut c) = self.shared.try_borrow_mut() {
            c.srv.clients.remove(&self.client.id);
        }
    }
}

async fn stream_loop(shared: &Shared, mut conn: PrimaryConn) -> IoResult<()> {
    let addr = conn
        .stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut pc = PrimaryClient::new(shared, addr);
    set_state(shared, LinkState::Connected);
    let mut ack = tokio::time::interval(Duration::from_secs(1));
    let limits = RequestLimits {
        from_primary: true,
        ..Default::default()
    };
    let mut ranges = Vec::new();
    loop {
        let acks = apply(shared, &mut pc.client, &mut conn.buf, &limits, &mut ranges);
        for off in acks {
            send_ack(&mut conn, off).await?;
        }
        tokio::select! {
            r = conn.fill() => r?,
            _ = ack.tick() => {
                let off = shared.borrow().srv.repl.offset;
                send_ack(&mut conn, off).await?;
            }
        }
    }
}

async fn send_ack(conn: &mut PrimaryConn, offset: i64) -> IoResult<()> {
    let o = offset.to_string();
    conn.send(&[b"REPLCONF", b"ACK", o.as_bytes()]).await
}

/// Applies every complete command in `buf`; returns the offsets to ACK for GETACKs seen.
fn apply(
    shared: &Shared,
    client: &mut Client,
    buf: &mut BytesMut,
    limits: &RequestLimits,
    ranges: &mut Vec<std::ops::Range<usize>>,
) -> Vec<i64> {
    let mut acks = Vec::new();
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    let mut out = ReplyWriter::default();
    core.ks.applying_primary_stream = true;
    loop {
        ranges.clear();
        let req = match parse_request(buf, limits, ranges) {
            Ok(Some(r)) => r,
            _ => break,
        };
        let n = req.consumed();
        let raw = buf.split_to(n).freeze();
        let args: Vec<Bytes> = match req {
            Request::Multibulk { .. } => ranges.iter().map(|r| raw.slice(r.clone())).collect(),
            Request::Inline { args, .. } => args.into_iter().map(Bytes::from).collect(),
        };
        let getack = args.len() >= 2
            && args[0].eq_ignore_ascii_case(b"replconf")
            && args[1].eq_ignore_ascii_case(b"getack");
        if getack {
            acks.push(core.srv.repl.offset);
        } else if !args.is_empty() {
            commands::execute(core, client, &mut out, &args, now_ms());
            out.buf.clear();
        }
        commands::repl::feed(&mut core.srv, &raw);
        if let Some(p) = core.srv.repl.primary.as_mut() {
            p.last_io_ms = now_ms();
        }
    }
    core.ks.applying_primary_stream = false;
    core.srv.repl.stream_db = client.db;
    acks
}

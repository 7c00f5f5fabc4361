//! The replica side of replication: a link task that follows the primary named by
//! REPLICAOF, restarted whenever the target changes.
//!
//! Handshake as Redis 7.0 does it (PING, AUTH, REPLCONF listening-port, REPLCONF capa eof
//! capa psync2, PSYNC <replid> <offset+1>, with FAILOVER appended when this server is handing
//! its primary role over), then either a full copy (`+FULLRESYNC`, an RDB in `$<len>` or
//! `$EOF:<mark>` form, loaded in one step) or a continuation (`+CONTINUE`), then the command
//! stream, applied through the executor as the primary client and passed on byte for byte
//! to this server's own backlog and sub-replicas.
//!
//! `REPLCONF ACK <offset>` goes back every second, right after a full copy is loaded, and
//! after every read batch that carried a GETACK — one ACK for the batch, with the offset
//! just before its last GETACK, as Redis acknowledges a GETACK — so a primary waiting for
//! confirmations (WAIT, held write replies) hears back within one round trip.
//!
//! `repl-diskless-load`: the payload is always read into memory first. With `swapdb` it is
//! parsed into a fresh keyspace that replaces the old one only once it loaded completely, so
//! a payload that fails to load leaves the old data in place; otherwise (`disabled`,
//! `on-empty-db`) the old data is flushed first, as Redis does.

use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use commands::client::Kind;
use commands::repl::LinkState;
use commands::{Client, ClientShared};
use keyspace::Keyspace;
use replication::eof::PayloadHeader;
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

    /// Reads the RDB payload of a full resync: `$<len>\r\n<bytes>` or
    /// `$EOF:<mark>\r\n...<mark>`; true for the second form. The primary sends nothing after
    /// the mark until we ACK, so the mark is the end of what we read.
    async fn rdb(&mut self, shared: &Shared) -> IoResult<(Bytes, bool)> {
        let head = self.line().await?;
        match replication::eof::parse_header(&head) {
            Some(PayloadHeader::Eof(mark)) => {
                log(
                    shared,
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser",
                );
                loop {
                    if self.buf.len() >= mark.len() && self.buf.ends_with(&mark) {
                        let mut data = self.buf.split();
                        data.truncate(data.len() - mark.len());
                        return Ok((data.freeze(), true));
                    }
                    self.fill().await?;
                }
            }
            Some(PayloadHeader::Len(len)) => {
                log(
                    shared,
                    &format!(
                        "MASTER <-> REPLICA sync: receiving {len} bytes from master to parser"
                    ),
                );
                while self.buf.len() < len {
                    self.fill().await?;
                }
                Ok((self.buf.split_to(len).freeze(), false))
            }
            None => Err(io_err(format!("bad bulk header from primary: {head}"))),
        }
    }
}

/// True once REPLICAOF (or a failover) replaced the link this task serves: it must not
/// touch the dataset any more.
fn superseded(shared: &Shared, gen: u64) -> bool {
    shared.borrow().srv.repl.generation != gen
}

/// One connection's life: handshake, sync, stream. Returns when the link breaks.
async fn session(shared: &Shared, host: &str, port: u16) -> IoResult<()> {
    let (timeout, my_port, auth, replid, offset, gen) = {
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
            r.generation,
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
    let failover = commands::repl::psync_says_failover(&shared.borrow().srv);
    let mut psync: Vec<&[u8]> = vec![b"PSYNC", replid.as_bytes(), off.as_bytes()];
    if failover {
        psync.push(b"FAILOVER");
    }
    if let Err(e) = conn.send(&psync).await {
        if failover {
            let mut c = shared.borrow_mut();
            commands::repl::on_failover_psync_reply(
                &mut c,
                false,
                "Write error to failover target",
            );
        }
        return Err(e);
    }
    let reply = conn.line().await?;
    if failover {
        let accepted = reply.starts_with("+FULLRESYNC") || reply.starts_with("+CONTINUE");
        commands::repl::on_failover_psync_reply(
            &mut shared.borrow_mut(),
            accepted,
            "Failover target rejected psync request",
        );
        if !accepted {
            return Err(io_err(format!("failover target refused PSYNC: {reply}")));
        }
    }
    if superseded(shared, gen) {
        return Ok(());
    }
    let mut ack_now = false;
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC ") {
        let mut parts = rest.split_whitespace();
        let id = parts.next().unwrap_or_default().to_string();
        let start: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        set_state(shared, LinkState::Transfer);
        let (rdb, eof) = conn.rdb(shared).await?;
        if superseded(shared, gen) {
            return Ok(());
        }
        load_snapshot(shared, &rdb, id, start)?;
        log(
            shared,
            &format!(
                "MASTER <-> REPLICA sync: Finished with success ({} bytes)",
                rdb.len()
            ),
        );
        // After an `$EOF:` payload the primary starts the stream at our first ACK.
        ack_now = eof;
    } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        continue_history(shared, rest.trim());
        log(shared, "Successful partial resynchronization with master.");
    } else {
        return Err(io_err(format!("unexpected reply to PSYNC: {reply}")));
    }
    stream_loop(shared, conn, gen, ack_now).await
}

/// Replaces the dataset with a full-resync snapshot and adopts the primary's history.
fn load_snapshot(shared: &Shared, rdb: &[u8], replid: String, offset: i64) -> IoResult<()> {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    let failed = |e: persist::Error| {
        io_err(format!(
            "Failed trying to load the MASTER synchronization DB: {e}"
        ))
    };
    if core.srv.config.repl_diskless_load == "swapdb" {
        let mut fresh = Keyspace::new(core.ks.db_count());
        // Loaded keys' access fields are set against the running clock and policy.
        fresh.lru_clock = core.ks.lru_clock;
        fresh.access = core.ks.access;
        persist::rdb::load(rdb, &mut fresh, None).map_err(failed)?;
        core.ks.flush_all();
        adopt_data(&mut core.ks, fresh);
    } else {
        core.ks.flush_all();
        let res = persist::rdb::load(rdb, &mut core.ks, None);
        core.ks.dirty = 0;
        res.map_err(failed)?;
    }
    core.ks.events.touched.clear();
    core.ks.dirty = 0;
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
    // The AOF described the old dataset: it restarts from a rewrite of the new one.
    commands::aof::restart_after_sync(&core.ks, &mut core.srv, now_ms());
    Ok(())
}

/// Puts a freshly loaded keyspace's data in place of the (flushed) current one, keeping the
/// running state (statistics, clocks, replica flag) of the current one.
fn adopt_data(ks: &mut Keyspace, fresh: Keyspace) {
    let old = std::mem::replace(ks, fresh);
    ks.events = old.events;
    ks.stats = old.stats;
    ks.is_replica = old.is_replica;
    ks.applying_primary_stream = old.applying_primary_stream;
    ks.lru_clock = old.lru_clock;
    ks.access = old.access;
    ks.track_ready = old.track_ready;
    ks.track_new = old.track_new;
}

/// `+CONTINUE [<new replid>]`: the primary's history continues ours; adopt its id if new.
/// Our own replicas are then disconnected so they learn it when they reconnect (Redis's
/// `disconnectSlaves` on a replid change).
fn continue_history(shared: &Shared, new_id: &str) {
    let mut c = shared.borrow_mut();
    let r = &mut c.srv.repl;
    let changed = !new_id.is_empty() && new_id != r.ids.replid;
    if changed {
        r.ids.replid2 = std::mem::replace(&mut r.ids.replid, new_id.to_string());
        r.ids.second_repl_offset = r.offset + 1;
    }
    if r.backlog.is_none() {
        let size = c.srv.config.repl_backlog_size.max(16 * 1024) as usize;
        let r = &mut c.srv.repl;
        r.backlog = Some(replication::Backlog::new(size, r.offset));
    }
    if changed {
        commands::repl::disconnect_replicas(&mut c.srv);
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

async fn stream_loop(
    shared: &Shared,
    mut conn: PrimaryConn,
    gen: u64,
    ack_now: bool,
) -> IoResult<()> {
    let addr = conn
        .stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut pc = PrimaryClient::new(shared, addr);
    set_state(shared, LinkState::Connected);
    if ack_now {
        let off = shared.borrow().srv.repl.offset;
        send_ack(&mut conn, off).await?;
    }
    let mut ack = tokio::time::interval(Duration::from_secs(1));
    let limits = RequestLimits {
        from_primary: true,
        ..Default::default()
    };
    let mut ranges = Vec::new();
    loop {
        if superseded(shared, gen) {
            return Ok(());
        }
        let asked = apply(shared, &mut pc.client, &mut conn.buf, &limits, &mut ranges);
        if let Some(off) = asked {
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

/// Applies every complete command in `buf`. When the batch carried GETACKs, returns the
/// offset to acknowledge: the one just before the last of them (Redis answers each GETACK
/// with the offset before it; the last answer covers the earlier ones).
fn apply(
    shared: &Shared,
    client: &mut Client,
    buf: &mut BytesMut,
    limits: &RequestLimits,
    ranges: &mut Vec<std::ops::Range<usize>>,
) -> Option<i64> {
    let mut asked = None;
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
            asked = Some(core.srv.repl.offset);
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
    asked
}

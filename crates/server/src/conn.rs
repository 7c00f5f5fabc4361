//! One connection: read what the socket has, decode every complete request, execute them in
//! order with one borrow of the core, and flush all their replies with one write.
//!
//! Arguments are slices of the frozen read buffer (no copy per argument); the keyspace copies
//! what it keeps. Pushes from other clients (pub/sub, MONITOR) wait in the client's shared
//! buffer and are moved into the reply stream at the next batch or wake-up. A protocol error
//! is answered after the commands before it ran, then the connection closes, as in Redis.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use commands::client::Kind;
use commands::table::{flag, table};
use commands::{Client, ClientShared};
use resp::request::Request;
use resp::{parse_request, ProtocolError, ReplyWriter, RequestLimits};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::held::Held;
use crate::{now_ms, Shared};

/// Commands run on one clock read before it is refreshed.
const CLOCK_EVERY: u32 = 32;

/// Bytes reserved for each read (Redis's PROTO_IOBUF_LEN is 16 KB).
const READ_CHUNK: usize = 16 * 1024;

/// Parsed requests waiting to run, and the protocol error that ends the stream, if any.
#[derive(Default)]
struct Pending {
    cmds: VecDeque<Vec<Bytes>>,
    error: Option<ProtocolError>,
}

pub async fn serve(shared: Shared, mut stream: TcpStream, me: Rc<ClientShared>) {
    let authenticated = shared.borrow().srv.config.requirepass.is_none();
    let mut client = Client::new(me.clone(), authenticated);
    let mut out = ReplyWriter::default();
    let mut inbuf = BytesMut::new();
    let mut pending = Pending::default();
    let mut ranges = Vec::new();
    let mut held = Held::default();
    'conn: loop {
        let wake_at = block_deadline(&shared, &client, &held);
        tokio::select! {
            biased;
            _ = me.notify.notified() => {}
            r = stream.readable() => if r.is_err() { break },
            // A blocked client's timeout: `run_pending` replies and resumes its pipeline.
            _ = sleep_until(wake_at) => {}
        }
        if me.killed.get() {
            break;
        }
        if me.shrink.replace(false) && inbuf.is_empty() {
            // Idle for a while: an idle connection keeps no buffers (see the cron).
            inbuf = BytesMut::new();
            out.buf = BytesMut::new();
            me.holds_buffers.set(false);
        }
        let mut eof = false;
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 4 {
            // Reclaims the same allocation once the previous batch's arguments are dropped.
            inbuf.reserve(READ_CHUNK);
            me.holds_buffers.set(true);
        }
        match read_some(&stream, &mut inbuf) {
            Ok(0) => eof = true,
            Ok(n) => {
                crate::coalesce::note_read(client.id);
                let mut core = shared.borrow_mut();
                core.srv.stats.net_input_bytes += n as u64;
                if inbuf.len() as u64 > core.srv.config.client_query_buffer_limit {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => eof = true,
        }
        loop {
            decode(&shared, &client, &mut inbuf, &mut ranges, &mut pending);
            let wait = run_pending(&shared, &mut client, &mut out, &mut pending, &mut held);
            // The batch's writes reach the AOF before its replies leave (`always`: on disk).
            let synced = commands::aof::flush_before_reply(&mut shared.borrow_mut().srv);
            if let Some(s) = synced {
                s.wait().await;
            }
            if !out.is_empty()
                && write_out(&shared, &mut stream, &mut out, &me)
                    .await
                    .is_err()
            {
                break 'conn;
            }
            match wait {
                Some(d) if !client.close_after_reply => tokio::time::sleep(d).await,
                _ => break,
            }
            // Killed while CLIENT PAUSE held its commands back: they must not run.
            if me.killed.get() {
                break 'conn;
            }
        }
        if client.close_after_reply || me.killed.get() {
            break;
        }
        if pending.error.is_some() {
            let e = pending.error.take().expect("checked");
            let err = commands::CmdError::err_owned(e.0);
            commands::exec::reply_error(&mut shared.borrow_mut().srv, &mut out, &err);
            let _ = write_out(&shared, &mut stream, &mut out, &me).await;
            break;
        }
        if eof {
            break;
        }
    }
    disconnect(&shared, &mut client);
}

/// One read into `inbuf`'s spare capacity. A short read means the socket's receive queue
/// is drained, so the readiness is cleared right away (through `try_io`'s WouldBlock path)
/// instead of by a second `recv` that would only return EAGAIN: one read syscall per batch,
/// as Redis does, instead of two. Tokio only clears readiness that no newer event has
/// refreshed, so data arriving meanwhile is not missed.
fn read_some(stream: &TcpStream, inbuf: &mut BytesMut) -> std::io::Result<usize> {
    let spare = inbuf.spare_capacity_mut();
    let room = spare.len();
    let mut got = None;
    let r = stream.try_io(tokio::io::Interest::READABLE, || {
        let n = socket2::SockRef::from(stream).recv(spare)?;
        got = Some(n);
        if n > 0 && n < room {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    match got {
        Some(n) => {
            // SAFETY: `recv` initialised the first `n` bytes of the spare capacity.
            unsafe { inbuf.set_len(inbuf.len() + n) };
            Ok(n)
        }
        None => r,
    }
}

/// Decodes every complete request in `inbuf` (one at a time before authentication, since
/// AUTH changes the size limits) into `pending`.
fn decode(
    shared: &Shared,
    client: &Client,
    inbuf: &mut BytesMut,
    ranges: &mut Vec<std::ops::Range<usize>>,
    pending: &mut Pending,
) {
    if pending.error.is_some() || inbuf.is_empty() {
        return;
    }
    if !client.authenticated && !pending.cmds.is_empty() {
        return;
    }
    let limits = {
        let core = shared.borrow();
        RequestLimits {
            max_bulk_len: core.srv.config.proto_max_bulk_len,
            authenticated: client.authenticated,
            from_primary: client.kind == Kind::Primary,
        }
    };
    let mut pos = 0;
    // (first range, end range) of a multibulk request, or an inline request's arguments.
    type Parsed = (usize, usize, Option<Vec<Vec<u8>>>);
    let mut parsed: Vec<Parsed> = Vec::new();
    ranges.clear();
    loop {
        let start = ranges.len();
        match parse_request(&inbuf[pos..], &limits, ranges) {
            Ok(Some(req)) => {
                let base = pos;
                pos += req.consumed();
                match req {
                    Request::Multibulk { .. } => {
                        for r in &mut ranges[start..] {
                            *r = r.start + base..r.end + base;
                        }
                        parsed.push((start, ranges.len(), None));
                    }
                    Request::Inline { args, .. } => parsed.push((0, 0, Some(args))),
                }
                if !client.authenticated {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                pending.error = Some(e);
                break;
            }
        }
    }
    if pos == 0 {
        return;
    }
    let chunk = inbuf.split_to(pos).freeze();
    for (a, b, inline) in parsed {
        let argv: Vec<Bytes> = match inline {
            Some(args) => args.into_iter().map(Bytes::from).collect(),
            None => ranges[a..b]
                .iter()
                .map(|r| chunk.slice(r.clone()))
                .collect(),
        };
        if !argv.is_empty() {
            pending.cmds.push_back(argv);
        }
    }
}

/// Runs pending commands in order, then lets through the replies no longer held for
/// replicas' confirmation. Returns how long to wait when CLIENT PAUSE holds the next one back.
fn run_pending(
    shared: &Shared,
    client: &mut Client,
    out: &mut ReplyWriter,
    pending: &mut Pending,
    held: &mut Held,
) -> Option<Duration> {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    let mut writes = Vec::new();
    let wait = run_batch(core, client, out, pending, &mut writes);
    if !writes.is_empty() || !held.is_empty() {
        let now = now_ms();
        held.absorb(out, &mut writes);
        held.release(&mut core.srv, out, now);
        let holding = !held.is_empty();
        commands::repl::wait::set_holding(&mut core.srv, client.id, holding);
        if holding {
            commands::repl::wait::request_getack(&mut core.srv);
        }
    }
    wait
}

/// Before a pipelined batch runs, starts loading the dict slots its keys will need (the
/// first argument of each command, which is the key for almost every command).
fn prefetch(core: &commands::Core, client: &Client, pending: &Pending) {
    if pending.cmds.len() < 2 {
        return;
    }
    let mut keys: [&[u8]; keyspace::dict::PREFETCH_MAX] = [&[]; keyspace::dict::PREFETCH_MAX];
    let mut n = 0;
    for args in pending.cmds.iter().take(keys.len()) {
        if let Some(k) = args.get(1) {
            keys[n] = k;
            n += 1;
        }
    }
    core.ks.prefetch(client.db, &keys[..n]);
}

fn run_batch(
    core: &mut commands::Core,
    client: &mut Client,
    out: &mut ReplyWriter,
    pending: &mut Pending,
    writes: &mut Vec<crate::held::Write>,
) -> Option<Duration> {
    take_pushes(&client.shared, out);
    // One clock read serves a run of commands (refreshed every CLOCK_EVERY): reading the
    // clock per command was a measurable share of a pipelined command's cost.
    let mut now = now_ms();
    // Blocked (BLPOP…): nothing runs until served, unblocked or timed out.
    commands::blocking::time_out(&mut core.ks, &mut core.srv, client, out, now);
    if core.srv.blocking.is_blocked(client.id) {
        return None;
    }
    prefetch(core, client, pending);
    let mut ran = 0u32;
    while let Some(args) = pending.cmds.front() {
        if client.close_after_reply {
            pending.cmds.clear();
            break;
        }
        if ran > 0 && ran.is_multiple_of(CLOCK_EVERY) {
            now = now_ms();
        }
        ran += 1;
        if let Some(wait) = paused_for(core, client, args, now) {
            return Some(wait);
        }
        let args = pending.cmds.pop_front().expect("front exists");
        let (start, offset) = (out.len(), core.srv.repl.offset);
        commands::execute(core, client, out, &args, now);
        // A command that fed the replication stream waits for replicas, if so configured.
        if core.srv.repl.offset != offset
            && commands::repl::wait::holds_writes(&core.srv, client.kind)
        {
            writes.push(crate::held::Write {
                start,
                end: out.len(),
                offset: core.srv.repl.offset,
                deadline: commands::repl::wait::hold_deadline(&core.srv, now),
            });
        }
        client.shared.last_interaction_ms.set(now);
        if core.srv.blocking.is_blocked(client.id) {
            break;
        }
    }
    None
}

/// When a blocked client's timeout, or a held reply's, falls due, as a timer instant.
fn block_deadline(shared: &Shared, client: &Client, held: &Held) -> Option<tokio::time::Instant> {
    let blocked = commands::blocking::deadline(&shared.borrow().srv, client.id).filter(|&d| d != 0);
    let d = match (blocked, held.deadline()) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let wait = (d - now_ms()).max(0) as u64;
    Some(tokio::time::Instant::now() + Duration::from_millis(wait))
}

/// Sleeps until `at`, or for ever without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How long CLIENT PAUSE delays this command, if it does.
fn paused_for(
    core: &commands::Core,
    client: &Client,
    args: &[Bytes],
    now: i64,
) -> Option<Duration> {
    // FAILOVER pauses writes until it ends, as CLIENT PAUSE WRITE would.
    let p = match core.srv.pause.filter(|p| now < p.until_ms) {
        Some(p) if !p.writes_only => p,
        _ if commands::repl::writes_paused_by_failover(&core.srv) => commands::state::Pause {
            until_ms: now + 50,
            writes_only: true,
        },
        Some(p) => p,
        None => return None,
    };
    if now >= p.until_ms || client.kind != Kind::Normal {
        return None;
    }
    if p.writes_only {
        let e = table().get(&args[0])?;
        let writes = e.spec.is(flag::WRITE | flag::MAY_REPLICATE)
            || (e.spec.name == "exec" && client.multi.is_some());
        if !writes {
            return None;
        }
    }
    Some(Duration::from_millis((p.until_ms - now).clamp(1, 50) as u64))
}

fn take_pushes(me: &ClientShared, out: &mut ReplyWriter) {
    let mut p = me.pending.borrow_mut();
    if !p.is_empty() {
        out.buf.extend_from_slice(&p);
        p.clear();
    }
}

async fn write_out(
    shared: &Shared,
    stream: &mut TcpStream,
    out: &mut ReplyWriter,
    me: &ClientShared,
) -> std::io::Result<()> {
    let n = out.buf.len();
    // A peer that stops reading must not pin us here: CLIENT KILL and the output-buffer
    // limits wake the task, and a kill ends the write.
    let mut woken = false;
    let r = {
        let write = stream.write_all(&out.buf);
        tokio::pin!(write);
        loop {
            tokio::select! {
                r = &mut write => break r,
                _ = me.notify.notified() => {
                    woken = true;
                    if me.killed.get() {
                        break Err(std::io::Error::other("client killed"));
                    }
                }
            }
        }
    };
    if woken {
        // Pushes that arrived meanwhile still need the writer.
        me.notify.notify_one();
    }
    out.buf.clear();
    if out.buf.capacity() > 64 * 1024 {
        out.buf = BytesMut::new();
    }
    shared.borrow_mut().srv.stats.net_output_bytes += n as u64;
    r
}

/// Forgets a client everywhere: subscriptions, watches, MONITOR, the registry.
fn disconnect(shared: &Shared, client: &mut Client) {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    commands::pubsub::unsubscribe_all(&mut core.srv, client);
    commands::multi::discard_transaction(&mut core.ks, &mut core.srv, client);
    commands::blocking::forget(&mut core.ks, &mut core.srv, client.id);
    core.srv.monitors.retain(|&i| i != client.id);
    commands::repl::on_disconnect(&mut core.srv, client.id);
    core.srv.clients.remove(&client.id);
}

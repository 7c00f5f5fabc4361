//! Per-connection state. [`Client`] is owned by the connection task and handed to handlers;
//! [`ClientShared`] is the part other connections may touch (CLIENT LIST/KILL, PUBLISH into
//! its push buffer), reached through the registry in [`crate::state::ServerState`].

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use keyspace::SBytes;
use resp::Proto;
use tokio::sync::Notify;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skipping the reply of the current command.
    Skip,
}

/// A transaction being queued.
#[derive(Debug, Default)]
pub struct Multi {
    pub queued: Vec<(usize, Vec<Bytes>)>,
    /// A command failed to queue: EXEC must answer EXECABORT.
    pub failed: bool,
}

/// What kind of peer this connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    #[default]
    Normal,
    Replica,
    Primary,
    Monitor,
}

/// The state of one connection that only its own task changes.
pub struct Client {
    pub id: u64,
    pub shared: Rc<ClientShared>,
    pub db: usize,
    pub authenticated: bool,
    pub user: String,
    pub multi: Option<Multi>,
    pub watched: Vec<(usize, SBytes)>,
    pub channels: HashSet<Vec<u8>>,
    pub patterns: HashSet<Vec<u8>>,
    pub reply_mode: ReplyMode,
    pub kind: Kind,
    /// Close once the pending replies are written (QUIT, protocol errors, CLIENT KILL).
    pub close_after_reply: bool,
    pub no_evict: bool,
    pub lib_name: String,
    pub lib_ver: String,
    /// REPLCONF listening-port / ip-address of a replica, for ROLE and INFO.
    pub repl_listening_port: u16,
    pub repl_ip: Option<String>,
    /// REPLCONF capa eof: the replica reads `$EOF:<mark>` payloads (diskless sync).
    pub repl_capa_eof: bool,
    /// The replication offset after this client's last command (WAIT waits for it; Redis
    /// 7.0's `woff`).
    pub woff: i64,
}

/// The part of a client other connections can see or poke.
pub struct ClientShared {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created_ms: i64,
    pub last_interaction_ms: Cell<i64>,
    pub name: RefCell<Option<Bytes>>,
    pub db: Cell<usize>,
    pub proto: Cell<Proto>,
    /// Index of the last command run, in the command table.
    pub last_cmd: Cell<Option<usize>>,
    pub sub_count: Cell<usize>,
    pub psub_count: Cell<usize>,
    pub multi_count: Cell<i64>,
    pub flags: RefCell<String>,
    pub qbuf: Cell<usize>,
    pub omem: Cell<usize>,
    /// Pushes from other connections (pub/sub, MONITOR) waiting for this client's writer.
    pub pending: RefCell<BytesMut>,
    pub notify: Notify,
    pub killed: Cell<bool>,
    /// The connection holds read/write buffers (kept between batches so a busy client
    /// allocates nothing per request).
    pub holds_buffers: Cell<bool>,
    /// The cron asks an idle connection to give its buffers back.
    pub shrink: Cell<bool>,
    /// `client-output-buffer-limit` for this client's class (0 = none), kept current by the
    /// cron; pushes beyond the hard limit close the client, as in Redis.
    pub obuf_hard: Cell<u64>,
    /// Since when the unsent output has been over the soft limit (ms), if it is.
    pub obuf_soft_since: Cell<Option<i64>>,
    pub paused_or_blocked: Cell<bool>,
}

impl ClientShared {
    pub fn new(id: u64, addr: String, laddr: String, fd: i32, now_ms: i64) -> Self {
        ClientShared {
            id,
            addr,
            laddr,
            fd,
            created_ms: now_ms,
            last_interaction_ms: Cell::new(now_ms),
            name: RefCell::new(None),
            db: Cell::new(0),
            proto: Cell::new(Proto::Resp2),
            last_cmd: Cell::new(None),
            sub_count: Cell::new(0),
            psub_count: Cell::new(0),
            multi_count: Cell::new(-1),
            flags: RefCell::new(String::from("N")),
            qbuf: Cell::new(0),
            omem: Cell::new(0),
            pending: RefCell::new(BytesMut::new()),
            notify: Notify::new(),
            killed: Cell::new(false),
            holds_buffers: Cell::new(false),
            shrink: Cell::new(false),
            obuf_hard: Cell::new(0),
            obuf_soft_since: Cell::new(None),
            paused_or_blocked: Cell::new(false),
        }
    }

    /// Appends an already encoded push and wakes the writer.
    pub fn push_raw(&self, data: &[u8]) {
        if self.killed.get() {
            return;
        }
        let mut p = self.pending.borrow_mut();
        p.extend_from_slice(data);
        let hard = self.obuf_hard.get();
        if hard > 0 && p.len() as u64 > hard {
            // Over the hard limit: drop what is queued and close, as Redis does.
            *p = BytesMut::new();
            self.killed.set(true);
        }
        self.notify.notify_one();
    }

    /// The `client-output-buffer-limit` class: replica, pub/sub or normal.
    pub fn obuf_class(&self) -> usize {
        use crate::config::obuf;
        if self.flags.borrow().contains('S') {
            obuf::REPLICA
        } else if self.sub_count.get() + self.psub_count.get() > 0 {
            obuf::PUBSUB
        } else {
            obuf::NORMAL
        }
    }

    pub fn kill(&self) {
        self.killed.set(true);
        self.notify.notify_one();
    }
}

impl Client {
    pub fn new(shared: Rc<ClientShared>, authenticated: bool) -> Self {
        Client {
            id: shared.id,
            shared,
            db: 0,
            authenticated,
            user: "default".into(),
            multi: None,
            watched: Vec::new(),
            channels: HashSet::new(),
            patterns: HashSet::new(),
            reply_mode: ReplyMode::On,
            kind: Kind::Normal,
            close_after_reply: false,
            no_evict: false,
            lib_name: String::new(),
            lib_ver: String::new(),
            repl_listening_port: 0,
            repl_ip: None,
            repl_capa_eof: false,
            woff: 0,
        }
    }

    /// Subscribed to anything (RESP2 then allows only the subscribe family).
    pub fn in_pubsub(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }

    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Refreshes the flags string CLIENT LIST shows.
    pub fn sync_shared(&self) {
        let s = &self.shared;
        s.db.set(self.db);
        s.sub_count.set(self.channels.len());
        s.psub_count.set(self.patterns.len());
        s.multi_count
            .set(self.multi.as_ref().map_or(-1, |m| m.queued.len() as i64));
        let mut f = String::new();
        match self.kind {
            Kind::Replica => f.push('S'),
            Kind::Primary => f.push('M'),
            Kind::Monitor => f.push('O'),
            Kind::Normal => {}
        }
        if self.in_pubsub() {
            f.push('P');
        }
        if self.multi.is_some() {
            f.push('x');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.no_evict {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        *s.flags.borrow_mut() = f;
    }
}

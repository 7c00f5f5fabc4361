//! Propagation: the one point where the effective form of every write (relative expiry made
//! absolute, expired keys as DEL) leaves the executor, in apply order, for the AOF and the
//! replication stream. Consumers register a [`Sink`]; with none registered a write costs
//! nothing here.

use bytes::{BufMut, Bytes, BytesMut};

use crate::state::ServerState;

/// A consumer of the write stream (AOF file, replication backlog).
pub trait Sink {
    /// `encoded` is a RESP multibulk command, preceded by SELECT when the database changed.
    fn feed(&mut self, encoded: &[u8]);

    /// Identifies the sink so its owner can unregister it.
    fn name(&self) -> &'static str {
        ""
    }
}

#[derive(Default)]
pub struct Propagation {
    pub sinks: Vec<Box<dyn Sink>>,
    /// The database the stream last SELECTed.
    pub selected: Option<usize>,
}

/// Encodes `args` as a RESP multibulk command.
pub fn encode_command(out: &mut BytesMut, args: &[impl AsRef<[u8]>]) {
    let mut b = itoa::Buffer::new();
    out.put_u8(b'*');
    out.put_slice(b.format(args.len()).as_bytes());
    out.put_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.put_u8(b'$');
        out.put_slice(b.format(a.len()).as_bytes());
        out.put_slice(b"\r\n");
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

/// Feeds one write to every sink and to the replication stream.
///
/// A replica does not propagate what it executes: its backlog and sub-replicas receive its
/// primary's stream byte for byte instead (crates/server/src/replica.rs), and writes made
/// directly on a writable replica stay local, as in Redis.
pub fn propagate(srv: &mut ServerState, db: usize, args: &[Bytes]) {
    let to_replicas = srv.repl.backlog.is_some() && srv.repl.primary.is_none();
    let p = &mut srv.propagation;
    if p.sinks.is_empty() && !to_replicas {
        return;
    }
    let mut buf = BytesMut::new();
    if p.selected != Some(db) {
        let n = db.to_string();
        encode_command(&mut buf, &[b"SELECT".as_slice(), n.as_bytes()]);
        p.selected = Some(db);
    }
    encode_command(&mut buf, args);
    for s in &mut p.sinks {
        s.feed(&buf);
    }
    if to_replicas {
        crate::repl::feed(srv, &buf);
    }
}

//! The propagated form of string and bitmap writes, checked through the executor with a sink
//! that records the write stream (what AOF and replicas receive).

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use resp::{Proto, ReplyWriter};

use crate::client::{Client, ClientShared};
use crate::propagate::Sink;
use crate::{execute, Config, Core};

const NOW: i64 = 1_700_000_000_000;

struct Capture(Rc<RefCell<Vec<u8>>>);

impl Sink for Capture {
    fn feed(&mut self, encoded: &[u8]) {
        self.0.borrow_mut().extend_from_slice(encoded);
    }
}

struct Harness {
    core: Core,
    client: Client,
    out: ReplyWriter,
    stream: Rc<RefCell<Vec<u8>>>,
}

impl Harness {
    fn new() -> Harness {
        let mut core = Core::new(Config::default(), NOW);
        let stream = Rc::new(RefCell::new(Vec::new()));
        core.srv
            .propagation
            .sinks
            .push(Box::new(Capture(stream.clone())));
        let shared = Rc::new(ClientShared::new(
            1,
            "127.0.0.1:5000".into(),
            "127.0.0.1:6379".into(),
            -1,
            NOW,
        ));
        Harness {
            core,
            client: Client::new(shared, true),
            out: ReplyWriter::new(Proto::Resp2),
            stream,
        }
    }

    /// Runs a command (arguments split on spaces) and returns its reply.
    fn run(&mut self, line: &str) -> String {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        self.out.buf.clear();
        execute(&mut self.core, &mut self.client, &mut self.out, &args, NOW);
        String::from_utf8_lossy(&self.out.buf).into_owned()
    }

    /// Runs a command and returns what it propagated, one command per line.
    fn propagated(&mut self, line: &str) -> String {
        self.stream.borrow_mut().clear();
        self.run(line);
        let got = std::mem::take(&mut *self.stream.borrow_mut());
        decode_stream(&got)
    }
}

/// The write stream as lines of space-separated arguments, SELECT dropped.
fn decode_stream(mut b: &[u8]) -> String {
    let mut lines = Vec::new();
    while let Ok(Some((f, n))) = resp::Frame::decode(b) {
        b = &b[n..];
        let line = frame_words(&f);
        if !line.starts_with("SELECT ") {
            lines.push(line);
        }
    }
    lines.join("\n")
}

fn frame_words(f: &resp::Frame) -> String {
    match f {
        resp::Frame::Array(items) => items.iter().map(frame_words).collect::<Vec<_>>().join(" "),
        resp::Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn set_with_relative_expire_becomes_pxat() {
    let mut h = Harness::new();
    let at = NOW + 10_000;
    assert_eq!(h.propagated("SET k v EX 10"), format!("SET k v PXAT {at}"));
    assert_eq!(
        h.propagated("SET k v PX 10000 XX GET"),
        format!("SET k v PXAT {at}")
    );
    assert_eq!(h.propagated("SETEX k 10 v"), format!("SET k v PXAT {at}"));
    assert_eq!(
        h.propagated("PSETEX k 10000 v"),
        format!("SET k v PXAT {at}")
    );
    assert_eq!(
        h.propagated("SET k v EXAT 1800000000"),
        "SET k v PXAT 1800000000000"
    );
    assert_eq!(h.propagated("SET k v KEEPTTL"), "SET k v KEEPTTL");
}

#[test]
fn set_get_drops_every_get() {
    let mut h = Harness::new();
    assert_eq!(h.propagated("SET k get GET get NX"), "SET k get NX");
    assert_eq!(h.propagated("SET k v NX"), "");
    assert_eq!(h.propagated("SET k v XX GET"), "SET k v XX");
}

#[test]
fn getex_getdel_getset_incrbyfloat_forms() {
    let mut h = Harness::new();
    h.run("SET k 1");
    assert_eq!(
        h.propagated("GETEX k EX 5"),
        format!("PEXPIREAT k {}", NOW + 5000)
    );
    assert_eq!(h.propagated("GETEX k PERSIST"), "PERSIST k");
    assert_eq!(h.propagated("GETEX k PERSIST"), "");
    assert_eq!(h.propagated("GETEX k"), "");
    assert_eq!(h.propagated("GETEX k PXAT 1000"), "DEL k");
    assert_eq!(h.run("GET k"), "$-1\r\n");
    h.run("SET k 1");
    assert_eq!(h.propagated("GETSET k 2"), "SET k 2");
    assert_eq!(h.propagated("INCRBYFLOAT k 0.5"), "SET k 2.5 KEEPTTL");
    assert_eq!(h.propagated("INCRBYFLOAT k abc"), "");
    assert_eq!(h.propagated("GETDEL k"), "DEL k");
    assert_eq!(h.propagated("GETDEL k"), "");
    h.core.srv.config.lazyfree_lazy_user_del = true;
    h.core.srv.config.lazyfree_lazy_expire = true;
    h.run("SET k 1");
    assert_eq!(h.propagated("GETDEL k"), "UNLINK k");
    h.run("SET k 1");
    assert_eq!(h.propagated("GETEX k EXAT 1"), "UNLINK k");
}

#[test]
fn failed_and_no_op_writes_propagate_nothing() {
    let mut h = Harness::new();
    h.run("SET s abc");
    for cmd in [
        "INCR s",
        "INCRBY s 1",
        "SETRANGE s -1 x",
        "SETRANGE s 0 ",
        "SETRANGE missing 5 ",
        "SET s v EX 0",
        "MSETNX a 1 s 2",
        "BITOP AND empty missing",
    ] {
        assert_eq!(h.propagated(cmd), "", "{cmd}");
    }
    h.run("SETBIT b 3 1");
    assert_eq!(h.propagated("SETBIT b 3 1"), "");
    assert_eq!(h.propagated("SETBIT b 3 0"), "SETBIT b 3 0");
    assert_eq!(h.propagated("BITFIELD b SET u8 0 0"), "");
    assert_eq!(
        h.propagated("BITFIELD b SET u8 0 1"),
        "BITFIELD b SET u8 0 1"
    );
    assert_eq!(h.propagated("BITFIELD b GET u8 0"), "");
}

#[test]
fn counters_keep_the_ttl_and_plain_set_clears_it() {
    let mut h = Harness::new();
    h.run("SET n 5 EX 100");
    h.run("INCR n");
    h.run("APPEND n 0");
    h.run("SETRANGE n 0 7");
    h.run("INCRBYFLOAT n 1");
    assert_eq!(h.core.ks.expire_of(0, b"n"), Some(NOW + 100_000));
    assert_eq!(h.run("GET n"), "$2\r\n71\r\n");
    h.run("SET n 1");
    assert_eq!(h.core.ks.expire_of(0, b"n"), None);
}

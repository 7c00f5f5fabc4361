//! Server-level commands against redis-server 7.0: DBSIZE FLUSHDB FLUSHALL SWAPDB TIME
//! LASTSAVE, COMMAND (INFO for every shared command, GETKEYS), INFO, CLIENT, SLOWLOG,
//! MEMORY, LATENCY, DEBUG, MONITOR, SHUTDOWN.
//!
//! Replies that depend on time, addresses or hash-table order are compared after masking or
//! as sets; everything else byte for byte.
//!
//! - [`command`]: COMMAND INFO/DOCS/LIST/GETKEYS.
//! - [`info`]: INFO sections and fields, keyspace, stats.
//! - [`clients`]: CLIENT subcommands, KILL, PAUSE, REPLY, MONITOR.
//! - [`admin`]: DBSIZE, FLUSH*, SWAPDB, SLOWLOG, MEMORY, LATENCY, DEBUG, SHUTDOWN.

mod admin;
mod clients;
mod command;
mod info;

use resp::Frame;

/// Decodes one reply.
pub fn frame(raw: &[u8]) -> Frame {
    Frame::decode(raw)
        .expect("valid RESP")
        .expect("a whole reply")
        .0
}

/// The text of a bulk, simple or verbatim reply.
pub fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        other => panic!("expected a string reply, got {other:?}"),
    }
}

/// The elements of an array, set or push reply.
pub fn items(f: &Frame) -> &[Frame] {
    match f {
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v,
        other => panic!("expected an aggregate reply, got {other:?}"),
    }
}

/// The (key, value) pairs of a map reply, or of a RESP2 flat array standing for one.
pub fn pairs(f: &Frame) -> Vec<(String, Frame)> {
    match f {
        Frame::Map(kv) => kv.iter().map(|(k, v)| (text(k), v.clone())).collect(),
        Frame::Array(v) => v
            .chunks(2)
            .map(|c| (text(&c[0]), c.get(1).cloned().unwrap_or(Frame::Null)))
            .collect(),
        other => panic!("expected a map reply, got {other:?}"),
    }
}

/// Switches both of a Diff's main connections to RESP3 (client ids differ, so HELLO's own
/// replies are not compared).
pub fn hello3(d: &mut crate::kit::Diff) {
    for r in [&mut d.a, &mut d.b] {
        assert!(matches!(frame(&r.call(&["HELLO", "3"])), Frame::Map(_)));
    }
}

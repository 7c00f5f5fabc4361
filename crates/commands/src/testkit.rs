//! A test harness for command handlers: one client driven through the real executor, with
//! a sink that records the propagated write stream (what the AOF and replicas receive) and
//! replies and pushes rendered as short strings. Shared by the families' unit tests.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use resp::{Frame, Proto, ReplyWriter};

use crate::client::{Client, ClientShared};
use crate::config::{notify, Config};
use crate::propagate::Sink;
use crate::state::Core;

pub(crate) const NOW: i64 = 1_700_000_000_000;

struct Capture(Rc<RefCell<Vec<u8>>>);

impl Sink for Capture {
    fn feed(&mut self, encoded: &[u8]) {
        self.0.borrow_mut().extend_from_slice(encoded);
    }
}

pub(crate) struct Harness {
    pub core: Core,
    pub client: Client,
    stream: Rc<RefCell<Vec<u8>>>,
}

impl Harness {
    pub fn new() -> Harness {
        let mut core = Core::new(Config::default(), NOW);
        let stream = Rc::new(RefCell::new(Vec::new()));
        core.srv
            .propagation
            .sinks
            .push(Box::new(Capture(stream.clone())));
        let shared = Rc::new(ClientShared::new(
            1,
            "127.0.0.1:1".into(),
            String::new(),
            -1,
            NOW,
        ));
        shared.proto.set(Proto::Resp3);
        let client = Client::new(shared, true);
        Harness {
            core,
            client,
            stream,
        }
    }

    /// Runs one command; returns every frame it wrote (pushes included), rendered.
    pub fn run(&mut self, line: &str) -> Vec<String> {
        let args: Vec<Bytes> = resp::split_inline_args(line.as_bytes())
            .unwrap()
            .into_iter()
            .map(Bytes::from)
            .collect();
        self.run_args(&args)
    }

    /// Runs one command given as arguments (binary-safe).
    pub fn run_args(&mut self, args: &[Bytes]) -> Vec<String> {
        let mut out = ReplyWriter::new(Proto::Resp3);
        crate::execute(&mut self.core, &mut self.client, &mut out, args, NOW);
        frames(&out.buf)
    }

    /// The commands propagated since the last call, one string each (SELECTs included).
    pub fn propagated(&mut self) -> Vec<String> {
        let buf = std::mem::take(&mut *self.stream.borrow_mut());
        frames(&buf)
    }

    /// The writes propagated since the last call, SELECTs dropped.
    pub fn propagated_writes(&mut self) -> Vec<String> {
        self.propagated()
            .into_iter()
            .filter(|c| !c.starts_with("SELECT"))
            .collect()
    }

    /// Subscribes this client to every keyevent.
    pub fn events(&mut self) {
        self.core.srv.config.notify_keyspace_events =
            notify::KEYEVENT | notify::ALL | notify::KEY_MISS;
        self.run("PSUBSCRIBE __keyevent@*");
    }
}

pub(crate) fn render(f: &Frame) -> String {
    match f {
        Frame::Simple(b) | Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Error(b) => format!("-{}", String::from_utf8_lossy(b)),
        Frame::Integer(n) => format!(":{n}"),
        Frame::Double(d) => format!(",{d}"),
        Frame::Null => "(nil)".into(),
        Frame::Array(v) | Frame::Set(v) => v.iter().map(render).collect::<Vec<_>>().join(" "),
        // A pmessage from __keyevent@<db>__:<event>, shown as ">event key".
        Frame::Push(v) if v.len() == 4 => {
            let channel = render(&v[2]);
            let event = channel.rsplit(':').next().unwrap_or_default();
            format!(">{event} {}", render(&v[3]))
        }
        Frame::Push(v) => format!(">{}", v.iter().map(render).collect::<Vec<_>>().join(" ")),
        other => format!("{other:?}"),
    }
}

pub(crate) fn frames(mut buf: &[u8]) -> Vec<String> {
    let mut v = Vec::new();
    while let Some((f, n)) = Frame::decode(buf).unwrap() {
        v.push(render(&f));
        buf = &buf[n..];
    }
    v
}

pub(crate) fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

//! A tap on a server's replication stream: it connects as a replica would (PSYNC ? -1),
//! skips the RDB snapshot and reads the propagated commands, so tests can compare the
//! effective write stream of Redoubt with redis-server's for the same commands.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::kit::Diff;

pub struct Tap {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Tap {
    pub fn attach(port: u16) -> Tap {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&resp::Frame::command(&["PSYNC", "?", "-1"]))
            .unwrap();
        let mut t = Tap { s, buf: Vec::new() };
        let line = t.line();
        assert!(line.starts_with("+FULLRESYNC"), "PSYNC answered {line}");
        let mut bulk = t.line();
        while bulk.is_empty() {
            bulk = t.line();
        }
        if let Some(mark) = bulk.strip_prefix("$EOF:") {
            let mark = mark.as_bytes().to_vec();
            loop {
                if let Some(p) = find(&t.buf, &mark) {
                    t.buf.drain(..p + mark.len());
                    break;
                }
                t.fill();
            }
        } else {
            let n: usize = bulk.trim_start_matches('$').parse().unwrap();
            while t.buf.len() < n {
                t.fill();
            }
            t.buf.drain(..n);
        }
        // Diskless transfers go online with the first acknowledgement.
        t.s.write_all(&resp::Frame::command(&["REPLCONF", "ACK", "0"]))
            .unwrap();
        t
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = self.s.read(&mut chunk).expect("replication stream read");
        assert!(n > 0, "replication stream closed");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// One line without its terminator (keepalive newlines come as empty lines).
    fn line(&mut self) -> String {
        loop {
            if let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                let l: Vec<u8> = self.buf.drain(..=p).collect();
                return String::from_utf8_lossy(&l).trim_end().to_string();
            }
            self.fill();
        }
    }

    /// The next propagated command, PINGs and REPLCONF GETACKs skipped.
    pub fn next(&mut self) -> Vec<String> {
        loop {
            if let Some((frame, n)) = resp::Frame::decode(&self.buf).expect("valid stream") {
                self.buf.drain(..n);
                let resp::Frame::Array(items) = frame else {
                    panic!("not a command: {frame:?}");
                };
                let args: Vec<String> = items
                    .into_iter()
                    .map(|f| match f {
                        resp::Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                let first = args[0].to_ascii_uppercase();
                if first == "PING" || (first == "REPLCONF" && args.len() > 1) {
                    continue;
                }
                return args;
            }
            self.fill();
        }
    }

    /// Commands up to and including the first whose arguments equal `last`.
    pub fn until(&mut self, last: &[&str]) -> Vec<Vec<String>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut out = Vec::new();
        loop {
            assert!(Instant::now() < deadline, "no {last:?} in {out:?}");
            let c = self.next();
            let done =
                c.len() == last.len() && c.iter().zip(last).all(|(a, b)| a.eq_ignore_ascii_case(b));
            out.push(c);
            if done {
                return out;
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Runs `script` (ending with `SET marker done`) on both servers, replies compared, then
/// asserts the two replication streams carried the same commands.
pub fn assert_same_stream(extra: &[&str], script: &str) {
    let mut args = vec!["--repl-diskless-sync", "no"];
    args.extend_from_slice(extra);
    let mut d = Diff::new(&args);
    let mut ta = Tap::attach(d.ours.port);
    let mut tb = Tap::attach(d.redis.port);
    d.run(script);
    let a = ta.until(&["SET", "marker", "done"]);
    let b = tb.until(&["SET", "marker", "done"]);
    assert_eq!(
        a, b,
        "propagated streams differ (left: redoubt, right: redis-server)"
    );
}

//! The wire protocol over real sockets, compared with redis-server 7.0 byte for byte: requests
//! split at every byte, deep pipelines, inline (telnet) commands, malformed input that must
//! be answered with Redis's exact error and then closed, size limits, QUIT.
//!
//! Submodules: [`resp3`] (HELLO 3, RESP3 types, pub/sub delivery in both protocols) and
//! [`transactions`] (MULTI/EXEC/DISCARD/WATCH).

mod resp3;
mod transactions;

use std::io::Write;
use std::time::Duration;

use crate::kit::{Diff, Raw};

/// After a protocol error: both servers sent the same reply, then closed; fresh clients are
/// served as before.
fn expect_error_and_close(d: &mut Diff, data: &[u8], want: &str) {
    let got = d.check_raw(data);
    assert_eq!(String::from_utf8_lossy(&got), want, "for {:?}", trunc(data));
    d.assert_both_closed();
    d.reconnect();
    d.check(&["PING"]);
}

fn trunc(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(80)]).into_owned()
}

#[test]
fn request_sent_one_byte_at_a_time() {
    let mut d = Diff::new(&[]);
    let reqs: [&[u8]; 4] = [
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$11\r\nhello world\r\n",
        b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
        b"GET key\r\n",
        b"ECHO \"split\\x41inline\"\n",
    ];
    for req in reqs {
        for raw in [&mut d.a, &mut d.b] {
            for byte in req {
                raw.stream.write_all(std::slice::from_ref(byte)).unwrap();
            }
        }
        let (ra, rb) = (d.a.reply(), d.b.reply());
        assert_eq!(ra, rb, "reply differs for {:?}", trunc(req));
    }
    assert_eq!(d.check(&["GET", "key"]), b"$11\r\nhello world\r\n");
}

#[test]
fn request_split_at_every_boundary() {
    let mut d = Diff::new(&[]);
    let req: &[u8] = b"*3\r\n$3\r\nSET\r\n$4\r\nk:xy\r\n$10\r\n0123456789\r\n";
    for cut in 1..req.len() {
        for raw in [&mut d.a, &mut d.b] {
            raw.send(&req[..cut]);
        }
        // Let the first half arrive alone so the server really sees a partial request.
        std::thread::sleep(Duration::from_millis(2));
        for raw in [&mut d.a, &mut d.b] {
            raw.send(&req[cut..]);
        }
        let (ra, rb) = (d.a.reply(), d.b.reply());
        assert_eq!(ra, b"+OK\r\n", "redoubt, request cut at {cut}");
        assert_eq!(ra, rb, "request cut at {cut}");
    }
    d.check(&["GET", "k:xy"]);
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let mut d = Diff::new(&[]);
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let (k, v) = (format!("key:{}", i % 97), format!("value-{i}"));
        let cmd: Vec<&[u8]> = match i % 7 {
            0 => vec![b"SET", k.as_bytes(), v.as_bytes()],
            1 => vec![b"GET", k.as_bytes()],
            2 => vec![b"PING"],
            3 => vec![b"ECHO", v.as_bytes()],
            4 => vec![b"EXISTS", k.as_bytes(), b"nokey"],
            5 => vec![b"DEL", k.as_bytes()],
            _ => vec![b"NOSUCHCMD", k.as_bytes()],
        };
        batch.extend_from_slice(&resp::Frame::command(&cmd));
    }
    d.a.send(&batch);
    d.b.send(&batch);
    let ra = d.a.replies(10_000);
    let rb = d.b.replies(10_000);
    assert!(ra.starts_with(b"+OK\r\n$-1\r\n+PONG\r\n$7\r\nvalue-3\r\n"));
    if ra != rb {
        let at = ra.iter().zip(&rb).position(|(x, y)| x != y).unwrap_or(0);
        panic!(
            "pipelined replies differ at byte {at}: redoubt {:?} vs redis {:?}",
            String::from_utf8_lossy(&ra[at.saturating_sub(40)..(at + 40).min(ra.len())]),
            String::from_utf8_lossy(&rb[at.saturating_sub(40)..(at + 40).min(rb.len())]),
        );
    }
}

#[test]
fn inline_commands_like_telnet() {
    let mut d = Diff::new(&[]);
    d.check_raw(b"SET greeting hello\r\n");
    d.check_raw(b"GET greeting\n");
    d.check_raw(b"   GET    greeting   \r\n");
    d.check_raw(b"SET q \"a b\\tc\\n\\x41\\\"\"\r\n");
    d.check_raw(b"GET q\r\n");
    d.check_raw(b"SET sq 'it\\'s  here'\r\n");
    d.check_raw(b"GET sq\r\n");
    d.check_raw(b"ECHO \"\"\r\n");
    d.check_raw(b"ECHO \"\\xzz\"\r\n");
    d.check_raw(b"set Mixed CASE\r\n");
    d.check_raw(b"get Mixed\r\n");
    // Empty lines are skipped without a reply.
    for raw in [&mut d.a, &mut d.b] {
        raw.send(b"\r\n\n   \r\n\t\n");
        assert!(raw.read_for(Duration::from_millis(200)).is_empty());
    }
    // Inline and multibulk mixed in one write.
    let mut mixed = b"PING\r\n".to_vec();
    mixed.extend_from_slice(&resp::Frame::command(&["ECHO", "multi"]));
    mixed.extend_from_slice(b"ECHO inline\n\nPING x\r\n");
    d.a.send(&mixed);
    d.b.send(&mixed);
    assert_eq!(d.a.replies(4), d.b.replies(4));
    d.check_raw(b"NOSUCH inline command\r\n");
    d.check_raw(b"GET\r\n");
}

#[test]
fn malformed_multibulk_is_an_error_then_close() {
    let mut d = Diff::new(&[]);
    let mut other = (d.ours.raw(), d.redis.raw());
    let e = |s: &str| format!("-ERR Protocol error: {s}\r\n");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (b"*abc\r\n".to_vec(), e("invalid multibulk length")),
        (b"*2147483648\r\n".to_vec(), e("invalid multibulk length")),
        (b"*1x\r\n".to_vec(), e("invalid multibulk length")),
        (b"*1\r\n$abc\r\n".to_vec(), e("invalid bulk length")),
        (b"*1\r\n$-1\r\n".to_vec(), e("invalid bulk length")),
        (
            b"*2\r\n$3\r\nGET\r\n$-5\r\n".to_vec(),
            e("invalid bulk length"),
        ),
        (b"*1\r\nPING\r\n".to_vec(), e("expected '$', got 'P'")),
        (
            b"*2\r\n$3\r\nGET\r\n:1\r\n".to_vec(),
            e("expected '$', got ':'"),
        ),
        (
            b"SET k \"abc\r\n".to_vec(),
            e("unbalanced quotes in request"),
        ),
        (
            b"SET k 'a'b\r\n".to_vec(),
            e("unbalanced quotes in request"),
        ),
        (
            b"ECHO \"a\"b\r\n".to_vec(),
            e("unbalanced quotes in request"),
        ),
        (vec![b'x'; 70_000], e("too big inline request")),
        (
            [&b"*1"[..], &[b'1'; 70_000]].concat(),
            e("too big mbulk count string"),
        ),
        (
            [&b"*1\r\n$"[..], &[b'1'; 70_000]].concat(),
            e("too big bulk count string"),
        ),
    ];
    for (data, want) in cases {
        // Commands before the bad request in the same write still run.
        let mut req = b"SET before 1\r\n".to_vec();
        req.extend_from_slice(&data);
        d.a.send(&req);
        d.b.send(&req);
        assert_eq!(d.a.reply(), b"+OK\r\n");
        assert_eq!(d.b.reply(), b"+OK\r\n");
        let (ra, rb) = (d.a.reply(), d.b.reply());
        assert_eq!(String::from_utf8_lossy(&ra), want, "for {:?}", trunc(&data));
        assert_eq!(ra, rb);
        d.assert_both_closed();
        d.reconnect();
        // A client connected all along is unaffected.
        assert_eq!(other.0.call(&["PING"]), b"+PONG\r\n");
        assert_eq!(other.1.call(&["PING"]), b"+PONG\r\n");
    }
}

#[test]
fn empty_and_negative_multibulk_counts_are_skipped() {
    let mut d = Diff::new(&[]);
    d.check_raw(b"*0\r\n*-1\r\n*-5\r\nPING\r\n");
    d.check_raw(b"*1\r\n$4\r\nPING\r\n");
}

#[test]
fn bulk_longer_than_proto_max_bulk_len() {
    let mut d = Diff::new(&["--proto-max-bulk-len", "1mb"]);
    // Exactly at the limit is accepted.
    let big = vec![b'v'; 1024 * 1024];
    d.check(&[&b"SET"[..], b"big", &big]);
    d.check(&["STRLEN", "big"]);
    expect_error_and_close(
        &mut d,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
    d.check(&["EXISTS", "k"]);
}

#[test]
fn query_buffer_limit_closes_without_reply() {
    let mut d = Diff::new(&["--client-query-buffer-limit", "1mb"]);
    // Under the limit is fine.
    let ok = vec![b'x'; 900_000];
    d.check(&[&b"SET"[..], b"k", &ok]);
    let mut other = (d.ours.raw(), d.redis.raw());
    for raw in [&mut d.a, &mut d.b] {
        raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
        // The server may close mid-way: later writes can fail, which is the point.
        for _ in 0..4 {
            if raw.stream.write_all(&[b'y'; 500_000]).is_err() {
                break;
            }
        }
    }
    let (ra, rb) = (
        d.a.read_for(Duration::from_secs(2)),
        d.b.read_for(Duration::from_secs(2)),
    );
    assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb));
    assert!(ra.is_empty(), "no reply expected, got {:?}", trunc(&ra));
    d.assert_both_closed();
    assert_eq!(
        other.0.call(&["STRLEN", "k"]),
        other.1.call(&["STRLEN", "k"])
    );
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let mut d = Diff::new(&["--requirepass", "secret"]);
    d.check(&["GET", "k"]);
    d.check(&["PING"]);
    // Ten arguments and 16 KB bulks are still parsed (and refused as NOAUTH).
    let ten: Vec<&str> = std::iter::repeat_n("k", 10).collect();
    d.check(&ten);
    let bulk = vec![b'x'; 16384];
    d.check(&[&b"ECHO"[..], &bulk]);
    expect_error_and_close(
        &mut d,
        b"*11\r\n",
        "-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
    expect_error_and_close(
        &mut d,
        b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    d.check(&["AUTH", "wrong"]);
    d.check(&["HELLO", "3"]);
    d.check(&["AUTH", "default", "wrong"]);
    d.check(&["AUTH", "secret"]);
    // Once authenticated, the limits are gone — also within the same write as AUTH.
    let eleven: Vec<String> = std::iter::once("MGET".to_string())
        .chain((0..10).map(|i| format!("k{i}")))
        .collect();
    d.check(&eleven);
    let big = vec![b'y'; 20_000];
    d.check(&[&b"ECHO"[..], &big]);
    d.reconnect();
    let mut req = b"AUTH secret\r\n".to_vec();
    req.extend_from_slice(&resp::Frame::command(&eleven));
    d.a.send(&req);
    d.b.send(&req);
    assert_eq!(d.a.replies(2), d.b.replies(2));
}

#[test]
fn quit_replies_ok_and_closes() {
    let mut d = Diff::new(&[]);
    d.check_raw(b"PING\r\n");
    d.a.send(b"QUIT\r\nPING\r\n");
    d.b.send(b"QUIT\r\nPING\r\n");
    let (ra, rb) = (
        d.a.read_for(Duration::from_millis(500)),
        d.b.read_for(Duration::from_millis(500)),
    );
    assert_eq!(String::from_utf8_lossy(&rb), "+OK\r\n");
    assert_eq!(String::from_utf8_lossy(&ra), "+OK\r\n");
    d.assert_both_closed();
    d.reconnect();
    d.check(&["QUIT", "extra", "args"]);
    d.assert_both_closed();
}

#[test]
fn a_closed_client_does_not_disturb_the_next_one() {
    let d = Diff::new(&[]);
    for _ in 0..50 {
        let mut r = Raw::connect(d.ours.port);
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc");
        drop(r);
    }
    let mut r = d.ours.raw();
    assert_eq!(r.call(&["PING"]), b"+PONG\r\n");
    assert_eq!(r.call(&["EXISTS", "k"]), b":0\r\n");
}

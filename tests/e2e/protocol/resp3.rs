//! RESP3 after HELLO 3 (the map reply, `_` nulls, pushes) and pub/sub delivery between two
//! connections in RESP2 and RESP3, compared with redis-server.

use crate::kit::{check_pair, check_pair_reply, Diff, Raw};

/// HELLO's reply carries the client id, which depends on how many connections each server
/// has seen; everything else must match.
fn mask_id(reply: &[u8]) -> Vec<u8> {
    let tag = b"$2\r\nid\r\n:";
    let Some(at) = reply.windows(tag.len()).position(|w| w == tag) else {
        return reply.to_vec();
    };
    let start = at + tag.len();
    let end = start + reply[start..].iter().position(|&c| c == b'\r').unwrap_or(0);
    [&reply[..start], b"ID", &reply[end..]].concat()
}

fn hello_pair(a: &mut Raw, b: &mut Raw, args: &[&str]) -> Vec<u8> {
    let (ra, rb) = (mask_id(&a.call(args)), mask_id(&b.call(args)));
    assert_eq!(
        String::from_utf8_lossy(&ra),
        String::from_utf8_lossy(&rb),
        "reply differs for {args:?} (left: redoubt, right: redis-server)"
    );
    ra
}

#[test]
fn hello_3_switches_to_resp3() {
    let mut d = Diff::new(&[]);
    let r2 = hello_pair(&mut d.a, &mut d.b, &["HELLO"]);
    assert!(r2.starts_with(b"*14\r\n$6\r\nserver\r\n"), "{r2:?}");
    let r3 = hello_pair(&mut d.a, &mut d.b, &["HELLO", "3"]);
    assert!(r3.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
    assert!(r3.ends_with(b"$7\r\nmodules\r\n*0\r\n"));
    assert_eq!(d.check(&["GET", "missing"]), b"_\r\n");
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["PING"]);
    d.check(&["ECHO", "x"]);
    d.check(&["NOSUCH"]);
    d.check(&["HELLO", "4"]);
    d.check(&["HELLO", "x"]);
    d.check(&["HELLO", "3", "BADOPT"]);
    hello_pair(&mut d.a, &mut d.b, &["HELLO", "3", "SETNAME", "me"]);
    // A null array is `_` too.
    let (mut a2, mut b2) = d.second();
    d.check(&["WATCH", "k"]);
    check_pair(&mut a2, &mut b2, &["SET", "k", "changed"]);
    d.check(&["MULTI"]);
    d.check(&["GET", "k"]);
    assert_eq!(d.check(&["EXEC"]), b"_\r\n");
    let back = hello_pair(&mut d.a, &mut d.b, &["HELLO", "2"]);
    assert!(back.starts_with(b"*14\r\n"));
    assert_eq!(d.check(&["GET", "missing"]), b"$-1\r\n");
}

#[test]
fn hello_auth_and_reset() {
    let mut d = Diff::new(&["--requirepass", "pw"]);
    d.check(&["HELLO", "3"]);
    d.check(&["HELLO", "3", "AUTH", "default", "bad"]);
    hello_pair(&mut d.a, &mut d.b, &["HELLO", "3", "AUTH", "default", "pw"]);
    assert_eq!(d.check(&["GET", "x"]), b"_\r\n");
    d.check(&["RESET"]);
    d.check(&["GET", "x"]);
    hello_pair(&mut d.a, &mut d.b, &["HELLO", "2", "AUTH", "default", "pw"]);
    assert_eq!(d.check(&["GET", "x"]), b"$-1\r\n");
}

#[test]
fn pubsub_delivery_resp2() {
    let mut d = Diff::new(&[]);
    let (mut pa, mut pb) = d.second();
    d.check(&["SUBSCRIBE", "news"]);
    pub_and_check(&mut d, &mut pa, &mut pb, "news", "late");
    run_pubsub_session(&mut d, &mut pa, &mut pb);
}

#[test]
fn pubsub_delivery_resp3() {
    let mut d = Diff::new(&[]);
    let (mut pa, mut pb) = d.second();
    hello_pair(&mut d.a, &mut d.b, &["HELLO", "3"]);
    let sub = d.check(&["SUBSCRIBE", "news"]);
    assert_eq!(sub, b">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    // RESP3 clients may run any command while subscribed.
    assert_eq!(d.check(&["GET", "k"]), b"_\r\n");
    d.check(&["SET", "k", "v"]);
    d.check(&["PING"]);
    let msg = pub_and_check(&mut d, &mut pa, &mut pb, "news", "hello");
    assert_eq!(msg, b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
    run_pubsub_session(&mut d, &mut pa, &mut pb);
}

/// Publishes on the publisher pair and checks the count and the subscriber's message.
fn pub_and_check(d: &mut Diff, pa: &mut Raw, pb: &mut Raw, ch: &str, msg: &str) -> Vec<u8> {
    check_pair(pa, pb, &["PUBLISH", ch, msg]);
    check_pair_reply(&mut d.a, &mut d.b)
}

/// The common part: channels, patterns, PING while subscribed, unsubscribing.
fn run_pubsub_session(d: &mut Diff, pa: &mut Raw, pb: &mut Raw) {
    d.check(&["SUBSCRIBE", "a", "b"]);
    check_pair_reply(&mut d.a, &mut d.b);
    d.check(&["PSUBSCRIBE", "a*"]);
    assert_eq!(check_pair(pa, pb, &["PUBLISH", "a", "one"]), b":2\r\n");
    check_pair_reply(&mut d.a, &mut d.b);
    check_pair_reply(&mut d.a, &mut d.b);
    pub_and_check(d, pa, pb, "abc", "two");
    pub_and_check(d, pa, pb, "b", "");
    assert_eq!(check_pair(pa, pb, &["PUBLISH", "nobody", "x"]), b":0\r\n");
    d.check(&["PING"]);
    d.check(&["PING", "hi"]);
    d.check(&["ECHO", "x"]);
    d.check(&["UNSUBSCRIBE", "a"]);
    pub_and_check(d, pa, pb, "a", "pattern only");
    d.check(&["PUNSUBSCRIBE", "a*"]);
    d.check(&["PUNSUBSCRIBE", "nosuch*"]);
    d.check(&["UNSUBSCRIBE", "b"]);
    d.check(&["UNSUBSCRIBE", "news"]);
    d.check(&["UNSUBSCRIBE", "news"]);
    check_pair(pa, pb, &["PUBLISH", "b", "gone"]);
    // Out of subscribed mode: ordinary replies again, nothing stray pending.
    d.check(&["PING"]);
    d.check(&["GET", "k"]);
}

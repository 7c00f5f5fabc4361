//! `client-output-buffer-limit`: a subscriber that stops reading is disconnected once its
//! unsent output passes the pub/sub class's hard limit, on Redoubt as on redis-server, while
//! the publisher and other clients carry on.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::kit::{Raw, Server};

fn slow_subscriber_is_dropped(s: &Server) {
    let mut sub = s.raw();
    sub.call(&["SUBSCRIBE", "ch"]);
    // From here on the subscriber reads nothing: once the socket buffers are full, the
    // server queues the messages and the limit applies.
    let mut publisher = s.raw();
    let msg = "x".repeat(64 * 1024);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut receivers = 1;
    while receivers == 1 && Instant::now() < deadline {
        let r = publisher.call(&["PUBLISH", "ch", &msg]);
        receivers = if r == b":1\r\n" { 1 } else { 0 };
    }
    assert_eq!(receivers, 0, "the subscriber was never dropped");
    assert_eq!(Raw::connect(s.port).call(&["PING"]), b"+PONG\r\n");
    // Draining the socket ends in EOF: the server closed the connection.
    sub.stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match sub.stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => panic!("expected EOF after the limit, got {e}"),
        }
    }
}

#[test]
fn pubsub_hard_limit_disconnects_slow_subscriber_like_redis() {
    let args = ["--client-output-buffer-limit", "pubsub 1mb 0 0"];
    slow_subscriber_is_dropped(&Server::start(&args));
    slow_subscriber_is_dropped(&Server::start_redis(&args));
}

#[test]
fn pubsub_soft_limit_disconnects_after_its_time() {
    let s = Server::start(&["--client-output-buffer-limit", "pubsub 0 256kb 1"]);
    slow_subscriber_is_dropped(&s);
}

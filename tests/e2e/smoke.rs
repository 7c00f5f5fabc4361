//! The server starts, answers real clients and stops cleanly.

use crate::kit::Server;

#[test]
fn ping_set_get_with_redis_crate() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
}

#[test]
fn differential_basics() {
    let mut d = crate::kit::Diff::new(&[]);
    d.run(
        r#"
        PING
        PING hello
        SET k v
        GET k
        GET missing
        DEL k missing
        EXISTS k
        NOSUCHCOMMAND a b
        GET
        "#,
    );
}

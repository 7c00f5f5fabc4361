//! CLIENT subcommands and MONITOR: replies compared with redis-server where they are
//! deterministic, field names and masked lines where they are not, and the effects (a killed
//! connection closes, a paused write waits, suppressed replies stay suppressed).

use std::time::{Duration, Instant};

use super::{frame, text};
use crate::kit::{check_pair, Diff, Raw, Server};

/// `k=v` fields of one CLIENT LIST / CLIENT INFO line.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').expect("k=v field");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Fields whose values depend on the connection, the clock or buffer sizes.
const VOLATILE: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "age",
    "idle",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "rbs",
    "rbp",
    "tot-mem",
    "omem",
    "obl",
    "oll",
    "events",
];

fn masked(line: &str) -> Vec<(String, String)> {
    fields(line)
        .into_iter()
        .map(|(k, v)| {
            let v = if VOLATILE.contains(&k.as_str()) {
                "*".to_string()
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

#[test]
fn client_info_and_list_fields_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        CLIENT SETNAME alpha
        SELECT 2
        SUBSCRIBE
        "#,
    );
    let info = |r: &mut Raw| text(&frame(&r.call(&["CLIENT", "INFO"])));
    let (a, b) = (info(&mut d.a), info(&mut d.b));
    assert!(a.ends_with('\n'));
    assert_eq!(masked(&a), masked(&b));
    d.check(&["MULTI"]);
    d.check(&["CLIENT", "SETNAME", "beta"]);
    d.check(&["EXEC"]);
    let list = |r: &mut Raw| text(&frame(&r.call(&["CLIENT", "LIST"])));
    let (a, b) = (list(&mut d.a), list(&mut d.b));
    assert_eq!(a.lines().count(), 1);
    assert_eq!(masked(&a), masked(&b));
    // A second client shows its own name, db and last command.
    let (mut a2, mut b2) = d.second();
    let id = text(&frame(&a2.call(&["CLIENT", "ID"])));
    b2.call(&["CLIENT", "ID"]);
    check_pair(&mut a2, &mut b2, &["CLIENT", "SETNAME", "second"]);
    check_pair(&mut a2, &mut b2, &["SELECT", "5"]);
    check_pair(&mut a2, &mut b2, &["PSUBSCRIBE", "p*"]);
    let (a, b) = (list(&mut d.a), list(&mut d.b));
    let la: Vec<_> = a.lines().map(masked).collect();
    let lb: Vec<_> = b.lines().map(masked).collect();
    assert_eq!(la, lb);
    for ty in ["normal", "pubsub", "master", "replica", "slave"] {
        let (a, b) = (
            text(&frame(&d.a.call(&["CLIENT", "LIST", "TYPE", ty]))),
            text(&frame(&d.b.call(&["CLIENT", "LIST", "TYPE", ty]))),
        );
        let la: Vec<_> = a.lines().map(masked).collect();
        let lb: Vec<_> = b.lines().map(masked).collect();
        assert_eq!(la, lb, "TYPE {ty}");
    }
    let by_id = text(&frame(
        &d.a.call(&["CLIENT", "LIST", "ID", &id, "999999", &id]),
    ));
    assert_eq!(by_id.lines().count(), 2);
    assert!(by_id.contains("name=second"));
}

#[test]
fn client_subcommand_replies_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        CLIENT GETNAME
        CLIENT SETNAME "a b"
        CLIENT SETNAME a\nb
        CLIENT SETNAME conn-1
        CLIENT GETNAME
        CLIENT SETNAME ""
        CLIENT GETNAME
        CLIENT SETNAME
        CLIENT SETNAME a b
        CLIENT LIST TYPE foo
        CLIENT LIST ID 1 2 x
        CLIENT LIST ID
        CLIENT LIST foo
        CLIENT LIST TYPE normal extra
        CLIENT LIST ID 99999
        CLIENT KILL 1.2.3.4:5
        CLIENT KILL ID 999
        CLIENT KILL ID 0
        CLIENT KILL ID x
        CLIENT KILL foo bar
        CLIENT KILL SKIPME maybe
        CLIENT KILL TYPE foo
        CLIENT KILL USER nobody
        CLIENT KILL LADDR 1.2.3.4:1
        CLIENT KILL ADDR 1.2.3.4:1 TYPE normal
        CLIENT KILL a b c
        CLIENT KILL
        CLIENT PAUSE
        CLIENT PAUSE x
        CLIENT PAUSE -1
        CLIENT PAUSE 10 foo
        CLIENT PAUSE 10 write extra
        CLIENT PAUSE 0
        CLIENT PAUSE 0 ALL
        CLIENT UNPAUSE
        CLIENT UNPAUSE x
        CLIENT REPLY foo
        CLIENT REPLY ON
        CLIENT NO-EVICT maybe
        CLIENT NO-EVICT on
        CLIENT NO-EVICT OFF
        CLIENT GETREDIR
        CLIENT TRACKINGINFO
        CLIENT UNBLOCK 1
        CLIENT UNBLOCK x
        CLIENT UNBLOCK 1 foo
        CLIENT UNBLOCK 1 error
        CLIENT UNBLOCK 1 timeout extra
        CLIENT ID x
        CLIENT HELP x
        CLIENT
        CLIENT FOO
        CLIENT SETINFO lib-name x
        "#,
    );
    super::hello3(&mut d);
    d.check(&["CLIENT", "TRACKINGINFO"]);
    d.check(&["CLIENT", "GETNAME"]);
    let id = |r: &mut Raw| frame(&r.call(&["CLIENT", "ID"]));
    assert!(matches!(id(&mut d.a), resp::Frame::Integer(n) if n > 0));
}

#[test]
fn client_reply_off_and_skip_match_redis() {
    let mut d = Diff::new(&[]);
    // OFF: nothing until ON's OK (errors included).
    let r = d.check_raw(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nNOSUCH\r\nCLIENT REPLY ON\r\n");
    assert_eq!(r, b"+OK\r\n");
    d.check(&["GET", "a"]);
    // SKIP: only the next command's reply is dropped.
    let r = d.check_raw(b"CLIENT REPLY SKIP\r\nSET a 2\r\nGET a\r\n");
    assert_eq!(r, b"$1\r\n2\r\n");
    // SKIP while OFF stays OFF.
    let r = d.check_raw(b"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nGET a\r\nCLIENT REPLY ON\r\n");
    assert_eq!(r, b"+OK\r\n");
}

#[test]
fn client_kill_closes_the_victim() {
    let s = Server::start(&[]);
    let mut killer = s.raw();
    let mut victim = s.raw();
    let id = text(&frame(&victim.call(&["CLIENT", "ID"])));
    assert_eq!(killer.call(&["CLIENT", "KILL", "ID", &id]), b":1\r\n");
    assert!(victim.is_closed(), "the killed connection stays open");
    // Old form by address.
    let mut victim = s.raw();
    let info = text(&frame(&victim.call(&["CLIENT", "INFO"])));
    let addr = fields(&info)
        .into_iter()
        .find(|(k, _)| k == "addr")
        .unwrap()
        .1;
    assert_eq!(killer.call(&["CLIENT", "KILL", &addr]), b"+OK\r\n");
    assert!(victim.is_closed());
    let list = text(&frame(&killer.call(&["CLIENT", "LIST"])));
    assert_eq!(list.lines().count(), 1, "{list}");
    // By type, sparing the caller; then SKIPME no closes the caller after its reply.
    let mut v1 = s.raw();
    let mut v2 = s.raw();
    v1.call(&["PING"]);
    v2.call(&["PING"]);
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "TYPE", "normal"]),
        b":2\r\n"
    );
    assert!(v1.is_closed() && v2.is_closed());
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]),
        b":1\r\n"
    );
    assert!(killer.is_closed());
}

#[test]
fn client_pause_holds_writes_and_lets_reads_through() {
    let s = Server::start(&[]);
    let mut admin = s.raw();
    let mut c = s.raw();
    c.call(&["SET", "k", "v"]);
    let t = Instant::now();
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "1000", "WRITE"]),
        b"+OK\r\n"
    );
    assert_eq!(c.call(&["GET", "k"]), b"$1\r\nv\r\n");
    assert!(t.elapsed() < Duration::from_millis(700), "a read waited");
    assert_eq!(c.call(&["SET", "k", "w"]), b"+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "a write ran during the pause"
    );
    // ALL holds reads too (and, as in Redis, UNPAUSE from a normal client waits as well).
    let t = Instant::now();
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "500", "ALL"]), b"+OK\r\n");
    assert_eq!(c.call(&["GET", "k"]), b"$1\r\nw\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(480),
        "a read ran during ALL"
    );
    // UNPAUSE ends a WRITE pause at once.
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "10000", "WRITE"]),
        b"+OK\r\n"
    );
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
    let t = Instant::now();
    assert_eq!(c.call(&["SET", "k", "x"]), b"+OK\r\n");
    assert!(
        t.elapsed() < Duration::from_millis(3000),
        "UNPAUSE did not release"
    );
}

#[test]
fn monitor_lines_match_redis_format() {
    let mut d = Diff::new(&[]);
    let (mut ma, mut mb) = d.second();
    check_pair(&mut ma, &mut mb, &["MONITOR"]);
    d.check(&["SET", "k", "a \"b\"\n\x01"]);
    d.check(&["SELECT", "1"]);
    d.check(&["GET", "k"]);
    // Admin commands are not shown.
    d.check(&["CLIENT", "LIST", "TYPE", "foo"]);
    d.check(&["ECHO", "end"]);
    let mask = |line: &[u8]| -> String {
        let s = String::from_utf8_lossy(line).into_owned();
        let (ts, rest) = s.split_once(' ').expect("timestamp first");
        let secs = ts.trim_start_matches('+');
        let (sec, us) = secs.split_once('.').expect("seconds.micros");
        assert!(sec.parse::<u64>().is_ok() && us.len() == 6, "{s}");
        let (db, rest) = rest.split_once(' ').unwrap();
        let (_addr, rest) = rest.split_once("] ").unwrap();
        format!("{db} ADDR] {rest}")
    };
    for _ in 0..4 {
        let (a, b) = (ma.reply(), mb.reply());
        assert_eq!(mask(&a), mask(&b));
    }
    // MONITOR again is silently ignored; the monitor shows in CLIENT LIST with flag O.
    ma.cmd(&["MONITOR"]);
    assert!(ma.read_for(Duration::from_millis(200)).is_empty());
    let list = text(&frame(&d.a.call(&["CLIENT", "LIST"])));
    assert!(list.lines().any(|l| l.contains(" flags=O ")), "{list}");
}

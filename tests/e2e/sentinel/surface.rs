//! The Sentinel command surface against Debian's redis-sentinel 7.0: the same commands sent
//! to a `redoubt sentinel` and a `redis-server --sentinel` that monitor the same (absent)
//! master, replies compared byte for byte. Replies that carry times, ids or run ids are
//! compared by shape instead.

use resp::Frame;

use super::{call, field, fields, Proc};
use crate::kit::{check_pair, check_pair_reply, free_port, Raw};

fn pair(body: &str) -> (Proc, Proc) {
    (Proc::sentinel(false, body), Proc::sentinel(true, body))
}

fn conns(a: &Proc, b: &Proc) -> (Raw, Raw) {
    (Raw::connect(a.port), Raw::connect(b.port))
}

#[test]
fn errors_and_simple_replies_match_redis_sentinel() {
    let dead = free_port();
    let (ours, theirs) = pair(&format!("sentinel monitor m 127.0.0.1 {dead} 2\n"));
    let (mut a, mut b) = conns(&ours, &theirs);
    let script: &[&[&str]] = &[
        &["PING"],
        &["PING", "hello"],
        &["PING", "a", "b"],
        &["GET", "x"],
        &["SENTINEL"],
        &["SENTINEL", "foo"],
        &["SENTINEL", "MASTERS", "x"],
        &["SENTINEL", "MYID", "x"],
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"],
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"],
        &["SENTINEL", "MASTER", "nope"],
        &["SENTINEL", "REPLICAS", "nope"],
        &["SENTINEL", "SLAVES", "m"],
        &["SENTINEL", "SENTINELS", "m"],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "x",
            "0",
            "*",
        ],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "1",
            "x",
            "*",
        ],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "10.0.0.1",
            "1",
            "0",
            "*",
        ],
        &[
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "99999",
            "0",
            "*",
        ],
        &["SENTINEL", "RESET", "nomatch"],
        &["SENTINEL", "MONITOR", "m2", "nothost", "1", "2"],
        &["SENTINEL", "MONITOR", "m2", "127.0.0.1", "x", "2"],
        &["SENTINEL", "MONITOR", "m2", "127.0.0.1", "1", "x"],
        &["SENTINEL", "MONITOR", "m2", "127.0.0.1", "x", "x"],
        &["SENTINEL", "MONITOR", "m", "127.0.0.1", "1", "2"],
        &["SENTINEL", "MONITOR", "m3", "127.0.0.1", "70000", "2"],
        &["SENTINEL", "MONITOR", "m3", "127.0.0.1", "1", "0"],
        &["SENTINEL", "SET", "m", "foo", "1"],
        &["SENTINEL", "SET", "m", "quorum", "x"],
        &["SENTINEL", "SET", "nope", "quorum", "1"],
        &["SENTINEL", "SET", "m", "quorum"],
        &["SENTINEL", "DEBUG", "ping-period"],
        &["SENTINEL", "DEBUG", "ping-period", "x"],
        &["SENTINEL", "DEBUG", "foo", "1"],
        &["SENTINEL", "DEBUG"],
        &["SENTINEL", "CONFIG", "get"],
        &["SENTINEL", "CONFIG", "SET", "announce-port", "x"],
        &["SENTINEL", "CONFIG", "SET", "foo", "1"],
        &["SENTINEL", "CONFIG", "GET", "announce-*"],
        &["SENTINEL", "CONFIG", "GET", "sentinel-user"],
        &["SENTINEL", "CKQUORUM", "nope"],
        &["SENTINEL", "CKQUORUM", "m"],
        &["SENTINEL", "FAILOVER", "m"],
        &["SENTINEL", "FAILOVER", "nope"],
        &["SENTINEL", "INFO-CACHE"],
        &["SENTINEL", "PENDING-SCRIPTS"],
        &["SENTINEL", "SIMULATE-FAILURE", "foo"],
        &["SENTINEL", "SIMULATE-FAILURE", "help"],
        &["ROLE"],
        &["PUBLISH", "foo", "bar"],
        &["PUBLISH", "__sentinel__:hello", "garbage"],
        &["AUTH", "x"],
        &["AUTH", "a", "b", "c"],
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["HELLO", "3", "foo"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "TYPE", "foo"],
        &["CLIENT", "KILL", "ID", "999"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", "a b"],
        &["CLIENT", "SETNAME", "me"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "FOO"],
        &["ACL", "WHOAMI"],
        &["COMMAND", "COUNT"],
        &["INFO", "nosuch"],
        &[
            "SENTINEL",
            "SET",
            "m",
            "quorum",
            "3",
            "down-after-milliseconds",
            "5000",
        ],
        &["SENTINEL", "REMOVE", "m"],
        &["ROLE"],
        &["SENTINEL", "MASTERS"],
        &["INFO", "sentinel"],
    ];
    for cmd in script {
        check_pair(&mut a, &mut b, cmd);
    }
}

#[test]
fn pubsub_context_matches_redis_sentinel() {
    let (ours, theirs) = pair("");
    let (mut a, mut b) = conns(&ours, &theirs);
    check_pair(&mut a, &mut b, &["SUBSCRIBE", "+sdown", "+odown"]);
    check_pair_reply(&mut a, &mut b);
    check_pair(&mut a, &mut b, &["PING"]);
    check_pair(&mut a, &mut b, &["SENTINEL", "MASTERS"]);
    check_pair(&mut a, &mut b, &["PSUBSCRIBE", "+*"]);
    // Redis unsubscribes "all" in its hash table's order: leave one channel for that.
    check_pair(&mut a, &mut b, &["UNSUBSCRIBE", "+odown"]);
    check_pair(&mut a, &mut b, &["UNSUBSCRIBE"]);
    check_pair(&mut a, &mut b, &["PUNSUBSCRIBE"]);
    check_pair(&mut a, &mut b, &["UNSUBSCRIBE"]);
    check_pair(&mut a, &mut b, &["PING"]);
    // RESP3: the HELLO map (the client id differs), then pushes.
    let ha = a.call(&["HELLO", "3"]);
    let hb = b.call(&["HELLO", "3"]);
    let (fa, fb) = (decode(&ha), decode(&hb));
    let keys = |f: &Frame| fields(f).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(&fa), keys(&fb));
    assert_eq!(field(&fa, "mode"), field(&fb, "mode"));
    check_pair(&mut a, &mut b, &["SUBSCRIBE", "x"]);
    check_pair(&mut a, &mut b, &["PING"]);
    check_pair(
        &mut a,
        &mut b,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "x"],
    );
}

fn decode(b: &[u8]) -> Frame {
    Frame::decode(b).unwrap().unwrap().0
}

/// SENTINEL MASTER / DEBUG / INFO list the same fields in the same order as Redis.
#[test]
fn field_lists_match_redis_sentinel() {
    let dead = free_port();
    let (ours, theirs) = pair(&format!(
        "sentinel monitor m 127.0.0.1 {dead} 2\nsentinel down-after-milliseconds m 700\n"
    ));
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let names = |p: u16, args: &[&str]| -> Vec<String> {
        fields(&call(p, args).unwrap())
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    for args in [
        &["SENTINEL", "MASTER", "m"][..],
        &["SENTINEL", "DEBUG"][..],
        &["SENTINEL", "CONFIG", "GET", "*host*"][..],
    ] {
        assert_eq!(names(ours.port, args), names(theirs.port, args), "{args:?}");
    }
    let ma = call(ours.port, &["SENTINEL", "MASTER", "m"]).unwrap();
    let mb = call(theirs.port, &["SENTINEL", "MASTER", "m"]).unwrap();
    for f in [
        "flags",
        "down-after-milliseconds",
        "role-reported",
        "quorum",
    ] {
        assert_eq!(field(&ma, f), field(&mb, f), "{f}");
    }
    let info = |p: u16| match call(p, &["INFO"]).unwrap() {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{other:?}"),
    };
    let (ia, ib) = (info(ours.port), info(theirs.port));
    let sentinel_part = |s: &str| s[s.find("# Sentinel").unwrap()..].to_string();
    assert_eq!(sentinel_part(&ia), sentinel_part(&ib));
    for sec in ["# Server", "# Clients", "# CPU", "# Stats"] {
        assert!(ia.contains(sec), "{sec} missing");
    }
}

/// The config file: the id is generated and saved at start, directives outside the sentinel
/// section are kept, and a restarted sentinel keeps its id and state.
#[test]
fn config_file_is_rewritten_and_reloaded() {
    let dead = free_port();
    let s = Proc::sentinel(
        false,
        &format!("# a comment\ndaemonize no\nsentinel monitor m 127.0.0.1 {dead} 2\n"),
    );
    let conf = s.config();
    assert!(
        conf.starts_with(&format!("port {}\n# a comment\ndaemonize no\n", s.port)),
        "{conf}"
    );
    let id = match call(s.port, &["SENTINEL", "MYID"]).unwrap() {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{other:?}"),
    };
    assert!(conf.contains(&format!("sentinel myid {id}")), "{conf}");
    assert_eq!(
        call(s.port, &["SENTINEL", "SET", "m", "quorum", "1"]),
        Some(Frame::Simple("OK".into()))
    );
    assert!(s
        .config()
        .contains(&format!("sentinel monitor m 127.0.0.1 {dead} 1")));
    assert_eq!(
        call(
            s.port,
            &["SENTINEL", "CONFIG", "SET", "announce-ip", "10.1.2.3"]
        ),
        Some(Frame::Simple("OK".into()))
    );
    assert!(s.config().contains("sentinel announce-ip \"10.1.2.3\""));
    // Restart on the same file.
    let body: String = s
        .config()
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    drop(s);
    let s2 = Proc::sentinel(false, &body);
    let id2 = call(s2.port, &["SENTINEL", "MYID"]).unwrap();
    assert_eq!(id2, Frame::Bulk(id.into_bytes().into()));
    let m = call(s2.port, &["SENTINEL", "MASTER", "m"]).unwrap();
    assert_eq!(field(&m, "quorum").as_deref(), Some("1"));
}

/// The notification script runs for warning-level events with the event and its message.
#[test]
fn notification_script_runs_on_warning_events() {
    let dead = free_port();
    let dir = std::env::temp_dir().join(format!("redoubt-notify-{}-{dead}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("events.txt");
    let script = dir.join("notify.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1|$2\" >> {}\n", out.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", script.to_str().unwrap()])
        .status()
        .unwrap();
    let s = Proc::sentinel(
        false,
        &format!(
            "sentinel monitor m 127.0.0.1 {dead} 1\nsentinel down-after-milliseconds m 300\nsentinel notification-script m {}\n",
            script.display()
        ),
    );
    let want = format!("+sdown|master m 127.0.0.1 {dead}");
    super::wait_until(
        10,
        "the notification script",
        || s.log(),
        || std::fs::read_to_string(&out).is_ok_and(|t| t.contains(&want)),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

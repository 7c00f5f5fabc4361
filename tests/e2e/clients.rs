//! Real clients against Redoubt: the `redis` crate (sync API, pipelines, transactions,
//! pub/sub, RESP3), `redis-cli` (arguments, commands on stdin, -x, -n, -r, --pipe, --scan),
//! whose printed output is compared with the same invocation against redis-server, and a
//! short `redis-benchmark` run.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use redis::{Commands, ProtocolVersion, Value};

use crate::kit::{which, Server};

#[test]
fn redis_crate_commands_and_types() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = c.set("name", "redoubt").unwrap();
    let v: String = c.get("name").unwrap();
    assert_eq!(v, "redoubt");
    let missing: Option<String> = c.get("missing").unwrap();
    assert_eq!(missing, None);
    let n: i64 = c.exists(&["name", "missing"]).unwrap();
    assert_eq!(n, 1);
    let _: () = c.set("counter", 41).unwrap();
    let v: i64 = c.get("counter").unwrap();
    assert_eq!(v, 41);
    let deleted: i64 = c.del(&["name", "counter", "missing"]).unwrap();
    assert_eq!(deleted, 2);
    let err = redis::cmd("NOSUCHCOMMAND").query::<()>(&mut c).unwrap_err();
    assert!(err.to_string().contains("unknown command"), "{err}");
    // The connection survives an error reply.
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let bin: Vec<u8> = (0..=255).collect();
    let _: () = c.set(b"bin\x00key", &bin).unwrap();
    let back: Vec<u8> = c.get(b"bin\x00key").unwrap();
    assert_eq!(back, bin);
}

#[test]
fn redis_crate_pipelines_and_transactions() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (a, b, missing): (String, String, Option<String>) = redis::pipe()
        .set("a", "1")
        .ignore()
        .set("b", "2")
        .ignore()
        .get("a")
        .get("b")
        .get("nope")
        .query(&mut c)
        .unwrap();
    assert_eq!((a.as_str(), b.as_str(), missing), ("1", "2", None));
    // A big pipeline in one round trip.
    let mut p = redis::pipe();
    for i in 0..5000 {
        p.set(format!("key:{i}"), i).ignore();
    }
    for i in 0..5000 {
        p.get(format!("key:{i}"));
    }
    let got: Vec<i64> = p.query(&mut c).unwrap();
    assert_eq!(got, (0..5000).collect::<Vec<i64>>());
    // MULTI/EXEC through an atomic pipeline.
    let (x, y): (String, String) = redis::pipe()
        .atomic()
        .set("x", "10")
        .ignore()
        .get("x")
        .set("y", "20")
        .ignore()
        .get("y")
        .query(&mut c)
        .unwrap();
    assert_eq!((x.as_str(), y.as_str()), ("10", "20"));
    // WATCH-based optimistic transaction, retried once after a concurrent write.
    let mut other = s.client();
    let mut tries = 0;
    let (v,): (String,) = redis::transaction(&mut c, &["x"], |con, pipe| {
        tries += 1;
        let cur: String = con.get("x")?;
        if tries == 1 {
            let _: () = other.set("x", "11")?;
        }
        pipe.set("x", format!("{cur}!"))
            .ignore()
            .get("x")
            .query(con)
    })
    .unwrap();
    assert_eq!(tries, 2, "the concurrent write must abort the first EXEC");
    assert_eq!(v, "11!");
}

#[test]
fn redis_crate_pubsub() {
    let s = Server::start(&[]);
    let mut sub_conn = s.client();
    let mut publisher = s.client();
    let mut ps = sub_conn.as_pubsub();
    ps.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    ps.subscribe("news").unwrap();
    ps.psubscribe("sport.*").unwrap();
    let n: i64 = publisher.publish("news", "hello").unwrap();
    assert_eq!(n, 1);
    let n: i64 = publisher.publish("sport.tennis", "ace").unwrap();
    assert_eq!(n, 1);
    let n: i64 = publisher.publish("weather", "rain").unwrap();
    assert_eq!(n, 0);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "news");
    assert_eq!(m.get_payload::<String>().unwrap(), "hello");
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "sport.tennis");
    assert_eq!(m.get_pattern::<String>().unwrap(), "sport.*");
    assert_eq!(m.get_payload::<String>().unwrap(), "ace");
    ps.unsubscribe("news").unwrap();
    ps.punsubscribe("sport.*").unwrap();
    drop(ps);
    // Back to normal commands on the same connection.
    let pong: String = redis::cmd("PING").query(&mut sub_conn).unwrap();
    assert_eq!(pong, "PONG");
    let n: i64 = publisher.publish("news", "after").unwrap();
    assert_eq!(n, 0);
}

#[test]
fn redis_crate_resp3() {
    let s = Server::start(&[]);
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", s.port);
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let hello: Value = redis::cmd("HELLO").query(&mut c).unwrap();
    let Value::Map(fields) = hello else {
        panic!("HELLO in RESP3 is a map, got {hello:?}");
    };
    let proto = fields
        .iter()
        .find(|(k, _)| *k == Value::BulkString(b"proto".to_vec()))
        .map(|(_, v)| v.clone());
    assert_eq!(proto, Some(Value::Int(3)));
    assert_eq!(
        client.get_connection_info().redis.protocol,
        ProtocolVersion::RESP3
    );
    let nil: Value = redis::cmd("GET").arg("missing").query(&mut c).unwrap();
    assert_eq!(nil, Value::Nil);
    let _: () = c.set("k", "v").unwrap();
    let v: String = c.get("k").unwrap();
    assert_eq!(v, "v");
}

/// Runs redis-cli against `port` and returns (stdout, stderr, success).
fn cli(port: u16, args: &[&str], stdin: Option<&[u8]>) -> (String, String, bool) {
    let bin = which("redis-cli").expect("redis-cli is not installed (scripts/test.sh installs it)");
    let mut child = Command::new(bin)
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli starts");
    {
        let mut input = child.stdin.take().expect("piped stdin");
        if let Some(data) = stdin {
            input.write_all(data).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The same redis-cli invocation against both servers must print the same thing.
fn cli_same(ours: &Server, redis: &Server, args: &[&str], stdin: Option<&[u8]>) -> String {
    let a = cli(ours.port, args, stdin);
    let b = cli(redis.port, args, stdin);
    assert_eq!(
        a, b,
        "redis-cli {args:?} (left: redoubt, right: redis-server)"
    );
    a.0
}

#[test]
fn redis_cli_arguments_and_stdin() {
    let ours = Server::start(&[]);
    let redis = Server::start_redis(&[]);
    let same = |args: &[&str]| cli_same(&ours, &redis, args, None);
    assert_eq!(same(&["SET", "k", "hello world"]), "OK\n");
    assert_eq!(same(&["GET", "k"]), "hello world\n");
    assert_eq!(same(&["GET", "missing"]), "\n");
    assert_eq!(same(&["--no-raw", "GET", "missing"]), "(nil)\n");
    assert_eq!(same(&["--no-raw", "GET", "k"]), "\"hello world\"\n");
    assert_eq!(same(&["EXISTS", "k", "missing"]), "1\n");
    same(&["NOSUCHCOMMAND", "x"]);
    same(&["GET"]);
    same(&["-r", "3", "PING"]);
    same(&["-n", "2", "SET", "k", "in db2"]);
    assert_eq!(same(&["-n", "2", "GET", "k"]), "in db2\n");
    assert_eq!(same(&["GET", "k"]), "hello world\n");
    same(&["-3", "GET", "missing"]);
    same(&["-3", "--no-raw", "GET", "missing"]);
    same(&["MSET", "a", "1", "b", "2"]);
    assert_eq!(same(&["MGET", "a", "b", "nope"]), "1\n2\n\n");
    same(&["--no-raw", "MGET", "a", "b", "nope"]);
    same(&["INCR", "a"]);
    same(&["--no-raw", "INCR", "a"]);
    same(&["SUBSCRIBE"]);
    // Commands on stdin, one per line, with redis-cli's quoting.
    let script = b"SET s 1\nGET s\nECHO \"two words\\n\"\nPING\nDEL s nope\nGET s\n";
    let out = cli_same(&ours, &redis, &[], Some(script));
    assert_eq!(out, "OK\n1\ntwo words\n\nPONG\n1\n\n");
    // -x: the last argument comes from stdin.
    cli_same(
        &ours,
        &redis,
        &["-x", "SET", "fromstdin"],
        Some(b"line1\nline2"),
    );
    assert_eq!(same(&["GET", "fromstdin"]), "line1\nline2\n");
}

#[test]
fn redis_cli_pipe_mass_insertion() {
    let ours = Server::start(&[]);
    let redis = Server::start_redis(&[]);
    let mut data = Vec::new();
    for i in 0..2000 {
        let (k, v) = (format!("mass:{i}"), format!("v{i}"));
        data.extend_from_slice(&resp::Frame::command(&["SET", &k, &v]));
    }
    data.extend_from_slice(&resp::Frame::command(&["NOSUCH"]));
    let out = cli_same(&ours, &redis, &["--pipe"], Some(&data));
    assert!(out.contains("errors: 1, replies: 2001"), "{out}");
    assert_eq!(cli_same(&ours, &redis, &["DBSIZE"], None), "2000\n");
    assert_eq!(
        cli_same(&ours, &redis, &["GET", "mass:1999"], None),
        "v1999\n"
    );
}

#[test]
fn redis_cli_scan_and_auth() {
    let ours = Server::start(&["--requirepass", "pw"]);
    let redis = Server::start_redis(&["--requirepass", "pw"]);
    let same = |args: &[&str]| cli_same(&ours, &redis, args, None);
    same(&["GET", "k"]);
    let auth = ["--no-auth-warning", "-a", "pw"];
    let with = |more: &[&'static str]| [&auth[..], more].concat();
    same(&with(&["MSET", "user:1", "a", "user:2", "b", "other", "c"]));
    same(&["--no-auth-warning", "-a", "wrong", "GET", "k"]);
    // SCAN's order is the hash table's; compare the sets of keys.
    let sorted = |port| {
        let (out, _, ok) = cli(port, &with(&["--scan", "--pattern", "user:*"]), None);
        assert!(ok);
        let mut lines: Vec<String> = out.lines().map(String::from).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(ours.port), vec!["user:1", "user:2"]);
    assert_eq!(sorted(ours.port), sorted(redis.port));
}

#[test]
fn redis_benchmark_runs_clean() {
    let s = Server::start(&[]);
    let bin = which("redis-benchmark").expect("redis-benchmark is installed with redis-tools");
    let out = Command::new(bin)
        .args([
            "-p",
            &s.port.to_string(),
            "-t",
            "ping,set,get",
            "-n",
            "5000",
            "-c",
            "10",
        ])
        .args(["-P", "4", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for t in ["PING_INLINE", "PING_MBULK", "SET", "GET"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{t}: "))
                    && l.contains("requests per second")),
            "{t} missing in {text}"
        );
    }
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

//! The `new` keyspace event (class `n`): every command family that creates a key, compared
//! with redis-server 7.0 as whole notification streams, one command at a time, under several
//! class settings (with `n` alone, with other classes, and without it); on replicas applying
//! their primary's stream; not for keys a reload reads from a file. Also SAVE's failure reply.

use std::time::Duration;

use crate::kit::{check_pair, Diff, Raw, Server};
use crate::replication::{text, wait_until};

/// Commands that create keys (and some that must not), each followed by a marker so that
/// the events of every command are compared on their own.
const SCRIPT: &str = r#"
DEBUG SET-ACTIVE-EXPIRE 0
SET s 1
SET s 2
SETNX s 3
SETNX s2 3
SETEX s3 100 v
PSETEX s4 100000 v
SET s5 v GET
GETSET s6 v
MSET m1 a m2 b s c
MSETNX n1 a n2 b
MSETNX n1 a n3 b
INCR i1
INCRBY i2 5
DECR i3
DECRBY i1 2
INCRBYFLOAT f1 1.5
APPEND ap x
APPEND ap y
SETRANGE sr 0 ""
SETRANGE sr 3 x
SETRANGE sr 0 y
GETEX nokey PX 100
GETDEL nokey
SETBIT b1 7 1
SETBIT b1 9 1
BITFIELD bf SET i8 0 5
BITFIELD bf2 GET i8 0
BITFIELD bf3 OVERFLOW FAIL INCRBY u2 0 5
BITOP AND bo b1 nokey
BITOP OR bo b1 b1
BITOP AND bo2 nokey nokey2
LPUSH l1 a b
RPUSH l1 c
RPUSH l2 a b c
LPUSHX l3 a
RPUSHX l3 a
LINSERT l3 BEFORE a b
LMOVE l2 l4 LEFT RIGHT
RPOPLPUSH l2 l5
LMOVE l2 l4 LEFT LEFT
LMOVE l4 l4 LEFT RIGHT
BLMOVE l4 l6 RIGHT LEFT 0
BRPOPLPUSH nokey l7 0.01
LMPOP 1 l6 LEFT COUNT 5
RPUSH srt 3 1 2
SORT srt STORE sorted
SORT srt STORE sorted
SORT nokey STORE sorted
SORT srt STORE sorted2
SADD st a b
SADD st c
SADD st2 a
SMOVE st st3 a
SMOVE st2 st3 a
SMOVE st st3 zz
SINTERSTORE si st st3
SUNIONSTORE su st st3
SUNIONSTORE su st
SDIFFSTORE sd st nokey
SINTERSTORE sd nokey st
HSET h f v
HSET h g v
HSETNX h2 f v
HSETNX h2 f w
HMSET h3 a 1 b 2
HINCRBY h4 f 2
HINCRBYFLOAT h5 f 2.5
HINCRBY h4 f 3
ZADD z 1 a 2 b
ZADD z 3 c
ZADD z2 XX 1 a
ZADD z3 NX 1 a
ZINCRBY z4 2 m
ZUNIONSTORE zu 2 z z4
ZUNIONSTORE zu 1 z
ZINTERSTORE zi 2 z z4
ZDIFFSTORE zd 1 z
ZRANGESTORE zr z 0 1
ZRANGESTORE zr2 nokey 0 -1
ZUNIONSTORE zu2 1 nokey
ZINTERSTORE zi 2 z nokey
PFADD hl a b
PFADD hl c
PFADD hl2
PFMERGE hl3 hl hl2
PFMERGE hl3 hl
PFCOUNT hl
GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g 12.5 41.9 Rome
GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 200 km ASC STOREDIST
GEORADIUS g 15 37 200 km STORE gr
GEORADIUSBYMEMBER g Palermo 300 km STOREDIST grd
GEOSEARCHSTORE gs2 g FROMLONLAT 0 0 BYRADIUS 1 km
SET r1 v
RENAME r1 r2
SET r3 v
RENAME r2 r3
RENAMENX r3 r4
SET r5 v
RENAMENX r4 r5
RENAME r4 r4
COPY r5 c1
COPY r5 c1
COPY r5 c1 REPLACE
COPY r5 c2 DB 1
MOVE c1 1
MOVE c2 1
SELECT 1
SET db1key v
RPUSH db1list a
SELECT 0
RESTORE rs 0 $DUMP
RESTORE rs 0 $DUMP REPLACE
RESTORE rs2 0 $DUMP ABSTTL
RESTORE rs 1 $DUMP REPLACE ABSTTL
RESTORE rs3 1 $DUMP ABSTTL
DEBUG POPULATE 3 pop
DEBUG POPULATE 4 pop
SET x 1 PX 1
SET y 1 PX 1
SET key:1 1 PX 1
SET le 1 PX 1
SET he 1 PX 1
SET se 1 PX 1
SET ze 1 PX 1
SET ie 1 PX 1
SET ce 1 PX 1
DEBUG SLEEP 0.01
SET x 2
MSET y 2 m3 3
DEBUG POPULATE 3
LPUSH le a
HSET he f v
SADD se m
ZADD ze 1 m
INCR ie
COPY x ce
SET e1 1 PX 1
DEBUG SLEEP 0.01
RENAME s e1
MULTI
SET t1 v
LPUSH t2 a
SADD t2 a
INCR t3
EXEC
SWAPDB 0 1
SWAPDB 0 1
DEBUG RELOAD
DEL s5 m1
DEBUG RELOAD NOSAVE NOFLUSH MERGE
DEL s2 s3
UNLINK s4
EXPIRE s5 100
PERSIST s5
FLUSHDB
SET after v
FLUSHALL
SET last v
"#;

/// Sends `line` to both servers (replies must match), then PUBLISHes a marker, and returns
/// the events each subscriber got up to the marker.
fn step(d: &mut Diff, subs: &mut (Raw, Raw), n: usize, args: &[Vec<u8>]) -> (String, String) {
    d.check(args);
    let mark = format!("mark-{n}");
    d.check(&["PUBLISH", "mark", &mark]);
    (
        until_mark(&mut subs.0, &mark),
        until_mark(&mut subs.1, &mark),
    )
}

/// The messages a subscriber received before the marker message `mark`.
fn until_mark(sub: &mut Raw, mark: &str) -> String {
    let mut got = String::new();
    loop {
        let r = text(&sub.reply());
        if r.contains("\r\nmark\r\n") && r.ends_with(&format!("\r\n{mark}\r\n")) {
            return got;
        }
        got.push_str(&r);
    }
}

fn subscribe(d: &Diff) -> (Raw, Raw) {
    let (mut a, mut b) = d.second();
    check_pair(&mut a, &mut b, &["PSUBSCRIBE", "__key*__:*"]);
    check_pair(&mut a, &mut b, &["SUBSCRIBE", "mark"]);
    (a, b)
}

/// Runs [`SCRIPT`] under the classes `d` has, comparing every command's events; returns
/// how many `new` events Redoubt sent.
fn run_script(d: &mut Diff) -> usize {
    d.check(&["SET", "dump-source", "v"]);
    let payload = dump_payload(d);
    let mut subs = subscribe(d);
    let mut news = 0;
    let mut in_multi = false;
    for (n, line) in SCRIPT.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        let args = script_args(line, &payload);
        // Queued commands run at EXEC: their events come with it.
        in_multi |= line == "MULTI";
        if in_multi {
            d.check(&args);
            in_multi = line != "EXEC";
            if in_multi {
                continue;
            }
        }
        let (a, b) = step(d, &mut subs, n, &args);
        assert_eq!(a, b, "events of `{line}` differ (left: redoubt)");
        news += a.matches("\r\n$3\r\nnew\r\n").count() + a.matches(":new\r\n").count();
    }
    news
}

/// RESTORE's payload: the string at `dump-source` as redis-server dumps it.
fn dump_payload(d: &mut Diff) -> Vec<u8> {
    let dump = d.b.call(&["DUMP", "dump-source"]);
    let start = dump.iter().position(|&b| b == b'\n').expect("a bulk reply") + 1;
    dump[start..dump.len() - 2].to_vec()
}

/// A script line's arguments, `$DUMP` replaced by `payload`.
fn script_args(line: &str, payload: &[u8]) -> Vec<Vec<u8>> {
    let mut args = resp::split_inline_args(line.as_bytes()).expect("balanced quotes");
    for a in args.iter_mut().filter(|a| a.as_slice() == b"$DUMP") {
        *a = payload.to_vec();
    }
    args
}

const DEBUG_ON: [&str; 2] = ["--enable-debug-command", "yes"];

#[test]
fn new_events_match_redis_for_every_creating_command() {
    // Set at start-up (the keyspace's flag follows the configuration read at start).
    let mut d = Diff::new(&[DEBUG_ON[0], DEBUG_ON[1], "--notify-keyspace-events", "KEAn"]);
    assert!(run_script(&mut d) > 100, "too few `new` events");
}

#[test]
fn new_events_follow_config_set_of_the_classes() {
    let mut d = Diff::new(&DEBUG_ON);
    // `n` alone, `n` with some classes, then classes without `n`: none is sent.
    for (classes, with_new) in [("En", true), ("Kn$l", true), ("KEA", false), ("", false)] {
        d.check(&["FLUSHALL"]);
        d.check(&["CONFIG", "SET", "notify-keyspace-events", classes]);
        let news = run_script(&mut d);
        assert_eq!(
            news > 0,
            with_new,
            "classes {classes:?}: {news} `new` events"
        );
    }
}

/// A RESP3 client subscribed to its own keyspace gets `new` (and `expired`) before the
/// command's event and before its reply, where Redis writes them, also when the command's
/// own class is off.
#[test]
fn new_events_reach_a_subscribed_caller_before_its_reply() {
    let mut d = Diff::new(&DEBUG_ON);
    for classes in ["KEAn", "Kn", "KEA"] {
        d.check(&["CONFIG", "SET", "notify-keyspace-events", classes]);
        d.check(&["FLUSHALL"]);
        d.check(&["SET", "dump-source", "v"]);
        let payload = dump_payload(&mut d);
        crate::lists::hello3(&mut d);
        d.check(&["PSUBSCRIBE", "__key*__:*"]);
        let mut in_multi = false;
        for line in SCRIPT.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let args = script_args(line, &payload);
            in_multi |= line == "MULTI";
            if in_multi && line != "EXEC" {
                d.check(&args);
                continue;
            }
            in_multi = false;
            // Everything up to the PING's reply: the command's reply and messages.
            let (a, b) = (until_pong(&mut d.a, &args), until_pong(&mut d.b, &args));
            assert_eq!(a, b, "`{line}` under {classes} (left: redoubt)");
        }
        d.reconnect();
    }
}

fn until_pong(c: &mut Raw, args: &[Vec<u8>]) -> String {
    c.cmd(args);
    c.cmd(&["PING"]);
    let mut got = String::new();
    loop {
        let r = text(&c.reply());
        if r == "+PONG\r\n" {
            return got;
        }
        got.push_str(&r);
    }
}

/// A client blocked on a list is served by another's push: the destination it creates is
/// notified as Redis does, after the pushing command's events.
#[test]
fn new_events_of_a_served_blocked_client() {
    let mut d = Diff::new(&["--notify-keyspace-events", "KEAn"]);
    let mut subs = subscribe(&d);
    let (mut ba, mut bb) = d.second();
    for blocked in ["BLMOVE src dst LEFT RIGHT 0", "BRPOPLPUSH src dst2 0"] {
        let args = resp::split_inline_args(blocked.as_bytes()).unwrap();
        ba.cmd(&args);
        bb.cmd(&args);
        for s in [&d.ours, &d.redis] {
            wait_until("the client to block", || {
                text(&s.raw().call(&["INFO", "clients"])).contains("blocked_clients:1\r\n")
            });
        }
        let (a, b) = step(
            &mut d,
            &mut subs,
            0,
            &[b"RPUSH".to_vec(), b"src".into(), b"v".into()],
        );
        assert_eq!(a, b, "events around `{blocked}` (left: redoubt)");
        assert!(a.contains("dst"), "{a}");
        crate::kit::check_pair_reply(&mut ba, &mut bb);
    }
}

/// A replica applying its primary's stream sends `new` for the keys that stream creates; a
/// full resync's snapshot and DEBUG RELOAD (keys read from a file) send none.
#[test]
fn new_events_on_replicas_and_not_for_loaded_keys() {
    let op = Server::start(&[]);
    let rp = Server::start_redis(&[]);
    let mut c = op.raw();
    let mut rc = rp.raw();
    for cl in [&mut c, &mut rc] {
        cl.call(&["SET", "before", "v"]);
        cl.call(&["RPUSH", "before-list", "a"]);
    }
    let flags = ["--notify-keyspace-events", "KEAn", DEBUG_ON[0], DEBUG_ON[1]];
    let port = |s: &Server| s.port.to_string();
    let mut ours: Vec<&str> = vec!["--replicaof", "127.0.0.1"];
    let op_port = port(&op);
    ours.push(&op_port);
    ours.extend(flags);
    let mut theirs: Vec<&str> = vec!["--replicaof", "127.0.0.1"];
    let rp_port = port(&rp);
    theirs.push(&rp_port);
    theirs.extend(flags);
    let or = Server::start(&ours);
    let rr = Server::start_redis(&theirs);
    for s in [&or, &rr] {
        wait_until("the replica to sync", || {
            text(&s.raw().call(&["INFO", "replication"])).contains("master_link_status:up")
        });
    }
    let (mut sa, mut sb) = (or.raw(), rr.raw());
    check_pair(&mut sa, &mut sb, &["PSUBSCRIBE", "__key*__:*"]);
    for cmd in [
        "SET before v2",
        "SET k v",
        "RPUSH l a",
        "SADD s a",
        "COPY k k2",
        "RENAME k2 k3",
        "INCR n",
    ] {
        let args = resp::split_inline_args(cmd.as_bytes()).unwrap();
        check_pair(&mut c, &mut rc, &args);
    }
    let quiet = Duration::from_millis(500);
    let (a, b) = (text(&sa.read_for(quiet)), text(&sb.read_for(quiet)));
    assert_eq!(a, b, "events on the replicas (left: redoubt)");
    assert!(a.contains("\r\nnew\r\n"), "{a}");
    // DEBUG RELOAD on the replicas: keys read back from the file are not `new`.
    check_pair(&mut or.raw(), &mut rr.raw(), &["DEBUG", "RELOAD"]);
    let (a, b) = (text(&sa.read_for(quiet)), text(&sb.read_for(quiet)));
    assert_eq!(a, b, "events of DEBUG RELOAD (left: redoubt)");
    assert!(!a.contains("new"), "{a}");
}

/// SAVE that cannot write its file answers a bare `-ERR`, as Redis's `shared.err`; the
/// background save's failure shows in INFO's `rdb_last_bgsave_status` on both.
#[test]
fn save_failure_answers_a_bare_err() {
    // A directory where the dump file goes: the rename over it fails, also for root.
    let mut d = Diff::new(&["--dbfilename", "dump-is-a-dir.rdb"]);
    for dir in [&d.ours.dir, &d.redis.dir] {
        std::fs::create_dir_all(dir.join("dump-is-a-dir.rdb")).unwrap();
    }
    d.run("SET k v");
    assert_eq!(text(&d.check(&["SAVE"])), "-ERR\r\n");
    let status = |d: &mut Diff| {
        let pick = |info: &[u8]| {
            text(info)
                .lines()
                .filter(|l| {
                    l.starts_with("rdb_last_bgsave_status")
                        || l.starts_with("rdb_changes_since_last_save")
                        || l.starts_with("errorstat_")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let a = pick(&d.a.call(&["INFO", "all"]));
        let b = pick(&d.b.call(&["INFO", "all"]));
        assert_eq!(a, b, "INFO after the failure (left: redoubt)");
        a
    };
    assert!(status(&mut d).contains("rdb_last_bgsave_status:ok"));
    d.check(&["BGSAVE"]);
    wait_until("both background saves to end", || {
        [&mut d.a, &mut d.b]
            .into_iter()
            .all(|c| text(&c.call(&["INFO", "persistence"])).contains("rdb_bgsave_in_progress:0"))
    });
    assert!(status(&mut d).contains("rdb_last_bgsave_status:err"));
}

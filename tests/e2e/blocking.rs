//! Blocking list commands over real sockets, each scenario run on Redoubt and on
//! redis-server 7.0 side by side with replies compared: FIFO service of clients blocked on
//! one key, timeouts (sub-second, RESP3), pushes inside MULTI/EXEC, BLMOVE chains, keys
//! deleted or retyped while clients wait, CLIENT UNBLOCK, disconnects, BLMPOP over several
//! keys, pipelines resumed after a block, CLIENT LIST / INFO, and the propagated stream.

use std::time::{Duration, Instant};

use crate::kit::{blocked_clients, check_pair, check_pair_reply, Diff, Raw};
use crate::repl_tap::Tap;

/// A connection to each server.
struct Both {
    a: Raw,
    b: Raw,
}

impl Both {
    fn new(d: &Diff) -> Both {
        let (a, b) = d.second();
        Both { a, b }
    }

    /// Sends a command to both without waiting for replies.
    fn send(&mut self, args: &[&str]) {
        self.a.cmd(args);
        self.b.cmd(args);
    }

    fn call(&mut self, args: &[&str]) -> Vec<u8> {
        check_pair(&mut self.a, &mut self.b, args)
    }

    fn reply(&mut self) -> Vec<u8> {
        check_pair_reply(&mut self.a, &mut self.b)
    }

    /// Asserts neither side has replied within `ms`.
    fn silent(&mut self, ms: u64) {
        let a = self.a.read_for(Duration::from_millis(ms));
        let b = self.b.read_for(Duration::from_millis(ms));
        assert!(
            a.is_empty(),
            "redoubt replied {:?}",
            String::from_utf8_lossy(&a)
        );
        assert!(
            b.is_empty(),
            "redis replied {:?}",
            String::from_utf8_lossy(&b)
        );
    }
}

/// `calls`, `rejected_calls` and `failed_calls` of one command's INFO commandstats line.
fn cmdstat(port: u16, name: &str) -> Vec<String> {
    let info =
        String::from_utf8_lossy(&Raw::connect(port).call(&["INFO", "commandstats"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:")))
        .map(|f| {
            f.split(',')
                .filter(|kv| !kv.starts_with("usec"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn same_cmdstats(d: &Diff, names: &[&str]) {
    for n in names {
        assert_eq!(
            cmdstat(d.ours.port, n),
            cmdstat(d.redis.port, n),
            "cmdstat_{n}"
        );
    }
}

/// Waits until both servers report `n` blocked clients.
fn wait_blocked(d: &Diff, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while blocked_clients(d.ours.port) != n || blocked_clients(d.redis.port) != n {
        assert!(Instant::now() < deadline, "never {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn fifo_among_clients_blocked_on_one_key() {
    let mut d = Diff::new(&[]);
    let mut cs: Vec<Both> = (0..3).map(|_| Both::new(&d)).collect();
    for (i, c) in cs.iter_mut().enumerate() {
        c.send(&["BLPOP", "k", "other", "0"]);
        wait_blocked(&d, i + 1);
    }
    d.check(&["RPUSH", "k", "a", "b"]);
    assert_eq!(cs[0].reply(), b"*2\r\n$1\r\nk\r\n$1\r\na\r\n");
    assert_eq!(cs[1].reply(), b"*2\r\n$1\r\nk\r\n$1\r\nb\r\n");
    cs[2].silent(100);
    d.check(&["EXISTS", "k"]);
    d.check(&["RPUSH", "other", "x", "y"]);
    assert_eq!(cs[2].reply(), b"*2\r\n$5\r\nother\r\n$1\r\nx\r\n");
    d.check(&["LRANGE", "other", "0", "-1"]);
    wait_blocked(&d, 0);
    same_cmdstats(&d, &["blpop", "rpush"]);
}

#[test]
fn timeouts_sub_second_and_resp3() {
    let mut d = Diff::new(&[]);
    let mut c = Both::new(&d);
    for args in [
        vec!["BLPOP", "nokey", "0.1"],
        vec!["BRPOP", "nokey", "a", "0.05"],
        vec!["BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.1"],
        vec!["BRPOPLPUSH", "nokey", "dst", "0.1"],
        vec!["BLMPOP", "0.1", "2", "n1", "n2", "LEFT", "COUNT", "3"],
    ] {
        let start = Instant::now();
        c.call(&args);
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(40) && took < Duration::from_secs(2),
            "{args:?} took {took:?}"
        );
    }
    c.a.call(&["HELLO", "3"]);
    c.b.call(&["HELLO", "3"]);
    c.call(&["BLPOP", "nokey", "0.05"]);
    c.call(&["BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.05"]);
    // Milliseconds are rounded up: the tiniest timeout still times out; "-0.0001" rounds
    // to 0, which blocks for ever.
    c.call(&["BLPOP", "nokey", "0.0000001"]);
    c.send(&["BLPOP", "nokey", "-0.0001"]);
    c.silent(200);
    d.check(&["RPUSH", "nokey", "v"]);
    c.reply();
    d.run("BLPOP nokey -0.9\nBLPOP nokey 9.3e15\nBLPOP nokey 1e20");
    same_cmdstats(&d, &["blpop", "brpop", "blmove", "brpoplpush", "blmpop"]);
}

#[test]
fn push_inside_multi_is_served_after_exec() {
    let mut d = Diff::new(&[]);
    let mut w = Both::new(&d);
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&d, 1);
    d.run(
        r#"
        MULTI
        RPUSH k a
        RPUSH k b
        LRANGE k 0 -1
        BLPOP k 0
        BLPOP k 0
        EXEC
        "#,
    );
    w.silent(100);
    d.run(
        r#"
        MULTI
        RPUSH k c d
        LPOP k
        EXEC
        LRANGE k 0 -1
        "#,
    );
    assert_eq!(w.reply(), b"*2\r\n$1\r\nk\r\n$1\r\nd\r\n");
    d.check(&["EXISTS", "k"]);
    // Inside a transaction every blocking form answers at once.
    d.run(
        r#"
        MULTI
        BLMOVE nokey x LEFT LEFT 0
        BRPOPLPUSH nokey x 0
        BLMPOP 0 1 nokey LEFT
        BRPOP nokey 0
        EXEC
        "#,
    );
}

#[test]
fn idle_timeout_spares_blocked_clients() {
    let mut d = Diff::new(&["--timeout", "1"]);
    let mut w = Both::new(&d);
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&d, 1);
    std::thread::sleep(Duration::from_millis(2500));
    d.reconnect();
    d.check(&["RPUSH", "k", "v"]);
    assert_eq!(w.reply(), b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

#[test]
fn blmove_chains_serve_the_next_waiter() {
    let mut d = Diff::new(&[]);
    let mut mover = Both::new(&d);
    let mut popper = Both::new(&d);
    mover.send(&["BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0"]);
    wait_blocked(&d, 1);
    popper.send(&["BRPOP", "k2", "0"]);
    wait_blocked(&d, 2);
    d.check(&["RPUSH", "k1", "x", "y"]);
    assert_eq!(mover.reply(), b"$1\r\nx\r\n");
    assert_eq!(popper.reply(), b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n");
    d.run("LRANGE k1 0 -1\nLRANGE k2 0 -1\nEXISTS k2");
    // BRPOPLPUSH onto the same key rotates.
    mover.send(&["BRPOPLPUSH", "r", "r", "0"]);
    wait_blocked(&d, 1);
    d.check(&["RPUSH", "r", "1"]);
    assert_eq!(mover.reply(), b"$1\r\n1\r\n");
    d.check(&["LRANGE", "r", "0", "-1"]);
}

#[test]
fn keys_deleted_or_retyped_while_blocked() {
    let mut d = Diff::new(&[]);
    let mut w = Both::new(&d);
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&d, 1);
    d.run(
        r#"
        SET k str
        DEL k
        ZADD k 1 a
        DEL k
        HSET k f v
        RENAME k k2
        RPUSH src v
        RENAME src k2
        "#,
    );
    w.silent(100);
    // A list arriving by RENAME serves the waiter.
    d.check(&["RPUSH", "tmp", "viarename"]);
    d.check(&["RENAME", "tmp", "k"]);
    assert_eq!(w.reply(), b"*2\r\n$1\r\nk\r\n$9\r\nviarename\r\n");
    // A destination of the wrong type: the mover gets WRONGTYPE, the element stays.
    w.send(&["BLMOVE", "s", "dst", "LEFT", "LEFT", "0"]);
    wait_blocked(&d, 1);
    d.check(&["SET", "dst", "notalist"]);
    d.check(&["RPUSH", "s", "e"]);
    w.reply();
    d.run("LRANGE s 0 -1\nGET dst");
    // A list arriving by SWAPDB serves the waiter.
    w.send(&["BLPOP", "sw", "0"]);
    wait_blocked(&d, 1);
    d.run("SELECT 1\nRPUSH sw fromdb1\nSELECT 0\nSWAPDB 0 1");
    w.reply();
    d.run("SWAPDB 0 1");
    // RESTORE and COPY of a list also serve waiters.
    w.send(&["BRPOP", "c", "0"]);
    wait_blocked(&d, 1);
    d.check(&["COPY", "s", "c"]);
    w.reply();
}

#[test]
fn client_unblock_disconnect_and_pipelines() {
    let mut d = Diff::new(&[]);
    let mut w = Both::new(&d);
    let ida = String::from_utf8_lossy(&w.a.call(&["CLIENT", "ID"]))[1..]
        .trim()
        .to_string();
    let idb = String::from_utf8_lossy(&w.b.call(&["CLIENT", "ID"]))[1..]
        .trim()
        .to_string();
    let unblock = |d: &mut Diff, extra: &[&str]| {
        let mut a = vec!["CLIENT", "UNBLOCK", &ida];
        a.extend_from_slice(extra);
        let mut b = vec!["CLIENT", "UNBLOCK", &idb];
        b.extend_from_slice(extra);
        let ra = d.a.call(&a);
        let rb = d.b.call(&b);
        assert_eq!(ra, rb);
        ra
    };
    assert_eq!(unblock(&mut d, &[]), b":0\r\n");
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&d, 1);
    // CLIENT LIST shows the blocked client with flag b.
    for port in [d.ours.port, d.redis.port] {
        let list =
            String::from_utf8_lossy(&Raw::connect(port).call(&["CLIENT", "LIST"])).into_owned();
        assert!(
            list.lines()
                .any(|l| l.contains(" flags=b ") && l.contains(" cmd=blpop ")),
            "{list}"
        );
    }
    assert_eq!(unblock(&mut d, &[]), b":1\r\n");
    assert_eq!(w.reply(), b"*-1\r\n");
    w.send(&["BRPOP", "k", "0"]);
    wait_blocked(&d, 1);
    assert_eq!(unblock(&mut d, &["ERROR"]), b":1\r\n");
    assert_eq!(
        w.reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    d.run("CLIENT UNBLOCK 1 BADREASON\nCLIENT UNBLOCK abc\nINFO errorstats");
    // The rest of a pipeline runs once the block ends.
    w.a.send(b"BLPOP k 0\r\nPING\r\nLLEN k\r\n");
    w.b.send(b"BLPOP k 0\r\nPING\r\nLLEN k\r\n");
    wait_blocked(&d, 1);
    w.silent(50);
    d.check(&["RPUSH", "k", "v1", "v2"]);
    w.reply();
    w.reply();
    w.reply();
    // A client that disconnects while blocked is forgotten: nothing is popped for it.
    let mut gone = Both::new(&d);
    gone.send(&["BLPOP", "q", "0"]);
    wait_blocked(&d, 1);
    drop(gone);
    wait_blocked(&d, 0);
    d.run("RPUSH q v\nLLEN q");
}

#[test]
fn blmpop_over_several_keys() {
    let mut d = Diff::new(&[]);
    let mut w = Both::new(&d);
    w.send(&["BLMPOP", "0", "3", "k1", "k2", "k3", "RIGHT", "COUNT", "2"]);
    wait_blocked(&d, 1);
    d.check(&["RPUSH", "k2", "a", "b", "c"]);
    assert_eq!(w.reply(), b"*2\r\n$2\r\nk2\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    w.send(&["BLMPOP", "0", "2", "k9", "k2", "LEFT", "COUNT", "5"]);
    w.reply();
    d.check(&["EXISTS", "k2"]);
    // Two keys made ready by one transaction: served from the first one signalled.
    w.send(&["BLPOP", "x1", "x2", "0"]);
    wait_blocked(&d, 1);
    d.run("MULTI\nRPUSH x2 second\nRPUSH x1 first\nEXEC");
    w.reply();
    d.run("LRANGE x1 0 -1\nLRANGE x2 0 -1");
}

#[test]
fn served_blocks_propagate_their_effective_form() {
    let mut d = Diff::new(&["--repl-diskless-sync", "no"]);
    let mut ta = Tap::attach(d.ours.port);
    let mut tb = Tap::attach(d.redis.port);
    let mut w = Both::new(&d);
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&d, 1);
    d.check(&["RPUSH", "k", "a", "b"]);
    w.reply();
    w.send(&["BLMOVE", "m", "n", "RIGHT", "LEFT", "0"]);
    wait_blocked(&d, 1);
    d.check(&["LPUSH", "m", "x"]);
    w.reply();
    w.send(&["BRPOPLPUSH", "p", "n", "0"]);
    wait_blocked(&d, 1);
    d.check(&["LPUSH", "p", "y"]);
    w.reply();
    w.send(&["BLMPOP", "0", "1", "q", "LEFT", "COUNT", "9"]);
    wait_blocked(&d, 1);
    d.check(&["RPUSH", "q", "1", "2", "3"]);
    w.reply();
    d.check(&["SET", "marker", "done"]);
    let a = ta.until(&["SET", "marker", "done"]);
    let b = tb.until(&["SET", "marker", "done"]);
    // Redis names the ends of a served BLMOVE in lower case; the form is otherwise equal.
    let norm = |v: Vec<Vec<String>>| -> Vec<Vec<String>> {
        v.into_iter()
            .map(|c| c.into_iter().map(|s| s.to_ascii_uppercase()).collect())
            .collect()
    };
    assert_eq!(norm(a), norm(b));
}

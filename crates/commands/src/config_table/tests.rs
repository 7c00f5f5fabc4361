//! Unit tests of the directive table: value syntax, errors and formatting as Redis 7.0.15.

use super::*;

fn set(cfg: &mut Config, name: &str, args: &[&str]) -> SetResult {
    let e = lookup(name.as_bytes()).expect("known directive");
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    e.directive.set(cfg, &args, &mut SetCtx::default())
}

fn get(cfg: &Config, name: &str) -> String {
    String::from_utf8(lookup(name.as_bytes()).unwrap().directive.get(cfg)).unwrap()
}

#[test]
fn names_are_unique_and_aliases_resolve() {
    let mut seen = std::collections::HashSet::new();
    for e in entries() {
        assert!(seen.insert(e.name), "duplicate {}", e.name);
    }
    assert_eq!(lookup(b"SLAVEOF").unwrap().directive.name, "replicaof");
    assert!(lookup(b"slaveof").unwrap().alias);
    assert!(lookup(b"nosuch").is_none());
}

#[test]
fn numbers_parse_and_check_bounds_like_redis() {
    let mut c = Config::default();
    assert_eq!(
        set(&mut c, "port", &["abc"]).unwrap_err(),
        "argument couldn't be parsed into an integer"
    );
    assert_eq!(
        set(&mut c, "port", &["70000"]).unwrap_err(),
        "argument must be between 0 and 65535 inclusive"
    );
    assert_eq!(
        set(&mut c, "maxclients", &["-1"]).unwrap_err(),
        "argument must be between 1 and 4294967295 inclusive"
    );
    assert_eq!(
        set(&mut c, "proto-max-bulk-len", &["1"]).unwrap_err(),
        "argument must be between 1048576 and 9223372036854775807 inclusive"
    );
    assert_eq!(
        set(&mut c, "maxmemory", &["-1"]).unwrap_err(),
        "argument must be a memory value"
    );
    set(&mut c, "maxmemory", &["1gb"]).unwrap();
    assert_eq!(c.maxmemory, 1 << 30);
    assert_eq!(get(&c, "maxmemory"), "1073741824");
    set(&mut c, "maxmemory", &["99999999999999999999"]).unwrap();
    assert_eq!(get(&c, "maxmemory"), "18446744073709551615");
    set(&mut c, "maxmemory-clients", &["10%"]).unwrap();
    assert_eq!(get(&c, "maxmemory-clients"), "10%");
    assert_eq!(
        set(&mut c, "maxmemory-clients", &["101%"]).unwrap_err(),
        "percentage argument must be less or equal to 100"
    );
    assert_eq!(
        set(&mut c, "maxmemory-clients", &["x"]).unwrap_err(),
        "argument must be a memory or percent value"
    );
    assert_eq!(
        set(&mut c, "unixsocketperm", &["999"]).unwrap_err(),
        "argument couldn't be parsed as an octal number"
    );
    set(&mut c, "unixsocketperm", &["700"]).unwrap();
    assert_eq!(c.unixsocketperm, 0o700);
    assert_eq!(get(&c, "unixsocketperm"), "700");
    assert_eq!(
        set(&mut c, "timeout", &["007"]).unwrap_err(),
        "argument couldn't be parsed into an integer"
    );
}

#[test]
fn booleans_enums_and_strings() {
    let mut c = Config::default();
    set(&mut c, "slave-read-only", &["NO"]).unwrap();
    assert!(!c.replica_read_only);
    assert_eq!(
        set(&mut c, "appendonly", &["1"]).unwrap_err(),
        "argument must be 'yes' or 'no'"
    );
    set(&mut c, "loglevel", &["WARNING"]).unwrap();
    assert_eq!(c.loglevel, "warning");
    assert_eq!(
        set(&mut c, "loglevel", &["loud"]).unwrap_err(),
        "argument(s) must be one of the following: debug, verbose, notice, warning"
    );
    set(&mut c, "oom-score-adj", &["relative"]).unwrap();
    assert_eq!(get(&c, "oom-score-adj"), "yes");
    set(&mut c, "shutdown-on-sigint", &["nosave", "now"]).unwrap();
    assert_eq!(get(&c, "shutdown-on-sigint"), "nosave now");
    assert_eq!(
        set(&mut c, "shutdown-on-sigint", &["save", "nosave"]).unwrap_err(),
        "shutdown options SAVE and NOSAVE can't be used simultaneously"
    );
    assert_eq!(
        set(&mut c, "dbfilename", &["a/b"]).unwrap_err(),
        "dbfilename can't be a path, just a filename"
    );
    set(&mut c, "requirepass", &["secret"]).unwrap();
    assert_eq!(c.requirepass.as_deref(), Some(&b"secret"[..]));
    set(&mut c, "requirepass", &[""]).unwrap();
    assert!(c.requirepass.is_none());
}

#[test]
fn special_directives() {
    let mut c = Config::default();
    assert_eq!(get(&c, "save"), "3600 1 300 100 60 10000");
    set(&mut c, "save", &["60", "5"]).unwrap();
    assert_eq!(get(&c, "save"), "60 5");
    set(&mut c, "save", &[""]).unwrap();
    assert_eq!(get(&c, "save"), "");
    assert_eq!(
        set(&mut c, "save", &["0", "1"]).unwrap_err(),
        "Invalid save parameters"
    );
    assert_eq!(
        get(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    set(
        &mut c,
        "client-output-buffer-limit",
        &["replica", "1gb", "2k", "3"],
    )
    .unwrap();
    assert_eq!(
        get(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1073741824 2000 3 pubsub 33554432 8388608 60"
    );
    assert_eq!(
        set(
            &mut c,
            "client-output-buffer-limit",
            &["master", "1", "1", "1"]
        )
        .unwrap_err(),
        "Invalid client class specified in buffer limit configuration."
    );
    set(&mut c, "notify-keyspace-events", &["Ex"]).unwrap();
    assert_eq!(get(&c, "notify-keyspace-events"), "xE");
    set(&mut c, "bind", &["127.0.0.1", "::1"]).unwrap();
    assert_eq!(get(&c, "bind"), "127.0.0.1 ::1");
    set(&mut c, "replicaof", &["10.0.0.1", "6380"]).unwrap();
    assert_eq!(get(&c, "slaveof"), "10.0.0.1 6380");
    assert_eq!(
        set(&mut c, "replicaof", &["h", "x"]).unwrap_err(),
        "Invalid master port"
    );
    assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
}

#[test]
fn save_lines_in_a_file_accumulate_after_replacing_the_defaults() {
    let mut c = Config::default();
    let mut ctx = SetCtx {
        reading_file: true,
        save_loaded: false,
    };
    let d = lookup(b"save").unwrap().directive;
    let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
    d.set(&mut c, &a(&["900", "1"]), &mut ctx).unwrap();
    d.set(&mut c, &a(&["300", "10"]), &mut ctx).unwrap();
    assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    d.set(&mut c, &a(&[""]), &mut ctx).unwrap();
    d.set(&mut c, &a(&["60", "5"]), &mut ctx).unwrap();
    assert_eq!(c.save, vec![(60, 5)]);
}

#[test]
fn rewrite_keeps_comments_replaces_and_appends() {
    let old = b"# top\nport 7000\nsave 900 1\nsave 300 10\nslave-read-only yes\ninclude x.conf\nbad \"quote\nlist-max-ziplist-entries 5\n";
    let c = Config {
        port: 7001,
        save: vec![(60, 5)],
        maxmemory: 3 << 20,
        notify_keyspace_events: crate::config::notify::parse(b"Ex").unwrap(),
        ..Default::default()
    };
    let out = String::from_utf8(rewrite::rewrite_content(old, &c)).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..3], &["# top", "port 7001", "save 60 5"]);
    assert_eq!(lines[3], "");
    assert_eq!(lines[4], "replica-read-only yes");
    assert_eq!(lines[5], "include x.conf");
    assert_eq!(lines[6], "# ??? bad \"quote");
    assert_eq!(lines[7], "# ??? list-max-ziplist-entries 5");
    assert!(lines.contains(&"# Generated by CONFIG REWRITE"));
    assert!(lines.contains(&"maxmemory 3mb"));
    assert!(lines.contains(&"notify-keyspace-events \"xE\""));
    assert!(lines.contains(&"latency-tracking-info-percentiles 50 99 99.9"));
    // Defaults are not appended.
    assert!(!out.contains("hz "));
}

//! INFO against redis-server: the same sections in the same order with the same field
//! names, section selection, and the values that the same command sequence makes equal.

use std::collections::{BTreeMap, BTreeSet};

use super::{frame, text};
use crate::kit::Diff;

type Sections = Vec<(String, Vec<(String, String)>)>;

fn parse(raw: &[u8]) -> Sections {
    let body = text(&frame(raw));
    let mut out: Sections = Vec::new();
    for line in body.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_string(), Vec::new()));
        } else if let Some((k, v)) = line.split_once(':') {
            let sec = out.last_mut().expect("fields follow a section title");
            sec.1.push((k.to_string(), v.to_string()));
        }
    }
    out
}

fn titles(s: &Sections) -> Vec<&str> {
    s.iter().map(|(t, _)| t.as_str()).collect()
}

fn section<'a>(s: &'a Sections, title: &str) -> BTreeMap<&'a str, &'a str> {
    s.iter()
        .find(|(t, _)| t == title)
        .unwrap_or_else(|| panic!("no section {title}"))
        .1
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Sections whose field names are fixed (the rest list one line per command, error, db).
const FIXED: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Cluster",
];

#[test]
fn info_sections_and_fields_match_redis() {
    let mut d = Diff::new(&[]);
    d.run(
        r#"
        SET a 1
        SET b 2
        SET e v PX 100000
        GET a
        GET nosuch
        SELECT 3
        SET x y
        SELECT 0
        NOSUCHCOMMAND
        GET
        SET a b c
        "#,
    );
    let ours = parse(&d.a.call(&["INFO", "everything"]));
    let theirs = parse(&d.b.call(&["INFO", "everything"]));
    assert_eq!(titles(&ours), titles(&theirs));
    for (title, fields) in &theirs {
        if !FIXED.contains(&title.as_str()) {
            continue;
        }
        let ours_names: Vec<&str> = section(&ours, title).keys().copied().collect();
        let theirs_names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let mut theirs_sorted = theirs_names.clone();
        theirs_sorted.sort_unstable();
        assert_eq!(ours_names, theirs_sorted, "fields of # {title}");
        let ordered: Vec<&str> = ours
            .iter()
            .find(|(t, _)| t == title)
            .unwrap()
            .1
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(ordered, theirs_names, "field order of # {title}");
    }
    // Values the same command sequence makes equal.
    let (o, t) = (section(&ours, "Stats"), section(&theirs, "Stats"));
    for k in [
        "keyspace_hits",
        "keyspace_misses",
        "expired_keys",
        "total_error_replies",
        "pubsub_channels",
        "pubsub_patterns",
    ] {
        assert_eq!(o[k], t[k], "{k}");
    }
    let (o, t) = (section(&ours, "Clients"), section(&theirs, "Clients"));
    for k in ["connected_clients", "maxclients", "blocked_clients"] {
        assert_eq!(o[k], t[k], "{k}");
    }
    let (o, t) = (
        section(&ours, "Replication"),
        section(&theirs, "Replication"),
    );
    for k in [
        "role",
        "connected_slaves",
        "master_repl_offset",
        "second_repl_offset",
    ] {
        assert_eq!(o[k], t[k], "{k}");
    }
    let (o, t) = (
        section(&ours, "Persistence"),
        section(&theirs, "Persistence"),
    );
    for k in ["loading", "aof_enabled", "rdb_changes_since_last_save"] {
        assert_eq!(o[k], t[k], "{k}");
    }
    assert_eq!(
        section(&ours, "Server")["tcp_port"],
        d.ours.port.to_string()
    );
    assert_eq!(
        section(&ours, "Server")["process_id"],
        d.ours.pid().to_string()
    );
    assert_eq!(section(&ours, "Errorstats"), section(&theirs, "Errorstats"));
    // Keyspace: keys and expires per database (avg_ttl depends on expiry sampling).
    let ks = |s: &Sections| -> Vec<String> {
        section(s, "Keyspace")
            .iter()
            .map(|(db, v)| format!("{db}:{}", v.split(",avg_ttl").next().unwrap()))
            .collect()
    };
    assert_eq!(ks(&ours), ks(&theirs));
    // Commandstats: the same commands with the same call, rejection and failure counts.
    let cmds = |s: &Sections| -> BTreeMap<String, String> {
        section(s, "Commandstats")
            .iter()
            .map(|(k, v)| {
                let kept: Vec<&str> = v.split(',').filter(|f| !f.starts_with("usec")).collect();
                (k.to_string(), kept.join(","))
            })
            .collect()
    };
    let (co, ct) = (cmds(&ours), cmds(&theirs));
    // The one INFO being answered may or may not count yet; the rest must agree.
    let strip = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .filter(|(k, _)| !k.starts_with("cmdstat_info") && !k.starts_with("cmdstat_ping"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(strip(&co), strip(&ct));
    let lat = |s: &Sections| -> BTreeSet<String> {
        section(s, "Latencystats")
            .keys()
            .map(|k| k.to_string())
            .collect()
    };
    assert_eq!(lat(&ours), lat(&theirs));
    for v in section(&ours, "Latencystats").values() {
        assert!(
            v.starts_with("p50=") && v.contains(",p99=") && v.contains(",p99.9="),
            "{v}"
        );
    }
}

#[test]
fn info_section_selection() {
    let mut d = Diff::new(&[]);
    for args in [
        vec!["INFO"],
        vec!["INFO", "default"],
        vec!["INFO", "all"],
        vec!["INFO", "everything"],
        vec!["INFO", "CPU", "foo"],
        vec!["INFO", "server", "clients", "keyspace"],
        vec!["INFO", "modules"],
        vec!["INFO", "module_list"],
        vec!["INFO", "commandstats", "latencystats"],
        vec!["INFO", "cluster", "default"],
    ] {
        let a = parse(&d.a.call(&args));
        let b = parse(&d.b.call(&args));
        assert_eq!(titles(&a), titles(&b), "{args:?}");
    }
    d.run(
        r#"
        INFO foo
        INFO foo bar
        INFO cluster
        INFO modules
        INFO keyspace
        INFO errorstats
        "#,
    );
    super::hello3(&mut d);
    // RESP3: a verbatim string.
    let a = d.a.call(&["INFO", "cluster"]);
    assert!(
        a.starts_with(b"=34\r\ntxt:# Cluster\r\n"),
        "{:?}",
        String::from_utf8_lossy(&a)
    );
    d.check(&["INFO", "cluster"]);
}

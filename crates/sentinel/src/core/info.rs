//! [`InfoReport`]: the fields of an INFO reply the Sentinel acts on, and the parser the driver
//! uses to build it from the reply text (Redis's `sentinelRefreshInstanceInfo`, monitoring
//! half). Parsing is lenient: a missing or malformed field is simply absent.

use super::{Addr, Role};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InfoReport {
    /// `run_id:` (40 hex digits in Redis; any non-empty value is accepted).
    pub run_id: Option<String>,
    /// `role:master` / `role:slave`; `None` when absent.
    pub role: Option<Role>,
    /// Replicas listed by a primary (`slaveN:ip=…,port=…` or the old `slaveN:ip,port,state`).
    pub replicas: Vec<Addr>,
    /// Replica fields, read only after `role:slave` as Redis does.
    pub master_host: Option<String>,
    pub master_port: Option<u16>,
    /// `master_link_status:up`
    pub master_link_up: bool,
    /// `master_link_down_since_seconds:` (absent means 0).
    pub master_link_down_since_seconds: Option<u64>,
    pub slave_priority: Option<i64>,
    pub slave_repl_offset: Option<u64>,
    pub replica_announced: Option<bool>,
}

impl InfoReport {
    pub fn parse(text: &str) -> InfoReport {
        let mut r = InfoReport::default();
        let mut is_replica = false;
        for line in text.split("\r\n") {
            if let Some(v) = line.strip_prefix("run_id:") {
                if v.len() >= 40 {
                    r.run_id = Some(v[..40].to_string());
                } else if !v.is_empty() {
                    r.run_id = Some(v.to_string());
                }
            } else if line.starts_with("slave")
                && line.as_bytes().get(5).is_some_and(u8::is_ascii_digit)
            {
                if let Some(a) = parse_replica_line(line) {
                    r.replicas.push(a);
                }
            } else if let Some(v) = line.strip_prefix("master_link_down_since_seconds:") {
                r.master_link_down_since_seconds = Some(atoi(v).max(0) as u64);
            } else if line.starts_with("role:master") {
                r.role = Some(Role::Primary);
                is_replica = false;
            } else if line.starts_with("role:slave") {
                r.role = Some(Role::Replica);
                is_replica = true;
            }
            if !is_replica {
                continue;
            }
            if let Some(v) = line.strip_prefix("master_host:") {
                r.master_host = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("master_port:") {
                r.master_port = u16::try_from(atoi(v)).ok();
            } else if let Some(v) = line.strip_prefix("master_link_status:") {
                r.master_link_up = v.eq_ignore_ascii_case("up");
            } else if let Some(v) = line.strip_prefix("slave_priority:") {
                r.slave_priority = Some(atoi(v));
            } else if let Some(v) = line.strip_prefix("slave_repl_offset:") {
                r.slave_repl_offset = Some(atoi(v).max(0) as u64);
            } else if let Some(v) = line.strip_prefix("replica_announced:") {
                r.replica_announced = Some(atoi(v) != 0);
            }
        }
        r
    }
}

/// `slave0:ip=127.0.0.1,port=6380,state=online,…` or the pre-2.8 `slave0:127.0.0.1,6380,online`.
fn parse_replica_line(line: &str) -> Option<Addr> {
    let (_, rest) = line.split_once(':')?;
    if rest.contains("ip=") {
        let mut ip = None;
        let mut port = None;
        for field in rest.split(',') {
            if let Some(v) = field.strip_prefix("ip=") {
                ip = Some(v);
            } else if let Some(v) = field.strip_prefix("port=") {
                port = Some(v);
            }
        }
        Some(Addr::new(ip?, u16::try_from(atoi(port?)).ok()?))
    } else {
        let mut it = rest.split(',');
        let ip = it.next()?;
        let port = it.next()?;
        it.next()?;
        Some(Addr::new(ip, u16::try_from(atoi(port)).ok()?))
    }
}

/// C's `atoi`/`strtoll`: leading digits (with an optional sign), 0 when there are none.
pub(crate) fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

/// C's `strtoull` for epochs: leading digits, 0 when there are none.
pub(crate) fn atou(s: &str) -> u64 {
    let mut v: u64 = 0;
    for b in s.trim_start().bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_primary() {
        let text = "# Server\r\nrun_id:0123456789012345678901234567890123456789\r\n# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.2,port=6380,state=online,offset=10,lag=0\r\nslave1:10.0.0.3,6381,online\r\nmaster_repl_offset:10\r\n";
        let r = InfoReport::parse(text);
        assert_eq!(
            r.run_id.as_deref(),
            Some("0123456789012345678901234567890123456789")
        );
        assert_eq!(r.role, Some(Role::Primary));
        assert_eq!(
            r.replicas,
            vec![Addr::new("10.0.0.2", 6380), Addr::new("10.0.0.3", 6381)]
        );
        assert_eq!(r.master_host, None);
    }

    #[test]
    fn parses_a_replica() {
        let text = "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:7\r\nslave_repl_offset:1234\r\nslave_priority:50\r\nreplica_announced:0\r\n";
        let r = InfoReport::parse(text);
        assert_eq!(r.role, Some(Role::Replica));
        assert_eq!(r.master_host.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.master_port, Some(6379));
        assert!(!r.master_link_up);
        assert_eq!(r.master_link_down_since_seconds, Some(7));
        assert_eq!(r.slave_repl_offset, Some(1234));
        assert_eq!(r.slave_priority, Some(50));
        assert_eq!(r.replica_announced, Some(false));
    }

    #[test]
    fn replica_fields_before_the_role_line_are_ignored() {
        let r = InfoReport::parse("master_host:x\r\nrole:slave\r\nmaster_link_status:up\r\n");
        assert_eq!(r.master_host, None);
        assert!(r.master_link_up);
    }

    #[test]
    fn garbage_does_not_panic() {
        let r =
            InfoReport::parse("slave0:\r\nslave1:ip=,port=99999\r\nmaster_port:-1\r\nrun_id:\r\n");
        assert!(r.replicas.is_empty());
        assert_eq!(r.run_id, None);
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(atou("x"), 0);
    }
}

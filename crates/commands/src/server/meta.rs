//! Interface data that COMMAND reports beside the command table: each command's group and
//! first version (COMMAND DOCS), request tips and key specs (COMMAND INFO, GETKEYS), keyed
//! by full name (`config|get`). Read once from `command_meta.tsv`, which
//! `scripts/gen_command_meta.py` generates from redis-server 7.0.15; it holds no
//! documentation prose.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Where a key spec starts looking for keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// At this argument index.
    Index(i32),
    /// After the first argument equal to the keyword, searching from `startfrom` (negative
    /// from the end, searching backwards).
    Keyword(&'static str, i32),
    Unknown,
}

/// How a key spec finds its keys from where it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// Keys up to `lastkey` (relative; negative from the end), every `step`; with `limit`
    /// the range is the 1/limit part of what remains.
    Range {
        lastkey: i32,
        step: i32,
        limit: i32,
    },
    /// The argument at `idx` counts the keys, which start `first` after it.
    Keynum {
        idx: i32,
        first: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug, Clone)]
pub struct KeySpec {
    /// Key flags as COMMAND prints them (`RW`, `access`, `update`…).
    pub flags: Vec<&'static str>,
    pub begin: Begin,
    pub find: Find,
}

impl KeySpec {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub group: &'static str,
    pub since: &'static str,
    pub tips: Vec<&'static str>,
    pub specs: Vec<KeySpec>,
}

const DATA: &str = include_str!("command_meta.tsv");

/// The interface data of a command by full name, if Redis 7.0 has the command.
pub fn meta(fullname: &str) -> Option<&'static Meta> {
    static M: OnceLock<HashMap<&'static str, Meta>> = OnceLock::new();
    M.get_or_init(|| parse(DATA)).get(fullname)
}

fn parse(data: &'static str) -> HashMap<&'static str, Meta> {
    let mut out = HashMap::new();
    for line in data.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() != 5 {
            continue;
        }
        let list = |s: &'static str, sep: char| -> Vec<&'static str> {
            if s == "-" {
                Vec::new()
            } else {
                s.split(sep).collect()
            }
        };
        let specs = list(f[4], ';').into_iter().filter_map(parse_spec).collect();
        out.insert(
            f[0],
            Meta {
                group: f[1],
                since: f[2],
                tips: list(f[3], ','),
                specs,
            },
        );
    }
    out
}

fn num(s: &str) -> Option<i32> {
    s.parse().ok()
}

/// `flags/begin/find`, e.g. `RW,access,delete/keyword:KEYS:-2/range:-1:1:0`.
fn parse_spec(s: &'static str) -> Option<KeySpec> {
    let mut parts = s.split('/');
    let flags = parts.next()?.split(',').collect();
    let b: Vec<&'static str> = parts.next()?.split(':').collect();
    let begin = match b.as_slice() {
        ["index", i] => Begin::Index(num(i)?),
        ["keyword", k, from] => Begin::Keyword(k, num(from)?),
        _ => Begin::Unknown,
    };
    let k: Vec<&str> = parts.next()?.split(':').collect();
    let find = match k.as_slice() {
        ["range", l, s, lim] => Find::Range {
            lastkey: num(l)?,
            step: num(s)?,
            limit: num(lim)?,
        },
        ["keynum", i, f, s] => Find::Keynum {
            idx: num(i)?,
            first: num(f)?,
            step: num(s)?,
        },
        _ => Find::Unknown,
    };
    Some(KeySpec { flags, begin, find })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_generated_table() {
        let get = meta("get").unwrap();
        assert_eq!(get.group, "string");
        assert_eq!(get.since, "1.0.0");
        assert_eq!(get.specs.len(), 1);
        assert_eq!(get.specs[0].begin, Begin::Index(1));
        let m = meta("migrate").unwrap();
        assert_eq!(m.tips, vec!["nondeterministic_output"]);
        assert_eq!(m.specs[1].begin, Begin::Keyword("KEYS", -2));
        assert!(m.specs[1].has("incomplete"));
        let z = meta("zunionstore").unwrap();
        assert_eq!(
            z.specs[1].find,
            Find::Keynum {
                idx: 0,
                first: 1,
                step: 1
            }
        );
        assert!(meta("config|get").is_some());
        assert!(meta("nosuch").is_none());
    }
}

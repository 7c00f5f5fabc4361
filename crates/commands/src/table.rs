//! The command table as data: name, arity, flags, key positions, ACL categories and the
//! handler, one `Spec` per command and subcommand. Each family module declares its own
//! `TABLE`; [`table`] joins them into one lookup, built once.

use std::collections::HashMap as StdHashMap;

/// Command names are looked up once per command: a fast hasher (foldhash) instead of
/// SipHash; the table is fixed data, so flooding resistance is not needed here.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::FixedState>;
use std::sync::OnceLock;

use crate::ctx::Ctx;
use crate::errors::CmdResult;

pub type Handler = fn(&mut Ctx) -> CmdResult;

/// Command flags, named as COMMAND INFO prints them.
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const MOVABLEKEYS: u32 = 1 << 15;
    pub const ALLOW_BUSY: u32 = 1 << 16;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 17;
    pub const PROTECTED: u32 = 1 << 18;
    pub const ASKING: u32 = 1 << 19;
    pub const NO_ASYNC_LOADING: u32 = 1 << 20;
    pub const SENTINEL: u32 = 1 << 21;
    pub const ONLY_SENTINEL: u32 = 1 << 22;

    /// Names in COMMAND INFO order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (ONLY_SENTINEL, "only_sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (PROTECTED, "protected"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// One command or subcommand.
pub struct Spec {
    /// Lower-case name (`get`, or `get` under `config`).
    pub name: &'static str,
    /// Redis arity: `n` exactly n arguments (name included), `-n` at least n.
    pub arity: i32,
    pub flags: u32,
    /// First key, last key (negative counts from the end), step; all 0 without keys.
    pub keys: (i32, i32, i32),
    /// ACL categories without `@`, space separated (`read string fast`).
    pub acl: &'static str,
    pub handler: Handler,
    pub subs: &'static [Spec],
}

impl Spec {
    pub const fn new(name: &'static str, arity: i32, flags: u32, handler: Handler) -> Spec {
        Spec {
            name,
            arity,
            flags,
            keys: (0, 0, 0),
            acl: "",
            handler,
            subs: &[],
        }
    }

    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Spec {
        self.keys = (first, last, step);
        self
    }

    pub const fn acl(mut self, acl: &'static str) -> Spec {
        self.acl = acl;
        self
    }

    pub const fn subs(mut self, subs: &'static [Spec]) -> Spec {
        self.subs = subs;
        self
    }

    pub fn is(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }
}

/// A command as looked up: its spec, full name (`config|get`) and index for statistics.
pub struct Entry {
    pub spec: &'static Spec,
    pub fullname: String,
    pub id: usize,
    pub parent: Option<usize>,
    pub subs: HashMap<Vec<u8>, usize>,
}

pub struct Table {
    pub entries: Vec<Entry>,
    by_name: HashMap<Vec<u8>, usize>,
}

impl Table {
    fn build(families: &[&'static [Spec]]) -> Table {
        let mut t = Table {
            entries: Vec::new(),
            by_name: HashMap::default(),
        };
        for fam in families {
            for spec in fam.iter() {
                let id = t.entries.len();
                t.entries.push(Entry {
                    spec,
                    fullname: spec.name.to_string(),
                    id,
                    parent: None,
                    subs: HashMap::default(),
                });
                assert!(
                    t.by_name
                        .insert(spec.name.as_bytes().to_vec(), id)
                        .is_none(),
                    "{}",
                    spec.name
                );
                for sub in spec.subs {
                    let sid = t.entries.len();
                    t.entries.push(Entry {
                        spec: sub,
                        fullname: format!("{}|{}", spec.name, sub.name),
                        id: sid,
                        parent: Some(id),
                        subs: HashMap::default(),
                    });
                    t.entries[id].subs.insert(sub.name.as_bytes().to_vec(), sid);
                }
            }
        }
        t
    }

    /// Case-insensitive lookup of a top-level command.
    pub fn get(&self, name: &[u8]) -> Option<&Entry> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&lower[..]).map(|&i| &self.entries[i])
    }

    /// The subcommand of `parent` named `name`, case-insensitively.
    pub fn sub(&self, parent: &Entry, name: &[u8]) -> Option<&Entry> {
        let lower = name.to_ascii_lowercase();
        parent.subs.get(&lower).map(|&i| &self.entries[i])
    }

    pub fn top_level(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.parent.is_none())
    }
}

/// The one command table.
pub fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table::build(crate::FAMILIES))
}

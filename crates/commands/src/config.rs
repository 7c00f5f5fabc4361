//! Resolved server configuration. The directive table (names, types, defaults, CONFIG GET/SET,
//! redis.conf parsing) lives in [`crate::config_table`]; this struct is what the rest of the
//! server reads, typed.

use bytes::Bytes;

/// Keyspace-notification classes (`notify-keyspace-events`), as bit flags.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K
    pub const KEYEVENT: u32 = 1 << 1; // E
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const MODULE: u32 = 1 << 12; // d
    pub const NEW: u32 = 1 << 13; // n
    /// `A`: every class but m and n.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub requirepass: Option<Bytes>,
    pub databases: usize,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub maxclients: usize,
    pub dir: String,
    pub dbfilename: String,
    pub logfile: String,
    pub loglevel: String,
    pub pidfile: String,
    pub daemonize: bool,
    pub notify_keyspace_events: u32,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    pub hz: u32,
    pub enable_debug_command: String,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub maxmemory: u64,
    pub active_expire_enabled: bool,
    pub latency_monitor_threshold: u64,
    pub list_max_listpack_size: i64,
    pub appendonly: bool,
    pub replica_read_only: bool,
    pub lazyfree_lazy_user_flush: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            protected_mode: true,
            requirepass: None,
            databases: 16,
            timeout: 0,
            tcp_keepalive: 300,
            maxclients: 10000,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            logfile: String::new(),
            loglevel: "notice".into(),
            pidfile: String::new(),
            daemonize: false,
            notify_keyspace_events: 0,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            hz: 10,
            enable_debug_command: "no".into(),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            maxmemory: 0,
            active_expire_enabled: true,
            latency_monitor_threshold: 0,
            list_max_listpack_size: -2,
            appendonly: false,
            replica_read_only: true,
            lazyfree_lazy_user_flush: false,
        }
    }
}

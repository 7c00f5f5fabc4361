//! Resolved server configuration: one typed field per redis.conf directive, with Redis 7.0's
//! defaults. The directive table ([`crate::config_table`]) reads and writes these fields for
//! redis.conf, the command line and CONFIG GET/SET/REWRITE; the rest of the server only reads
//! them.
//!
//! Enumerated directives hold their canonical lower-case name (`maxmemory_policy ==
//! "allkeys-lru"`); string directives that Redis stores as NULL when empty hold `""`.

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

    /// Parses a class string (`KEA`, `Kx`); `None` on an unknown character.
    pub fn parse(s: &[u8]) -> Option<u32> {
        let mut flags = 0;
        for &c in s {
            flags |= match c {
                b'A' => ALL,
                b'g' => GENERIC,
                b'$' => STRING,
                b'l' => LIST,
                b's' => SET,
                b'h' => HASH,
                b'z' => ZSET,
                b'x' => EXPIRED,
                b'e' => EVICTED,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b't' => STREAM,
                b'm' => KEY_MISS,
                b'd' => MODULE,
                b'n' => NEW,
                _ => return None,
            };
        }
        Some(flags)
    }

    /// The canonical class string CONFIG GET shows. Like Redis, `A` swallows `n`.
    pub fn format(flags: u32) -> String {
        let mut s = String::new();
        if flags & ALL == ALL {
            s.push('A');
        } else {
            for (bit, c) in [
                (GENERIC, 'g'),
                (STRING, '$'),
                (LIST, 'l'),
                (SET, 's'),
                (HASH, 'h'),
                (ZSET, 'z'),
                (EXPIRED, 'x'),
                (EVICTED, 'e'),
                (STREAM, 't'),
                (MODULE, 'd'),
                (NEW, 'n'),
            ] {
                if flags & bit != 0 {
                    s.push(c);
                }
            }
        }
        for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm` flags.
pub mod shutdown {
    pub const SAVE: u32 = 1;
    pub const NOSAVE: u32 = 2;
    pub const NOW: u32 = 4;
    pub const FORCE: u32 = 8;
}

/// One class of `client-output-buffer-limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

/// Index of each class in [`Config::client_output_buffer_limit`].
pub mod obuf {
    pub const NORMAL: usize = 0;
    pub const REPLICA: usize = 1;
    pub const PUBSUB: usize = 2;
}

#[derive(Debug, Clone)]
pub struct Config {
    // Network.
    pub port: u16,
    pub bind: Vec<String>,
    pub bind_source_addr: String,
    pub protected_mode: bool,
    pub tcp_backlog: i64,
    pub tcp_keepalive: u64,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub socket_mark_id: u64,
    pub maxclients: usize,
    pub io_threads: i64,
    pub io_threads_do_reads: bool,

    // TLS (stored; Redoubt serves plain TCP).
    pub tls_port: u16,
    pub tls_cert_file: String,
    pub tls_key_file: String,
    pub tls_key_file_pass: String,
    pub tls_client_cert_file: String,
    pub tls_client_key_file: String,
    pub tls_client_key_file_pass: String,
    pub tls_dh_params_file: String,
    pub tls_ca_cert_file: String,
    pub tls_ca_cert_dir: String,
    pub tls_protocols: String,
    pub tls_ciphers: String,
    pub tls_ciphersuites: String,
    pub tls_auth_clients: String,
    pub tls_replication: bool,
    pub tls_cluster: bool,
    pub tls_prefer_server_ciphers: bool,
    pub tls_session_caching: bool,
    pub tls_session_cache_size: i64,
    pub tls_session_cache_timeout: i64,

    // General.
    pub daemonize: bool,
    pub supervised: String,
    pub pidfile: String,
    pub loglevel: String,
    pub logfile: String,
    pub syslog_enabled: bool,
    pub syslog_ident: String,
    pub syslog_facility: String,
    pub databases: usize,
    pub always_show_logo: bool,
    pub set_proc_title: bool,
    pub proc_title_template: String,
    pub crash_log_enabled: bool,
    pub crash_memcheck_enabled: bool,
    pub use_exit_on_panic: bool,
    pub disable_thp: bool,
    pub enable_protected_configs: String,
    pub enable_debug_command: String,
    pub enable_module_command: String,
    pub ignore_warnings: String,
    pub server_cpulist: String,
    pub bio_cpulist: String,
    pub aof_rewrite_cpulist: String,
    pub bgsave_cpulist: String,
    pub oom_score_adj: String,
    pub oom_score_adj_values: [i32; 3],
    pub jemalloc_bg_thread: bool,
    /// Cron frequency; CONFIG SET and start-up clamp it to 1..=500 as Redis does.
    pub hz: u32,
    pub dynamic_hz: bool,
    pub shutdown_timeout: u64,
    pub shutdown_on_sigint: u32,
    pub shutdown_on_sigterm: u32,
    pub watchdog_period: i64,
    pub propagation_error_behavior: String,
    pub busy_reply_threshold: i64,

    // Snapshotting.
    /// `save` points as (seconds, changes).
    pub save: Vec<(i64, i32)>,
    pub stop_writes_on_bgsave_error: bool,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub dbfilename: String,
    pub rdb_del_sync_files: bool,
    /// Working directory (absolute once loaded: the process `chdir`s into it, like Redis).
    pub dir: String,
    pub rdb_save_incremental_fsync: bool,
    pub rdb_key_save_delay: i64,
    pub key_load_delay: i64,
    pub loading_process_events_interval_bytes: i64,
    pub sanitize_dump_payload: String,

    // Replication.
    pub replicaof: Option<(String, u16)>,
    pub masterauth: Option<Bytes>,
    pub masteruser: String,
    pub replica_serve_stale_data: bool,
    pub replica_read_only: bool,
    pub replica_lazy_flush: bool,
    pub replica_ignore_maxmemory: bool,
    pub replica_ignore_disk_write_errors: bool,
    pub replica_announced: bool,
    pub replica_announce_ip: String,
    pub replica_announce_port: u16,
    pub replica_priority: i64,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: u64,
    pub repl_diskless_sync_max_replicas: u64,
    pub repl_diskless_load: String,
    pub repl_ping_replica_period: u64,
    pub repl_timeout: u64,
    pub repl_disable_tcp_nodelay: bool,
    pub repl_backlog_size: i64,
    pub repl_backlog_ttl: u64,
    pub min_replicas_to_write: u64,
    pub min_replicas_max_lag: u64,
    /// Redoubt's own: hold every write's reply until `min-replicas-to-write` replicas
    /// acknowledged it (an implicit WAIT), answering NOREPLICAS after the timeout.
    pub min_replicas_ack_writes: bool,
    /// Milliseconds a held write reply waits for its acknowledgements; 0 waits for ever.
    pub min_replicas_ack_timeout: u64,
    /// Redoubt's own, off by default: back the heap with transparent huge pages (start-up
    /// only), which makes the fork behind BGSAVE, BGREWRITEAOF and full syncs several times
    /// cheaper, but zeroes each fresh 2 MB page in one go at its first write (README).
    pub heap_hugepages: bool,

    // Security.
    pub requirepass: Option<Bytes>,
    pub aclfile: String,
    pub acllog_max_len: u64,
    pub acl_pubsub_default: String,

    // Memory and eviction.
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: u64,
    pub maxmemory_eviction_tenacity: u64,
    /// Bytes, or a percentage of maxmemory stored negated (`-10` = 10%).
    pub maxmemory_clients: i64,
    pub lfu_log_factor: u64,
    pub lfu_decay_time: u64,
    pub active_expire_effort: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub activerehashing: bool,
    pub activedefrag: bool,
    pub active_defrag_ignore_bytes: u64,
    pub active_defrag_threshold_lower: u64,
    pub active_defrag_threshold_upper: u64,
    pub active_defrag_cycle_min: u64,
    pub active_defrag_cycle_max: u64,
    pub active_defrag_max_scan_fields: u64,

    // Append only file.
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: String,
    pub no_appendfsync_on_rewrite: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: i64,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_rewrite_incremental_fsync: bool,
    pub aof_disable_auto_gc: bool,

    // Cluster (stored; Redoubt runs standalone).
    pub cluster_enabled: bool,
    pub cluster_config_file: String,
    pub cluster_node_timeout: i64,
    pub cluster_port: u16,
    pub cluster_replica_validity_factor: u64,
    pub cluster_migration_barrier: u64,
    pub cluster_allow_replica_migration: bool,
    pub cluster_require_full_coverage: bool,
    pub cluster_replica_no_failover: bool,
    pub cluster_allow_reads_when_down: bool,
    pub cluster_allow_pubsubshard_when_down: bool,
    pub cluster_announce_ip: String,
    pub cluster_announce_hostname: String,
    pub cluster_announce_port: u16,
    pub cluster_announce_tls_port: u16,
    pub cluster_announce_bus_port: u16,
    pub cluster_preferred_endpoint_type: String,
    pub cluster_link_sendbuf_limit: u64,

    // Slow log, latency, notifications.
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub notify_keyspace_events: u32,

    // Encodings and limits.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub hll_sparse_max_bytes: usize,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: i64,
    pub tracking_table_max_keys: usize,
    pub client_output_buffer_limit: [ObufLimit; 3],
    pub client_query_buffer_limit: u64,
    pub proto_max_bulk_len: i64,

    // Not directives: state the config file carries for other parts of the server.
    /// DEBUG SET-ACTIVE-EXPIRE.
    pub active_expire_enabled: bool,
    /// `rename-command old new` lines, in file order.
    pub rename_commands: Vec<(String, String)>,
    /// `user ...` lines (arguments after `user`), in file order.
    pub users: Vec<Vec<String>>,
    /// `loadmodule path args...` lines.
    pub loadmodules: Vec<Vec<String>>,
}

impl Default for Config {
    fn default() -> Self {
        let mb = 1024 * 1024;
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            bind_source_addr: String::new(),
            protected_mode: true,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            unixsocket: String::new(),
            unixsocketperm: 0,
            socket_mark_id: 0,
            maxclients: 10000,
            io_threads: 1,
            io_threads_do_reads: false,

            tls_port: 0,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            tls_key_file_pass: String::new(),
            tls_client_cert_file: String::new(),
            tls_client_key_file: String::new(),
            tls_client_key_file_pass: String::new(),
            tls_dh_params_file: String::new(),
            tls_ca_cert_file: String::new(),
            tls_ca_cert_dir: String::new(),
            tls_protocols: String::new(),
            tls_ciphers: String::new(),
            tls_ciphersuites: String::new(),
            tls_auth_clients: "yes".into(),
            tls_replication: false,
            tls_cluster: false,
            tls_prefer_server_ciphers: false,
            tls_session_caching: true,
            tls_session_cache_size: 20 * 1024,
            tls_session_cache_timeout: 300,

            daemonize: false,
            supervised: "no".into(),
            pidfile: String::new(),
            loglevel: "notice".into(),
            logfile: String::new(),
            syslog_enabled: false,
            syslog_ident: "redis".into(),
            syslog_facility: "local0".into(),
            databases: 16,
            always_show_logo: false,
            set_proc_title: true,
            proc_title_template: "{title} {listen-addr} {server-mode}".into(),
            crash_log_enabled: true,
            crash_memcheck_enabled: true,
            use_exit_on_panic: false,
            disable_thp: true,
            enable_protected_configs: "no".into(),
            enable_debug_command: "no".into(),
            enable_module_command: "no".into(),
            ignore_warnings: String::new(),
            server_cpulist: String::new(),
            bio_cpulist: String::new(),
            aof_rewrite_cpulist: String::new(),
            bgsave_cpulist: String::new(),
            oom_score_adj: "no".into(),
            oom_score_adj_values: [0, 200, 800],
            jemalloc_bg_thread: true,
            hz: 10,
            dynamic_hz: true,
            shutdown_timeout: 10,
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            watchdog_period: 0,
            propagation_error_behavior: "ignore".into(),
            busy_reply_threshold: 5000,

            save: vec![(3600, 1), (300, 100), (60, 10000)],
            stop_writes_on_bgsave_error: true,
            rdbcompression: true,
            rdbchecksum: true,
            dbfilename: "dump.rdb".into(),
            rdb_del_sync_files: false,
            dir: ".".into(),
            rdb_save_incremental_fsync: true,
            rdb_key_save_delay: 0,
            key_load_delay: 0,
            loading_process_events_interval_bytes: 2 * mb as i64,
            sanitize_dump_payload: "no".into(),

            replicaof: None,
            masterauth: None,
            masteruser: String::new(),
            replica_serve_stale_data: true,
            replica_read_only: true,
            replica_lazy_flush: false,
            replica_ignore_maxmemory: true,
            replica_ignore_disk_write_errors: false,
            replica_announced: true,
            replica_announce_ip: String::new(),
            replica_announce_port: 0,
            replica_priority: 100,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: "disabled".into(),
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            repl_disable_tcp_nodelay: false,
            repl_backlog_size: mb as i64,
            repl_backlog_ttl: 3600,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            min_replicas_ack_writes: false,
            min_replicas_ack_timeout: 1000,
            heap_hugepages: false,

            requirepass: None,
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: "resetchannels".into(),

            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            maxmemory_clients: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            activerehashing: true,
            activedefrag: false,
            active_defrag_ignore_bytes: 100 * mb,
            active_defrag_threshold_lower: 10,
            active_defrag_threshold_upper: 100,
            active_defrag_cycle_min: 1,
            active_defrag_cycle_max: 25,
            active_defrag_max_scan_fields: 1000,

            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: "everysec".into(),
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * mb as i64,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_rewrite_incremental_fsync: true,
            aof_disable_auto_gc: false,

            cluster_enabled: false,
            cluster_config_file: "nodes.conf".into(),
            cluster_node_timeout: 15000,
            cluster_port: 0,
            cluster_replica_validity_factor: 10,
            cluster_migration_barrier: 1,
            cluster_allow_replica_migration: true,
            cluster_require_full_coverage: true,
            cluster_replica_no_failover: false,
            cluster_allow_reads_when_down: false,
            cluster_allow_pubsubshard_when_down: true,
            cluster_announce_ip: String::new(),
            cluster_announce_hostname: String::new(),
            cluster_announce_port: 0,
            cluster_announce_tls_port: 0,
            cluster_announce_bus_port: 0,
            cluster_preferred_endpoint_type: "ip".into(),
            cluster_link_sendbuf_limit: 0,

            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            notify_keyspace_events: 0,

            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            tracking_table_max_keys: 1_000_000,
            client_output_buffer_limit: [
                ObufLimit {
                    hard: 0,
                    soft: 0,
                    soft_seconds: 0,
                },
                ObufLimit {
                    hard: 256 * mb,
                    soft: 64 * mb,
                    soft_seconds: 60,
                },
                ObufLimit {
                    hard: 32 * mb,
                    soft: 8 * mb,
                    soft_seconds: 60,
                },
            ],
            client_query_buffer_limit: 1024 * mb,
            proto_max_bulk_len: 512 * mb as i64,

            active_expire_enabled: true,
            rename_commands: Vec::new(),
            users: Vec::new(),
            loadmodules: Vec::new(),
        }
    }
}

impl Config {
    /// The hz the cron runs at: Redis keeps the configured value within 1..=500.
    pub fn clamp_hz(&mut self) {
        self.hz = self.hz.clamp(1, 500);
    }
}

#[cfg(test)]
mod tests {
    use super::notify;

    #[test]
    fn notify_flags_round_trip_in_canonical_order() {
        let f = notify::parse(b"mKEn$").unwrap();
        assert_eq!(notify::format(f), "$nKEm");
        assert_eq!(notify::format(notify::parse(b"An").unwrap()), "A");
        assert_eq!(notify::format(notify::parse(b"Ex").unwrap()), "xE");
        assert_eq!(notify::parse(b"K E"), None);
        assert_eq!(notify::parse(b""), Some(0));
    }
}

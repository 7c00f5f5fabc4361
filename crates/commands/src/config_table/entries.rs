//! The directives of Redis 7.0.15, one line each: name, alias, flags, type, bounds and the
//! [`Config`] field. Defaults live in `Config::default()`; the bounds and value lists are
//! Redis's own (its error messages quote them).

#![allow(clippy::unnecessary_cast)]

use super::flag::*;
use super::{
    enum_name, enum_value, special, BoolSpec, Directive, EnumSpec, Kind, NumFmt, NumSpec,
    SpecialSpec, StrSpec,
};
use crate::config::Config;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// ULLONG_MAX as C stores it in a `long long` bound.
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1024 * 1024;

const LOGLEVEL: &[(&str, i32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, i32)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const SYSLOG_FACILITY: &[(&str, i32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const MAXMEMORY_POLICY: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const APPENDFSYNC: &[(&str, i32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const REPL_DISKLESS_LOAD: &[(&str, i32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, i32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const PROTECTED_ACTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPE: &[(&str, i32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
const SHUTDOWN_ON_SIG: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

macro_rules! boolean {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        boolean!($name, $alias, $flags, $field, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $check:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool(BoolSpec {
                get: {
                    fn g(c: &Config) -> bool {
                        c.$field
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: bool) {
                        c.$field = v
                    }
                    s
                },
                check: $check,
            }),
        }
    };
}

macro_rules! num {
    ($name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $fmt:ident, $field:ident) => {
        num!(@ $name, $alias, $flags, $lo, $hi, false, $fmt, $field)
    };
    (unsigned $name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $fmt:ident, $field:ident) => {
        num!(@ $name, $alias, $flags, $lo, $hi, true, $fmt, $field)
    };
    (@ $name:literal, $alias:expr, $flags:expr, $lo:expr, $hi:expr, $uns:expr, $fmt:ident, $field:ident) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num(NumSpec {
                lo: $lo,
                hi: $hi,
                unsigned: $uns,
                fmt: NumFmt::$fmt,
                get: {
                    fn g(c: &Config) -> i64 {
                        c.$field as i64
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: i64) {
                        c.$field = v as _
                    }
                    s
                },
            }),
        }
    };
}

macro_rules! enumeration {
    ($name:literal, $alias:expr, $flags:expr, $names:ident, $field:ident) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Enum(EnumSpec {
                names: $names,
                bitflags: false,
                get: {
                    fn g(c: &Config) -> i32 {
                        enum_value($names, &c.$field)
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: i32) {
                        c.$field = enum_name($names, v)
                    }
                    s
                },
                check: None,
            }),
        }
    };
}

macro_rules! shutdown_flags {
    ($name:literal, $field:ident) => {
        Directive {
            name: $name,
            alias: None,
            flags: MULTI_ARG,
            kind: Kind::Enum(EnumSpec {
                names: SHUTDOWN_ON_SIG,
                bitflags: true,
                get: {
                    fn g(c: &Config) -> i32 {
                        c.$field as i32
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: i32) {
                        c.$field = v as u32
                    }
                    s
                },
                check: Some(special::check_shutdown_flags),
            }),
        }
    };
}

/// A string directive. `nullable`: empty means unset (Redis's EMPTY_STRING_IS_NULL), which
/// CONFIG REWRITE then leaves out of the file.
macro_rules! string {
    ($name:literal, $alias:expr, $flags:expr, nullable, $field:ident) => {
        string!(@ $name, $alias, $flags, true, $field, None)
    };
    ($name:literal, $alias:expr, $flags:expr, nullable, $field:ident, $check:expr) => {
        string!(@ $name, $alias, $flags, true, $field, $check)
    };
    ($name:literal, $alias:expr, $flags:expr, empty_ok, $field:ident) => {
        string!(@ $name, $alias, $flags, false, $field, None)
    };
    ($name:literal, $alias:expr, $flags:expr, empty_ok, $field:ident, $check:expr) => {
        string!(@ $name, $alias, $flags, false, $field, $check)
    };
    (@ $name:literal, $alias:expr, $flags:expr, $null:expr, $field:ident, $check:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str(StrSpec {
                get: {
                    fn g(c: &Config) -> Option<&[u8]> {
                        (!$null || !c.$field.is_empty()).then(|| c.$field.as_bytes())
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: Option<&[u8]>) {
                        c.$field = v
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                            .unwrap_or_default()
                    }
                    s
                },
                empty_is_null: $null,
                check: $check,
            }),
        }
    };
}

/// A password held as bytes (`Option<Bytes>`, `None` when unset).
macro_rules! secret {
    ($name:literal, $field:ident) => {
        Directive {
            name: $name,
            alias: None,
            flags: SENSITIVE,
            kind: Kind::Str(StrSpec {
                get: {
                    fn g(c: &Config) -> Option<&[u8]> {
                        c.$field.as_deref()
                    }
                    g
                },
                set: {
                    fn s(c: &mut Config, v: Option<&[u8]>) {
                        c.$field = v.map(bytes::Bytes::copy_from_slice)
                    }
                    s
                },
                empty_is_null: true,
                check: None,
            }),
        }
    };
}

macro_rules! special {
    ($name:literal, $alias:expr, $flags:expr, $set:path, $get:path, $rewrite:path) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Special(SpecialSpec {
                set: $set,
                get: $get,
                rewrite: $rewrite,
            }),
        }
    };
}

#[rustfmt::skip]
pub static DIRECTIVES: &[Directive] = &[
    // Booleans.
    boolean!("rdbchecksum", None, IMMUTABLE, rdbchecksum),
    boolean!("daemonize", None, IMMUTABLE, daemonize),
    boolean!("io-threads-do-reads", None, IMMUTABLE, io_threads_do_reads),
    boolean!("always-show-logo", None, IMMUTABLE, always_show_logo),
    boolean!("protected-mode", None, 0, protected_mode),
    boolean!("rdbcompression", None, 0, rdbcompression),
    boolean!("rdb-del-sync-files", None, 0, rdb_del_sync_files),
    boolean!("activerehashing", None, 0, activerehashing),
    boolean!("stop-writes-on-bgsave-error", None, 0, stop_writes_on_bgsave_error),
    boolean!("set-proc-title", None, IMMUTABLE, set_proc_title),
    boolean!("dynamic-hz", None, 0, dynamic_hz),
    boolean!("lazyfree-lazy-eviction", None, 0, lazyfree_lazy_eviction),
    boolean!("lazyfree-lazy-expire", None, 0, lazyfree_lazy_expire),
    boolean!("lazyfree-lazy-server-del", None, 0, lazyfree_lazy_server_del),
    boolean!("lazyfree-lazy-user-del", None, 0, lazyfree_lazy_user_del),
    boolean!("lazyfree-lazy-user-flush", None, 0, lazyfree_lazy_user_flush),
    boolean!("repl-disable-tcp-nodelay", None, 0, repl_disable_tcp_nodelay),
    boolean!("repl-diskless-sync", None, 0, repl_diskless_sync),
    boolean!("aof-rewrite-incremental-fsync", None, 0, aof_rewrite_incremental_fsync),
    boolean!("no-appendfsync-on-rewrite", None, 0, no_appendfsync_on_rewrite),
    boolean!("cluster-require-full-coverage", None, 0, cluster_require_full_coverage),
    boolean!("rdb-save-incremental-fsync", None, 0, rdb_save_incremental_fsync),
    boolean!("aof-load-truncated", None, 0, aof_load_truncated),
    boolean!("aof-use-rdb-preamble", None, 0, aof_use_rdb_preamble),
    boolean!("aof-timestamp-enabled", None, 0, aof_timestamp_enabled),
    boolean!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, cluster_replica_no_failover),
    boolean!("replica-lazy-flush", Some("slave-lazy-flush"), 0, replica_lazy_flush),
    boolean!("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, replica_serve_stale_data),
    boolean!("replica-read-only", Some("slave-read-only"), 0, replica_read_only),
    boolean!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, replica_ignore_maxmemory),
    boolean!("jemalloc-bg-thread", None, 0, jemalloc_bg_thread),
    boolean!("activedefrag", None, 0, activedefrag, Some(special::check_activedefrag)),
    boolean!("syslog-enabled", None, IMMUTABLE, syslog_enabled),
    boolean!("cluster-enabled", None, IMMUTABLE, cluster_enabled),
    boolean!("appendonly", None, DENY_LOADING, appendonly),
    boolean!("cluster-allow-reads-when-down", None, 0, cluster_allow_reads_when_down),
    boolean!("cluster-allow-pubsubshard-when-down", None, 0, cluster_allow_pubsubshard_when_down),
    boolean!("crash-log-enabled", None, 0, crash_log_enabled),
    boolean!("crash-memcheck-enabled", None, 0, crash_memcheck_enabled),
    boolean!("use-exit-on-panic", None, HIDDEN, use_exit_on_panic),
    boolean!("disable-thp", None, IMMUTABLE, disable_thp),
    boolean!("cluster-allow-replica-migration", None, 0, cluster_allow_replica_migration),
    boolean!("replica-announced", None, 0, replica_announced),
    boolean!("latency-tracking", None, 0, latency_tracking),
    boolean!("aof-disable-auto-gc", None, 0, aof_disable_auto_gc),
    boolean!("replica-ignore-disk-write-errors", None, 0, replica_ignore_disk_write_errors),
    // Redoubt's own (hidden from CONFIG GET patterns so `CONFIG GET *` lists what Redis does).
    boolean!("min-replicas-ack-writes", None, HIDDEN, min_replicas_ack_writes),
    boolean!("heap-hugepages", None, HIDDEN | IMMUTABLE, heap_hugepages),
    // Strings.
    string!("aclfile", None, IMMUTABLE, empty_ok, aclfile),
    string!("unixsocket", None, IMMUTABLE, nullable, unixsocket),
    string!("pidfile", None, IMMUTABLE, nullable, pidfile),
    string!("replica-announce-ip", Some("slave-announce-ip"), 0, nullable, replica_announce_ip),
    string!("masteruser", None, SENSITIVE, nullable, masteruser),
    string!("cluster-announce-ip", None, 0, nullable, cluster_announce_ip),
    string!("cluster-config-file", None, IMMUTABLE, empty_ok, cluster_config_file),
    string!("cluster-announce-hostname", None, 0, nullable, cluster_announce_hostname, Some(special::check_hostname)),
    string!("syslog-ident", None, IMMUTABLE, empty_ok, syslog_ident),
    string!("dbfilename", None, PROTECTED, empty_ok, dbfilename, Some(special::check_dbfilename)),
    string!("appendfilename", None, IMMUTABLE, empty_ok, appendfilename, Some(special::check_aof_filename)),
    string!("appenddirname", None, IMMUTABLE, empty_ok, appenddirname, Some(special::check_aof_dirname)),
    string!("server_cpulist", None, IMMUTABLE, nullable, server_cpulist),
    string!("bio_cpulist", None, IMMUTABLE, nullable, bio_cpulist),
    string!("aof_rewrite_cpulist", None, IMMUTABLE, nullable, aof_rewrite_cpulist),
    string!("bgsave_cpulist", None, IMMUTABLE, nullable, bgsave_cpulist),
    string!("ignore-warnings", None, 0, empty_ok, ignore_warnings),
    string!("proc-title-template", None, 0, empty_ok, proc_title_template, Some(special::check_proc_title)),
    string!("bind-source-addr", None, 0, nullable, bind_source_addr),
    string!("logfile", None, IMMUTABLE, empty_ok, logfile),
    secret!("masterauth", masterauth),
    secret!("requirepass", requirepass),
    // Enumerations.
    enumeration!("supervised", None, IMMUTABLE, SUPERVISED, supervised),
    enumeration!("syslog-facility", None, IMMUTABLE, SYSLOG_FACILITY, syslog_facility),
    enumeration!("repl-diskless-load", None, DENY_LOADING, REPL_DISKLESS_LOAD, repl_diskless_load),
    enumeration!("loglevel", None, 0, LOGLEVEL, loglevel),
    enumeration!("maxmemory-policy", None, 0, MAXMEMORY_POLICY, maxmemory_policy),
    enumeration!("appendfsync", None, 0, APPENDFSYNC, appendfsync),
    enumeration!("oom-score-adj", None, 0, OOM_SCORE_ADJ, oom_score_adj),
    enumeration!("acl-pubsub-default", None, 0, ACL_PUBSUB_DEFAULT, acl_pubsub_default),
    enumeration!("sanitize-dump-payload", None, 0, SANITIZE_DUMP, sanitize_dump_payload),
    enumeration!("enable-protected-configs", None, IMMUTABLE, PROTECTED_ACTION, enable_protected_configs),
    enumeration!("enable-debug-command", None, IMMUTABLE, PROTECTED_ACTION, enable_debug_command),
    enumeration!("enable-module-command", None, IMMUTABLE, PROTECTED_ACTION, enable_module_command),
    enumeration!("cluster-preferred-endpoint-type", None, 0, ENDPOINT_TYPE, cluster_preferred_endpoint_type),
    enumeration!("propagation-error-behavior", None, 0, PROPAGATION_ERROR, propagation_error_behavior),
    shutdown_flags!("shutdown-on-sigint", shutdown_on_sigint),
    shutdown_flags!("shutdown-on-sigterm", shutdown_on_sigterm),
    // Signed integers.
    num!("databases", None, IMMUTABLE, 1, INT_MAX, Int, databases),
    num!("port", None, 0, 0, 65535, Int, port),
    num!("io-threads", None, IMMUTABLE, 1, 128, Int, io_threads),
    num!("auto-aof-rewrite-percentage", None, 0, 0, INT_MAX, Int, auto_aof_rewrite_percentage),
    num!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, 0, INT_MAX, Int, cluster_replica_validity_factor),
    num!("list-max-listpack-size", Some("list-max-ziplist-size"), 0, INT_MIN, INT_MAX, Int, list_max_listpack_size),
    num!("tcp-keepalive", None, 0, 0, INT_MAX, Int, tcp_keepalive),
    num!("cluster-migration-barrier", None, 0, 0, INT_MAX, Int, cluster_migration_barrier),
    num!("active-defrag-cycle-min", None, 0, 1, 99, Int, active_defrag_cycle_min),
    num!("active-defrag-cycle-max", None, 0, 1, 99, Int, active_defrag_cycle_max),
    num!("active-defrag-threshold-lower", None, 0, 0, 1000, Int, active_defrag_threshold_lower),
    num!("active-defrag-threshold-upper", None, 0, 0, 1000, Int, active_defrag_threshold_upper),
    num!("lfu-log-factor", None, 0, 0, INT_MAX, Int, lfu_log_factor),
    num!("lfu-decay-time", None, 0, 0, INT_MAX, Int, lfu_decay_time),
    num!("replica-priority", Some("slave-priority"), 0, 0, INT_MAX, Int, replica_priority),
    num!("repl-diskless-sync-delay", None, 0, 0, INT_MAX, Int, repl_diskless_sync_delay),
    num!("maxmemory-samples", None, 0, 1, INT_MAX, Int, maxmemory_samples),
    num!("maxmemory-eviction-tenacity", None, 0, 0, 100, Int, maxmemory_eviction_tenacity),
    num!("timeout", None, 0, 0, INT_MAX, Int, timeout),
    num!("replica-announce-port", Some("slave-announce-port"), 0, 0, 65535, Int, replica_announce_port),
    num!("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, Int, tcp_backlog),
    num!("cluster-port", None, IMMUTABLE, 0, 65535, Int, cluster_port),
    num!("cluster-announce-bus-port", None, 0, 0, 65535, Int, cluster_announce_bus_port),
    num!("cluster-announce-port", None, 0, 0, 65535, Int, cluster_announce_port),
    num!("cluster-announce-tls-port", None, 0, 0, 65535, Int, cluster_announce_tls_port),
    num!("repl-timeout", None, 0, 1, INT_MAX, Int, repl_timeout),
    num!("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, 1, INT_MAX, Int, repl_ping_replica_period),
    num!("list-compress-depth", None, 0, 0, INT_MAX, Int, list_compress_depth),
    num!("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, Int, rdb_key_save_delay),
    num!("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, Int, key_load_delay),
    num!("active-expire-effort", None, 0, 1, 10, Int, active_expire_effort),
    num!("hz", None, 0, 0, INT_MAX, Int, hz),
    num!("min-replicas-to-write", Some("min-slaves-to-write"), 0, 0, INT_MAX, Int, min_replicas_to_write),
    num!("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, 0, INT_MAX, Int, min_replicas_max_lag),
    num!("min-replicas-ack-timeout", None, HIDDEN, 0, INT_MAX, Int, min_replicas_ack_timeout),
    num!("watchdog-period", None, HIDDEN, 0, INT_MAX, Int, watchdog_period),
    num!("shutdown-timeout", None, 0, 0, INT_MAX, Int, shutdown_timeout),
    num!("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, Int, repl_diskless_sync_max_replicas),
    num!("tls-port", None, 0, 0, 65535, Int, tls_port),
    num!("tls-session-cache-size", None, 0, 0, INT_MAX, Int, tls_session_cache_size),
    num!("tls-session-cache-timeout", None, 0, 0, INT_MAX, Int, tls_session_cache_timeout),
    // Unsigned int.
    num!(unsigned "maxclients", None, 0, 1, UINT_MAX, Int, maxclients),
    num!(unsigned "unixsocketperm", None, IMMUTABLE, 0, 0o777, Octal, unixsocketperm),
    num!(unsigned "socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, Int, socket_mark_id),
    // Unsigned long (bounds checked as signed, as in Redis).
    num!("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, Int, active_defrag_max_scan_fields),
    num!("slowlog-max-len", None, 0, 0, LONG_MAX, Int, slowlog_max_len),
    num!("acllog-max-len", None, 0, 0, LONG_MAX, Int, acllog_max_len),
    // Long long.
    num!("busy-reply-threshold", Some("lua-time-limit"), 0, 0, LONG_MAX, Int, busy_reply_threshold),
    num!("cluster-node-timeout", None, 0, 0, LONG_MAX, Int, cluster_node_timeout),
    num!("slowlog-log-slower-than", None, 0, -1, LONG_MAX, Int, slowlog_log_slower_than),
    num!("latency-monitor-threshold", None, 0, 0, LONG_MAX, Int, latency_monitor_threshold),
    num!("proto-max-bulk-len", None, 0, MB, LONG_MAX, Memory, proto_max_bulk_len),
    num!("stream-node-max-entries", None, 0, 0, LONG_MAX, Int, stream_node_max_entries),
    num!("repl-backlog-size", None, 0, 1, LONG_MAX, Memory, repl_backlog_size),
    // Unsigned long long.
    num!(unsigned "maxmemory", None, 0, 0, ULLONG_MAX, Memory, maxmemory),
    num!(unsigned "cluster-link-sendbuf-limit", None, 0, 0, ULLONG_MAX, Memory, cluster_link_sendbuf_limit),
    // size_t.
    num!(unsigned "hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, 0, LONG_MAX, Int, hash_max_listpack_entries),
    num!(unsigned "set-max-intset-entries", None, 0, 0, LONG_MAX, Int, set_max_intset_entries),
    num!(unsigned "zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, 0, LONG_MAX, Int, zset_max_listpack_entries),
    num!(unsigned "active-defrag-ignore-bytes", None, 0, 1, LONG_MAX, Memory, active_defrag_ignore_bytes),
    num!(unsigned "hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, 0, LONG_MAX, Memory, hash_max_listpack_value),
    num!(unsigned "stream-node-max-bytes", None, 0, 0, LONG_MAX, Memory, stream_node_max_bytes),
    num!(unsigned "zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, 0, LONG_MAX, Memory, zset_max_listpack_value),
    num!(unsigned "hll-sparse-max-bytes", None, 0, 0, LONG_MAX, Memory, hll_sparse_max_bytes),
    num!(unsigned "tracking-table-max-keys", None, 0, 0, LONG_MAX, Int, tracking_table_max_keys),
    num!(unsigned "client-query-buffer-limit", None, 0, MB, LONG_MAX, Memory, client_query_buffer_limit),
    // ssize_t, time_t, off_t.
    num!("maxmemory-clients", None, 0, -100, LONG_MAX, MemoryPercent, maxmemory_clients),
    num!("repl-backlog-ttl", None, 0, 0, LONG_MAX, Int, repl_backlog_ttl),
    num!("auto-aof-rewrite-min-size", None, 0, 0, LONG_MAX, Memory, auto_aof_rewrite_min_size),
    num!("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, Int, loading_process_events_interval_bytes),
    // TLS (stored only).
    boolean!("tls-cluster", None, 0, tls_cluster),
    boolean!("tls-replication", None, 0, tls_replication),
    enumeration!("tls-auth-clients", None, 0, TLS_AUTH_CLIENTS, tls_auth_clients),
    boolean!("tls-prefer-server-ciphers", None, 0, tls_prefer_server_ciphers),
    boolean!("tls-session-caching", None, 0, tls_session_caching),
    string!("tls-cert-file", None, 0, nullable, tls_cert_file),
    string!("tls-key-file", None, 0, nullable, tls_key_file),
    string!("tls-key-file-pass", None, 0, nullable, tls_key_file_pass),
    string!("tls-client-cert-file", None, 0, nullable, tls_client_cert_file),
    string!("tls-client-key-file", None, 0, nullable, tls_client_key_file),
    string!("tls-client-key-file-pass", None, 0, nullable, tls_client_key_file_pass),
    string!("tls-dh-params-file", None, 0, nullable, tls_dh_params_file),
    string!("tls-ca-cert-file", None, 0, nullable, tls_ca_cert_file),
    string!("tls-ca-cert-dir", None, 0, nullable, tls_ca_cert_dir),
    string!("tls-protocols", None, 0, nullable, tls_protocols),
    string!("tls-ciphers", None, 0, nullable, tls_ciphers),
    string!("tls-ciphersuites", None, 0, nullable, tls_ciphersuites),
    // Directives with their own syntax.
    special!("dir", None, PROTECTED | DENY_LOADING, special::dir_set, special::dir_get, special::dir_rewrite),
    special!("save", None, MULTI_ARG, special::save_set, special::save_get, special::save_rewrite),
    special!("client-output-buffer-limit", None, MULTI_ARG, special::obuf_set, special::obuf_get, special::obuf_rewrite),
    special!("oom-score-adj-values", None, MULTI_ARG, special::oom_values_set, special::oom_values_get, special::oom_values_rewrite),
    special!("notify-keyspace-events", None, 0, special::notify_set, special::notify_get, special::notify_rewrite),
    special!("bind", None, MULTI_ARG, special::bind_set, special::bind_get, special::bind_rewrite),
    special!("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, special::replicaof_set, special::replicaof_get, special::replicaof_rewrite),
    special!("latency-tracking-info-percentiles", None, MULTI_ARG, special::percentiles_set, special::percentiles_get, special::percentiles_rewrite),
];

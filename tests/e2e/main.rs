//! End-to-end tests: real `redoubt server` processes over real sockets, compared with real
//! `redis-server` 7.0 where Redis's behaviour is the specification.
//!
//! Modules, one per area:
//! - [`kit`]: start servers on free ports, raw RESP connections, the differential harness.
//! - [`smoke`]: the server starts, answers, shuts down.
//! - [`config`]: CONFIG GET/SET/REWRITE/RESETSTAT, redis.conf and command-line loading.
//! - [`protocol`]: framing, pipelining, inline, malformed input, limits, RESP3, pub/sub, MULTI.
//! - [`clients`]: real clients: the `redis` crate, redis-cli, redis-benchmark.
//! - [`random`]: proptest-generated command sequences, replies compared with redis-server.
//! - [`idle`]: ten thousand idle connections held and served; memory per connection.
//! - [`strings`]: the string and bitmap families against redis-server.
//! - [`server`]: server commands: COMMAND, INFO, CLIENT, SLOWLOG, MEMORY, LATENCY, DEBUG,
//!   MONITOR, SHUTDOWN, FLUSH*/SWAPDB.
//! - [`hll`]: HyperLogLog commands and their exact string format, against redis-server.
//! - [`lists`], [`hashes`]: list and hash commands against redis-server; [`lists_random`]:
//!   random list and hash command sequences against redis-server.
//! - [`blocking`]: blocking list commands over concurrent connections, both servers.
//! - [`mixed_random`]: random sequences mixing every data type over one key space (WRONGTYPE,
//!   encoding conversions, DUMP/RESTORE across servers, MULTI/EXEC), and blocked clients
//!   served under mixed-type writes, against redis-server.
//! - [`repl_tap`]: reads a server's replication stream to compare propagated commands.
//! - [`keys`]: generic key commands (EXPIRE family, SCAN, RENAME/MOVE/COPY, OBJECT, DUMP/RESTORE).
//! - [`replication`]: primary/replica, interop with redis-server both ways, PSYNC decisions.
//! - [`wait`]: WAIT against redis-server, GETACK across implementations.
//! - [`failover`]: FAILOVER between Redoubt and redis-server primaries and replicas.
//! - [`nolostwrite`]: `min-replicas-ack-writes`: confirmed writes survive primary kills.
//! - [`sentinel`]: `redoubt sentinel` groups failing over Redoubt and redis-server nodes,
//!   beside redis-sentinel, found by the `redis` crate's sentinel client.
//! - [`aof`]: the append-only file: files exchanged with redis-server both ways, broken
//!   files, rewrites under load, kill -9 crash tests, check-aof beside redis-check-aof.
//! - [`persistence`]: RDB SAVE/BGSAVE/SHUTDOWN, start-up load, files exchanged with Redis.
//! - [`geo`]: GEO commands and random geo searches against redis-server.
//! - [`netns`]: hosts in network namespaces joined by a bridge, for partitions.
//! - [`up`]: `redoubt up` starts a linked group and stops it on Ctrl-C.
//! - [`maxmemory`]: eviction policies, the OOM refusal, OBJECT FREQ/IDLETIME, evictions
//!   propagated and notified.
//! - [`check_rdb`]: `redoubt check-rdb` against redis-check-rdb on good and damaged files.
//! - [`rdb_lru`]: LRU idle times and LFU counters in RDB files, exchanged with redis-server.
//! - [`debug_reload`]: DEBUG RELOAD and DEBUG POPULATE against redis-server, replicas across
//!   a reload.
//! - [`cpulist`]: `server_cpulist`, `bio_cpulist`, `bgsave_cpulist`, `aof_rewrite_cpulist`
//!   read back from /proc.
//! - [`new_events`]: the `new` keyspace event of every key-creating command, on primaries and
//!   replicas, against redis-server; SAVE's failure reply.

mod aof;
mod blocking;
mod check_rdb;
mod clients;
mod config;
mod cpulist;
mod debug_reload;
mod failover;
mod faultproxy;
mod geo;
mod hashes;
mod hll;
mod hugepages;
mod idle;
mod keys;
#[allow(dead_code)] // shared helpers; not every test binary configuration uses each one
mod kit;
mod lists;
mod lists_random;
mod maxmemory;
mod mixed_random;
mod netns;
mod new_events;
mod nolostwrite;
mod obuf;
mod persistence;
mod protocol;
mod random;
mod rdb_lru;
mod repl_tap;
mod replication;
mod sentinel;
mod server;
mod set_random;
mod sets;
mod smoke;
mod sort;
mod strings;
mod up;
mod wait;
mod zsets;

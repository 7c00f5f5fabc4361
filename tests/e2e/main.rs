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
//! - [`keys`]: generic key commands (EXPIRE family, SCAN, RENAME/MOVE/COPY, OBJECT, DUMP/RESTORE).
//! - [`replication`]: primary/replica, interop with redis-server both ways, PSYNC decisions.
//! - [`persistence`]: RDB SAVE/BGSAVE/SHUTDOWN, start-up load, files exchanged with Redis.

mod clients;
mod config;
mod faultproxy;
mod idle;
mod keys;
#[allow(dead_code)] // shared helpers; not every test binary configuration uses each one
mod kit;
mod persistence;
mod protocol;
mod random;
mod replication;
mod server;
mod smoke;
mod strings;

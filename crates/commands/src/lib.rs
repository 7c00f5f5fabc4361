//! Commands: the table, the central gate, the executor and the handlers.
//!
//! Module map:
//! - [`table`]: command specs as data; [`FAMILIES`] lists every family's table.
//! - [`exec`]: lookup → gate (Redis's check order) → MULTI queueing → call → effects.
//! - [`ctx`]: what a handler receives; argument parsing with Redis's errors.
//! - [`errors`]: every error reply string.
//! - [`state`], [`client`], [`config`]: server-wide and per-connection state.
//! - [`propagate`]: the effective write stream for AOF and replication.
//! - families, one file each: [`connection`], [`strings`], [`bitmap`], [`hll`], [`keys`],
//!   [`server`], [`client_cmds`], [`pubsub`], [`multi`], [`config_cmd`], [`set`], [`zset`],
//!   [`geo`], [`list`], [`hash`].
//! - [`aof`]: the append-only file: the write sink, loading, rewriting, the check tool.
//! - [`blocking`]: clients blocked on keys (BLPOP, BZPOPMIN…) and their service.
//! - [`evict`]: used memory, maxmemory eviction and the OOM refusal.
//! - `qsort`: Redis's partial quicksort and glibc's merge sort, whose placing of ties SORT
//!   and the GEO searches show.

pub mod aof;
pub mod bitmap;
pub mod blocking;
pub mod client;
pub mod client_cmds;
pub mod config;
pub mod config_cmd;
pub mod config_table;
pub mod connection;
pub mod cpulist;
pub mod ctx;
pub mod errors;
pub mod evict;
pub mod exec;
pub mod geo;
pub mod glob;
pub mod hash;
pub mod hll;
pub mod info;
pub mod keys;
pub mod list;
pub mod multi;
pub mod persistence;
pub mod propagate;
pub mod pubsub;
pub(crate) mod qsort;
pub mod repl;
pub mod server;
pub mod set;
pub mod sort;
pub mod state;
pub mod strings;
pub mod table;
#[cfg(test)]
pub(crate) mod testkit;
pub mod zset;

pub use client::{Client, ClientShared};
pub use config::Config;
pub use ctx::Ctx;
pub use errors::{CmdError, CmdResult};
pub use exec::execute;
pub use state::{Core, ServerState};

/// Every family's command table, in the order COMMAND lists them.
pub const FAMILIES: &[&[table::Spec]] = &[
    connection::TABLE,
    strings::TABLE,
    bitmap::TABLE,
    hll::TABLE,
    keys::TABLE,
    list::TABLE,
    hash::TABLE,
    set::TABLE,
    zset::TABLE,
    geo::TABLE,
    sort::TABLE,
    server::TABLE,
    client_cmds::TABLE,
    config_cmd::TABLE,
    pubsub::TABLE,
    multi::TABLE,
    repl::TABLE,
    persistence::TABLE,
    aof::TABLE,
];

/// The handler of a container command (CONFIG, CLIENT…): never called, the gate always
/// resolves a subcommand first.
pub fn help_only(_: &mut Ctx) -> CmdResult {
    Err(CmdError::Syntax)
}

/// Replies with a HELP text the way Redis's `addReplyHelp` formats it.
pub fn reply_help(ctx: &mut Ctx, cmd: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

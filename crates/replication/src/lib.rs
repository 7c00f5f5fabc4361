//! Replication: the primary side (backlog ring, replication ids, the PSYNC decision) and the
//! replica side (handshake state). This crate is pure bookkeeping; the server crate wires it
//! to sockets and to the executor's propagation point.
//!
//! Module map:
//! - [`backlog`]: the ring of recent stream bytes with its offsets, for partial resyncs.
//! - [`ids`]: replication ids (replid, replid2 + second_repl_offset) and the PSYNC decision.
//! - [`acks`]: counting replica acknowledgements (WAIT, confirmed writes, FAILOVER).
//! - [`eof`]: the `$EOF:<mark>` payload form of diskless full syncs.

pub mod acks;
pub mod backlog;
pub mod eof;
pub mod ids;

pub use backlog::Backlog;
pub use ids::{new_replid, PsyncDecision, ReplIds};

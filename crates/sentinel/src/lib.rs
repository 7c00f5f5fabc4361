//! Redoubt's Redis-Sentinel-compatible monitor.
//!
//! The crate is split in two halves, like the Sentinel itself ("monitoring half" and "acting
//! half" of `sentinel.c`), but along the I/O boundary instead:
//!
//! - [`core`]: a pure, synchronous state machine. It never touches a socket, a clock or a
//!   file: the driver feeds it [`core::Event`]s (replies, hello messages, vote requests,
//!   operator commands) and clock ticks, and executes the [`core::Action`]s it returns (PING,
//!   INFO, PUBLISH hello, ask for votes, REPLICAOF, persist `sentinel.conf`, publish events).
//!   Every rule — SDOWN, ODOWN, quorum, leader election by epoch, replica selection, the
//!   failover state machine, TILT — is testable by feeding events and asserting actions.
//! - [`driver`]: the tokio side — links to servers and sentinels, the Sentinel's own port and
//!   command surface, the timer, `sentinel.conf` I/O, scripts. `redoubt sentinel` runs it.
//!
//! Tests: unit tests beside the core (`core/tests/`), vote-math tables in `testdata/`, and a
//! simulated network of several cores and fake servers (`sim`, test-only) for partitions,
//! pauses and randomised runs.

pub mod core;
pub mod driver;

#[cfg(test)]
mod sim;

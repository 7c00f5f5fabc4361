//! End-to-end tests: real `redoubt server` processes over real sockets, compared with real
//! `redis-server` 7.0 where Redis's behaviour is the specification.
//!
//! Modules, one per area:
//! - [`kit`]: start servers on free ports, raw RESP connections, the differential harness.
//! - [`smoke`]: the server starts, answers, shuts down.

#[allow(dead_code)] // shared helpers; not every test binary configuration uses each one
mod kit;
mod smoke;

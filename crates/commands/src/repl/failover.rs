//! FAILOVER: a coordinated hand-over from this primary to one of its replicas, as Redis 6.2+
//! does it.
//!
//! 1. FAILOVER pauses writes (normal clients' writes wait, as under CLIENT PAUSE WRITE) and
//!    enters `waiting-for-sync`.
//! 2. [`step`] (run by the replication task after every ACK and every 100 ms) waits until
//!    the target (or, without TO, any replica) acknowledged our whole offset, then becomes
//!    that replica's replica (`failover-in-progress`); with TIMEOUT it gives up when time
//!    runs out, or with FORCE fails over anyway.
//! 3. The replica link task connects to the target and sends `PSYNC <our replid>
//!    <our offset + 1> FAILOVER`; the target, seeing its own replid, promotes itself
//!    ([`accept_psync_failover`]) and answers `+CONTINUE <new replid>`.
//! 4. [`on_psync_reply`]: on `+CONTINUE`/`+FULLRESYNC` the failover is done and writes resume
//!    (they now get READONLY); any other answer aborts it and we are a primary again, with a
//!    new replication id as after any promotion.
//!
//! No GETACK goes out while writes are paused (the offset must stand still): the target's
//! 1-second ACK tells when it caught up, as in Redis.

use crate::ctx::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::state::{Core, ServerState};

/// `master_failover_state` in INFO replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailoverState {
    #[default]
    None,
    WaitForSync,
    InProgress,
}

impl FailoverState {
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Failover {
    pub state: FailoverState,
    /// TO host port, or the replica chosen once it caught up.
    pub target: Option<(String, u16)>,
    /// Unix ms when TIMEOUT runs out; 0 without one.
    pub end_ms: i64,
    pub force: bool,
}

/// Writes are paused from FAILOVER until it ends or aborts.
pub fn writes_paused_by_failover(srv: &ServerState) -> bool {
    srv.repl.failover.state != FailoverState::None
}

/// The replica link asks: does our PSYNC carry FAILOVER?
pub fn psync_says_failover(srv: &ServerState) -> bool {
    srv.repl.failover.state == FailoverState::InProgress
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]
pub fn failover(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 2 && ctx.is(1, "abort") {
        if ctx.srv.repl.failover.state == FailoverState::None {
            return Err(CmdError::err("No failover in progress."));
        }
        abort(ctx.ks, ctx.srv, "Failover manually aborted");
        ctx.out.ok();
        return Ok(());
    }
    let mut timeout = 0i64;
    let mut force = false;
    let mut to: Option<(String, i64)> = None;
    let mut j = 1;
    while j < ctx.argc() {
        if ctx.is(j, "timeout") && j + 1 < ctx.argc() && timeout == 0 {
            timeout = ctx.i64_arg(j + 1)?;
            if timeout <= 0 {
                return Err(CmdError::err("FAILOVER timeout must be greater than 0"));
            }
            j += 1;
        } else if ctx.is(j, "to") && j + 2 < ctx.argc() && to.is_none() {
            let port = ctx.i64_arg(j + 2)?;
            to = Some((String::from_utf8_lossy(ctx.arg(j + 1)).into_owned(), port));
            j += 2;
        } else if ctx.is(j, "force") && !force {
            force = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let r = &ctx.srv.repl;
    if r.failover.state != FailoverState::None {
        return Err(CmdError::err("FAILOVER already in progress."));
    }
    if r.primary.is_some() {
        return Err(CmdError::err(
            "FAILOVER is not valid when server is a replica.",
        ));
    }
    if r.replicas.is_empty() {
        return Err(CmdError::err("FAILOVER requires connected replicas."));
    }
    if force && (timeout == 0 || to.is_none()) {
        return Err(CmdError::err(
            "FAILOVER with force option requires both a timeout and target HOST and IP.",
        ));
    }
    let target = match to {
        Some((host, port)) => {
            let rep = r
                .replicas
                .iter()
                .find(|rep| rep.ip.eq_ignore_ascii_case(&host) && rep.listening_port as i64 == port)
                .ok_or(CmdError::err(
                    "FAILOVER target HOST and PORT is not a replica.",
                ))?;
            if !rep.online() {
                return Err(CmdError::err("FAILOVER target replica is not online."));
            }
            ctx.srv
                .repl
                .log
                .push(format!("FAILOVER requested to {host}:{port}."));
            Some((host, port as u16))
        }
        None => {
            ctx.srv
                .repl
                .log
                .push("FAILOVER requested to any replica.".into());
            None
        }
    };
    ctx.srv.repl.failover = Failover {
        state: FailoverState::WaitForSync,
        target,
        end_ms: if timeout > 0 {
            ctx.now.saturating_add(timeout)
        } else {
            0
        },
        force,
    };
    ctx.srv.repl.events.notify_one();
    ctx.out.ok();
    Ok(())
}

/// Redis's `updateFailoverStatus`: times out, or hands over once the target caught up.
pub fn step(core: &mut Core, now: i64) {
    let srv = &mut core.srv;
    let f = &srv.repl.failover;
    if f.state != FailoverState::WaitForSync {
        return;
    }
    if f.end_ms != 0 && f.end_ms <= now {
        if f.force {
            let (host, port) = f.target.clone().unwrap_or_default();
            srv.repl.log.push(format!(
                "FAILOVER to {host}:{port} time out exceeded, failing over."
            ));
            hand_over(core, host, port, now);
        } else {
            abort(&mut core.ks, srv, "Replica never caught up before timeout");
        }
        return;
    }
    let offset = srv.repl.offset;
    let caught_up = match &f.target {
        Some((host, port)) => srv.repl.replicas.iter().any(|r| {
            r.ip.eq_ignore_ascii_case(host) && r.listening_port == *port && r.ack_offset == offset
        }),
        None => match srv.repl.replicas.iter().find(|r| r.ack_offset == offset) {
            Some(r) => {
                srv.repl.failover.target = Some((r.ip.clone(), r.listening_port));
                true
            }
            None => false,
        },
    };
    if caught_up {
        let (host, port) = srv.repl.failover.target.clone().unwrap_or_default();
        srv.repl.log.push(format!(
            "Failover target {host}:{port} is synced, failing over."
        ));
        hand_over(core, host, port, now);
    }
}

/// Becomes the target's replica; the link task's PSYNC carries FAILOVER.
fn hand_over(core: &mut Core, host: String, port: u16, now: i64) {
    core.srv.repl.failover.state = FailoverState::InProgress;
    super::become_replica(&mut core.srv, host, port, now);
    core.ks.is_replica = true;
}

/// Redis's `abortFailover`: a failover already handed over makes us a primary again.
pub fn abort(ks: &mut keyspace::Keyspace, srv: &mut ServerState, why: &str) {
    let f = &srv.repl.failover;
    if f.state == FailoverState::None {
        return;
    }
    let line = match &f.target {
        Some((h, p)) => format!("FAILOVER to {h}:{p} aborted: {why}"),
        None => format!("FAILOVER to any replica aborted: {why}"),
    };
    srv.repl.log.push(line);
    if f.state == FailoverState::InProgress {
        super::unset_primary(srv);
        ks.is_replica = false;
    }
    srv.repl.failover = Failover::default();
}

/// The link's PSYNC during a failover was answered (`accepted`: `+CONTINUE` or
/// `+FULLRESYNC`), or could not be sent (`accepted` false, with why).
pub fn on_psync_reply(core: &mut Core, accepted: bool, why: &str) {
    if core.srv.repl.failover.state != FailoverState::InProgress {
        return;
    }
    if accepted {
        core.srv.repl.failover = Failover::default();
    } else {
        abort(&mut core.ks, &mut core.srv, why);
    }
}

/// The target's side: `PSYNC <replid> <offset> FAILOVER` from our primary. With our own
/// replid we promote ourselves (the PSYNC then continues as on any primary).
pub fn accept_psync_failover(ctx: &mut Ctx) -> CmdResult {
    let replid = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    ctx.srv
        .repl
        .log
        .push(format!("Failover request received for replid {replid}."));
    if ctx.srv.repl.primary.is_none() {
        return Err(CmdError::err("PSYNC FAILOVER can't be sent to a master."));
    }
    if !replid.eq_ignore_ascii_case(&ctx.srv.repl.ids.replid) {
        return Err(CmdError::err("PSYNC FAILOVER replid must match my replid."));
    }
    super::unset_primary(ctx.srv);
    ctx.ks.is_replica = false;
    let addr = ctx.client.shared.addr.clone();
    ctx.srv.repl.log.push(format!(
        "MASTER MODE enabled (failover request from 'addr={addr}')"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::{ReplicaLink, SyncState};

    fn primary_with_replica(ack: i64) -> Core {
        let mut core = Core::new(crate::Config::default(), 0);
        core.srv.repl.offset = 100;
        core.srv.repl.replicas.push(ReplicaLink {
            client_id: 1,
            ip: "127.0.0.1".into(),
            listening_port: 7000,
            ack_offset: ack,
            ack_ms: 0,
            state: SyncState::Online,
            queued: Default::default(),
            psync: true,
            capa_eof: true,
            since_ms: 0,
        });
        core
    }

    fn start(core: &mut Core, target: bool, end_ms: i64, force: bool) {
        core.srv.repl.failover = Failover {
            state: FailoverState::WaitForSync,
            target: target.then(|| ("127.0.0.1".into(), 7000)),
            end_ms,
            force,
        };
    }

    #[test]
    fn hands_over_once_the_target_caught_up() {
        let mut core = primary_with_replica(90);
        start(&mut core, true, 0, false);
        step(&mut core, 10);
        assert_eq!(core.srv.repl.failover.state, FailoverState::WaitForSync);
        assert!(writes_paused_by_failover(&core.srv));
        core.srv.repl.replicas[0].ack_offset = 100;
        step(&mut core, 20);
        assert_eq!(core.srv.repl.failover.state, FailoverState::InProgress);
        assert!(psync_says_failover(&core.srv));
        let p = core.srv.repl.primary.as_ref().expect("now a replica");
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 7000));
        assert!(core.ks.is_replica);
        on_psync_reply(&mut core, true, "");
        assert_eq!(core.srv.repl.failover.state, FailoverState::None);
        assert!(core.srv.repl.primary.is_some());
    }

    #[test]
    fn any_replica_that_caught_up_becomes_the_target() {
        let mut core = primary_with_replica(100);
        start(&mut core, false, 0, false);
        step(&mut core, 10);
        assert_eq!(core.srv.repl.failover.state, FailoverState::InProgress);
        assert_eq!(
            core.srv.repl.failover.target,
            Some(("127.0.0.1".to_string(), 7000))
        );
    }

    #[test]
    fn timeout_aborts_or_forces() {
        let mut core = primary_with_replica(50);
        start(&mut core, true, 100, false);
        step(&mut core, 100);
        assert_eq!(core.srv.repl.failover.state, FailoverState::None);
        assert!(core.srv.repl.primary.is_none());
        start(&mut core, true, 100, true);
        step(&mut core, 100);
        assert_eq!(core.srv.repl.failover.state, FailoverState::InProgress);
        // The target refuses: a primary again, on a new history.
        let id = core.srv.repl.ids.replid.clone();
        on_psync_reply(&mut core, false, "Failover target rejected psync request");
        assert_eq!(core.srv.repl.failover.state, FailoverState::None);
        assert!(core.srv.repl.primary.is_none());
        assert!(!core.ks.is_replica);
        assert_eq!(core.srv.repl.ids.replid2, id);
    }
}

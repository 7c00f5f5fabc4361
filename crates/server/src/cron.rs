//! The server cron, `hz` times a second: the LRU clock, active expiry within a time budget,
//! incremental rehashing, idle-client timeouts, the instantaneous ops/sec samples, and
//! shutdown requests (SHUTDOWN, SIGTERM, SIGINT).

use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;

use crate::{log, now_ms, Shared};

/// A connection idle this long gives its read and write buffers back (Redis frees idle
/// clients' query buffers from its cron the same way).
const IDLE_SHRINK_MS: i64 = 2000;

/// Active expiry may use this share of each cron period (Redis's 25%).
const EXPIRE_CPU_PERCENT: u32 = 25;

/// Runs until a shutdown is requested; returns the process exit code.
pub async fn run(shared: Shared, stop: Rc<Notify>) -> i32 {
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    loop {
        let hz = shared.borrow().srv.config.hz.clamp(1, 500);
        let period = Duration::from_micros(1_000_000 / hz as u64);
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {
                log(&shared, "Received SIGTERM scheduling shutdown...");
                request_shutdown(&shared);
            }
            _ = async { match int.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {
                log(&shared, "Received SIGINT scheduling shutdown...");
                request_shutdown(&shared);
            }
        }
        tick(&shared, period);
        if shared.borrow().srv.shutdown.is_some() && !save_on_exit(&shared) {
            continue;
        }
        if shared.borrow().srv.shutdown.is_some() {
            log(&shared, "Redoubt is now ready to exit, bye bye...");
            stop.notify_waiters();
            for c in shared.borrow().srv.clients.values() {
                c.kill();
            }
            return 0;
        }
    }
}

/// The save a signal-initiated shutdown owes (SHUTDOWN saved already). False when saving
/// failed: like Redis, the server then keeps running.
fn save_on_exit(shared: &Shared) -> bool {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    let Some(req) = core.srv.shutdown else {
        return true;
    };
    if req.save == Some(false) {
        return true;
    }
    match commands::persistence::save_before_shutdown(
        &mut core.ks,
        &mut core.srv,
        req.save,
        now_ms(),
    ) {
        Ok(()) => true,
        Err(e) => {
            drop(guard);
            log(
                shared,
                &format!("Error trying to save the DB, can't exit: {e}"),
            );
            shared.borrow_mut().srv.shutdown = None;
            false
        }
    }
}

fn request_shutdown(shared: &Shared) {
    let mut core = shared.borrow_mut();
    if core.srv.shutdown.is_none() {
        core.srv.shutdown = Some(commands::state::ShutdownRequest {
            save: None,
            now: false,
            force: false,
        });
    }
}

/// One cron pass.
pub fn tick(shared: &Shared, period: Duration) {
    let mut guard = shared.borrow_mut();
    let core = &mut *guard;
    let now = now_ms();
    core.ks.lru_clock = (now / 1000) as u32;
    if core.srv.config.active_expire_enabled {
        let budget = period * EXPIRE_CPU_PERCENT / 100;
        let start = Instant::now();
        while start.elapsed() < budget {
            if core.ks.active_expire_cycle(now, 16) == 0 {
                break;
            }
        }
        commands::exec::after_keyspace_events(&mut core.ks, &mut core.srv, None);
    }
    core.ks.set_child_active(core.srv.has_active_child());
    core.ks
        .rehash_and_resize(core.srv.config.activerehashing, Duration::from_millis(1));
    enforce_output_limits(core, now);
    for c in core.srv.clients.values() {
        if c.holds_buffers.get() && now - c.last_interaction_ms.get() > IDLE_SHRINK_MS {
            c.shrink.set(true);
            c.notify.notify_one();
        }
    }
    let timeout = core.srv.config.timeout;
    if timeout > 0 {
        for c in core.srv.clients.values() {
            let idle = now - c.last_interaction_ms.get();
            let exempt = c.sub_count.get() + c.psub_count.get() > 0 || c.paused_or_blocked.get();
            if !exempt && idle > timeout as i64 * 1000 {
                c.kill();
            }
        }
    }
    commands::repl::cron(&mut core.srv, now);
    if let Some(line) = commands::persistence::cron(&mut core.ks, &mut core.srv, now) {
        drop(guard);
        log(shared, &line);
        guard = shared.borrow_mut();
    }
    let core = &mut *guard;
    commands::aof::cron(&core.ks, &mut core.srv, now);
    sample_ops(core, now);
    if let Some(p) = core.srv.pause {
        if now >= p.until_ms {
            core.srv.pause = None;
        }
    }
}

/// Applies `client-output-buffer-limit`: keeps each client's hard limit current (pushes check
/// it as they arrive) and closes clients that stayed over the soft limit too long.
fn enforce_output_limits(core: &mut commands::Core, now: i64) {
    let limits = core.srv.config.client_output_buffer_limit;
    for c in core.srv.clients.values() {
        let l = limits[c.obuf_class()];
        c.obuf_hard.set(l.hard);
        let queued = c.pending.borrow().len() as u64;
        c.omem.set(queued as usize);
        if l.soft == 0 || queued <= l.soft {
            c.obuf_soft_since.set(None);
            continue;
        }
        let since = *c.obuf_soft_since.get().get_or_insert(now);
        c.obuf_soft_since.set(Some(since));
        if now - since > l.soft_seconds * 1000 {
            c.kill();
        }
    }
}

fn sample_ops(core: &mut commands::Core, now: i64) {
    let st = &mut core.srv.stats;
    let dt = now - st.last_sample_ms;
    if dt < 100 {
        return;
    }
    let ops = (st.total_commands - st.last_sample_cmds) * 1000 / dt.max(1) as u64;
    st.ops_samples.push(ops);
    if st.ops_samples.len() > 16 {
        st.ops_samples.remove(0);
    }
    st.last_sample_ms = now;
    st.last_sample_cmds = st.total_commands;
}

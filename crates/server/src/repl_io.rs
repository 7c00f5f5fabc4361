//! The primary side's asynchronous replication duties, the part of Redis's `beforeSleep`
//! and `replicationCron` that needs no client: after every loop turn in which something
//! asked for it (and every 100 ms), [`commands::repl::on_loop`] sends the batched GETACK,
//! advances a FAILOVER and starts a snapshot for full resyncs; and a relay task per snapshot
//! moves the forked child's RDB from its pipe to the replicas.
//!
//! Being a task woken by a `Notify`, the turn runs after the connection tasks that woke it
//! in this scheduler tick: all the clients that started waiting meanwhile share one GETACK.

use std::os::fd::OwnedFd;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::{log, now_ms, Shared};

/// Runs for the server's lifetime.
pub async fn run(shared: Shared) {
    let events = shared.borrow().srv.repl.events.clone();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = events.notified() => {}
            _ = tick.tick() => {}
        }
        let (lines, pipe) = {
            let mut guard = shared.borrow_mut();
            let core = &mut *guard;
            let lines = commands::repl::on_loop(core, now_ms());
            (lines, commands::repl::sync::take_pipe(&mut core.srv))
        };
        for l in lines {
            log(&shared, &l);
        }
        if let Some((pid, fd)) = pipe {
            tokio::task::spawn_local(relay(shared.clone(), pid, fd));
        }
    }
}

/// Moves one snapshot from the child's pipe to its replicas, then collects the child.
async fn relay(shared: Shared, pid: i32, fd: OwnedFd) {
    let ok = match pump(&shared, fd).await {
        Ok(true) => true,
        Ok(false) => {
            // No replica left to send to: stop the child.
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            false
        }
        Err(e) => {
            log(
                &shared,
                &format!("Diskless rdb transfer, read error sending DB to replicas: {e}"),
            );
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            false
        }
    };
    let exited_ok = loop {
        if let Some(st) = commands::repl::sync::reap(pid) {
            break st;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    if ok && exited_ok {
        // A `$<len>` transfer sends the payload now that its length is known.
        loop {
            while commands::repl::sync::relay_backed_up(&shared.borrow().srv) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if !commands::repl::sync::relay_payload_next(&mut shared.borrow_mut().srv) {
                break;
            }
        }
        while commands::repl::sync::relay_draining(&shared.borrow().srv) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let lines = {
        let mut c = shared.borrow_mut();
        commands::repl::sync::relay_done(&mut c.srv, ok && exited_ok, now_ms());
        std::mem::take(&mut c.srv.repl.log)
    };
    for l in lines {
        log(&shared, &l);
    }
}

/// Reads the pipe to its end. `Ok(false)` when every target went away.
async fn pump(shared: &Shared, fd: OwnedFd) -> std::io::Result<bool> {
    let mut rx = tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // A replica that reads slowly holds the child back instead of filling our memory.
        while commands::repl::sync::relay_backed_up(&shared.borrow().srv) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let n = rx.read(&mut buf).await?;
        if n == 0 {
            return Ok(true);
        }
        let mut c = shared.borrow_mut();
        if !commands::repl::sync::relay_chunk(&mut c.srv, &buf[..n]) {
            return Ok(false);
        }
    }
}

//! Notification and client-reconfig scripts, run the way Redis runs them: a queue of at most
//! 256 jobs, at most 16 running at once, a script killed after `script-max-runtime`, and a
//! failed run (exit code 1, or killed by a signal) retried up to 10 times after
//! `script-retry-delay`, doubling each time. Exit codes above 1 are final.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use resp::ReplyWriter;

use super::{Driver, LogLevel};

const MAX_QUEUE: usize = 256;
const MAX_RUNNING: usize = 16;
const MAX_RETRY: u32 = 10;

#[derive(Clone)]
struct Job {
    id: u64,
    path: String,
    args: Vec<String>,
    retry: u32,
    /// Running since, or (queued) not before.
    at: Instant,
    pid: Option<u32>,
}

#[derive(Default)]
pub(crate) struct Queue {
    jobs: VecDeque<Job>,
    next_id: u64,
}

impl Queue {
    pub fn running(&self) -> usize {
        self.jobs.iter().filter(|j| j.pid.is_some()).count()
    }

    pub fn queued(&self) -> usize {
        self.jobs.len()
    }
}

pub(crate) fn enqueue(drv: &Rc<Driver>, path: String, args: Vec<String>) {
    {
        let mut q = drv.scripts.borrow_mut();
        if q.jobs.len() >= MAX_QUEUE {
            // Drop the oldest job not running, as Redis does.
            if let Some(i) = q.jobs.iter().position(|j| j.pid.is_none()) {
                q.jobs.remove(i);
            }
        }
        q.next_id += 1;
        let id = q.next_id;
        q.jobs.push_back(Job {
            id,
            path,
            args,
            retry: 0,
            at: Instant::now(),
            pid: None,
        });
    }
    pump(drv);
}

/// Starts the jobs that are due, up to the running limit.
fn pump(drv: &Rc<Driver>) {
    loop {
        let job = {
            let mut q = drv.scripts.borrow_mut();
            if q.running() >= MAX_RUNNING {
                return;
            }
            let now = Instant::now();
            let Some(j) = q.jobs.iter_mut().find(|j| j.pid.is_none() && j.at <= now) else {
                return;
            };
            let mut cmd = tokio::process::Command::new(&j.path);
            cmd.args(&j.args).kill_on_drop(true);
            match cmd.spawn() {
                Ok(child) => {
                    j.pid = Some(child.id().unwrap_or(0));
                    j.at = now;
                    (j.clone(), Some(child))
                }
                Err(_) => (j.clone(), None),
            }
        };
        match job {
            (j, Some(child)) => {
                drv.log(
                    LogLevel::Verbose,
                    &format!("+script-child {}", j.pid.unwrap_or(0)),
                );
                tokio::task::spawn_local(wait(drv.clone(), j, child));
            }
            (j, None) => {
                drv.log(LogLevel::Warning, &format!("-script-error {} 99 0", j.path));
                finish(drv, j.id, None);
            }
        }
    }
}

async fn wait(drv: Rc<Driver>, job: Job, mut child: tokio::process::Child) {
    let max = Duration::from_millis(drv.settings.borrow().script_max_runtime);
    let status = match tokio::time::timeout(max, child.wait()).await {
        Ok(r) => r.ok(),
        Err(_) => {
            drv.log(
                LogLevel::Warning,
                &format!("-script-timeout {} {}", job.path, job.pid.unwrap_or(0)),
            );
            let _ = child.kill().await;
            None
        }
    };
    let code = status.and_then(|s| s.code());
    drv.log(
        LogLevel::Verbose,
        &format!(
            "-script-child {} {}",
            job.pid.unwrap_or(0),
            code.map_or(-1, i64::from)
        ),
    );
    // Killed (no exit code) or exit 1: retry; anything else is final.
    let retry = code.is_none_or(|c| c == 1) && job.retry < MAX_RETRY;
    finish(&drv, job.id, retry.then_some(job.retry + 1));
    if retry {
        let delay = drv.settings.borrow().script_retry_delay << job.retry.min(10);
        let d = drv.clone();
        tokio::task::spawn_local(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            pump(&d);
        });
    }
    pump(&drv);
}

/// Drops job `id`, or puts it back in the queue for retry number `retry`.
fn finish(drv: &Rc<Driver>, id: u64, retry: Option<u32>) {
    let delay = drv.settings.borrow().script_retry_delay;
    let mut q = drv.scripts.borrow_mut();
    let Some(i) = q.jobs.iter().position(|j| j.id == id) else {
        return;
    };
    match retry {
        Some(n) => {
            let j = &mut q.jobs[i];
            j.retry = n;
            j.pid = None;
            j.at = Instant::now() + Duration::from_millis(delay << (n - 1).min(10));
        }
        None => {
            q.jobs.remove(i);
        }
    }
}

/// SENTINEL PENDING-SCRIPTS: one map per job (argv, flags, pid, run-time or run-delay,
/// retry-num).
pub(crate) fn pending(drv: &Driver, w: &mut ReplyWriter) {
    let q = drv.scripts.borrow();
    let now = Instant::now();
    w.array(q.jobs.len());
    for j in &q.jobs {
        w.map(5);
        w.bulk(b"argv");
        w.array(j.args.len() + 1);
        w.bulk(j.path.as_bytes());
        for a in &j.args {
            w.bulk(a.as_bytes());
        }
        w.bulk(b"flags");
        w.bulk(if j.pid.is_some() {
            b"running"
        } else {
            b"scheduled"
        });
        w.bulk(b"pid");
        w.bulk_int(i64::from(j.pid.unwrap_or(0)));
        if j.pid.is_some() {
            w.bulk(b"run-time");
            w.bulk_int(now.saturating_duration_since(j.at).as_millis() as i64);
        } else {
            w.bulk(b"run-delay");
            w.bulk_int(j.at.saturating_duration_since(now).as_millis() as i64);
        }
        w.bulk(b"retry-num");
        w.bulk_int(i64::from(j.retry));
    }
}

//! The task that finishes a maxmemory eviction which ran out of its time budget
//! (`maxmemory-eviction-tenacity`): woken by the executor, it evicts one budget-sized slice
//! at a time and yields to client traffic in between, until memory is back under the limit
//! or nothing more can go (Redis's `evictionTimeProc`). The eviction itself is
//! `commands::evict`.

use crate::{now_ms, Shared};

pub async fn resume_task(shared: Shared) {
    let wake = shared.borrow().srv.evict.wake.clone();
    loop {
        wake.notified().await;
        loop {
            let more = {
                let mut guard = shared.borrow_mut();
                let core = &mut *guard;
                commands::evict::resume(&mut core.ks, &mut core.srv, now_ms())
            };
            if !more {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

//! The listening sockets as a set that CONFIG SET port/bind replaces at run time, as Redis's
//! `changeListenPort`/`changeBindAddr` do: the old sockets close, the new ones open, and if
//! the new ones cannot be bound the old ones are bound again and the command fails.
//!
//! Each accept task polls its listener through a shared slot, so the command thread can close
//! a listener at once (emptying the slot drops the socket) without waiting for the task.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::{listener, Shared};

type ListenerSlot = Rc<RefCell<Option<TcpListener>>>;

#[derive(Default)]
struct Listening {
    slots: Vec<(ListenerSlot, JoinHandle<()>)>,
    binds: Vec<String>,
    port: u16,
}

impl Listening {
    fn close_all(&mut self) {
        for (slot, task) in self.slots.drain(..) {
            slot.borrow_mut().take();
            task.abort();
        }
    }

    fn start(&mut self, shared: &Shared, listeners: Vec<TcpListener>, stop: &Rc<Notify>) {
        for l in listeners {
            let slot: ListenerSlot = Rc::new(RefCell::new(Some(l)));
            let task =
                tokio::task::spawn_local(accept_loop(shared.clone(), slot.clone(), stop.clone()));
            self.slots.push((slot, task));
        }
    }
}

/// Starts accepting on `listeners` and installs the CONFIG SET hook that replaces them.
pub fn install(shared: &Shared, listeners: Vec<TcpListener>, stop: Rc<Notify>) {
    let (binds, port) = {
        let c = shared.borrow();
        (c.srv.config.bind.clone(), c.srv.config.port)
    };
    let state = Rc::new(RefCell::new(Listening {
        slots: Vec::new(),
        binds,
        port,
    }));
    state.borrow_mut().start(shared, listeners, &stop);
    let weak = Rc::downgrade(shared);
    commands::config_cmd::set_listen_hook(Some(Box::new(move |binds, port| {
        let shared = weak.upgrade().ok_or("the server is stopping")?;
        let mut st = state.borrow_mut();
        st.close_all();
        match listener::bind_addrs(binds, port) {
            Ok(new) => {
                st.start(&shared, new, &stop);
                st.binds = binds.to_vec();
                st.port = port;
                Ok(())
            }
            Err(e) => {
                // Back to the old addresses, which were free a moment ago.
                if let Ok(old) = listener::bind_addrs(&st.binds, st.port) {
                    st.start(&shared, old, &stop);
                }
                Err(e.to_string())
            }
        }
    })));
}

async fn accept_loop(shared: Shared, slot: ListenerSlot, stop: Rc<Notify>) {
    loop {
        let next = poll_fn(|cx| match slot.borrow().as_ref() {
            Some(l) => l.poll_accept(cx).map(Some),
            None => Poll::Ready(None),
        });
        let accepted = tokio::select! {
            r = next => r,
            _ = stop.notified() => return,
        };
        match accepted {
            None => return,
            Some(Ok((stream, peer))) => listener::on_accept(&shared, stream, peer).await,
            Some(Err(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

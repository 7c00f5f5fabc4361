//! CLIENT as a sentinel answers it: ID, GETNAME, SETNAME, LIST, INFO and KILL (both the old
//! `CLIENT KILL addr:port` form and the filter form), over the connection registry of
//! [`super::serve`].

use std::cell::RefCell;
use std::rc::Rc;

use resp::{Proto, ReplyWriter};
use tokio::sync::mpsc::UnboundedSender;

use super::serve::{lower, ClientMsg, ClientState, Flow};
use super::Driver;

pub(crate) fn set_name(st: &RefCell<ClientState>, name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    st.borrow_mut().name = String::from_utf8_lossy(name).into_owned();
    Ok(())
}

pub(crate) fn client(
    drv: &Rc<Driver>,
    st: &Rc<RefCell<ClientState>>,
    args: &[Vec<u8>],
    w: &mut ReplyWriter,
) -> Flow {
    let sub = lower(&args[1]);
    match (sub.as_str(), args.len()) {
        ("id", 2) => w.int(st.borrow().id as i64),
        ("getname", 2) => {
            let s = st.borrow();
            if s.name.is_empty() {
                w.null();
            } else {
                w.bulk(s.name.as_bytes());
            }
        }
        ("setname", 3) => match set_name(st, &args[2]) {
            Ok(()) => w.ok(),
            Err(e) => w.error(e),
        },
        ("list", 2) => {
            let reg = drv.clients.borrow();
            let mut text = String::new();
            for c in reg.clients.values() {
                text.push_str(&client_line(&c.borrow()));
                text.push('\n');
            }
            w.verbatim("txt", text.as_bytes());
        }
        ("info", 2) => {
            let line = format!("{}\n", client_line(&st.borrow()));
            w.verbatim("txt", line.as_bytes());
        }
        ("kill", n) if n >= 3 => return kill(drv, st, args, w),
        ("id" | "getname" | "setname" | "list" | "info" | "kill", _) => {
            w.error(&format!(
                "ERR wrong number of arguments for 'client|{sub}' command"
            ));
        }
        _ => {
            let s = String::from_utf8_lossy(&args[1]);
            w.error(&format!("ERR unknown subcommand '{s}'. Try CLIENT HELP."));
        }
    }
    Flow::Continue
}

fn client_line(c: &ClientState) -> String {
    let age = c.created.elapsed().as_secs();
    let flags = if c.subscriptions() > 0 { "P" } else { "N" };
    format!(
        "id={} addr={} laddr={} fd=0 name={} age={age} idle=0 flags={flags} db=0 sub={} psub={} ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.name,
        c.channels.len(),
        c.patterns.len(),
        c.last_cmd,
        if c.proto == Proto::Resp3 { 3 } else { 2 }
    )
}

/// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a] [SKIPME yes|no]
fn kill(
    drv: &Rc<Driver>,
    st: &Rc<RefCell<ClientState>>,
    args: &[Vec<u8>],
    w: &mut ReplyWriter,
) -> Flow {
    let me = st.borrow().id;
    let old_form = args.len() == 3;
    let mut id = None;
    let mut kind = None;
    let mut addr = None;
    let mut laddr = None;
    let mut skipme = true;
    if old_form {
        addr = Some(String::from_utf8_lossy(&args[2]).into_owned());
        skipme = false;
    } else {
        if !args.len().is_multiple_of(2) {
            w.error("ERR syntax error");
            return Flow::Continue;
        }
        for pair in args[2..].chunks(2) {
            let v = String::from_utf8_lossy(&pair[1]).into_owned();
            match lower(&pair[0]).as_str() {
                "id" => match resp::parse_i64(&pair[1]) {
                    Some(n) if n > 0 => id = Some(n as u64),
                    _ => {
                        w.error("ERR client-id should be greater than 0");
                        return Flow::Continue;
                    }
                },
                "type" => match v.to_ascii_lowercase().as_str() {
                    t @ ("normal" | "pubsub" | "master" | "replica" | "slave") => {
                        kind = Some(t.to_string())
                    }
                    _ => {
                        w.error(&format!("ERR Unknown client type '{v}'"));
                        return Flow::Continue;
                    }
                },
                "addr" => addr = Some(v),
                "laddr" => laddr = Some(v),
                "skipme" => match v.to_ascii_lowercase().as_str() {
                    "yes" => skipme = true,
                    "no" => skipme = false,
                    _ => {
                        w.error("ERR syntax error");
                        return Flow::Continue;
                    }
                },
                _ => {
                    w.error("ERR syntax error");
                    return Flow::Continue;
                }
            }
        }
    }
    let victims: Vec<(u64, UnboundedSender<ClientMsg>)> = drv
        .clients
        .borrow()
        .clients
        .values()
        .filter_map(|c| {
            let c = c.borrow();
            let t = if c.subscriptions() > 0 {
                "pubsub"
            } else {
                "normal"
            };
            let ok = id.is_none_or(|i| i == c.id)
                && kind.as_deref().is_none_or(|k| k == t)
                && addr.as_deref().is_none_or(|a| a == c.addr)
                && laddr.as_deref().is_none_or(|a| a == c.laddr)
                && !(skipme && c.id == me);
            ok.then(|| (c.id, c.tx.clone()))
        })
        .collect();
    let mut close_me = false;
    for (cid, tx) in &victims {
        if *cid == me {
            close_me = true;
        } else {
            let _ = tx.send(ClientMsg::Kill);
        }
    }
    if old_form {
        if victims.is_empty() {
            w.error("ERR No such client");
        } else {
            w.ok();
        }
    } else {
        w.int(victims.len() as i64);
    }
    if close_me {
        Flow::Close
    } else {
        Flow::Continue
    }
}

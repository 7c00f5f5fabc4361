//! Listening sockets and the accept loop: one per configured bind address, with Redis's
//! rules (`*` any IPv4, `::*` any IPv6, a leading `-` marks an address that may be missing),
//! maxclients and protected mode applied at accept time.

use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use commands::ClientShared;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::{conn, now_ms, Shared};

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

fn listen_on(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let s = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.bind(&addr.into())?;
    s.listen(511)?;
    s.set_nonblocking(true)?;
    TcpListener::from_std(s.into())
}

/// Binds every address in `bind`; an address with a leading `-` is skipped if unavailable.
pub fn bind_all(shared: &Shared) -> std::io::Result<Vec<TcpListener>> {
    let (binds, port) = {
        let c = shared.borrow();
        (c.srv.config.bind.clone(), c.srv.config.port)
    };
    bind_addrs(&binds, port)
}

/// Binds each address of `binds` on `port` (none for port 0).
pub fn bind_addrs(binds: &[String], port: u16) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    for b in binds {
        let (optional, host) = match b.strip_prefix('-') {
            Some(h) => (true, h.to_string()),
            None => (false, b.clone()),
        };
        let ip: IpAddr = match host.as_str() {
            "*" => "0.0.0.0".parse().expect("ipv4 any"),
            "::*" => "::".parse().expect("ipv6 any"),
            h => match h.parse() {
                Ok(ip) => ip,
                Err(_) if optional => continue,
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("Invalid bind address '{h}'"),
                    ))
                }
            },
        };
        match listen_on(SocketAddr::new(ip, port)) {
            Ok(l) => out.push(l),
            Err(_) if optional => {}
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {host}:{port}: {e}"),
                ))
            }
        }
    }
    Ok(out)
}

pub async fn accept_loop(shared: Shared, listener: TcpListener, stop: Rc<Notify>) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.notified() => return,
        };
        match accepted {
            Ok((stream, peer)) => on_accept(&shared, stream, peer).await,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    }
}

fn fmt_addr(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) => format!("{}:{}", v6.ip(), v6.port()),
    }
}

pub async fn on_accept(shared: &Shared, mut stream: TcpStream, peer: SocketAddr) {
    let (reject, keepalive) = {
        let mut core = shared.borrow_mut();
        let srv = &mut core.srv;
        srv.stats.total_connections += 1;
        let cfg = &srv.config;
        let reject = if srv.clients.len() >= cfg.maxclients {
            srv.stats.rejected_connections += 1;
            Some("-ERR max number of clients reached\r\n")
        } else if cfg.protected_mode && cfg.requirepass.is_none() && !is_loopback(peer.ip()) {
            Some(DENIED)
        } else {
            None
        };
        (reject, cfg.tcp_keepalive)
    };
    if let Some(msg) = reject {
        let _ = stream.write_all(msg.as_bytes()).await;
        return;
    }
    let _ = stream.set_nodelay(true);
    if keepalive > 0 {
        let ka = TcpKeepalive::new().with_time(Duration::from_secs(keepalive));
        let _ = SockRef::from(&stream).set_tcp_keepalive(&ka);
    }
    let laddr = stream.local_addr().map(fmt_addr).unwrap_or_default();
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd()
    };
    let client = {
        let mut core = shared.borrow_mut();
        let srv = &mut core.srv;
        let id = srv.next_client_id;
        srv.next_client_id += 1;
        let sh = Rc::new(ClientShared::new(id, fmt_addr(peer), laddr, fd, now_ms()));
        srv.clients.insert(id, sh.clone());
        sh
    };
    tokio::task::spawn_local(conn::serve(shared.clone(), stream, client));
}

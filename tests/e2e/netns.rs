//! Separate hosts on one machine: network namespaces joined by a bridge, created by the test
//! and removed when it ends, so partitions can be made by cutting a host's link.
//!
//! Layout for `Net::new(n)`: a namespace holding bridge `br0`, and `n` host namespaces, each
//! with `eth0` (10.X.0.(i+1)/24, X from the test process id) whose peer is enslaved to
//! `br0`. No address or route is added to the machine's own namespace: all traffic stays
//! inside. A process runs on a host through `ip netns exec`; the test's own connections run
//! on a thread that has entered the host's namespace ([`Net::on`]), since `setns` changes
//! only the calling thread.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs `ip args…`, panicking with its stderr when it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip (iproute2 is required): {e}"));
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct Net {
    tag: String,
    subnet: u8,
    hosts: usize,
}

impl Net {
    /// Creates the bridge and `hosts` connected hosts. Needs root (CAP_NET_ADMIN), which the
    /// test suite has in CI; without it the test fails rather than skipping.
    pub fn new(hosts: usize) -> Net {
        // Unique per test process and per network within it (tests run in parallel).
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let seq = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let net = Net {
            tag: format!("rd{}n{seq}", pid % 100_000),
            subnet: ((pid + seq * 37) % 200) as u8 + 20,
            hosts,
        };
        let br = net.bridge_ns();
        ip(&["netns", "add", &br]);
        ip(&["-n", &br, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &br, "link", "set", "br0", "up"]);
        ip(&["-n", &br, "link", "set", "lo", "up"]);
        for i in 0..hosts {
            let ns = net.ns(i);
            let (a, b) = (format!("{}a{i}", net.tag), format!("{}b{i}", net.tag));
            ip(&["netns", "add", &ns]);
            ip(&[
                "-n", &br, "link", "add", &a, "type", "veth", "peer", "name", &b,
            ]);
            ip(&["-n", &br, "link", "set", &b, "netns", &ns]);
            ip(&["-n", &ns, "link", "set", &b, "name", "eth0"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", net.ip(i)),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&["-n", &br, "link", "set", &a, "master", "br0"]);
            ip(&["-n", &br, "link", "set", &a, "up"]);
        }
        net
    }

    fn bridge_ns(&self) -> String {
        format!("{}br", self.tag)
    }

    /// Host `i`'s namespace name.
    pub fn ns(&self, i: usize) -> String {
        format!("{}h{i}", self.tag)
    }

    /// Host `i`'s address.
    pub fn ip(&self, i: usize) -> String {
        format!("10.{}.0.{}", self.subnet, i + 1)
    }

    /// Cuts host `i` off the bridge: nothing reaches it or leaves it.
    pub fn isolate(&self, i: usize) {
        ip(&[
            "-n",
            &self.bridge_ns(),
            "link",
            "set",
            &format!("{}a{i}", self.tag),
            "down",
        ]);
    }

    /// Reconnects host `i`.
    pub fn heal(&self, i: usize) {
        ip(&[
            "-n",
            &self.bridge_ns(),
            "link",
            "set",
            &format!("{}a{i}", self.tag),
            "up",
        ]);
    }

    /// The command line prefix that runs a program on host `i`.
    pub fn exec_prefix(&self, i: usize) -> Vec<String> {
        vec!["netns".into(), "exec".into(), self.ns(i)]
    }

    /// Runs `f` on a thread inside host `i`'s namespace and returns its result.
    pub fn on<T: Send + 'static>(&self, i: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.ns(i));
        std::thread::spawn(move || {
            enter(&path);
            f()
        })
        .join()
        .expect("thread inside the namespace panicked")
    }
}

/// Moves the calling thread into the network namespace at `path`.
pub fn enter(path: &str) {
    let f = File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // SAFETY: setns on a valid namespace fd; it affects only this thread.
    let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns {path}: {}", std::io::Error::last_os_error());
}

impl Drop for Net {
    fn drop(&mut self) {
        // Deleting a namespace destroys its end of each veth, and with it the peer.
        for i in 0..self.hosts {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(i)])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge_ns()])
            .status();
    }
}

#[test]
fn hosts_reach_each_other_until_isolated() {
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;
    let net = Net::new(2);
    let (a, b) = (net.ip(0), net.ip(1));
    let listen = format!("{b}:7999");
    let l = net.on(1, move || {
        TcpListener::bind(listen).expect("bind inside host 1")
    });
    let target: std::net::SocketAddr = format!("{b}:7999").parse().unwrap();
    let ok = net.on(0, move || {
        TcpStream::connect_timeout(&target, Duration::from_secs(2)).is_ok()
    });
    assert!(ok, "host 0 ({a}) cannot reach host 1 ({b})");
    drop(l.accept());
    net.isolate(1);
    let cut = net.on(0, move || {
        TcpStream::connect_timeout(&target, Duration::from_millis(500)).is_err()
    });
    assert!(cut, "isolated host still reachable");
    net.heal(1);
    let back = net.on(0, move || {
        TcpStream::connect_timeout(&target, Duration::from_secs(2)).is_ok()
    });
    assert!(back, "healed host unreachable");
    // The machine's own namespace holds no address of the test network.
    let out = Command::new("ip").args(["-o", "addr"]).output().unwrap();
    let prefix = format!("10.{}.0.", net.subnet);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&prefix));
}

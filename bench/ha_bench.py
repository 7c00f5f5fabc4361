#!/usr/bin/env python3
"""Failover scenarios, Redoubt vs redis-server + redis-sentinel 7.0 (run through bench/sentinel.sh).

Each group runs on three hosts made of network namespaces joined by a bridge (created here and
removed at the end; no address is added to the machine's own namespace): host i runs one data
server (10.S.0.i:6379) and one sentinel (:26379), quorum 2, down-after-milliseconds 1000,
failover-timeout 10000, and on both sides `repl-diskless-sync-delay 0`. A sentinel-aware client writes `SET k:N N` 200 times a second, asking
its sentinel for the primary whenever its connection fails, and records every OK.

- kill: the client sits on a fourth host; the primary is killed with SIGKILL. Unavailability
  is the time from the kill to the client's first OK from the new primary.
- restart: 3 s after the failover the old primary is started again; the figure is the time
  until it reports role:slave of the new primary with master_link_status:up.
- partition: the client sits on the primary's host, asking that host's sentinel; the host is
  cut off for --partition seconds, then reconnected; the client goes on until the old
  primary has become a replica. Lost = acknowledged writes missing from the final primary.

Stacks: redis (redis-server + redis-sentinel, as shipped), redis with min-replicas-to-write 1
(partition only), Redoubt in Redis-compatible mode, and Redoubt with `sentinel fast-failover
yes` plus `min-replicas-to-write 1` and `min-replicas-ack-writes yes` (the no-lost-write mode).
"""

import argparse
import ctypes
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
NAME = "mymaster"
SPORT, SNPORT = 6379, 26379
CONF = "{conf}"  # stands for the sentinel's config file in a Stack's sentinel command


def ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")


class Net:
    """A bridge namespace and `hosts` host namespaces, each with eth0 on the bridge."""

    def __init__(self, hosts, tag):
        self.tag, self.hosts = tag, hosts
        self.subnet = 20 + (os.getpid() + hash(tag)) % 200
        self.br = f"{tag}br"
        ip("netns", "add", self.br)
        ip("-n", self.br, "link", "add", "br0", "type", "bridge")
        ip("-n", self.br, "link", "set", "br0", "up")
        for i in range(hosts):
            ns, a, b = self.ns(i), f"{tag}a{i}", f"{tag}b{i}"
            ip("netns", "add", ns)
            ip("-n", self.br, "link", "add", a, "type", "veth", "peer", "name", b)
            ip("-n", self.br, "link", "set", b, "netns", ns)
            ip("-n", ns, "link", "set", b, "name", "eth0")
            ip("-n", ns, "addr", "add", f"{self.addr(i)}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", self.br, "link", "set", a, "master", "br0")
            ip("-n", self.br, "link", "set", a, "up")

    def ns(self, i):
        return f"{self.tag}h{i}"

    def addr(self, i):
        return f"10.{self.subnet}.0.{i + 1}"

    def isolate(self, i):
        ip("-n", self.br, "link", "set", f"{self.tag}a{i}", "down")

    def heal(self, i):
        ip("-n", self.br, "link", "set", f"{self.tag}a{i}", "up")

    def close(self):
        for i in range(self.hosts):
            ip("netns", "del", self.ns(i), check=False)
        ip("netns", "del", self.br, check=False)


def enter(ns):
    """Moves the calling thread into namespace `ns` (setns is per thread)."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
    finally:
        os.close(fd)


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A blocking RESP connection with just enough parsing for these scenarios."""

    def __init__(self, host, port, timeout=1.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t == b"+", rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode(errors="replace")
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise OSError(f"bad reply {line!r}")

    def cmd(self, *args):
        self.s.sendall(resp(*args))
        return self.reply()

    def close(self):
        self.s.close()


def on(ns, fn):
    """Runs fn() on a thread inside namespace ns; returns its result or None on error."""
    box = [None]

    def run():
        enter(ns)
        try:
            box[0] = fn()
        except (OSError, ValueError):
            box[0] = None

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return box[0]


def query(net, from_host, to_host, port, *args, timeout=1.0):
    def go():
        c = Conn(net.addr(to_host), port, timeout)
        try:
            return c.cmd(*args)
        finally:
            c.close()
    return on(net.ns(from_host), go)


class Stack:
    """How to start one kind of group."""

    def __init__(self, label, server_cmd, sentinel_cmd, server_extra=(), sentinel_extra=""):
        self.label, self.server_cmd, self.sentinel_cmd = label, server_cmd, sentinel_cmd
        self.server_extra, self.sentinel_extra = list(server_extra), sentinel_extra


class Group:
    def __init__(self, stack, net, workdir):
        self.stack, self.net, self.workdir = stack, net, workdir
        self.servers, self.sentinels = [None] * 3, [None] * 3
        for h in range(3):
            self.start_server(h, replica=h > 0)
        for h in range(3):
            self.start_sentinel(h)
        self.wait(30, "replicas synced", lambda: all(
            "master_link_status:up" in (self.info(h) or "") for h in (1, 2)))
        self.wait(30, "sentinels discovered", self.discovered)

    def proc(self, h, argv, logname):
        log = open(os.path.join(self.workdir, logname), "a")
        return subprocess.Popen(["ip", "netns", "exec", self.net.ns(h)] + argv,
                                stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)

    def start_server(self, h, replica):
        d = os.path.join(self.workdir, f"srv{h}")
        os.makedirs(d, exist_ok=True)
        argv = self.stack.server_cmd + [
            "--port", str(SPORT), "--bind", self.net.addr(h), "--protected-mode", "no",
            "--save", "", "--appendonly", "no", "--dir", d,
            # Both stacks: a returning node is synced at once, not after the 5 s that
            # diskless sync otherwise waits for more replicas to share the transfer.
            "--repl-diskless-sync-delay", "0"] + self.stack.server_extra
        if replica:
            argv += ["--replicaof", self.net.addr(0), str(SPORT)]
        self.servers[h] = self.proc(h, argv, f"srv{h}.log")
        self.wait(20, f"server {h} up", lambda: self.ping(h, SPORT))

    def start_sentinel(self, h):
        conf = os.path.join(self.workdir, f"sentinel{h}.conf")
        with open(conf, "w") as f:
            f.write(f"port {SNPORT}\nprotected-mode no\n"
                    f"sentinel monitor {NAME} {self.net.addr(0)} {SPORT} 2\n"
                    f"sentinel down-after-milliseconds {NAME} 1000\n"
                    f"sentinel failover-timeout {NAME} 10000\n" + self.stack.sentinel_extra)
        argv = [conf if a == CONF else a for a in self.stack.sentinel_cmd]
        self.sentinels[h] = self.proc(h, argv, f"sentinel{h}.log")
        self.wait(20, f"sentinel {h} up", lambda: self.ping(h, SNPORT))

    def ping(self, h, port):
        return query(self.net, h, h, port, "PING", timeout=0.3) == (True, "PONG")

    def info(self, h):
        return query(self.net, h, h, SPORT, "INFO", "replication")

    def discovered(self):
        for h in range(3):
            m = query(self.net, h, h, SNPORT, "SENTINEL", "MASTER", NAME)
            if not isinstance(m, list):
                return False
            d = dict(zip(m[::2], m[1::2]))
            if d.get("num-slaves") != "2" or d.get("num-other-sentinels") != "2":
                return False
        return True

    def primary_seen_by(self, h):
        r = query(self.net, h, h, SNPORT, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME)
        if isinstance(r, list) and len(r) == 2:
            for i in range(3):
                if self.net.addr(i) == r[0]:
                    return i
        return None

    def follows(self, h, primary):
        info = self.info(h) or ""
        return ("role:slave" in info and f"master_host:{self.net.addr(primary)}" in info
                and "master_link_status:up" in info)

    def keys(self, h):
        r = query(self.net, h, h, SPORT, "KEYS", "*", timeout=5)
        return set(r) if isinstance(r, list) else None

    def wait(self, secs, what, cond):
        deadline = time.time() + secs
        while time.time() < deadline:
            if cond():
                return time.time()
            time.sleep(0.05)
        raise RuntimeError(f"{self.stack.label}: timed out waiting for {what} (logs in {self.workdir})")

    def close(self):
        for p in self.sentinels + self.servers:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


class Writer(threading.Thread):
    """200 SETs a second from host `h`, asking sentinel `sentinels` (round robin) for the primary."""

    def __init__(self, net, h, sentinels):
        super().__init__(daemon=True)
        self.net, self.h, self.sentinels = net, h, sentinels
        self.stop = False
        self.acked = []  # (time, n, primary address)

    def run(self):
        enter(self.net.ns(self.h))
        n, conn, i = 0, None, 0
        next_at = time.time()
        while not self.stop:
            next_at += 0.005
            time.sleep(max(0.0, next_at - time.time()))
            if conn is None:
                s = self.sentinels[i % len(self.sentinels)]
                i += 1
                try:
                    c = Conn(self.net.addr(s), SNPORT, 0.5)
                    addr = c.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME)
                    c.close()
                    conn = Conn(addr[0], int(addr[1]), 0.5)
                    target = addr[0]
                except (OSError, TypeError, ValueError, IndexError):
                    conn = None
                    continue
            n += 1
            try:
                r = conn.cmd("SET", f"k:{n}", n)
            except (OSError, ValueError):
                conn.close()
                conn = None
                continue
            if r == (True, "OK"):
                self.acked.append((time.time(), n, target))
            else:
                # READONLY, NOREPLICAS, …: ask the sentinel again.
                conn.close()
                conn = None


def kill_and_restart(group):
    net = group.net
    w = Writer(net, 3, [0, 1, 2])
    w.start()
    time.sleep(3)
    t0 = time.time()
    group.servers[0].kill()
    group.servers[0].wait()
    group.wait(30, "a write on the new primary", lambda: any(
        t > t0 and a != net.addr(0) for t, _, a in w.acked[-5:]))
    unavail = min(t for t, _, a in w.acked if t > t0 and a != net.addr(0)) - t0
    new = next(h for h in (1, 2) if net.addr(h) == w.acked[-1][2])
    time.sleep(3)
    t1 = time.time()
    group.start_server(0, replica=False)
    back = group.wait(60, "old primary to follow the new one", lambda: group.follows(0, new)) - t1
    w.stop = True
    w.join()
    return unavail, back


def partition(group, seconds):
    net = group.net
    w = Writer(net, 0, [0])
    w.start()
    time.sleep(3)
    net.isolate(0)
    time.sleep(seconds)
    net.heal(0)
    healed = time.time()
    # Until the old primary is somebody's replica and the client has moved.
    group.wait(60, "the old primary to rejoin", lambda: any(
        group.follows(0, h) for h in (1, 2)))
    time.sleep(2)
    w.stop = True
    w.join()
    primary = next(h for h in (1, 2) if group.follows(0, h))
    group.wait(30, "convergence",
               lambda: len({frozenset(group.keys(h) or ()) for h in range(3)}) == 1)
    final = group.keys(primary) or set()
    lost = sum(1 for _, n, _ in w.acked if f"k:{n}" not in final)
    rejoin = time.time() - healed
    return lost, len(w.acked), rejoin


def run_stack(stack, scenario, seconds, keep):
    tag = f"rdb{os.getpid() % 10000}{scenario[0]}{abs(hash(stack.label)) % 100}"
    workdir = tempfile.mkdtemp(prefix=f"redoubt-ha-{scenario}-")
    net = Net(4, tag)
    group = None
    try:
        group = Group(stack, net, workdir)
        if scenario == "kill":
            return kill_and_restart(group)
        return partition(group, seconds)
    finally:
        if group:
            group.close()
        net.close()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--redoubt", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--partition", type=float, default=30.0, help="partition length in seconds")
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    ap.add_argument("--only", choices=["kill", "partition"])
    a = ap.parse_args()
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("redis-server is required (apt-get install redis-server)")
    if os.geteuid() != 0:
        sys.exit("network namespaces need root")
    rd = os.path.abspath(a.redoubt)
    stacks_kill = [
        Stack("redis 7.0.15", [redis], [redis, CONF, "--sentinel"]),
        Stack("redoubt (compat)", [rd, "server"], [rd, "sentinel", CONF]),
        Stack("redoubt (fast)", [rd, "server"], [rd, "sentinel", CONF],
              sentinel_extra="sentinel fast-failover yes\n"),
    ]
    nolost = ["--min-replicas-to-write", "1", "--min-replicas-ack-writes", "yes",
              "--min-replicas-ack-timeout", "500"]
    stacks_part = [
        Stack("redis 7.0.15", [redis], [redis, CONF, "--sentinel"]),
        Stack("redis, min-replicas-to-write 1", [redis], [redis, CONF, "--sentinel"],
              server_extra=["--min-replicas-to-write", "1"]),
        Stack("redoubt (fast, no-lost-write)", [rd, "server"], [rd, "sentinel", CONF],
              server_extra=nolost, sentinel_extra="sentinel fast-failover yes\n"),
    ]

    if a.only in (None, "kill"):
        print(f"kill -9 of the primary (down-after 1000 ms), median of {a.rounds} round(s)")
        print(f"{'stack':34} {'unavailable (s)':>16} {'old primary back (s)':>21}")
        for s in stacks_kill:
            rows = [run_stack(s, "kill", 0, a.keep) for _ in range(a.rounds)]
            u = statistics.median(r[0] for r in rows)
            b = statistics.median(r[1] for r in rows)
            print(f"{s.label:34} {u:16.2f} {b:21.2f}", flush=True)
    if a.only in (None, "partition"):
        print(f"\n{a.partition:.0f} s partition isolating the primary with its client (200 writes/s)")
        print(f"{'stack':34} {'acked':>8} {'lost':>8} {'rejoin after heal (s)':>22}")
        for s in stacks_part:
            lost, acked, rejoin = run_stack(s, "partition", a.partition, a.keep)
            print(f"{s.label:34} {acked:8d} {lost:8d} {rejoin:22.2f}", flush=True)


if __name__ == "__main__":
    main()

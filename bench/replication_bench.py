#!/usr/bin/env python3
"""Replication: Redoubt vs redis-server 7.0, side by side (run through bench/replication.sh;
shares the harness of bench/server_bench.py). Primaries are pinned to core 0, replicas and
redis-benchmark to core 1 (replicas usually live on other machines: they should not take the
primary's core). Rounds alternate redoubt, redis, redoubt, redis… and the tables show medians.

1. SET throughput (redis-benchmark -t set, -c 50 -r 1000000) against a primary with 0 and
   with 2 replicas attached (replicas of the same implementation), ops/s and the primary's
   CPU time per request. Then Redoubt alone with `min-replicas-ack-writes yes` (every reply
   waits for one replica's acknowledgement), which Redis has no equivalent for.
2. Full sync: a primary holding N keys (distinct keys, 32-byte values), a fresh replica
   started with --replicaof; the time from its start until it reports the link up with all
   N keys. Diskless (`repl-diskless-sync yes`, delay 0) and disk-style (`no`) transfers.
3. Replica lag: redis-benchmark SET -P 16 against a primary with one replica; the primary's
   master_repl_offset (read just before and just after the replica's, averaged) minus the
   replica's slave_repl_offset, sampled every 20 ms while the load runs (median, 99th
   percentile, max, in bytes), and the time the replica needs to catch up once it stops.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import (CLIENT_CORE, Server, compare, free_port, pipe_load,  # noqa: E402
                          ratio, redis_benchmark, resp)


def pin_to_client_core(srv):
    """Moves a started server (all its threads) to the client core."""
    subprocess.run(["taskset", "-a", "-p", "-c", CLIENT_CORE, str(srv.proc.pid)],
                   capture_output=True, check=True)
    return srv


def info_fields(port, section):
    """INFO <section> over a raw socket (faster than spawning redis-cli when sampling)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(resp("INFO", section).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, _, rest = data.partition(b"\r\n")
            if head.startswith(b"$") and len(rest) >= int(head[1:]) + 2:
                break
    fields = {}
    for line in data.decode(errors="replace").splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    return fields


def wait_link_up(port, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if info_fields(port, "replication").get("master_link_status") == "up":
            return
        time.sleep(0.01)
    raise RuntimeError(f"replica on {port} did not link up")


def wait_online(primary_port, n, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        f = info_fields(primary_port, "replication")
        if sum("state=online" in v for k, v in f.items() if k.startswith("slave")) >= n:
            return
        time.sleep(0.02)
    raise RuntimeError("replicas did not come online")


class Side:
    """One implementation: how to start its binaries, each in a directory of its own."""

    def __init__(self, name, argv, root):
        self.name, self.argv = name, argv
        self.root = os.path.join(root, name)
        os.makedirs(self.root, exist_ok=True)
        self.n = 0

    def _dir(self):
        self.n += 1
        d = os.path.join(self.root, str(self.n))
        os.makedirs(d, exist_ok=True)
        return d

    def primary(self, *extra):
        return Server(self.name, self.argv, free_port(), self._dir(), extra)

    def replica(self, primary, *extra):
        args = ("--replicaof", "127.0.0.1", str(primary.port)) + extra
        return pin_to_client_core(
            Server(self.name + "-replica", self.argv, free_port(), self._dir(), args))


def group(side, replicas, *extra):
    p = side.primary("--repl-diskless-sync-delay", "0", *extra)
    rs = [side.replica(p) for _ in range(replicas)]
    for r in rs:
        wait_link_up(r.port)
    if rs:
        wait_online(p.port, len(rs))
    return p, rs


def stop_all(*servers):
    for s in servers:
        s.stop()


def throughput(sides, rounds):
    ours, redis = sides
    tests = [("SET", ["-t", "set"], 100_000, 1_000_000)]
    for replicas in (0, 2):
        print(f"\n-- primary with {replicas} replica(s) --", end="")
        pa, ra = group(ours, replicas)
        pb, rb = group(redis, replicas)
        try:
            compare(pa, pb, rounds, tests)
        finally:
            stop_all(pa, pb, *ra, *rb)
    print("\n== Redoubt only: SET with 2 replicas, min-replicas-ack-writes yes "
          "(min-replicas-to-write 1) ==")
    p, rs = group(ours, 2, "--min-replicas-ack-writes", "yes", "--min-replicas-to-write", "1")
    try:
        for pipeline, n in ((1, 100_000), (16, 1_000_000)):
            res = [redis_benchmark(p, ["-t", "set"], n, pipeline) for _ in range(rounds)]
            rps = statistics.median(r for r, _ in res)
            cpu = statistics.median(c for _, c in res)
            print(f"SET -P {pipeline:>2}: {rps:>12,.0f} ops/s, {cpu:.2f} us/req on the primary",
                  flush=True)
    finally:
        stop_all(p, *rs)


def load_keys(srv, n):
    batch, cmds = [], []
    for i in range(n):
        batch.append(resp("SET", f"key:{i:010d}", f"value-{i:026d}"))
        if len(batch) == 10_000:
            cmds.append("".join(batch))
            batch = []
    cmds.append("".join(batch))
    pipe_load(srv, cmds)


def full_sync(sides, n, rounds):
    rows = []
    for diskless in ("yes", "no"):
        times = {s.name: [] for s in sides}
        primaries = {}
        try:
            for side in sides:
                p = side.primary("--repl-diskless-sync", diskless, "--repl-diskless-sync-delay",
                                 "0")
                load_keys(p, n)
                primaries[side.name] = p
            for _ in range(rounds):
                for side in sides:
                    p = primaries[side.name]
                    t = time.time()
                    r = side.replica(p)
                    try:
                        wait_link_up(r.port)
                        while int(r.cmd("DBSIZE").strip() or 0) < n:
                            time.sleep(0.01)
                        times[side.name].append(time.time() - t)
                    finally:
                        r.stop()
        finally:
            stop_all(*primaries.values())
        a, b = (statistics.median(times[s.name]) for s in sides)
        rows.append((f"diskless-sync {diskless}", a, b))
    print(f"\n== Full sync of {n:,} keys: replica start to link up with every key "
          f"(median of {rounds}) ==")
    head = f"{'transfer':<20} | {'redoubt s':>10} {'redis s':>10} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for label, a, b in rows:
        print(f"{label:<20} | {a:>10.2f} {b:>10.2f} {ratio(a, b):>6}", flush=True)
    print("ratio = redoubt / redis: below 1 is faster")


def lag_once(side, requests):
    p, (r,) = group(side, 1)
    samples, done = [], threading.Event()

    def offset(srv, field):
        return int(info_fields(srv.port, "replication").get(field, 0))

    def sample():
        # The primary before and after the replica: their mean is the primary's offset at
        # about the moment the replica's was read.
        while not done.is_set():
            before = offset(p, "master_repl_offset")
            ro = offset(r, "slave_repl_offset")
            after = offset(p, "master_repl_offset")
            samples.append(max(0, (before + after) // 2 - ro))
            time.sleep(0.02)

    th = threading.Thread(target=sample)
    try:
        th.start()
        redis_benchmark(p, ["-t", "set"], requests, 16)
        done.set()
        th.join()
        t = time.time()
        target = int(info_fields(p.port, "replication").get("master_repl_offset", 0))
        while int(info_fields(r.port, "replication").get("slave_repl_offset", 0)) < target:
            time.sleep(0.001)
        catch_up = time.time() - t
    finally:
        done.set()
        stop_all(p, r)
    samples.sort()
    pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] if samples else 0
    return statistics.median(samples) if samples else 0, pct(0.99), max(samples or [0]), catch_up


def lag(sides, rounds, requests):
    res = {s.name: [] for s in sides}
    for _ in range(rounds):
        for side in sides:
            res[side.name].append(lag_once(side, requests))
    print(f"\n== Replica lag under redis-benchmark SET -P 16 ({requests:,} requests, -c 50), "
          f"median of {rounds} ==")
    head = f"{'what':<24} | {'redoubt':>12} {'redis':>12} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    labels = ["lag median (bytes)", "lag p99 (bytes)", "lag max (bytes)", "catch-up after (ms)"]
    for i, label in enumerate(labels):
        scale = 1000 if i == 3 else 1
        a, b = (statistics.median(x[i] for x in res[s.name]) * scale for s in sides)
        print(f"{label:<24} | {a:>12,.0f} {b:>12,.0f} {ratio(a, b):>6}", flush=True)
    print("ratio = redoubt / redis: below 1 is a replica closer behind")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--lag-requests", type=int, default=2_000_000)
    ap.add_argument("--only", choices=["throughput", "sync", "lag"])
    args = ap.parse_args()
    if os.cpu_count() < 2:
        sys.exit("needs two cores: one for the primaries, one for replicas and redis-benchmark")
    root = tempfile.mkdtemp(prefix="redoubt-repl-bench-")
    sides = (Side("redoubt", [os.path.abspath(args.redoubt), "server"], root),
             Side("redis", ["redis-server"], root))
    version = subprocess.run(["redis-server", "--version"], capture_output=True,
                             text=True).stdout.strip()
    print(f"redoubt: {args.redoubt}\nredis:   {version}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    start = time.time()
    try:
        if args.only in (None, "throughput"):
            throughput(sides, args.rounds)
        if args.only in (None, "sync"):
            full_sync(sides, args.keys, args.rounds)
        if args.only in (None, "lag"):
            lag(sides, args.rounds, args.lag_requests)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

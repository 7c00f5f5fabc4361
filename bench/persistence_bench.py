#!/usr/bin/env python3
"""Persistence: Redoubt vs redis-server 7.0, side by side (run through bench/persistence.sh;
shares the harness of bench/server_bench.py). Each server works in a directory of its own;
rounds alternate redoubt, redis, redoubt, redis… and the tables show medians.

1. SAVE: the wall time of SAVE with N keys (N distinct 32-byte string values, plus N/100
   hashes, lists, sets and sorted sets of 20 items each) and the size of dump.rdb.
2. Start-up load: the time from exec to the first PONG (the dataset loaded), from
   dump.rdb, from an AOF with an RDB preamble (base) plus an incremental file, and from an
   AOF of commands (`aof-use-rdb-preamble no`).
3. Latency under a background save: redis-benchmark (SET, then GET, of random keys among the
   N, -c 50, pinned to the client core) runs alone, then again with a BGSAVE, then with a
   BGREWRITEAOF (appendonly yes, everysec), each test with its own job started 0.3 s in;
   p50/p99/max latency as redis-benchmark reports them, the fork time, and the job's peak
   extra memory (the child's copy-on-write pages, sampled from /proc every 20 ms). The servers are pinned to one core and their forked children inherit it,
   so the child competes with the parent for that core, in both servers alike.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import CLIENT_CORE, Server, free_port, pipe_load, ratio, resp  # noqa: E402


def dataset(n):
    """RESP commands building the dataset (strings plus a few collections)."""
    cmds = []
    batch = []
    for i in range(n):
        batch.append(resp("SET", f"key:{i:010d}", f"value-{i:026d}"))
        if len(batch) == 10_000:
            cmds.append("".join(batch))
            batch = []
    for i in range(max(1, n // 100)):
        items = [str(j) + "-item" for j in range(20)]
        batch.append(resp("HSET", f"hash:{i}", *[x for j in items for x in (j, j)]))
        batch.append(resp("RPUSH", f"list:{i}", *items))
        batch.append(resp("SADD", f"set:{i}", *items))
        batch.append(resp("ZADD", f"zset:{i}", *[x for k, j in enumerate(items) for x in (k, j)]))
    cmds.append("".join(batch))
    return cmds


class Side:
    """One server kind (argv) and its own working directory."""

    def __init__(self, name, argv, root):
        self.name, self.argv = name, argv
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)

    def start(self, *extra):
        return Server(self.name, self.argv, free_port(), self.dir, extra)

    def timed_start(self, *extra):
        """Starts the server and returns it with the seconds until it answered PONG."""
        t = time.time()
        srv = self.start(*extra)
        return srv, time.time() - t

    def clean(self, keep=()):
        for f in os.listdir(self.dir):
            if f in keep or f.endswith(".log"):
                continue
            p = os.path.join(self.dir, f)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def dbsize(srv):
    return int(srv.cmd("DBSIZE").strip() or 0)


def info(srv, field, section="persistence"):
    for line in srv.cmd("INFO", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def wait_idle(srv):
    while info(srv, "rdb_bgsave_in_progress") != "0" or \
            info(srv, "aof_rewrite_in_progress") != "0" or \
            info(srv, "aof_rewrite_scheduled") not in ("0", None):
        time.sleep(0.05)


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def median(xs):
    return statistics.median(xs) if xs else None


def table(title, rows, fmt):
    print(f"\n== {title} ==")
    head = f"{'what':<28} | {'redoubt':>12} {'redis':>12} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for label, a, b in rows:
        fa = format(a, fmt) if a is not None else "n/a"
        fb = format(b, fmt) if b is not None else "n/a"
        print(f"{label:<28} | {fa:>12} {fb:>12} {ratio(a, b):>6}", flush=True)


def save_and_load(sides, n, rounds, commands):
    res = {s.name: {"save": [], "rdb": [], "rdb_load": [], "aof_rdb": [], "aof_rdb_load": [],
                    "aof_cmd": [], "aof_cmd_load": []} for s in sides}
    for r in range(rounds):
        for side in sides:
            rs = res[side.name]
            side.clean()
            srv = side.start()
            pipe_load(srv, commands)
            keys = dbsize(srv)
            t = time.time()
            srv.cmd("SAVE")
            rs["save"].append(time.time() - t)
            rs["rdb"].append(os.path.getsize(os.path.join(side.dir, "dump.rdb")))
            srv.stop()
            srv, secs = side.timed_start()
            assert dbsize(srv) == keys, f"{side.name}: dump.rdb reloaded {dbsize(srv)} of {keys}"
            rs["rdb_load"].append(secs)
            # Each server writes its own AOFs: the base by a rewrite, then a little more.
            for preamble, key in (("yes", "aof_rdb"), ("no", "aof_cmd")):
                srv.cmd("CONFIG", "SET", "aof-use-rdb-preamble", preamble)
                srv.cmd("CONFIG", "SET", "appendonly", "yes")
                wait_idle(srv)
                srv.cmd("BGREWRITEAOF")
                wait_idle(srv)
                pipe_load(srv, [resp("SET", f"tail:{i}", i) for i in range(1000)])
                rs[key].append(dir_size(os.path.join(side.dir, "appendonlydir")))
                keys = dbsize(srv)
                srv.stop()
                srv, secs = side.timed_start("--appendonly", "yes")
                assert dbsize(srv) == keys, f"{side.name}: AOF reloaded {dbsize(srv)} of {keys}"
                rs[key + "_load"].append(secs)
                srv.cmd("CONFIG", "SET", "appendonly", "no")
            srv.stop()
            side.clean()
        print(f"  round {r + 1}/{rounds} done", flush=True)
    a, b = res[sides[0].name], res[sides[1].name]
    m = lambda d, k: median(d[k])  # noqa: E731
    table(f"SAVE with {n:,} keys: median of {rounds} alternating rounds",
          [("SAVE (s)", m(a, "save"), m(b, "save")),
           ("dump.rdb size (MB)", m(a, "rdb") / 1e6, m(b, "rdb") / 1e6)], ".3f")
    table("Start-up load (exec to first PONG, s)",
          [("from dump.rdb", m(a, "rdb_load"), m(b, "rdb_load")),
           ("from AOF, RDB preamble", m(a, "aof_rdb_load"), m(b, "aof_rdb_load")),
           ("from AOF, commands", m(a, "aof_cmd_load"), m(b, "aof_cmd_load"))], ".3f")
    table("AOF directory size (MB)",
          [("RDB preamble", m(a, "aof_rdb") / 1e6, m(b, "aof_rdb") / 1e6),
           ("commands", m(a, "aof_cmd") / 1e6, m(b, "aof_cmd") / 1e6)], ".1f")


def child_private_dirty(pid):
    """Bytes the forked child of `pid` holds privately: the pages one of the two processes
    wrote since the fork, which the kernel had to copy (Redis's own COW measure); 0 when
    there is no child."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        if not kids:
            return 0
        with open(f"/proc/{kids[0]}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def bench_latency(srv, n, requests, test, during=None):
    """redis-benchmark `test` (SET or GET) over the N keys; `during` is sent shortly after it
    starts. Returns {test: (p50, p99, max)} in ms, whether the background job overlapped,
    and the peak copy-on-write memory of its child in bytes."""
    overlapped = [during is None]
    cow = [0]

    def trigger():
        time.sleep(0.3)
        srv.cmd(during)
        t = time.time()
        while time.time() - t < 60:
            busy = info(srv, "rdb_bgsave_in_progress") == "1" or \
                info(srv, "aof_rewrite_in_progress") == "1"
            if not busy:
                break
            overlapped[0] = True
            cow[0] = max(cow[0], child_private_dirty(srv.proc.pid))
            time.sleep(0.02)

    th = threading.Thread(target=trigger) if during else None
    if th:
        th.start()
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CORE, "redis-benchmark", "-p", str(srv.port), "-c", "50",
         "-n", str(requests), "-r", str(n), "-t", test.lower(), "--csv"],
        capture_output=True, text=True, timeout=600)
    if th:
        th.join()
    lat = {}
    for line in out.stdout.splitlines():
        f = [x.strip('"') for x in line.split(",")]
        if f[0] in ("SET", "GET"):
            # test, rps, avg, min, p50, p95, p99, max
            lat[f[0]] = (float(f[4]), float(f[6]), float(f[7]))
    return lat, overlapped[0], cow[0]


def latency(sides, n, rounds, commands, requests):
    res = {s.name: {} for s in sides}
    forks = {s.name: {} for s in sides}
    cows = {s.name: {} for s in sides}
    for r in range(rounds):
        for side in sides:
            side.clean()
            srv = side.start("--appendonly", "yes", "--appendfsync", "everysec",
                             "--auto-aof-rewrite-percentage", "0")
            pipe_load(srv, commands)
            wait_idle(srv)
            # Each test gets its own background job, started 0.3 s into it.
            for what, cmd in (("alone", None), ("during BGSAVE", "BGSAVE"),
                              ("during BGREWRITEAOF", "BGREWRITEAOF")):
                for test in ("SET", "GET"):
                    lat, overlapped, cow = bench_latency(srv, n, requests, test, cmd)
                    wait_idle(srv)
                    if cmd:
                        # The fork stops every client: the floor under the max latency.
                        fork_ms = int(info(srv, "latest_fork_usec", "stats")) / 1000
                        forks[side.name].setdefault(cmd, []).append(fork_ms)
                        cows[side.name].setdefault((cmd, test), []).append(cow / 1e6)
                    label = what if overlapped else what + " (no overlap)"
                    for t, v in lat.items():
                        res[side.name].setdefault((t, label), []).append(v)
            srv.stop()
            side.clean()
        print(f"  round {r + 1}/{rounds} done", flush=True)
    a, b = res[sides[0].name], res[sides[1].name]
    print(f"\n== Latency of redis-benchmark SET/GET (-c 50, {requests:,} requests, "
          f"{n:,} keys), ms, median of {rounds} rounds ==")
    head = (f"{'test':<30} | {'redoubt p50':>11} {'p99':>7} {'max':>8} | "
            f"{'redis p50':>9} {'p99':>7} {'max':>8} | {'p99 ratio':>9} {'max ratio':>9}")
    print(head)
    print("-" * len(head))
    for key in sorted(set(a) | set(b), key=lambda k: (k[1], k[0])):
        ma = [median([v[i] for v in a.get(key, [])]) for i in range(3)]
        mb = [median([v[i] for v in b.get(key, [])]) for i in range(3)]
        label = f"{key[0]} {key[1]}"
        f = lambda x, w: format(x, f">{w}.3f") if x is not None else "n/a".rjust(w)  # noqa: E731
        print(f"{label:<30} | {f(ma[0], 11)} {f(ma[1], 7)} {f(ma[2], 8)} | {f(mb[0], 9)} "
              f"{f(mb[1], 7)} {f(mb[2], 8)} | {ratio(ma[1], mb[1]):>9} {ratio(ma[2], mb[2]):>9}",
              flush=True)
    print("ratio = redoubt / redis: below 1 is better")
    fa, fb = forks[sides[0].name], forks[sides[1].name]
    table(f"Fork time (ms, latest_fork_usec), median of {rounds} rounds",
          [(f"fork for {cmd}", median(fa.get(cmd, [])), median(fb.get(cmd, [])))
           for cmd in ("BGSAVE", "BGREWRITEAOF")], ".2f")
    ca, cb = cows[sides[0].name], cows[sides[1].name]
    table(f"Peak extra memory of the job: copy-on-write pages (MB, the child's Private_Dirty "
          f"sampled every 20 ms), median of {rounds} rounds",
          [(f"{cmd} under {test}", median(ca.get((cmd, test), [])),
            median(cb.get((cmd, test), [])))
           for cmd in ("BGSAVE", "BGREWRITEAOF") for test in ("SET", "GET")], ".1f")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=500_000,
                    help="redis-benchmark requests per latency run")
    ap.add_argument("--only", default="save,latency", help="save,latency")
    args = ap.parse_args()
    if os.cpu_count() < 2:
        sys.exit("needs two cores: one for the servers, one for redis-benchmark")
    root = tempfile.mkdtemp(prefix="redoubt-bench-persist-")
    sides = [Side("redoubt", [os.path.abspath(args.redoubt), "server"], root),
             Side("redis", ["redis-server"], root)]
    version = subprocess.run(["redis-server", "--version"], capture_output=True,
                             text=True).stdout.strip()
    print(f"redoubt: {args.redoubt}\nredis:   {version}\nworkdir: {root}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    start = time.time()
    commands = dataset(args.keys)
    try:
        if "save" in args.only:
            save_and_load(sides, args.keys, args.rounds, commands)
        if "latency" in args.only:
            latency(sides, args.keys, args.rounds, commands, args.requests)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

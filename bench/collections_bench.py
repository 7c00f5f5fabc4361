#!/usr/bin/env python3
"""Sets and sorted sets: Redoubt vs redis-server 7.0, side by side (run through
bench/collections.sh; shares the harness of bench/server_bench.py).

Throughput, alternating servers round by round, median of the rounds, -c 50 -r 1000000:
SADD and SPOP (redis-benchmark's own tests on `myset`), ZADD (its `myzset` test), and
ZRANGEBYSCORE (`bz r +inf LIMIT 0 10`) and ZRANK (`bz element:r`) on `bz`, a sorted set
of 1,000,000 members loaded first into both servers. Each row shows ops/s and the server's
CPU time per request (utime+stime around the run), the steadier figure on a busy machine.

Memory: fresh servers, one 1,000,000-member set (`member:N`) and one 1,000,000-member
sorted set (`element:N`, random integer scores) loaded by pipeline; used_memory per element,
net of the empty server.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import CLIENT_CORE, CLK_TCK, Server, free_port, ratio  # noqa: E402

# (label, redis-benchmark arguments after the common ones, requests at -P 1, at -P 16)
TESTS = [
    ("SADD", ["-t", "sadd"], 200_000, 2_000_000),
    ("SPOP", ["-t", "spop"], 100_000, 1_000_000),
    ("ZADD", ["-t", "zadd"], 200_000, 2_000_000),
    ("ZRANGEBYSCORE", ["zrangebyscore", "bz", "__rand_int__", "+inf", "LIMIT", "0", "10"],
     100_000, 500_000),
    ("ZRANK", ["zrank", "bz", "element:__rand_int__"], 200_000, 2_000_000),
]


def resp(*args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        a = str(a)
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)


def load(server, key, kind, n, batch=1000):
    """Loads `n` members into `key` through redis-cli --pipe."""
    rng = random.Random(7)
    chunks = []
    for start in range(0, n, batch):
        if kind == "set":
            args = ["SADD", key] + [f"member:{i}" for i in range(start, min(n, start + batch))]
        else:
            args = ["ZADD", key]
            for i in range(start, min(n, start + batch)):
                args += [rng.randrange(1_000_000), f"element:{i:012d}"]
        chunks.append(resp(*args))
    subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input="".join(chunks),
                   capture_output=True, text=True, check=True, timeout=600)


def run(server, args, requests, pipeline):
    before = server.cpu_ticks()
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CORE, "redis-benchmark", "-p", str(server.port), "-c", "50",
         "-r", "1000000", "-n", str(requests), "-P", str(pipeline), "--csv"] + args,
        capture_output=True, text=True, timeout=600)
    cpu = (server.cpu_ticks() - before) / CLK_TCK
    rows = [l for l in out.stdout.splitlines() if l and not l.startswith('"test"')]
    if out.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed: {out.stdout}{out.stderr}")
    return float(rows[0].split(",")[1].strip('"')), cpu / requests * 1e6


def throughput(ours, redis, rounds, only=None):
    print(f"\n== Throughput: median of {rounds} alternating rounds, -c 50 -r 1000000 ==")
    head = (f"{'test':<13} {'-P':>3} | {'redoubt ops/s':>13} {'redis ops/s':>12} {'ratio':>6} | "
            f"{'redoubt us/req':>14} {'redis us/req':>12} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for label, args, n1, n16 in TESTS:
        if only and label not in only:
            continue
        for pipeline, n in ((1, n1), (16, n16)):
            res = {ours.name: [], redis.name: []}
            for _ in range(rounds):
                for srv in (ours, redis):
                    res[srv.name].append(run(srv, args, n, pipeline))
            a_rps = statistics.median(r for r, _ in res[ours.name])
            b_rps = statistics.median(r for r, _ in res[redis.name])
            a_cpu = statistics.median(c for _, c in res[ours.name])
            b_cpu = statistics.median(c for _, c in res[redis.name])
            print(f"{label:<13} {pipeline:>3} | {a_rps:>13,.0f} {b_rps:>12,.0f} "
                  f"{ratio(a_rps, b_rps):>6} | {a_cpu:>14.2f} {b_cpu:>12.2f} "
                  f"{ratio(a_cpu, b_cpu):>6}", flush=True)
    print("ratio = redoubt / redis: above 1 is faster for ops/s, costlier for us/req")


def memory(make_servers, n):
    print(f"\n== Memory: a {n:,}-member set and a {n:,}-member sorted set, fresh servers ==")
    ours, redis = make_servers()
    try:
        rows = {}
        for srv in (ours, redis):
            base = srv.used_memory()
            load(srv, "s", "set", n)
            time.sleep(0.5)
            after_set = srv.used_memory()
            load(srv, "z", "zset", n)
            time.sleep(0.5)
            after_zset = srv.used_memory()
            card = (srv.cmd("SCARD", "s").strip(), srv.cmd("ZCARD", "z").strip())
            rows[srv.name] = ((after_set - base) / n, (after_zset - after_set) / n, card,
                              srv.cmd("OBJECT", "ENCODING", "z").strip())
        print(f"{'server':<8} {'set B/elem':>11} {'zset B/elem':>12}  cards, zset encoding")
        for name, (s, z, card, enc) in rows.items():
            print(f"{name:<8} {s:>11.1f} {z:>12.1f}  {card} {enc}")
        a, b = rows[ours.name], rows[redis.name]
        print(f"ratio redoubt/redis: set {ratio(a[0], b[0])}, sorted set {ratio(a[1], b[1])}")
    finally:
        ours.stop()
        redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only", help="comma-separated test labels to run (e.g. SADD,SPOP)")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="redoubt-bench-")

    def make_servers():
        return (Server("redoubt", [os.path.abspath(args.redoubt), "server"], free_port(),
                       workdir),
                Server("redis", ["redis-server"], free_port(), workdir))

    print(f"load average at start: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    start = time.time()
    if not args.skip_throughput:
        ours, redis = make_servers()
        try:
            for srv in (ours, redis):
                load(srv, "bz", "zset", args.members)
            only = set(args.only.upper().split(",")) if args.only else None
            throughput(ours, redis, args.rounds, only)
        finally:
            ours.stop()
            redis.stop()
    if not args.skip_memory:
        memory(make_servers, args.members)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

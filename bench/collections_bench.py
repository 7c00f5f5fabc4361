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
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import Server, compare, free_port, pipe_load, ratio, resp  # noqa: E402

# (label, redis-benchmark arguments after the common ones, requests at -P 1, at -P 16)
TESTS = [
    ("SADD", ["-t", "sadd"], 200_000, 2_000_000),
    ("SPOP", ["-t", "spop"], 100_000, 1_000_000),
    ("ZADD", ["-t", "zadd"], 200_000, 2_000_000),
    ("ZRANGEBYSCORE", ["zrangebyscore", "bz", "__rand_int__", "+inf", "LIMIT", "0", "10"],
     100_000, 500_000),
    ("ZRANK", ["zrank", "bz", "element:__rand_int__"], 200_000, 2_000_000),
]


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
    pipe_load(server, chunks)


def throughput(ours, redis, rounds, only=None):
    compare(ours, redis, rounds, [t for t in TESTS if not only or t[0] in only])


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

#!/usr/bin/env python3
"""Lists and hashes: Redoubt vs redis-server 7.0, side by side (shares the harness of
bench/server_bench.py: servers pinned to core 0, redis-benchmark to core 1).

    cargo build --release -p redoubt
    python3 bench/lists_hashes_bench.py --redoubt target/release/redoubt [--rounds 5]

Throughput, alternating servers round by round, median of the rounds, -c 50 -r 1000000:
redis-benchmark's own LPUSH, RPUSH, LPOP, RPOP (from a list preloaded with as many
elements as requests), LRANGE_100 (on its `mylist`) and HSET (on `myhash`, random fields),
at -P 1 and -P 16. Each row shows ops/s and the server's CPU time
per request (utime+stime around the run), the steadier figure on a busy machine.

Memory: fresh servers, a 1,000,000-element list (RPUSH of `value:N`) and a 1,000,000-field
hash (`field:N` → N) loaded by pipeline; used_memory per element, net of the empty server.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import Server, compare, free_port, pipe_load, ratio, resp  # noqa: E402

# (label, redis-benchmark test, requests at -P 1, at -P 16)
TESTS = [
    ("LPUSH", "lpush", 200_000, 2_000_000),
    ("RPUSH", "rpush", 200_000, 2_000_000),
    ("LPOP", "lpop", 200_000, 2_000_000),
    ("RPOP", "rpop", 200_000, 2_000_000),
    ("LRANGE_100", "lrange_100", 50_000, 200_000),
    ("HSET", "hset", 200_000, 2_000_000),
]


def load(server, key, kind, n, batch=1000):
    """Loads `n` elements into `key` through redis-cli --pipe."""
    chunks = []
    for start in range(0, n, batch):
        if kind == "list":
            args = ["RPUSH", key] + [f"value:{i}" for i in range(start, min(n, start + batch))]
        else:
            args = ["HSET", key]
            for i in range(start, min(n, start + batch)):
                args += [f"field:{i}", i]
        chunks.append(resp(*args))
    pipe_load(server, chunks)


def throughput(ours, redis, rounds, only=None):
    tests = [(label, ["-t", test], n1, n16) for label, test, n1, n16 in TESTS
             if not only or label in only]

    def prepare(srv, label, n):
        srv.cmd("FLUSHALL")
        if label in ("LPOP", "RPOP"):
            # Something to pop: as many elements as there are requests.
            load(srv, "mylist", "list", n)

    compare(ours, redis, rounds, tests, prepare=prepare)


def memory(make_servers, n):
    print(f"\n== Memory: a {n:,}-element list and a {n:,}-field hash, fresh servers ==")
    ours, redis = make_servers()
    try:
        rows = {}
        for srv in (ours, redis):
            base = srv.used_memory()
            load(srv, "l", "list", n)
            time.sleep(0.5)
            after_list = srv.used_memory()
            load(srv, "h", "hash", n)
            time.sleep(0.5)
            after_hash = srv.used_memory()
            lens = (srv.cmd("LLEN", "l").strip(), srv.cmd("HLEN", "h").strip())
            rows[srv.name] = ((after_list - base) / n, (after_hash - after_list) / n, lens,
                              srv.cmd("OBJECT", "ENCODING", "h").strip())
        print(f"{'server':<8} {'list B/elem':>12} {'hash B/field':>13}  lengths, hash encoding")
        for name, (l, h, lens, enc) in rows.items():
            print(f"{name:<8} {l:>12.1f} {h:>13.1f}  {lens} {enc}")
        a, b = rows[ours.name], rows[redis.name]
        print(f"ratio redoubt/redis: list {ratio(a[0], b[0])}, hash {ratio(a[1], b[1])}")
    finally:
        ours.stop()
        redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--elements", type=int, default=1_000_000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only", help="comma-separated test labels to run (e.g. LPUSH,HSET)")
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
            only = set(args.only.upper().split(",")) if args.only else None
            throughput(ours, redis, args.rounds, only)
        finally:
            ours.stop()
            redis.stop()
    if not args.skip_memory:
        memory(make_servers, args.elements)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

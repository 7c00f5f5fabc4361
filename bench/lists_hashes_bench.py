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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import collection_main, compare, memory_per_element, pipe_load, resp  # noqa: E402

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
    memory_per_element(make_servers, n, f"a {n:,}-element list and a {n:,}-field hash", [
        ("list", lambda srv: load(srv, "l", "list", n), "LLEN", "l"),
        ("hash", lambda srv: load(srv, "h", "hash", n), "HLEN", "h"),
    ])


if __name__ == "__main__":
    collection_main(__doc__, "elements", throughput, memory)

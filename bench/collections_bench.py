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

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import collection_main, compare, memory_per_element, pipe_load, resp  # noqa: E402

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
    memory_per_element(make_servers, n, f"a {n:,}-member set and a {n:,}-member sorted set", [
        ("set", lambda srv: load(srv, "s", "set", n), "SCARD", "s"),
        ("zset", lambda srv: load(srv, "z", "zset", n), "ZCARD", "z"),
    ])


if __name__ == "__main__":
    collection_main(__doc__, "members", throughput, memory,
                    preload=lambda srv, n: load(srv, "bz", "zset", n))

#!/usr/bin/env python3
"""Redoubt vs redis-server, side by side on one machine (run through bench/server.sh).

Throughput: redis-benchmark (core 1) against each server (core 0), alternating the servers
round by round so drift in the machine's load hits both alike; the table shows the median
ops/s of the rounds and the server's CPU time per request (utime+stime from /proc/PID/stat
around each run, divided by the requests).

Memory: fresh servers, 1,000,000 pipelined SETs of random keys (redis-benchmark -r 100000000,
3-byte values), then used_memory (INFO memory) and RSS (/proc/PID/status) per key, net of
the empty server's figures.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CORE = "0"
CLIENT_CORE = "1"

# (test name for -t, requests at -P 1, requests at -P 16, a probe command)
TESTS = [
    ("set", 100_000, 1_000_000, ["SET", "__probe", "1"]),
    ("get", 100_000, 1_000_000, ["GET", "__probe"]),
    ("incr", 100_000, 1_000_000, ["INCR", "__probe_n"]),
    ("mset", 50_000, 300_000, ["MSET", "__probe_a", "1", "__probe_b", "2"]),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, argv, port, workdir, extra=()):
        self.name, self.port = name, port
        self.log = open(os.path.join(workdir, f"{name}.log"), "w")
        common = ["--port", str(port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--dir", workdir]
        # `extra` directives come last, so they override the common ones.
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE] + argv + common + list(extra),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.cmd("PING").strip() == "PONG":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start (see {self.log.name})")

    def cmd(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                             capture_output=True, text=True, timeout=60)
        return out.stdout

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def used_memory(self):
        for line in self.cmd("INFO", "memory").splitlines():
            if line.startswith("used_memory:"):
                return int(line.split(":")[1])
        return None

    def supports(self, probe):
        return "unknown command" not in self.cmd(*probe)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def resp(*args):
    """A command as a RESP multibulk request (for redis-cli --pipe loads)."""
    out = [f"*{len(args)}\r\n"]
    for a in args:
        a = str(a)
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)


def pipe_load(server, commands):
    """Sends RESP-encoded `commands` (an iterable of strings) through redis-cli --pipe."""
    subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input="".join(commands),
                   capture_output=True, text=True, check=True, timeout=600)


def redis_benchmark(server, args, requests, pipeline):
    """Runs redis-benchmark (pinned to the client core) with `args` after the common ones;
    returns ops/s of its last CSV row and the server's CPU microseconds per request."""
    before = server.cpu_ticks()
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CORE, "redis-benchmark", "-p", str(server.port), "-c", "50",
         "-r", "1000000", "-n", str(requests), "-P", str(pipeline), "--csv"] + args,
        capture_output=True, text=True, timeout=600)
    cpu = (server.cpu_ticks() - before) / CLK_TCK
    rows = [l for l in out.stdout.splitlines() if l and not l.startswith('"test"')]
    if out.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed: {out.stdout}{out.stderr}")
    # Some tests (LRANGE_*) are preceded by a run that fills the data: the last row counts.
    return float(rows[-1].split(",")[1].strip('"')), cpu / requests * 1e6


def compare(ours, redis, rounds, tests, prepare=None, skip=None):
    """The side-by-side table: for each (label, redis-benchmark args, requests at -P 1,
    at -P 16), alternating servers round by round, medians of ops/s and CPU per request."""
    width = max([4] + [len(t[0]) for t in tests])
    print(f"\n== Throughput: median of {rounds} alternating rounds, -c 50 -r 1000000 ==")
    head = (f"{'test':<{width}} {'-P':>3} | {'redoubt ops/s':>13} {'redis ops/s':>12} "
            f"{'ratio':>6} | {'redoubt us/req':>14} {'redis us/req':>12} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for label, args, n1, n16 in tests:
        for pipeline, n in ((1, n1), (16, n16)):
            reason = skip(label) if skip else None
            if reason:
                print(f"{label:<{width}} {pipeline:>3} | {reason}: skipped")
                continue
            res = {ours.name: [], redis.name: []}
            for _ in range(rounds):
                for srv in (ours, redis):
                    if prepare:
                        prepare(srv, label, n)
                    res[srv.name].append(redis_benchmark(srv, args, n, pipeline))
            a_rps = statistics.median(r for r, _ in res[ours.name])
            b_rps = statistics.median(r for r, _ in res[redis.name])
            a_cpu = statistics.median(c for _, c in res[ours.name])
            b_cpu = statistics.median(c for _, c in res[redis.name])
            print(f"{label:<{width}} {pipeline:>3} | {a_rps:>13,.0f} {b_rps:>12,.0f} "
                  f"{ratio(a_rps, b_rps):>6} | {a_cpu:>14.2f} {b_cpu:>12.2f} "
                  f"{ratio(a_cpu, b_cpu):>6}", flush=True)
    print("ratio = redoubt / redis: above 1 is faster for ops/s, costlier for us/req")


def memory_per_element(make_servers, n, title, parts):
    """used_memory per element of collections loaded one after another into fresh servers.
    `parts` is [(label, fill(server), length command, key)]; the last key's encoding is shown."""
    print(f"\n== Memory: {title}, fresh servers ==")
    ours, redis = make_servers()
    try:
        rows = {}
        for srv in (ours, redis):
            before, per, lens = srv.used_memory(), [], []
            for _, fill, len_cmd, key in parts:
                fill(srv)
                time.sleep(0.5)
                now = srv.used_memory()
                per.append((now - before) / n)
                before = now
                lens.append(srv.cmd(len_cmd, key).strip())
            enc = srv.cmd("OBJECT", "ENCODING", parts[-1][3]).strip()
            rows[srv.name] = (per, lens, enc)
        labels = [p[0] for p in parts]
        print(f"{'server':<8} " + " ".join(f"{l + ' B/elem':>14}" for l in labels)
              + "  lengths, encoding of the last")
        for name, (per, lens, enc) in rows.items():
            print(f"{name:<8} " + " ".join(f"{x:>14.1f}" for x in per) + f"  {tuple(lens)} {enc}")
        a, b = rows[ours.name][0], rows[redis.name][0]
        print("ratio redoubt/redis: "
              + ", ".join(f"{l} {ratio(x, y)}" for l, x, y in zip(labels, a, b)))
    finally:
        ours.stop()
        redis.stop()


def collection_main(doc, size_flag, throughput, memory, preload=None):
    """The command line shared by the collection benchmarks: throughput (after `preload` of
    each server, if given) then memory, both skippable, with --only test labels."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument(f"--{size_flag}", dest="size", type=int, default=1_000_000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only", help="comma-separated test labels to run")
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
            if preload:
                for srv in (ours, redis):
                    preload(srv, args.size)
            only = set(args.only.upper().split(",")) if args.only else None
            throughput(ours, redis, args.rounds, only)
        finally:
            ours.stop()
            redis.stop()
    if not args.skip_memory:
        memory(make_servers, args.size)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"


def fmt(x, spec):
    return format(x, spec) if x is not None else "n/a"


def throughput(ours, redis, rounds):
    tests = [(t.upper(), ["-t", t], n1, n16) for t, n1, n16, _ in TESTS]
    probes = {t.upper(): probe for t, _, _, probe in TESTS}

    def skip(label):
        probe = probes[label]
        return None if ours.supports(probe) else f"redoubt lacks {probe[0]}"

    compare(ours, redis, rounds, tests, skip=skip)


def memory(make_servers, keys):
    print(f"\n== Memory: {keys:,} SETs of random keys (3-byte values), fresh servers ==")
    ours, redis = make_servers()
    try:
        rows = {}
        for srv in (ours, redis):
            used0, rss0 = srv.used_memory(), srv.rss_kb()
            subprocess.run(["taskset", "-c", CLIENT_CORE, "redis-benchmark", "-p",
                            str(srv.port), "-t", "set", "-n", str(keys), "-r", "100000000",
                            "-P", "16", "-c", "50", "-q"],
                           capture_output=True, check=True, timeout=300)
            time.sleep(0.5)
            n = int(srv.cmd("DBSIZE").strip() or 0)
            used1, rss1 = srv.used_memory(), srv.rss_kb()
            used = (used1 - used0) / n if n and used0 is not None and used1 is not None else None
            rows[srv.name] = (n, used1, used, rss1 * 1024, (rss1 - rss0) * 1024 / n if n else None)
        head = (f"{'server':<8} {'keys':>9} {'used_memory':>13} {'B/key':>7} "
                f"{'RSS':>13} {'B/key':>7}")
        print(head)
        print("-" * len(head))
        for name, (n, used, per_used, rss, per_rss) in rows.items():
            print(f"{name:<8} {n:>9,} {fmt(used, '>13,')} {fmt(per_used, '>7.1f')} "
                  f"{rss:>13,} {fmt(per_rss, '>7.1f')}")
        a, b = rows[ours.name], rows[redis.name]
        print(f"ratio redoubt/redis: used_memory per key {ratio(a[2], b[2])}, "
              f"RSS per key {ratio(a[4], b[4])}")
    finally:
        ours.stop()
        redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--redoubt", required=True, help="path to the release redoubt binary")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    ap.add_argument("--keys", type=int, default=1_000_000)
    args = ap.parse_args()
    if os.cpu_count() < 2:
        sys.exit("needs two cores: one for the servers, one for redis-benchmark")
    workdir = tempfile.mkdtemp(prefix="redoubt-bench-")

    def make_servers():
        return (Server("redoubt", [os.path.abspath(args.redoubt), "server"], free_port(),
                       workdir),
                Server("redis", ["redis-server"], free_port(), workdir))

    version = subprocess.run(["redis-server", "--version"], capture_output=True,
                             text=True).stdout.strip()
    print(f"redoubt: {args.redoubt}\nredis:   {version}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other work skews the figures)")
    start = time.time()
    ours, redis = make_servers()
    try:
        throughput(ours, redis, args.rounds)
    finally:
        ours.stop()
        redis.stop()
    memory(make_servers, args.keys)
    print(f"\ndone in {time.time() - start:.0f}s; load average now {os.getloadavg()[0]:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

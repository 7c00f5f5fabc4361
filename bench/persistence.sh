#!/usr/bin/env bash
# Persistence, `redoubt server` vs redis-server 7.0 on this machine.
#
#   bench/persistence.sh                         (ROUNDS=3, 1,000,000 keys by default)
#   bench/persistence.sh --keys 200000 --rounds 1 --only save
#
# Builds the release binary, then runs bench/persistence_bench.py, alternating the servers
# round by round (each in a directory of its own, pinned to core 0; redis-benchmark on core 1):
# SAVE time and dump.rdb size with N keys; start-up load time from dump.rdb, from an AOF with
# an RDB preamble and from an AOF of commands; p50/p99/max latency of redis-benchmark SET/GET
# alone, during BGSAVE and during BGREWRITEAOF. Prints medians and redoubt/redis ratios.
# About 10 minutes with the defaults; needs a few GB of free disk in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install redis-server redis-tools)"; exit 1; }
done
command -v taskset >/dev/null || { echo "taskset is required (util-linux)"; exit 1; }
cargo build --release -p redoubt
exec python3 bench/persistence_bench.py --redoubt target/release/redoubt "$@"

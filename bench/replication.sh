#!/usr/bin/env bash
# Replication, `redoubt server` vs redis-server 7.0 on this machine.
#
#   bench/replication.sh                          (ROUNDS=3, 1,000,000 keys by default)
#   bench/replication.sh --rounds 1 --keys 200000 --only sync
#
# Builds the release binary, then runs bench/replication_bench.py, alternating the servers
# round by round (primaries pinned to core 0; replicas and redis-benchmark to core 1): SET
# throughput with 0 and 2 replicas attached (and Redoubt with min-replicas-ack-writes); full
# sync time of N keys, diskless and disk-style; replica lag (bytes behind) under
# redis-benchmark SET -P 16 and the catch-up time after it. Prints medians and ratios.
# About 10 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install redis-server redis-tools)"; exit 1; }
done
command -v taskset >/dev/null || { echo "taskset is required (util-linux)"; exit 1; }
cargo build --release -p redoubt
exec python3 bench/replication_bench.py --redoubt target/release/redoubt "$@"

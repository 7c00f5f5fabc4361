#!/usr/bin/env bash
# Side-by-side benchmark of `redoubt server` and redis-server 7.0 on this machine.
#
#   bench/server.sh            (ROUNDS=3 by default; ROUNDS=5 bench/server.sh for more)
#
# Builds the release binary, then runs bench/server_bench.py: both servers pinned to core 0
# (--save '' --appendonly no), redis-benchmark pinned to core 1, runs alternating
# redoubt, redis, redoubt, redis... for SET GET INCR MSET at -P 1 and -P 16 (-c 50, -r 1000000),
# reporting ops/s, server CPU time per request and the ratios; then loads 1,000,000 SETs
# into fresh servers and reports used_memory and RSS per key. Takes about 3-4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install redis-server redis-tools)"; exit 1; }
done
command -v taskset >/dev/null || { echo "taskset is required (util-linux)"; exit 1; }
cargo build --release -p redoubt
exec python3 bench/server_bench.py --redoubt target/release/redoubt "$@"

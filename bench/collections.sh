#!/usr/bin/env bash
# Sets and sorted sets, `redoubt server` vs redis-server 7.0 on this machine.
#
#   bench/collections.sh                 (ROUNDS=3 by default)
#   bench/collections.sh --only ZADD,ZRANK --skip-memory
#
# Builds the release binary, then runs bench/collections_bench.py: SADD SPOP ZADD at -P 1 and
# -P 16, ZRANGEBYSCORE and ZRANK on a 1,000,000-member sorted set (ops/s and server CPU time
# per request, servers pinned to core 0 and redis-benchmark to core 1, alternating rounds),
# then used_memory per element of a 1,000,000-member set and sorted set. About 6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install redis-server redis-tools)"; exit 1; }
done
command -v taskset >/dev/null || { echo "taskset is required (util-linux)"; exit 1; }
cargo build --release -p redoubt
exec python3 bench/collections_bench.py --redoubt target/release/redoubt "$@"

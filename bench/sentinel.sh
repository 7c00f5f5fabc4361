#!/usr/bin/env bash
# Failover side by side: Redoubt vs redis-server + redis-sentinel 7.0 on three hosts made of
# network namespaces (needs root; created and removed by the script).
#
#   bench/sentinel.sh                      kill, restart and a 30 s partition, one round
#   bench/sentinel.sh --rounds 3 --partition 10 --only kill
#
# Builds the release binary, then runs bench/ha_bench.py, which prints: unavailability after
# kill -9 of the primary, time for the restarted old primary to serve as a replica, and the
# acknowledged writes lost to a partition that isolates the primary with its client.
# Takes about 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server ip; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install redis-server redis-sentinel iproute2)"; exit 1; }
done
cargo build --release -p redoubt
exec python3 bench/ha_bench.py --redoubt target/release/redoubt "$@"

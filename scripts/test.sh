#!/usr/bin/env bash
# The whole test suite: installs what the tests need when missing (Debian's redis-server and
# redis-tools, the reference the differential tests compare against, and iproute2 for the
# network-namespace tests, which need root), then checks formatting and lints and runs every
# test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-check-aof >/dev/null 2>&1 || need+=(redis-tools)
# The partition tests build hosts out of network namespaces (ip netns, veth, bridge).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
redis-server --version | grep -q 'v=7\.0\.' || { echo "redis-server 7.0 is required"; exit 1; }

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --workspace

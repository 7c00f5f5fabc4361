#!/usr/bin/env bash
# Fuzzes the RESP request decoder with libFuzzer through cargo-fuzz, on the stable toolchain.
#
#   scripts/fuzz.sh [SECONDS] [TARGET]     (defaults: 60 seconds, request_decoder)
#
# Installs cargo-fuzz from crates.io when missing. `--sanitizer none` is what lets a stable
# rustc build the target (AddressSanitizer needs nightly's -Zsanitizer); the decoder is safe
# Rust, so panics, overflow checks and debug assertions are what the fuzzer catches. The
# corpus grows in fuzz/corpus/TARGET (git-ignored), seeded from a few hand-written requests;
# a crash is saved under fuzz/artifacts/TARGET and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

secs="${1:-60}"
target="${2:-request_decoder}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

corpus="corpus/$target"
mkdir -p "$corpus"
seed() { printf "$2" > "$corpus/seed-$1"; }
# Byte 0: limits (bit 0 unauthenticated, bit 1 small bulk limit, bit 2 primary); byte 1: cut.
seed set '\000\200*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n'
seed pipeline '\000\100*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n'
seed inline '\000\030SET k "a b\\x41\\n" '"'"'it\\'"'"'s'"'"'\r\n\r\nGET k\n'
seed unauth '\001\200*11\r\n$4\r\nAUTH\r\n$16385\r\n'
seed bigbulk '\002\200*2\r\n$4\r\nECHO\r\n$1025\r\n'
seed negative '\000\010*-1\r\n*0\r\n*1\r\n$-1\r\n'

exec cargo fuzz run --sanitizer none "$target" "$corpus" -- \
  -max_total_time="$secs" -dict=resp.dict -max_len=4096 -print_final_stats=1

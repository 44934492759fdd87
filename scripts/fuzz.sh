#!/usr/bin/env bash
# Runs every cargo-fuzz target (channel parsers) for a while; a crash fails the script.
#   scripts/fuzz.sh [seconds per target, default 60]
# Needs cargo-fuzz (`cargo install --locked cargo-fuzz`). The stable toolchain is enough: RUSTC_BOOTSTRAP
# unlocks the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-/tmp/rathaus-fuzz-target}
for target in $(cargo fuzz list); do
  echo "==> fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 2
done

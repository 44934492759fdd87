#!/usr/bin/env bash
# Runs the cargo-fuzz targets (every parser of outside input, see docs/fuzzing.md) one after another;
# a crash fails the script and leaves the reproducer in fuzz/artifacts/<target>/.
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]   (default: all targets)
# Corpus: fuzz/corpus/<target>/ is kept in the repository. Each run starts from it plus the hand-written
# seeds in fuzz/seeds/<target>/, and afterwards `cargo fuzz cmin` shrinks it to the inputs that reach new
# code, so it stays small. Long runs: `nice -n 19 scripts/fuzz.sh 600`.
# Needs cargo-fuzz (`cargo install --locked cargo-fuzz`). The stable toolchain is enough: RUSTC_BOOTSTRAP
# unlocks the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
seconds=${1:-60}
shift || true
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-/tmp/rathaus-fuzz-target}
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi
# Keeps the inputs that reach new code edges (not every new hit count), each cut to FUZZ_CORPUS_MAX_LEN
# bytes, so the corpus in git stays a few hundred KiB; the full-length seeds stay in fuzz/seeds/.
minimise() {
  cargo fuzz cmin "$1" "corpus/$1" -- -use_counters=0 -max_len="${FUZZ_CORPUS_MAX_LEN:-1024}" \
    >/dev/null 2>&1 || echo "    (cmin failed; corpus left as is)"
}
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  log=$(mktemp)
  echo "==> $target: ${seconds}s ($(date -u +%FT%TZ))"
  if ! cargo fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "CRASH in $target: reproducer in fuzz/artifacts/$target/ (cargo fuzz fmt $target <file>)"
    exit 1
  fi
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  echo "    ${runs} inputs, no crash"
  minimise "$target"
  echo "    corpus: $(find "corpus/$target" -type f | wc -l) files, $(du -s --apparent-size -k "corpus/$target" | cut -f1) KiB"
  rm -f "$log"
done

#!/usr/bin/env bash
# Fuzzes the receipts module for a bounded time: each cargo-fuzz target in tests/fuzz/ runs for
# SECONDS (default 60) under a memory limit, one after the other, and the script fails when one of
# them finds a crash, a hang or an out-of-memory input (it prints the reproducer's path).
#
#   tests/fuzz/run.sh                 every target, 60 s each
#   tests/fuzz/run.sh 300             every target, 300 s each
#   tests/fuzz/run.sh 120 pdf image   only those targets (names: sniff image pdf)
#
# Targets (tests/fuzz/fuzz_targets/): sniff (receipts::sniff), image (the image path of
# receipts::process), pdf (receipts::extract_pdf_in_process on a 512 MiB stack).
# Seeds: seed-data/receipts/ (read recursively, so hostile/ too) and tests/fuzz/seeds/<target>/;
# what the fuzzer learns goes to tests/fuzz/corpus/<target>/ and crashes to
# tests/fuzz/artifacts/<target>/, both git-ignored.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer=address and friends); RUSTC_BOOTSTRAP=1 lets
# the stable toolchain accept them. cargo-fuzz itself is installed from crates.io when missing.
#
# Environment (all optional):
#   FORMWORK_FUZZ_TARGET_DIR   build directory (default /work/.cache/fuzz-target, apart from the
#                              main build so neither evicts nor locks the other)
#   FORMWORK_FUZZ_CORPUS_DIR   where corpora are kept (default tests/fuzz/corpus)
#   FORMWORK_FUZZ_RSS_MB       memory limit per target, MB (default 2048)
#   FORMWORK_FUZZ_TIMEOUT      seconds one input may take before it counts as a hang (default 60;
#                              the slowest legitimate inputs take 10-20 s under AddressSanitizer)
#   FORMWORK_FUZZ_NICE         niceness of build and fuzzers (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FUZZ_DIR=tests/fuzz
ALL_TARGETS=(sniff image pdf)
CARGO_FUZZ_VERSION=0.13.2

SECONDS_PER_TARGET=${1:-60}
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*) echo "run.sh: seconds must be a whole number, not '$SECONDS_PER_TARGET'" >&2; exit 2 ;; esac
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
for t in "${TARGETS[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) echo "run.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2 ;; esac
done

TARGET_DIR=${FORMWORK_FUZZ_TARGET_DIR:-/work/.cache/fuzz-target}
CORPUS_ROOT=${FORMWORK_FUZZ_CORPUS_DIR:-$ROOT/$FUZZ_DIR/corpus}
RSS_MB=${FORMWORK_FUZZ_RSS_MB:-2048}
TIMEOUT=${FORMWORK_FUZZ_TIMEOUT:-60}
NICE=(nice -n "${FORMWORK_FUZZ_NICE:-10}")
# Largest input the fuzzer makes: room for every seed (the largest, hostile/deep_nesting.pdf, is
# 100 KB).
MAX_LEN=131072
LOGS=$ROOT/$FUZZ_DIR/logs
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
unset CARGO_TARGET_DIR  # the main build's (e.g. from .ci/run); --target-dir below is used instead
mkdir -p "$TARGET_DIR" "$LOGS"

# --- cargo-fuzz --------------------------------------------------------------------------------
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION (crates.io)"
  "${NICE[@]}" cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
cargo fuzz --version

# --- build -------------------------------------------------------------------------------------
# The fuzz crate is a workspace of its own; the root lock file pins the server's dependencies to
# the versions the server is built with (cargo adds only libfuzzer-sys and its few dependencies).
cp Cargo.lock "$FUZZ_DIR/Cargo.lock"
# --codegen-units 16: a much faster build of the server's large dependency tree for slightly
# slower fuzzing. The same flags go to `run`, which would otherwise rebuild.
FLAGS=(--fuzz-dir "$FUZZ_DIR" --target-dir "$TARGET_DIR" --codegen-units 16)
echo "== building the fuzz targets (${TARGETS[*]}) in $TARGET_DIR"
start=$SECONDS
for t in "${TARGETS[@]}"; do "${NICE[@]}" cargo fuzz build "${FLAGS[@]}" "$t"; done
echo "build: $((SECONDS - start))s"

# --- run ---------------------------------------------------------------------------------------
SUMMARY=()
PASSED=0
FAILED=0
for t in "${TARGETS[@]}"; do
  corpus=$CORPUS_ROOT/$t
  artifacts=$ROOT/$FUZZ_DIR/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  seeds=("$ROOT/seed-data/receipts")  # libFuzzer reads directories recursively: hostile/ too
  [ -d "$ROOT/$FUZZ_DIR/seeds/$t" ] && seeds+=("$ROOT/$FUZZ_DIR/seeds/$t")
  log=$LOGS/$t.log
  marker=$(mktemp)
  echo
  echo "== fuzzing $t for ${SECONDS_PER_TARGET}s (rss limit ${RSS_MB} MB, ${TIMEOUT}s per input; log $log)"
  rc=0
  "${NICE[@]}" cargo fuzz run "${FLAGS[@]}" "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -max_len="$MAX_LEN" -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  # Absorbed third-party panics (pdf target) and libFuzzer's closing lines.
  grep -E '^pdf target: absorbed' "$log" | sort -u || true
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::|^SUMMARY|^==[0-9]+==ERROR|panicked at' "$log" || true
  found=$(find "$artifacts" -type f -newer "$marker" \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
  slow=$(find "$artifacts" -type f -newer "$marker" -name 'slow-unit-*' | sort)
  rm -f "$marker"
  [ -n "$slow" ] && echo "slow inputs (not failures): $slow"
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(echo "$done_line" | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+' || true)
  ft=$(echo "$done_line" | grep -Eo 'ft: [0-9]+' | grep -Eo '[0-9]+' || true)
  runs=$(grep -Eo '^stat::number_of_executed_units:[[:space:]]+[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  eps=$(grep -Eo '^stat::average_exec_per_sec:[[:space:]]+[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
    status=PASS; PASSED=$((PASSED + 1))
  else
    status=FAIL; FAILED=$((FAILED + 1))
    echo "run.sh: $t FAILED (exit $rc); last lines of $log:" >&2
    # cargo-fuzz prints the failing input as a (long) byte list: cut long lines.
    tail -n 40 "$log" | cut -c1-300 >&2
    for f in $found; do
      echo "run.sh: reproducer: $f" >&2
      echo "run.sh:   replay with: RUSTC_BOOTSTRAP=1 cargo fuzz run ${FLAGS[*]} $t $f" >&2
    done
  fi
  SUMMARY+=("$(printf '%-5s %-6s runs %-9s exec/s %-6s cov %-6s ft %-6s' "$status" "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}")")
done

echo
echo "== fuzz summary (${SECONDS_PER_TARGET}s per target; logs in $FUZZ_DIR/logs)"
for line in "${SUMMARY[@]}"; do echo "$line"; done
echo "fuzz: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

#!/usr/bin/env bash
# Usage: tests/bench/hot_path.sh sqlite|postgres N [REQUESTS] [POOLS]
#   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`;
#   the binaries are read from $CARGO_TARGET_DIR/release, or FORMWORK_BIN / FORMWORK_BENCH_BIN).
# My claims with `status` = Approved over MCP at 1 and 32 clients (issue 17's hot path): calls/s,
# latency and the server's CPU per call (PostgreSQL's backends for this database included). With
# POOLS (e.g. "4,8,16") the server is started once per database pool size
# (`--db-max-connections`) on the same data, in that order. With REUSE_DATABASE_URL set, that
# database (made with `formwork demo generate --claims N --users 50`) is measured and kept.
# Figures are printed, never asserted; run it with nothing else busy on the machine.
set -euo pipefail
DB=$1 N=$2 REQ=${3:-3000} POOLS=${4:-default}
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"
FW=${FORMWORK_BIN:-$T/formwork}; BENCH=${FORMWORK_BENCH_BIN:-$T/formwork-bench}
cd "$(dirname "$0")/../.."
PREFIX=hot
. tests/bench/claims_db.sh
for pool in ${POOLS//,/ }; do
  POOL_ARG=()
  [ "$pool" != default ] && POOL_ARG=(--db-max-connections "$pool")
  "$FW" serve --bind 127.0.0.1:0 "${POOL_ARG[@]}" > "$W/out" 2> "$W/err" & PID=$!
  until grep -q "listening on" "$W/out" 2>/dev/null; do kill -0 "$PID" || { cat "$W/err"; exit 1; }; sleep 0.05; done
  BASE=$(sed -n 's/^formwork listening on //p' "$W/out")
  echo "## MCP tools/call My claims {\"status\":\"Approved\"} ($DB, $N claims, database pool: $pool)"
  "$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims --args '{"status":"Approved"}' \
    --concurrency 1,32 --requests "$REQ" --label "my_claims status=Approved pool=$pool" --server-pids "$PID" \
    --json-out "$W/mcp.jsonl" --tags "db=$DB,claims=$N,pool=$pool" "${PGX[@]}" 2>&1 | grep -E "c=|server|first error"
  grep -E "VmRSS|Pss" "/proc/$PID/status" "/proc/$PID/smaps_rollup" 2>/dev/null | sed 's/^/  /' || true
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done

#!/usr/bin/env bash
# Usage: tests/bench/substring.sh sqlite|postgres N [REQUESTS]
#   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`;
#   the binaries are read from $CARGO_TARGET_DIR/release, or FORMWORK_BIN / FORMWORK_BENCH_BIN).
# My claims with `supplier` contains "inn" at N generated claims over 50 users (issue 17): first
# in-process through the store, the scan (`LIKE`/`ILIKE` over the user's rows, as before the
# substring index) and the substring index on the same data one after the other, with their
# plans; then over MCP at 1 and 32 clients with the server as it runs (the index). Figures are
# printed, never asserted. With REUSE_DATABASE_URL set, that database (already generated with
# `formwork demo generate --claims N --users 50`) is measured instead of a new one, and kept.
set -euo pipefail
DB=$1 N=$2 REQ=${3:-2000}
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=${FORMWORK_BIN:-$T/formwork}; BENCH=${FORMWORK_BENCH_BIN:-$T/formwork-bench}
cd "$(dirname "$0")/../.."
PREFIX=substr
. tests/bench/claims_db.sh
echo "## in-process, 1 client: the scan, then the substring index (page and total in one statement)"
"$BENCH" engine --database-url "$DATABASE_URL" --user emp001 --requests 500 --json-out "$W/engine.jsonl" \
  | grep -E "supplier contains inn"
"$FW" serve --bind 127.0.0.1:0 > "$W/out" 2> "$W/err" & PID=$!
until grep -q "listening on" "$W/out" 2>/dev/null; do kill -0 "$PID" || { cat "$W/err"; exit 1; }; sleep 0.05; done
BASE=$(sed -n 's/^formwork listening on //p' "$W/out")
echo "## MCP tools/call My claims {\"supplier\":\"inn\"} ($DB, $N claims)"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims --args '{"supplier":"inn"}' \
  --concurrency 1,32 --requests "$REQ" --label "my_claims supplier contains inn" --server-pids "$PID" \
  --json-out "$W/mcp.jsonl" --tags "db=$DB,claims=$N" "${PGX[@]}" 2>&1 | grep -E "c=|server"
echo "## and status = Approved, for comparison"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims --args '{"status":"Approved"}' \
  --concurrency 32 --requests "$REQ" --label "my_claims status=Approved" --server-pids "$PID" \
  --json-out "$W/mcp.jsonl" --tags "db=$DB,claims=$N" "${PGX[@]}" 2>&1 | grep -E "c=|server"

#!/usr/bin/env bash
# Usage: REUSE_DATABASE_URL=postgres://…/DB tests/bench/pg_keys.sh [REQUESTS] [ROUNDS]
#   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`;
#   FORMWORK_BIN / FORMWORK_BENCH_BIN pick other binaries).
# Counting from key columns on PostgreSQL (issue 17; docs/benchmarks.md, "Counting from key
# columns"): My claims over MCP with `supplier` contains "inn" and with `status` = Approved, at 1
# and 32 clients, on a database generated with `formwork demo generate --claims N --users 50`.
# One server; each round measures with the key columns' map (`record_key_fields`) in place, then
# without it (the same binary then counts from the data), and puts it back. Figures are printed,
# never asserted.
set -euo pipefail
REQ=${1:-3000} ROUNDS=${2:-2}
: "${REUSE_DATABASE_URL:?set REUSE_DATABASE_URL to a generated PostgreSQL database}"
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=${FORMWORK_BIN:-$T/formwork}; BENCH=${FORMWORK_BENCH_BIN:-$T/formwork-bench}
cd "$(dirname "$0")/../.."
DB=postgres N=generated PREFIX=pgkeys
. tests/bench/claims_db.sh
"$FW" serve --bind 127.0.0.1:0 > "$W/out" 2> "$W/err" & PID=$!
until grep -q "listening on" "$W/out" 2>/dev/null; do kill -0 "$PID" || { cat "$W/err"; exit 1; }; sleep 0.1; done
BASE=$(sed -n 's/^formwork listening on //p' "$W/out")
psql "$DATABASE_URL" -qc "DROP TABLE IF EXISTS bench_keys_map; CREATE TABLE bench_keys_map AS SELECT * FROM record_key_fields"
put_back() { psql "$DATABASE_URL" -qc "INSERT INTO record_key_fields SELECT * FROM bench_keys_map ON CONFLICT DO NOTHING; DROP TABLE bench_keys_map"; }
trap 'put_back; cleanup' EXIT
run() {
  for args in '{"supplier":"inn"}' '{"status":"Approved"}'; do
    "$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims --args "$args" \
      --concurrency 1,32 --requests "$REQ" --label "$1 $args" --server-pids "$PID" "${PGX[@]}" 2>&1 | grep -E "c=|server:"
  done
}
for _ in $(seq 1 "$ROUNDS"); do
  run "keys"
  psql "$DATABASE_URL" -qc "DELETE FROM record_key_fields"
  run "no keys"
  psql "$DATABASE_URL" -qc "INSERT INTO record_key_fields SELECT * FROM bench_keys_map"
done

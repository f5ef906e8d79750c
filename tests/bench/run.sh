#!/usr/bin/env bash
# Formwork benchmark: generates claims, starts the release server on SQLite or PostgreSQL, and
# drives it over real HTTP with real tokens. Prints figures; asserts nothing about time.
#
#   tests/bench/run.sh [--claims N] [--db sqlite|postgres] [--requests N] [--concurrency 1,8,32,128]
#
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the run
# uses a database of its own and drops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLAIMS=100000 DB=sqlite REQUESTS=1000 CONC=1,32 USERS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --claims) CLAIMS=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
TARGET="${CARGO_TARGET_DIR:-/work/.cache/bench-target}"
CARGO_TARGET_DIR="$TARGET" cargo build --release -q -p formwork -p formwork-bench
FW="$TARGET/release/formwork"; BENCH="$TARGET/release/formwork-bench"
WORK=$(mktemp -d /tmp/formwork-bench.XXXXXX)
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ "$DB" = postgres ]; then
  NAME="fw_bench_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $NAME"
  export DATABASE_URL="${PG_URL%/*}/$NAME"
else
  export DATABASE_URL="sqlite://$WORK/formwork.db?mode=rwc"
fi
export FORMWORK_DATA_DIR="$WORK"
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  [ "$DB" = postgres ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "# Formwork benchmark — $DB, $CLAIMS claims over $USERS users, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
"$FW" demo generate --claims "$CLAIMS" --users "$USERS"
echo "formwork-demo-pw" | "$FW" user add --username bench_manager --role manager >/dev/null
"$FW" mcp enable >/dev/null
TOKENS=$(for i in $(seq -f "%03g" 1 32); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)
MTOKEN=$("$FW" token create --user bench_manager --name bench)

start_ns=$(date +%s%N)
"$FW" serve --bind 127.0.0.1:0 > "$WORK/server.out" 2> "$WORK/server.err" &
PID=$!
until grep -q "formwork listening on" "$WORK/server.out" 2>/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.err"; exit 1; }
  sleep 0.01
done
ready_ns=$(date +%s%N)
BASE=$(sed -n 's/^formwork listening on //p' "$WORK/server.out")
echo "cold start to listening: $(( (ready_ns - start_ns) / 1000000 )) ms"
echo "RSS after start: $(awk '/VmRSS/{print $2" "$3}' /proc/$PID/status)"

# One Draft claim per employee for the write scenario.
RECORDS=$(for t in $(echo "$TOKENS" | tr , ' '); do
  curl -s "$BASE/mcp" -H "Authorization: Bearer $t" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"expense_claims_my_claims","arguments":{"status":"Draft","limit":1}}}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["structuredContent"]["rows"][0]["id"])'
done | paste -sd, -)

echo "## web: first page of My claims filtered by status"
"$BENCH" web --base "$BASE" --user emp001 --password formwork-demo --path "/apps/expense_claims/views/my_claims?p_status=Approved" --concurrency 1 --requests "$REQUESTS" --label "web my_claims status=Approved"
echo "## MCP tools/call"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims --args '{"status":"Approved"}' --concurrency "$CONC" --requests "$REQUESTS" --label "mcp my_claims status=Approved"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$MTOKEN" --tool expense_claims_claims_to_approve --args '{}' --concurrency "$CONC" --requests "$REQUESTS" --label "mcp claims_to_approve"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --records "$RECORDS" --tool expense_claims_fill_receipt_fields \
  --args '{"record_id":{record},"supplier":"Bench {i}","expense_date":"2026-01-15","net":"10.00","tax":"1.90","currency":"EUR"}' \
  --concurrency "$CONC" --requests "$REQUESTS" --label "mcp fill_receipt_fields (write)"
echo "RSS after load: $(awk '/VmRSS/{print $2" "$3}' /proc/$PID/status); peak $(awk '/VmHWM/{print $2" "$3}' /proc/$PID/status)"
echo "CPU seconds used by the server: $(awk '{printf "%.1f", ($14+$15)/100}' /proc/$PID/stat)"
echo "## tools/list size for one employee"
curl -s "$BASE/mcp" -H "Authorization: Bearer ${TOKENS%%,*}" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | python3 -c 'import json,sys; b=sys.stdin.read(); t=json.loads(b)["result"]["tools"]; print(f"{len(t)} tools, {len(b)} bytes, ~{(len(b)+3)//4} tokens")'
echo "## in-process (no HTTP)"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
"$BENCH" engine --database-url "$DATABASE_URL" --user emp001 --requests "$REQUESTS"

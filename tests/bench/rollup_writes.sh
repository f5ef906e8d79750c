#!/usr/bin/env bash
# Usage: tests/bench/rollup_writes.sh sqlite|postgres N   (release binaries as for summary.sh)
# What keeping summary rollups costs a write: "Fill receipt fields" over MCP at 1 and 8 clients,
# alternating rounds with the app's rollups in place and with them removed while the server runs
# (a write then finds no rollup and changes no cell). Then times building them all at start-up.
set -euo pipefail
DB=$1 N=$2 ROUNDS=${ROUNDS:-2} REQ=${REQ:-1500}
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=$T/formwork; BENCH=$T/formwork-bench
W=$(mktemp -d /tmp/rollwrite.XXXX)
if [ "$DB" = postgres ]; then
  name="fw_rollwrite_$$"; psql postgres://postgres@127.0.0.1:5432/test -qc "CREATE DATABASE $name"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$name"
  sql() { psql "$DATABASE_URL" -qAtc "$1"; }
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"
  sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=30); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\n'.join('|'.join(map(str,x)) for x in r))" "$W/formwork.db" "$1"; }
fi
export FORMWORK_DATA_DIR=$W
cd "$(dirname "$0")/../.."
"$FW" demo generate --claims "$N" --users 8 >/dev/null 2>&1
"$FW" mcp enable >/dev/null
TOKENS=$(for i in $(seq -f "%03g" 1 8); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)
serve() {
  "$FW" serve --bind 127.0.0.1:0 > $W/out 2> $W/err & PID=$!
  until grep -q "listening on" $W/out 2>/dev/null; do sleep 0.05; done
  BASE=$(sed -n 's/^formwork listening on //p' $W/out)
}
serve
post() { curl -s "$BASE/mcp" -H "Authorization: Bearer $1" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' -d "$2"; }
RECORDS=$(for t in $(echo "$TOKENS" | tr , ' '); do
  post "$t" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"expense_claims_my_claims","arguments":{"status":"Draft","limit":1}}}' \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]["structuredContent"]["rows"]; print(r[0][0] if isinstance(r[0], list) else r[0]["id"])'
done | paste -sd, -)
SPECS=$(sql "SELECT app_id, view, summary, spec FROM summary_rollups" | wc -l)
echo "$N claims, $SPECS rollups; Fill receipt fields, $REQ calls per level, $ROUNDS rounds"
round() {
  "$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_fill_receipt_fields \
    --args '{"record_id":{record},"supplier":"Bench {i}","expense_date":"2026-01-15","net":"{i}.00","tax":"1.90","currency":"EUR"}' \
    --records "$RECORDS" --concurrency 1,8 --requests "$REQ" --label "$1" --server-pids "$PID" 2>&1 | grep -E "c=|server:"
}
for r in $(seq 1 "$ROUNDS"); do
  round "with rollups ($DB)"
  sql "DELETE FROM summary_cells" >/dev/null; sql "DELETE FROM summary_rollups" >/dev/null
  round "without rollups ($DB)"
  # A restart builds the rollups again (and times it).
  kill $PID; wait $PID 2>/dev/null || true
  serve
  echo "start-up: $(sed 's/\x1b\[[0-9;]*m//g' $W/err | grep -o 'built summary rollups.*' | head -3 | tr '\n' ' ')"
done
kill $PID; wait $PID 2>/dev/null || true
[ "$DB" = postgres ] && psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE $name WITH (FORCE)"
rm -rf $W

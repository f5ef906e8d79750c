#!/usr/bin/env bash
# Usage: tests/bench/summary.sh sqlite|postgres N   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`).
# Prints the summary tool's response size against paging the same person's rows, and calls/s and latency at 1 and 32 clients.
# Summary tool vs paging rows, at N claims on one database (sqlite|postgres).
set -euo pipefail
DB=$1 N=$2
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=$T/formwork; BENCH=$T/formwork-bench
W=$(mktemp -d /tmp/sumbench.XXXX)
if [ "$DB" = postgres ]; then
  name="fw_sumbench_$$"; psql postgres://postgres@127.0.0.1:5432/test -qc "CREATE DATABASE $name"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$name"
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"
fi
export FORMWORK_DATA_DIR=$W
cd "$(dirname "$0")/../.."
t0=$SECONDS; "$FW" demo generate --claims "$N" --users 50 >/dev/null; echo "generated $N claims in $((SECONDS-t0)) s"
"$FW" mcp enable >/dev/null
# Rollups were kept while generating; drop them so the start-up below times building them anew.
if [ "$DB" = postgres ]; then
  psql "$DATABASE_URL" -qc "DELETE FROM summary_cells; DELETE FROM summary_rollups"
else
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM summary_cells'); c.execute('DELETE FROM summary_rollups'); c.commit()" "$W/formwork.db"
fi
TOKENS=$(for i in $(seq -f "%03g" 1 32); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)
"$FW" serve --bind 127.0.0.1:0 > $W/out 2> $W/err & PID=$!
until grep -q "listening on" $W/out 2>/dev/null; do sleep 0.05; done
BASE=$(sed -n 's/^formwork listening on //p' $W/out)
echo "start-up built the rollups: $(grep -o 'took_ms=[0-9]*' $W/err | head -1) (every summary that has one, from $N claims)"
TOK=${TOKENS%%,*}
post() { curl -s "$BASE/mcp" -H "Authorization: Bearer $TOK" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' -d "$1"; }
S=$(post '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"expense_claims_my_claims_summary","arguments":{"summary":"by_month_and_category"}}}')
echo "summary by month and category: $(printf %s "$S" | wc -c) bytes, $(printf %s "$S" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]["structuredContent"]["groups"]))') groups"
C=$(post '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"expense_claims_my_claims_summary","arguments":{"summary":"by_category"}}}')
echo "summary by category: $(printf %s "$C" | wc -c) bytes, $(printf %s "$C" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]["structuredContent"]["groups"]))') groups"
# What a client pages through otherwise: every row of the person's claims, 200 at a time.
bytes=0; calls=0; cursor=null
while :; do
  R=$(post "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"expense_claims_my_claims\",\"arguments\":{\"limit\":200$( [ "$cursor" = null ] || echo ",\"cursor\":\"$cursor\"")}}}")
  bytes=$((bytes + ${#R})); calls=$((calls + 1))
  cursor=$(printf %s "$R" | python3 -c 'import json,sys; c=json.load(sys.stdin)["result"]["structuredContent"].get("next_cursor"); print(c or "null")')
  [ "$cursor" = null ] && break
done
echo "paging My claims instead: $calls calls, $bytes bytes"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool expense_claims_my_claims_summary --args '{"summary":"by_month_and_category"}' \
  --concurrency 1,32 --requests 400 --label "summary ($DB, $N)" --server-pids "$PID" --json-out $W/r.jsonl --tags "db=$DB" 2>&1 | tail -6
kill $PID; wait $PID 2>/dev/null || true
[ "$DB" = postgres ] && psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE $name WITH (FORCE)"
rm -rf $W

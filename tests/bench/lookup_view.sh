#!/usr/bin/env bash
# Usage: tests/bench/lookup_view.sh sqlite|postgres N   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`).
# A view with a looked-up column and a filter on it (Equipment Requests' "Requests to approve":
# the project's cost centre) at N generated requests charged to 50 projects over ten cost
# centres: the query plans, bytes per call, and calls/s and latency at 1 and 16 clients, for the
# first page unfiltered, filtered on an own field (category) and on the looked-up cost centre.
# Figures are printed, never asserted.
set -euo pipefail
DB=$1 N=$2
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=$T/formwork; BENCH=$T/formwork-bench
W=$(mktemp -d /tmp/lkbench.XXXX)
if [ "$DB" = postgres ]; then
  name="fw_lkbench_$$"; psql postgres://postgres@127.0.0.1:5432/test -qc "CREATE DATABASE $name"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$name"
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"
fi
export FORMWORK_DATA_DIR=$W
cd "$(dirname "$0")/../.."
t0=$SECONDS; "$FW" demo generate --requests "$N" --users 50 >/dev/null; echo "generated $N requests in $((SECONDS-t0)) s"
"$FW" mcp enable >/dev/null
for i in $(seq -f "%02g" 1 16); do echo "bench-password-$i" | "$FW" user add --username "mgr$i" --role manager >/dev/null; done
TOKENS=$(for i in $(seq -f "%02g" 1 16); do "$FW" token create --user "mgr$i" --name bench; done | paste -sd, -)
"$FW" serve --bind 127.0.0.1:0 > $W/out 2> $W/err & PID=$!
until grep -q "listening on" $W/out 2>/dev/null; do sleep 0.05; done
BASE=$(sed -n 's/^formwork listening on //p' $W/out)
TOK=${TOKENS%%,*}
TOOL=equipment_requests_requests_to_approve
post() { curl -s "$BASE/mcp" -H "Authorization: Bearer $TOK" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' -d "$1"; }
for args in '{}' '{"category":"Monitor"}' '{"cost_centre":"CC-1300"}'; do
  R=$(post "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$TOOL\",\"arguments\":$args}}")
  printf '%s: %s bytes, %s\n' "$args" "$(printf %s "$R" | wc -c)" \
    "$(printf %s "$R" | python3 -c 'import json,sys; s=json.load(sys.stdin)["result"]["structuredContent"]; print("total", s["total"], "exact" if s["total_exact"] else "at least", "| first row:", s["rows"][0] if s["rows"] else None)')"
done
# The plan of the filtered page's query, as the database runs it (the lookup's ids from an index,
# the target's cost centre from an index).
if [ "$DB" = postgres ]; then
  APP=$(psql "$DATABASE_URL" -Atc "SELECT id FROM apps WHERE slug='equipment_requests'")
  PRJ=$(psql "$DATABASE_URL" -Atc "SELECT id FROM apps WHERE slug='projects'")
  echo "plan (PostgreSQL):"
  psql "$DATABASE_URL" -Atc "EXPLAIN SELECT id FROM records WHERE app_id = $APP AND (data->>'status') = 'Requested' AND ((data->>'project')::bigint) IN (SELECT id FROM records WHERE app_id = $PRJ AND (data->>'cost_centre') = 'CC-1300') ORDER BY (data->>'needed_by') ASC, id ASC LIMIT 25" | sed 's/^/  /'
else
  python3 - "$W/formwork.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
app = c.execute("SELECT id FROM apps WHERE slug='equipment_requests'").fetchone()[0]
prj = c.execute("SELECT id FROM apps WHERE slug='projects'").fetchone()[0]
print("plan (SQLite):")
for r in c.execute(f"EXPLAIN QUERY PLAN SELECT id FROM records WHERE app_id = {app} AND json_extract(data, '$.status') = 'Requested' AND json_extract(data, '$.project') IN (SELECT id FROM records WHERE app_id = {prj} AND json_extract(data, '$.cost_centre') = 'CC-1300') ORDER BY json_extract(data, '$.needed_by') ASC, id ASC LIMIT 25"):
    print("  ", r[3])
PY
fi
for args in '{}' '{"category":"Monitor"}' '{"cost_centre":"CC-1300"}'; do
  "$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKENS" --tool "$TOOL" --args "$args" \
    --concurrency 1,16 --requests 400 --label "lookup view $args ($DB, $N)" --server-pids "$PID" --json-out $W/r.jsonl --tags "db=$DB" 2>&1 | grep -E "c=|mean response|server:"
done
kill $PID; wait $PID 2>/dev/null || true
[ "$DB" = postgres ] && psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE $name WITH (FORCE)"
rm -rf $W

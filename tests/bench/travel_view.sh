#!/usr/bin/env bash
# Usage: tests/bench/travel_view.sh sqlite|postgres N   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`).
# Travel Expense Reports at N generated reports with 5 to 10 receipt lines each (and up to three
# car journeys) over 50 employees: bytes per row in the Full format (the nested lines) against
# View Columns (the line count and the totals), the query plan of a filter on the lines ("has a
# receipt of category Parking"), and calls/s and latency at 1 and 16 clients for each.
# Figures are printed, never asserted.
set -euo pipefail
DB=$1 N=$2
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=$T/formwork; BENCH=$T/formwork-bench
W=$(mktemp -d /tmp/trbench.XXXX)
if [ "$DB" = postgres ]; then
  name="fw_trbench_$$"; psql postgres://postgres@127.0.0.1:5432/test -qc "CREATE DATABASE $name"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$name"
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"
fi
export FORMWORK_DATA_DIR=$W
cd "$(dirname "$0")/../.."
t0=$SECONDS; "$FW" demo generate --travel-reports "$N" --users 50 >/dev/null; echo "generated $N travel reports in $((SECONDS-t0)) s"
"$FW" mcp enable >/dev/null
echo "bench-password-fin" | "$FW" user add --username fin01 --role finance >/dev/null
EMP_TOKENS=$(for i in $(seq -f "%03g" 1 16); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)
FIN_TOKENS=$(for i in $(seq 1 16); do "$FW" token create --user fin01 --name "bench$i"; done | paste -sd, -)
"$FW" serve --bind 127.0.0.1:0 > $W/out 2> $W/err & PID=$!
until grep -q "listening on" $W/out 2>/dev/null; do sleep 0.05; done
BASE=$(sed -n 's/^formwork listening on //p' $W/out)
post() { curl -s "$BASE/mcp" -H "Authorization: Bearer $1" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' -d "$2"; }
# One page of each, as a model gets it: bytes in all, and per row.
for spec in "${EMP_TOKENS%%,*}|travel_reports_my_reports|{}|Full" \
            "${FIN_TOKENS%%,*}|travel_reports_all_reports|{\"traveller\":\"emp001\"}|View Columns" \
            "${EMP_TOKENS%%,*}|travel_reports_my_reports|{\"category\":\"Parking\"}|Full, line filter" \
            "${FIN_TOKENS%%,*}|travel_reports_all_reports|{\"category\":\"Parking\"}|View Columns, line filter"; do
  IFS='|' read -r tok tool args label <<<"$spec"
  R=$(post "$tok" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}")
  printf '%s (%s %s): ' "$label" "$tool" "$args"
  printf %s "$R" | python3 -c '
import json, sys
raw = sys.stdin.read(); s = json.loads(raw)["result"]["structuredContent"]
rows = s["rows"]; n = max(len(rows), 1)
per = sum(len(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()) for r in rows) / n
total = str(s["total"]) + ("" if s["total_exact"] else "+")
print(f"{len(raw.encode())} bytes for {len(rows)} rows (total {total}), {per:.0f} B per row in structuredContent")'
done
if [ "$DB" = postgres ]; then
  APP=$(psql "$DATABASE_URL" -Atc "SELECT id FROM apps WHERE slug='travel_reports'")
  echo "plan of the line filter (PostgreSQL):"
  psql "$DATABASE_URL" -Atc "EXPLAIN SELECT id FROM records WHERE app_id = $APP AND data->'costs' @> '[{\"category\": \"Parking\"}]' ORDER BY (data->>'starts') DESC, id DESC LIMIT 25" | sed 's/^/  /'
else
  python3 - "$W/formwork.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
app = c.execute("SELECT id FROM apps WHERE slug='travel_reports'").fetchone()[0]
holding = "FROM record_line_values WHERE app_id = ? AND field = 'costs' AND col = 'category' AND value = 'Parking'"
n = c.execute(f"SELECT COUNT(*) FROM (SELECT 1 {holding} LIMIT 2001)", (app,)).fetchone()[0]
print(f"reports holding a Parking line, counted ahead up to 2,001: {n}" + (" (many: probed per report)" if n > 2000 else " (few: listed)"))
print(f"plan of the line filter (SQLite {sqlite3.sqlite_version} here; the server's own SQLite may differ):")
for r in c.execute(f"EXPLAIN QUERY PLAN SELECT id FROM records WHERE app_id = ? AND EXISTS (SELECT 1 {holding} AND record_id = records.id) ORDER BY json_extract(data, '$.starts') DESC, id DESC LIMIT 25", (app, app)):
    print("  ", r[3])
PY
fi
for spec in "$EMP_TOKENS|travel_reports_my_reports|{}|Full" \
            "$FIN_TOKENS|travel_reports_all_reports|{\"traveller\":\"emp001\"}|View Columns" \
            "$EMP_TOKENS|travel_reports_my_reports|{\"category\":\"Parking\"}|Full, line filter" \
            "$FIN_TOKENS|travel_reports_all_reports|{\"category\":\"Parking\"}|View Columns, line filter"; do
  IFS='|' read -r toks tool args label <<<"$spec"
  "$BENCH" mcp --url "$BASE/mcp" --tokens "$toks" --tool "$tool" --args "$args" \
    --concurrency 1,16 --requests 400 --label "travel reports, $label ($DB, $N)" --server-pids "$PID" --json-out $W/r.jsonl --tags "db=$DB" 2>&1 | grep -E "c=|mean response|server:"
done
kill $PID; wait $PID 2>/dev/null || true
[ "$DB" = postgres ] && psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE $name WITH (FORCE)"
rm -rf $W

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
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
W=$(mktemp -d /tmp/hotpath.XXXX)
PGX=()
name=""
if [ -n "${REUSE_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$REUSE_DATABASE_URL
  [ "$DB" = postgres ] && name_of_db=${DATABASE_URL##*/} || name_of_db=""
elif [ "$DB" = postgres ]; then
  name="fw_hot_$$"; psql "$PG_URL" -qc "CREATE DATABASE $name"
  export DATABASE_URL="${PG_URL%/*}/$name"; name_of_db=$name
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"; name_of_db=""
fi
if [ "$DB" = postgres ]; then
  PGX=(--pid-cmd "psql '$PG_URL' -Atc \"SELECT pid FROM pg_stat_activity WHERE datname = '${name_of_db%%\?*}'\"")
fi
export FORMWORK_DATA_DIR=$W
cleanup() {
  [ -n "${PID:-}" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [ -n "$name" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  rm -rf "$W"
}
trap cleanup EXIT
cd "$(dirname "$0")/../.."
if [ -z "${REUSE_DATABASE_URL:-}" ]; then
  t0=$SECONDS; "$FW" demo generate --claims "$N" --users 50 2>&1 | tail -1; echo "generated in $((SECONDS-t0)) s"
fi
"$FW" mcp enable >/dev/null
TOKENS=$(for i in $(seq -f "%03g" 1 32); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)
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

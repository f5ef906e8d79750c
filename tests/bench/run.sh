#!/usr/bin/env bash
# Formwork benchmark: generates claims, starts the release server on SQLite or PostgreSQL, and
# drives it over real HTTP with real tokens; runs the reference peer (a typical Python MCP server
# written with the official SDK, tests/bench/peer/) over the same SQLite file with the same load
# generator, with one uvicorn worker and with two. Prints figures; asserts nothing about time.
#
#   tests/bench/run.sh [--quick] [--db sqlite|postgres|both] [--claims N] [--requests N]
#                      [--concurrency 1,8,32,128] [--scale 10000,1000000] [--no-peer] [--no-build]
#                      [--out DIR]
#
#   --quick        CI size: 10,000 claims, 200 requests per level, no scale runs.
#   --db           both = SQLite, then PostgreSQL, in one run (default: sqlite).
#   --claims       claims of the main run (default 100,000 over 50 users).
#   --requests     measured calls per concurrency level (after a short warm-up).
#   --scale        extra database sizes to measure My claims latency and server memory at (the main
#                  run's size is a point too); 1000000 takes minutes to generate: outside CI.
#   --no-build     use the release binaries already in CARGO_TARGET_DIR (default
#                  /work/.cache/bench-target) instead of building them first.
#   --out          where results go (default tests/artifacts/bench): results.jsonl (one JSON object
#                  per measurement), summary.md (the tables) and bench-latency.png.
#
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the run
# uses a database of its own and drops it afterwards. The peer reads SQLite only: on a PostgreSQL
# run it reads a SQLite twin generated with the same claims (the generator is deterministic).
# The peer's Python packages (tests/bench/peer/requirements.txt) go to tests/bench/.venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CLAIMS=100000 DBS=sqlite REQUESTS=1000 CONC=1,8,32,128 USERS=50 SCALE=10000 PEER=1 QUICK=0 BUILD=1
OUT=$ROOT/tests/artifacts/bench
ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; CLAIMS=10000; REQUESTS=200; SCALE=; shift ;;
    --claims) CLAIMS=$2; shift 2 ;;
    --db) DBS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --no-peer) PEER=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$DBS" = both ] && DBS="sqlite postgres"
TARGET="${CARGO_TARGET_DIR:-/work/.cache/bench-target}"
[ "$BUILD" = 1 ] && CARGO_TARGET_DIR="$TARGET" cargo build --release -q -p formwork -p formwork-bench
FW="$TARGET/release/formwork"; BENCH="$TARGET/release/formwork-bench"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

# --- the peer's virtualenv --------------------------------------------------------------------
VENV=$ROOT/tests/bench/.venv
PY=$VENV/bin/python
if [ "$PEER" = 1 ]; then
  want=$(sha256sum tests/bench/peer/requirements.txt | cut -c1-16)
  if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$want" ] || ! "$PY" -c 'import mcp, uvicorn, uvloop, matplotlib' 2>/dev/null; then
    echo "installing the peer's packages into tests/bench/.venv"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/bench/peer/requirements.txt
    echo "$want" > "$VENV/.requirements"
  fi
else
  PY=python3
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
# PSS counts a shared page once (SQLite maps the database file once per pooled connection, which
# RSS counts once per mapping); anonymous memory is what the process allocated itself.
pss_kb() { awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup"; }
anon_kb() { awk '/RssAnon/{print $2}' "/proc/$1/status"; }
cpu_s() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }
jline() { "$PY" -c 'import json,sys; print(json.dumps(dict(a.split("=",1) for a in sys.argv[1:])))' "$@" >> "$RESULTS"; }
mcp_post() { # url token body
  curl -s "$1" -H "Authorization: Bearer $2" -H 'Accept: application/json, text/event-stream' \
    -H 'Content-Type: application/json' -d "$3"
}

PIDS=()
WORKS=()
PGDBS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${PGDBS[@]}"; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  for w in "${WORKS[@]}"; do rm -rf "$w"; done
}
trap cleanup EXIT

# Prepares a database: claims, a manager, the MCP switch, tokens. Sets DATABASE_URL, FORMWORK_DATA_DIR.
prepare_db() { # db claims workdir
  local db=$1 n=$2 work=$3
  mkdir -p "$work"
  if [ "$db" = postgres ]; then
    local name="fw_bench_$$_$n"
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $name" -qc "CREATE DATABASE $name"
    PGDBS+=("$name")
    export DATABASE_URL="${PG_URL%/*}/$name"
    # PostgreSQL's backends serving this database count as Formwork's server CPU.
    PG_PIDS_CMD="psql '$PG_URL' -Atc \"SELECT pid FROM pg_stat_activity WHERE datname = '$name'\""
  else
    export DATABASE_URL="sqlite://$work/formwork.db?mode=rwc"
  fi
  export FORMWORK_DATA_DIR="$work"
  local t0=$SECONDS
  "$FW" demo generate --claims "$n" --users "$USERS"
  echo "formwork-demo-pw" | "$FW" user add --username bench_manager --role manager >/dev/null
  # Claims to approve follows the reporting lines: the manager has 50 direct reports.
  for i in $(seq -f "%03g" 1 50); do "$FW" user set-manager "emp$i" bench_manager >/dev/null; done
  "$FW" mcp enable >/dev/null
  jline kind=generate db="$db" claims="$n" seconds=$((SECONDS - t0))
}
make_tokens() { for i in $(seq -f "%03g" 1 32); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -; }

# Starts `formwork serve`; sets SERVER_PID and BASE.
start_server() { # workdir
  local work=$1
  local start_ns ready_ns
  start_ns=$(date +%s%N)
  "$FW" serve --bind 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  until grep -q "formwork listening on" "$work/server.out" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$work/server.err"; exit 1; }
    sleep 0.01
  done
  ready_ns=$(date +%s%N)
  BASE=$(sed -n 's/^formwork listening on //p' "$work/server.out")
  COLD_MS=$(( (ready_ns - start_ns) / 1000000 ))
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Starts the peer on a SQLite file; sets PEER_PID and PEER_URL_.
start_peer() { # sqlite-file workers extra-args...
  local file=$1 workers=$2; shift 2
  local port; port=$(free_port)
  PEER_DB="$file" "$PY" tests/bench/peer/serve.py --port "$port" --workers "$workers" "$@" \
    > "$WORK/peer-$port.log" 2>&1 &
  PEER_PID=$!
  PIDS+=("$PEER_PID")
  PEER_URL_="http://127.0.0.1:$port/mcp"
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$PEER_URL_" -X POST -H 'Content-Type: application/json' -d '{}' || true)
    [ "$code" = 401 ] && return 0
    kill -0 "$PEER_PID" 2>/dev/null || { cat "$WORK/peer-$port.log"; exit 1; }
    sleep 0.1
  done
  echo "the peer did not start" >&2; cat "$WORK/peer-$port.log"; exit 1
}

bench_mcp() { # target pid url tokens scenario label tool args [more formwork-bench args]
  local target=$1 pid=$2 url=$3 tokens=$4 scenario=$5 label=$6 tool=$7 args=$8; shift 8
  local extra=()
  if [ "$target" = formwork ] && [ "$DB" = postgres ]; then extra=(--pid-cmd "$PG_PIDS_CMD"); fi
  "$BENCH" mcp --url "$url" --tokens "$tokens" --tool "$tool" --args "$args" --concurrency "${BCONC:-$CONC}" \
    --requests "${BREQ:-$REQUESTS}" --label "$label" --json-out "$RESULTS" --server-pids "$pid" \
    --tags "db=$DB,claims=$CLAIMS,target=$target,scenario=$scenario" "${extra[@]}" "$@"
}
# On PostgreSQL, the backends serving Formwork's database count as its server CPU.
pg_extra() { PGX=(); if [ "$DB" = postgres ]; then PGX=(--pid-cmd "$PG_PIDS_CMD"); fi; }


LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(free -g | awk '/^Mem:/{print $2" GiB"}')
jline kind=meta date="$(date -u +%Y-%m-%dT%H:%MZ)" command="tests/bench/run.sh $ARGS" nproc="$(nproc)" \
  cpu="$CPU_MODEL" memory="$MEM" kernel="$(uname -r)" load_start="$LOAD_START" claims="$CLAIMS" \
  requests="$REQUESTS" concurrency="$CONC" users="$USERS" quick="$QUICK" \
  revision="$(git rev-parse --short HEAD 2>/dev/null || echo ?)$(git diff --quiet HEAD -- server migrations 2>/dev/null || echo ' + uncommitted changes')" \
  python="$("$PY" -c 'import sys; print(sys.version.split()[0])')" \
  peer_sdk="$("$PY" -c 'import importlib.metadata as m; print("mcp "+m.version("mcp")+", uvicorn "+m.version("uvicorn")+", uvloop "+m.version("uvloop"))' 2>/dev/null || echo none)"

for DB in $DBS; do
  WORK=$(mktemp -d /tmp/formwork-bench.XXXXXX)
  WORKS+=("$WORK")
  echo
  echo "# Formwork benchmark — $DB, $CLAIMS claims over $USERS users, $(nproc) cores ($CPU_MODEL), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
  prepare_db "$DB" "$CLAIMS" "$WORK"
  TOKENS=$(make_tokens)
  MTOKEN=$("$FW" token create --user bench_manager --name bench)
  start_server "$WORK"
  FW_PID=$SERVER_PID
  echo "cold start to listening: $COLD_MS ms"
  echo "RSS after start: $(rss_kb "$FW_PID") kB"
  jline kind=server db="$DB" claims="$CLAIMS" target=formwork cold_start_ms="$COLD_MS" rss_start_kb="$(rss_kb "$FW_PID")"

  if [ "$PEER" = 1 ]; then
    if [ "$DB" = sqlite ]; then
      PEER_FILE="$WORK/formwork.db" PTOKENS=$TOKENS
    else # a SQLite twin with the same claims
      ( prepare_db sqlite "$CLAIMS" "$WORK/twin" >/dev/null 2>&1 )
      PEER_FILE="$WORK/twin/formwork.db"
      PTOKENS=$(DATABASE_URL="sqlite://$PEER_FILE?mode=rwc" FORMWORK_DATA_DIR="$WORK/twin" make_tokens)
    fi
    start_peer "$PEER_FILE" 1; PEER1_PID=$PEER_PID PEER1_URL=$PEER_URL_
    start_peer "$PEER_FILE" 2; PEER2_PID=$PEER_PID PEER2_URL=$PEER_URL_
    echo "peer: 1 worker at $PEER1_URL, 2 workers at $PEER2_URL (TCP_NODELAY set on accepted connections)"
  fi

  # Draft claims for the write scenario: client w writes its own record, RECORDS[w], owned by the
  # user of TOKENS[w % 32] (4 drafts per employee cover 128 clients), so writers do not collide.
  RECORDS=$(for t in $(echo "$TOKENS" | tr , ' '); do
    mcp_post "$BASE/mcp" "$t" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"expense_claims_my_claims","arguments":{"status":"Draft","limit":4}}}' \
      | python3 -c 'import json,sys; print(" ".join(str(r[0] if isinstance(r, list) else r["id"]) for r in json.load(sys.stdin)["result"]["structuredContent"]["rows"]))'
  done | python3 -c 'import sys; rows=[l.split() for l in sys.stdin]; print(",".join(r[k] for k in range(4) for r in rows))')

  echo "## web: first page of My claims filtered by status"
  pg_extra
  "$BENCH" web --base "$BASE" --user emp001 --password formwork-demo --path "/apps/expense_claims/views/my_claims?p_status=Approved" \
    --concurrency 1 --requests "$REQUESTS" --label "web my_claims status=Approved" \
    --json-out "$RESULTS" --server-pids "$FW_PID" --tags "db=$DB,claims=$CLAIMS,target=formwork,scenario=web_my_claims" "${PGX[@]}"

  # Formwork and the peer take turns level by level, so a busy machine weighs on both alike.
  compare_reads() { # scenario label-suffix args
    local c
    for c in $(echo "$CONC" | tr , ' '); do
      BCONC=$c bench_mcp formwork "$FW_PID" "$BASE/mcp" "$TOKENS" "$1" "formwork $2" expense_claims_my_claims "$3"
      if [ "$PEER" = 1 ]; then
        BCONC=$c bench_mcp peer-1w "$PEER1_PID" "$PEER1_URL" "$PTOKENS" "$1" "peer 1w $2" expense_claims_my_claims "$3"
        BCONC=$c bench_mcp peer-2w "$PEER2_PID" "$PEER2_URL" "$PTOKENS" "$1" "peer 2w $2" expense_claims_my_claims "$3"
      fi
    done
  }
  echo "## MCP tools/call: My claims, status=Approved (index-backed)"
  compare_reads my_claims_status "my_claims status" '{"status":"Approved"}'
  echo "## MCP tools/call: My claims, supplier contains \"inn\" (scans the user's rows)"
  compare_reads my_claims_supplier "my_claims supplier" '{"supplier":"inn"}'
  echo "## MCP tools/call: Claims to approve (a manager with 50 reports: their Submitted claims)"
  bench_mcp formwork "$FW_PID" "$BASE/mcp" "$MTOKEN" claims_to_approve "formwork claims_to_approve" expense_claims_claims_to_approve '{}'
  echo "## MCP tools/call: My claims summary, spending per month and category (one call instead of pages of rows)"
  bench_mcp formwork "$FW_PID" "$BASE/mcp" "$TOKENS" my_claims_summary "formwork my_claims_summary" expense_claims_my_claims_summary '{"summary":"by_month_and_category"}'
  echo "## MCP tools/call: Fill receipt fields (write)"
  bench_mcp formwork "$FW_PID" "$BASE/mcp" "$TOKENS" fill_receipt_fields "formwork fill_receipt_fields" expense_claims_fill_receipt_fields \
    '{"record_id":{record},"supplier":"Bench {i}","expense_date":"2026-01-15","net":"10.00","tax":"1.90","currency":"EUR"}' --records "$RECORDS"
  echo "RSS after load: $(rss_kb "$FW_PID") kB; peak $(hwm_kb "$FW_PID") kB"
  echo "CPU seconds used by the server: $(cpu_s "$FW_PID")"
  jline kind=server_after db="$DB" claims="$CLAIMS" target=formwork rss_kb="$(rss_kb "$FW_PID")" hwm_kb="$(hwm_kb "$FW_PID")" pss_kb="$(pss_kb "$FW_PID")" anon_kb="$(anon_kb "$FW_PID")" cpu_s="$(cpu_s "$FW_PID")"

  if [ "$PEER" = 1 ]; then
    for p in "$PEER1_PID" "$PEER2_PID"; do
      t=$([ "$p" = "$PEER1_PID" ] && echo peer-1w || echo peer-2w)
      kids=$(pgrep -P "$p" | paste -sd' ' - || true)
      rss=0; hwm=0; pss=0; anon=0; for k in $p $kids; do rss=$((rss + $(rss_kb "$k"))); hwm=$((hwm + $(hwm_kb "$k"))); pss=$((pss + $(pss_kb "$k"))); anon=$((anon + $(anon_kb "$k"))); done
      echo "$t: RSS $rss kB over $(echo "$p $kids" | wc -w) processes (sum of peaks $hwm kB)"
      jline kind=server_after db="$DB" claims="$CLAIMS" target="$t" rss_kb="$rss" hwm_kb="$hwm" pss_kb="$pss" anon_kb="$anon"
    done
    echo "## the pitfall: 2 uvicorn workers on the asyncio loop, Nagle left on vs TCP_NODELAY set"
    start_peer "$PEER_FILE" 2 --loop asyncio --nagle; NP=$PEER_PID NU=$PEER_URL_
    BCONC=1,32 BREQ=$(( REQUESTS < 200 ? REQUESTS : 200 )) \
      bench_mcp peer-2w-asyncio-nagle "$NP" "$NU" "$PTOKENS" nagle "peer 2w asyncio, Nagle on" expense_claims_my_claims '{"status":"Approved"}' 
    stop "$NP"
    start_peer "$PEER_FILE" 2 --loop asyncio; NP=$PEER_PID NU=$PEER_URL_
    BCONC=1,32 BREQ=$(( REQUESTS < 200 ? REQUESTS : 200 )) \
      bench_mcp peer-2w-asyncio-nodelay "$NP" "$NU" "$PTOKENS" nagle "peer 2w asyncio, TCP_NODELAY" expense_claims_my_claims '{"status":"Approved"}' 
    stop "$NP"
  fi

  echo "## context economy (tools/list; rows in View Columns vs Full; a 200-row page)"
  CTX=("$PY" tests/bench/context.py --json-out "$RESULTS" --tags "db=$DB,claims=$CLAIMS")
  "${CTX[@]}" --target formwork-columns --url "$BASE/mcp" --token "${TOKENS%%,*}"
  # The same tool on a second published definition whose My claims view answers in Full format.
  sed '/^\[views.my_claims\]/,/^mcp = /s/format = "columns"/format = "full"/' seed-data/apps/expense_claims.toml > "$WORK/full.toml"
  "$FW" app import "$WORK/full.toml" --publish >/dev/null
  sleep 1.5 # the server's catalog notices a new publication within a second
  "${CTX[@]}" --target formwork-full --url "$BASE/mcp" --token "${TOKENS%%,*}"
  "$FW" app import seed-data/apps/expense_claims.toml --publish >/dev/null
  if [ "$PEER" = 1 ]; then
    "${CTX[@]}" --target peer --url "$PEER1_URL" --token "${PTOKENS%%,*}" --compare "$BASE/mcp" --compare-token "${TOKENS%%,*}"
    stop "$PEER1_PID"; stop "$PEER2_PID"
  fi

  echo "## in-process (no HTTP): the limits"
  stop "$FW_PID"
  "$BENCH" engine --database-url "$DATABASE_URL" --user emp001 --requests "$REQUESTS" \
    --json-out "$RESULTS" --tags "db=$DB,claims=$CLAIMS,target=formwork,scenario=in_process"

  for N in $(echo "$SCALE" | tr , ' '); do
    [ "$N" = "$CLAIMS" ] && continue
    echo "## scale: $N claims"
    SW="$WORK/scale-$N"
    prepare_db "$DB" "$N" "$SW"
    STOK=$(make_tokens)
    start_server "$SW"
    rss0=$(rss_kb "$SERVER_PID")
    pg_extra
    "$BENCH" mcp --url "$BASE/mcp" --tokens "$STOK" --tool expense_claims_my_claims --args '{"status":"Approved"}' \
      --concurrency 1,32 --requests "$REQUESTS" --label "formwork my_claims status ($N)" --json-out "$RESULTS" \
      --server-pids "$SERVER_PID" --tags "db=$DB,claims=$N,target=formwork,scenario=scale" "${PGX[@]}"
    "$BENCH" mcp --url "$BASE/mcp" --tokens "$STOK" --tool expense_claims_my_claims_summary --args '{"summary":"by_month_and_category"}' \
      --concurrency 1,32 --requests "$REQUESTS" --label "formwork my_claims_summary ($N)" --json-out "$RESULTS" \
      --server-pids "$SERVER_PID" --tags "db=$DB,claims=$N,target=formwork,scenario=scale_summary" "${PGX[@]}"
    echo "RSS after start $rss0 kB, after load $(rss_kb "$SERVER_PID") kB, peak $(hwm_kb "$SERVER_PID") kB"
    jline kind=server_after db="$DB" claims="$N" target=formwork scale=1 rss_start_kb="$rss0" rss_kb="$(rss_kb "$SERVER_PID")" hwm_kb="$(hwm_kb "$SERVER_PID")" pss_kb="$(pss_kb "$SERVER_PID")" anon_kb="$(anon_kb "$SERVER_PID")"
    stop "$SERVER_PID"
  done
done

jline kind=meta_end load_end="$(cut -d' ' -f1-3 /proc/loadavg)" date_end="$(date -u +%Y-%m-%dT%H:%MZ)"
echo
"$PY" tests/bench/report.py "$RESULTS" | tee "$OUT/summary.md"
if [ "$PEER" = 1 ]; then
  "$PY" tests/bench/plot.py "$RESULTS" "$OUT/bench-latency.png" && echo "plot: $OUT/bench-latency.png"
fi
echo "results: $RESULTS"

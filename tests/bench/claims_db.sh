# Sourced by the benchmarks of generated claims (substring.sh, hot_path.sh): with DB (sqlite or
# postgres), N, FW (the formwork binary) and PREFIX set, it picks the database (REUSE_DATABASE_URL
# if set, else a new one), exports DATABASE_URL and FORMWORK_DATA_DIR, fills PGX with the
# load generator's option naming PostgreSQL's backends for this database (their CPU counts as the
# server's), removes what it made on exit (and stops the server in PID), generates N claims over
# 50 users unless reusing, turns MCP on and puts 32 users' tokens in TOKENS.
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
W=$(mktemp -d "/tmp/$PREFIX.XXXX")
PGX=()
name=""
if [ -n "${REUSE_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$REUSE_DATABASE_URL
  db_name=${DATABASE_URL##*/}; db_name=${db_name%%\?*}
elif [ "$DB" = postgres ]; then
  name="fw_${PREFIX}_$$"; psql "$PG_URL" -qc "CREATE DATABASE $name"
  export DATABASE_URL="${PG_URL%/*}/$name"; db_name=$name
else
  export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc"
fi
if [ "$DB" = postgres ]; then
  PGX=(--pid-cmd "psql '$PG_URL' -Atc \"SELECT pid FROM pg_stat_activity WHERE datname = '$db_name'\"")
fi
export FORMWORK_DATA_DIR=$W
cleanup() {
  [ -n "${PID:-}" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [ -n "$name" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  rm -rf "$W"
}
trap cleanup EXIT
if [ -z "${REUSE_DATABASE_URL:-}" ]; then
  t0=$SECONDS; "$FW" demo generate --claims "$N" --users 50 2>&1 | tail -1; echo "generated in $((SECONDS-t0)) s"
fi
"$FW" mcp enable >/dev/null
TOKENS=$(for i in $(seq -f "%03g" 1 32); do "$FW" token create --user "emp$i" --name bench; done | paste -sd, -)

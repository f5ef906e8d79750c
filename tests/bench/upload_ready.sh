#!/usr/bin/env bash
# Usage: tests/bench/upload_ready.sh [REQUESTS] [MEGAPIXELS]
#   (after `CARGO_TARGET_DIR=/work/.cache/bench-target cargo build --release -p formwork -p formwork-bench`;
#   FORMWORK_BIN / FORMWORK_BENCH_BIN pick other binaries, e.g. the build before a change;
#   KEEP_LOG=FILE keeps the server's log, e.g. its stage times with FORMWORK_LOG=formwork=debug).
# Upload to ready: a phone photo of a receipt (a corpus photo scaled to MEGAPIXELS, default 12)
# sent REQUESTS times (default 30) one after the other to the Expense Claims create tool over MCP,
# on SQLite. The call returns when the receipt has been checked, decoded, turned, its thumbnail
# and AI rendition made, OCR run and the values suggested — the moment the claim's receipt is
# ready — so its latency is upload-to-ready. Then the same with eight clients at once. Figures
# are printed (p50, p95, p99 from the JSON lines), never asserted.
set -euo pipefail
REQ=${1:-30} MP=${2:-12}
T="${CARGO_TARGET_DIR:-/work/.cache/bench-target}/release"; FW=${FORMWORK_BIN:-$T/formwork}; BENCH=${FORMWORK_BENCH_BIN:-$T/formwork-bench}
W=$(mktemp -d /tmp/uploadbench.XXXX)
trap 'kill $PID 2>/dev/null || true; [ -n "${KEEP_LOG:-}" ] && cp "$W/err" "$KEEP_LOG"; rm -rf "$W"' EXIT
cd "$(dirname "$0")/../.."
export DATABASE_URL="sqlite://$W/formwork.db?mode=rwc" FORMWORK_DATA_DIR=$W
PHOTO=${PHOTO:-seed-data/receipts/corpus/01_de-de_feinkost_albrecht_sohne.jpg}
"$FW" demo generate --claims 10 --users 2 >/dev/null 2>&1
"$FW" mcp enable >/dev/null
TOKEN=$("$FW" token create --user emp001 --name bench)
"$BENCH" photo --from "$PHOTO" --megapixels "$MP" --out "$W/args.json" --with '{"purpose":"Upload benchmark"}'
"$FW" serve --bind 127.0.0.1:0 > "$W/out" 2> "$W/err" & PID=$!
until grep -q "listening on" "$W/out" 2>/dev/null; do kill -0 "$PID" || { cat "$W/err"; exit 1; }; sleep 0.05; done
BASE=$(sed -n 's/^formwork listening on //p' "$W/out")
echo "tesseract: $(tesseract --version 2>&1 | head -1); OCR languages installed: $(tesseract --list-langs 2>/dev/null | tail -n +2 | paste -sd' ')"
"$BENCH" mcp --url "$BASE/mcp" --tokens "$TOKEN" --tool expense_claims_new_claim --args-file "$W/args.json" \
  --concurrency 1,8 --requests "$REQ" --warmup 2 --label "upload to ready, $MP MP photo" --server-pids "$PID" \
  --json-out "$W/r.jsonl" 2>&1 | grep -E "c=|server:"
python3 - "$W/r.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"clients {r['concurrency']}: p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, {r['ok']} ok, {r['errors']} errors")
PY

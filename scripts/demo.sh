#!/usr/bin/env bash
# `make demo`: the main job against the embedded default target, the emulator of both APIs,
# started for this run on a free loopback port and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug/sigport
work=$(mktemp -d)
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" emulator --port 0 --bootstrap "$work/credentials.json" >"$work/emulator.log" 2>&1 &
emulator=$!
for _ in $(seq 1 100); do
  grep -q "listening" "$work/emulator.log" 2>/dev/null && break
  kill -0 "$emulator" 2>/dev/null || { cat "$work/emulator.log"; exit 1; }
  sleep 0.1
done
echo "== $(head -n 1 "$work/emulator.log")"
echo "== credentials written to a 0600 file: $(stat -c %a "$work/credentials.json")"
echo "== sigport check: a token and one read-only request per API, each paced at its method's rate"
"$bin" check --credentials "$work/credentials.json"
echo
echo "== sigport validate: every row of the gateway logs against the mapping and the API's rules (offline)"
"$bin" validate --mapping Mappings/gateway-wide.yaml samples/gateway/ --run-dir "$work/run" || true
echo
echo "== sigport plan: what the import will send, and how long it takes at the documented pace"
"$bin" plan --mapping Mappings/gateway-wide.yaml samples/gateway/ --run-dir "$work/run" || true
echo
echo "== sigport import: the gateway logs into the integration API (resumable; one row is rejected on purpose)"
"$bin" import --credentials "$work/credentials.json" --mapping Mappings/gateway-wide.yaml samples/gateway/ --run-dir "$work/run" || true
echo
echo "== sigport import: the PLC historian export (long layout, decimal commas, local time across DST)"
"$bin" import --credentials "$work/credentials.json" --mapping Mappings/plc-long.yaml samples/plc/ --run-dir "$work/run-plc"
echo
echo "== sigport import: wearables' nested JSONL into the ox API (sensors, beacons, events)"
"$bin" import --credentials "$work/credentials.json" --mapping Mappings/wearables-ox.yaml samples/wearables/ --run-dir "$work/run-ox"
echo
org=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ox"]["orgs"][0]["org"])' "$work/credentials.json")
echo "== sigport export ox: the org's heart-rate events, one row per reading, in Oslo time (read through the import's ledger)"
"$bin" export ox --credentials "$work/credentials.json" --org "$org" --events-from "$work/run-ox" --event-type heart_rate \
  --time-zone Europe/Oslo --out "$work/heart-rate.csv" --run-dir "$work/export-ox" --summary --gap 10m
head -n 3 "$work/heart-rate.csv"
echo
echo "== sigport export integration: the gateways' first day as SQLite files per 6 hours, with a manifest"
"$bin" export integration --credentials "$work/credentials.json" --from 2024-03-01 --to 2024-03-02 --window 6h \
  --format sqlite --out "$work/gateway-day" --publish
ls "$work/gateway-day"
echo
echo "== sigport status: the checkpoint of the first import"
"$bin" status "$work/run"
echo
echo "== sigport verify: what the API holds, read back and compared with what each import sent"
"$bin" verify "$work/run" --credentials "$work/credentials.json"
"$bin" verify "$work/run-ox" --credentials "$work/credentials.json"
echo
echo "== the emulator's view: requests per route, and what clients did wrong (nothing)"
curl -s "$(grep -o 'http://[0-9.:]*/' "$work/emulator.log" | head -n 1)_emulator/stats" 2>/dev/null || true
echo

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
echo "== sigport check: a token and one read-only request per API, paced at 1 request/second"
"$bin" check --credentials "$work/credentials.json"

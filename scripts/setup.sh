#!/usr/bin/env bash
# The one set-up script behind `make demo`, `make test` and `make bench`: installs the system
# packages sigport links against when they are missing, then nothing else. Idempotent. More
# packages may be named as arguments (`make bench` adds `miller`, its baseline).
set -euo pipefail

packages=(libcsv-dev libsimdjson-dev libsqlite3-dev zlib1g-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or newer) must be on PATH" >&2; exit 1; }

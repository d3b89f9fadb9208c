#!/usr/bin/env bash
# `make bench` after `make setup`: the release build, with the baselines' tools (the test venv with
# pyclarify and pandas, and Miller) installed beside it, then the bench itself.
#
# Why beside: from a fresh clone the release build is about 11 of the bench's 13 minutes, and what
# installs the baselines is mostly downloads and unpacking (about half a minute) that would
# otherwise wait for it. Their output goes to a log, printed only when they fail, so that it does
# not interleave with the compiler's.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
logs=${BENCH_DIR:-/tmp/sigport-bench}/logs
mkdir -p "$logs"
prepare_log=$logs/prepare-baselines.log

prepare_baselines() {
  "$MAKE" --no-print-directory conformance-env
  command -v mlr >/dev/null || bash scripts/setup.sh miller
}

echo "bench: installing the baselines (pyclarify, pandas, Miller) beside the build; log: $prepare_log"
prepare_baselines > "$prepare_log" 2>&1 &
prepare=$!
# A failed build waits for the installer (half a minute) rather than leave it running on.
trap 'wait "$prepare" 2>/dev/null || true' EXIT

# Every product in one release build (sigport and SigportBench), by the Swift Build engine rather
# than SwiftPM's native one: from a fresh clone it took 10.8–11.3 minutes here where the native build
# took 13.7 (docs/performance.md, "What `make bench` costs"). In the native engine's queue the C files
# went before Swift modules that were ready, so the 770 files of the two BoringSSL copies held back
# the NIO modules that do not need them, and the long chain of Swift modules then compiled after
# them on about one core. The binaries are the same code, and as fast (measured in pairs).
# A toolchain whose SwiftPM has no such engine builds with the native one.
build=(build -c release --build-system swiftbuild)
if ! bin=$("$SWIFT" "${build[@]}" --show-bin-path 2>/dev/null); then
  echo "bench: this toolchain has no Swift Build engine; building with SwiftPM's native one (a few minutes longer)"
  build=(build -c release)
  bin=$("$SWIFT" "${build[@]}" --show-bin-path)
fi
"$SWIFT" "${build[@]}"

if ! wait "$prepare"; then
  cat "$prepare_log" >&2
  echo "bench: installing the baselines failed (above; also in $prepare_log)" >&2
  exit 1
fi
trap - EXIT
BENCH_PYTHON="$PWD/.venv/bin/python" "$bin/SigportBench"

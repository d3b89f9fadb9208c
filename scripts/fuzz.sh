#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the CSV reader, the JSONL reader and the mapping loader:
# builds the three harnesses of Fuzz/ with -sanitize=fuzzer,address and runs each for
# FUZZ_SECONDS (default 120). `make fuzz`; `make soak` runs it too (docs/reliability.md).
#
#   scripts/fuzz.sh                 all three targets
#   scripts/fuzz.sh csv jsonl       some of them
#   FUZZ_SECONDS=600 scripts/fuzz.sh
#   FUZZ_BUILD=0 scripts/fuzz.sh    run what was built last, without building
#   FUZZ_SCRATCH=DIR                build and work in DIR instead of .build-fuzz
#
# Seeds: Tests/SigportTests/FuzzCorpus/<kind> (read only). New corpus units go to
# .build-fuzz/corpus/<kind> and are kept between runs; crash, timeout and out-of-memory inputs
# go to .build-fuzz/artifacts/<kind>/, and their paths are printed. Replay one with
# `.build-fuzz/release/FuzzCSV <file>`. Exits 1 when any target found one.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-120}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
SWIFT=${SWIFT:-swift}
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(csv jsonl mapping)

product() {
    case "$1" in
        csv) echo FuzzCSV ;;
        jsonl) echo FuzzJSONL ;;
        mapping) echo FuzzMapping ;;
        *) echo "fuzz.sh: unknown target $1 (csv, jsonl, mapping)" >&2; exit 2 ;;
    esac
}

# Instrument every Swift and C/C++ target (the library and its dependencies) for coverage and
# AddressSanitizer. Each harness's @main hands its arguments to libFuzzer's driver
# (LLVMFuzzerRunDriver): SwiftPM links an executable's main under its own name, so libFuzzer's
# main cannot be used; -parse-as-library as in swiftc's libFuzzer guide (no top-level code).
build_flags=(--package-path Fuzz --scratch-path "$SCRATCH" -c release
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
    -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address)

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
    # The fuzz package pins the same dependency versions as the main one.
    [ ! -f Package.resolved ] || cp Package.resolved Fuzz/Package.resolved
    for kind in "${kinds[@]}"; do
        name=$(product "$kind") || exit 2
        mkdir -p "$SCRATCH/logs"
        echo "fuzz: building $name (instrumented release build; the first one takes 15-20 minutes on 2 cores)"
        if ! "$SWIFT" build "${build_flags[@]}" --product "$name" >"$SCRATCH/logs/build-$kind.log" 2>&1; then
            grep -E 'error:' "$SCRATCH/logs/build-$kind.log" | head -20 >&2
            echo "fuzz: building $name failed; see $SCRATCH/logs/build-$kind.log" >&2
            exit 2
        fi
    done
fi
bin=$("$SWIFT" build "${build_flags[@]}" --show-bin-path)

# Swift's own crash backtracer would take the trap before libFuzzer saves the input: off.
export SWIFT_BACKTRACE=enable=no
# LeakSanitizer on: libFuzzer checks every input after which more was allocated than freed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

failed=0
summaries=()
for kind in "${kinds[@]}"; do
    name=$(product "$kind") || exit 2
    corpus="$SCRATCH/corpus/$kind"
    artifacts="$SCRATCH/artifacts/$kind"
    log="$SCRATCH/logs/$kind.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    before=$(LC_ALL=C ls "$artifacts")
    echo "fuzz $kind: $FUZZ_SECONDS s, log $log"
    start=$(date +%s)
    # The first corpus directory receives new units; the repository's seeds are only read.
    "$bin/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "Tests/SigportTests/FuzzCorpus/$kind" >"$log" 2>&1
    status=$?
    took=$(($(date +%s) - start))

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line ("#123 DONE cov: 456 ft: 789 corp: 12/3456b ...") has the coverage.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    [ -n "$runs" ] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
    new=$(LC_ALL=C comm -13 <(echo "$before") <(LC_ALL=C ls "$artifacts"))
    if [ "$status" -ne 0 ] || [ -n "$new" ]; then
        failed=1
        line="fuzz $kind: FAILED (exit $status) after ${runs:-?} runs in $took s, log $log"
        for file in $new; do
            line+=$'\n'"  input: $artifacts/$file (replay: FUZZ_VERBOSE=1 $bin/$name $artifacts/$file)"
        done
        cause=$(grep -m1 -E 'FUZZ FAILURE|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error' "$log")
        line+=$'\n'"  ${cause:-see the log}"
    else
        line="fuzz $kind: ${runs:-?} runs in $took s, cov ${cov:-?} edges, ft ${ft:-?} features, corpus ${corp:-?} units, no crash, hang or leak"
    fi
    echo "$line"
    summaries+=("$line")
done

echo
printf '%s\n' "${summaries[@]}"
exit "$failed"

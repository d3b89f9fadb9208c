# sigport: two commands set up everything on a fresh Debian machine with the Swift toolchain.
#   make demo   the main job, against the embedded emulator
#   make test   the test suite (unit, end to end against the emulator, pyclarify conformance)
SWIFT ?= swift
VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup build demo test bench soak fuzz conformance-env clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

demo: build
	@bash scripts/demo.sh

# The conformance test drives the emulator with the official Python SDK from PyPI; the export
# tests read files back with pandas and DuckDB. Reinstalled when Tests/requirements.txt changes.
$(VENV)/.installed: Tests/requirements.txt
	[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r Tests/requirements.txt
	touch $@

conformance-env: $(VENV)/.installed

test: setup conformance-env
	SIGPORT_PYTHON=$(abspath $(PYTHON)) $(SWIFT) test

# Every target of the performance issue in one run: release builds, generated inputs
# (BENCH_SIZE=100M by default; the large-load rows, request fill, 1 GB memory and resume, use
# BENCH_LARGE_SIZE=1G; BENCH_RUNS=3), and the baselines
# measured in the same run — Miller (installed here when missing) and pyclarify with pandas (the
# test venv, installed beside the release build). The table is printed and written to
# bench/results.md with the machine it ran on.
bench: setup
	@SWIFT=$(SWIFT) MAKE=$(MAKE) bash scripts/bench.sh

# The long part of the reliability suite: 20 seeded SIGKILLs of an import and of an export, migrate
# and export under 5% and 30% faults, the mutation fuzzers and then the coverage-guided (libFuzzer)
# ones, each for FUZZ_SECONDS per target (docs/reliability.md).
FUZZ_SECONDS ?= 120
soak: setup conformance-env
	SIGPORT_SOAK=1 SIGPORT_FUZZ_SECONDS=$(FUZZ_SECONDS) SIGPORT_PYTHON=$(abspath $(PYTHON)) $(SWIFT) test --filter "SoakTests|FuzzTests"
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz.sh

# libFuzzer on the CSV reader, the JSONL reader and the mapping loader, FUZZ_SECONDS each, built
# instrumented in .build-fuzz (the first build takes 15-20 minutes). Not part of `make test`.
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz $(VENV)

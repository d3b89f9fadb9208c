# sigport: two commands set up everything on a fresh Debian machine with the Swift toolchain.
#   make demo   the main job, against the embedded emulator
#   make test   the test suite (unit, end to end against the emulator, pyclarify conformance)
SWIFT ?= swift
VENV := .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup build demo test conformance-env clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

demo: build
	@bash scripts/demo.sh

# The conformance test drives the emulator with the official Python SDK from PyPI.
$(PYTHON):
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check pyclarify

conformance-env: $(PYTHON)

test: setup conformance-env
	SIGPORT_PYTHON=$(abspath $(PYTHON)) $(SWIFT) test

clean:
	rm -rf .build $(VENV)

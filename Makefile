# `make run` and `make test` work on a fresh Debian 12 / Ubuntu machine: each
# one first runs scripts/setup.sh, which is a no-op once everything is in place.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS='-k pcsc -x'`.
PYTEST_ARGS ?=
# Inputs per parser for `make fuzz` (the normal test run feeds each parser 100,000).
FUZZ_RUNS ?= 2000000

.PHONY: setup run test fuzz bench lint fault-campaign

setup:
	@scripts/setup.sh

run: setup
	$(PY) -m app

# The EXIT trap stops the services however pytest ends (failure, Ctrl-C), and
# leaves pytest's exit status as the recipe's.
test: setup
	@trap 'scripts/test-services.sh stop' EXIT; trap 'exit 130' INT TERM; \
	scripts/test-services.sh start; \
	source var/test-services.env; \
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# Only the parser fuzz tests (marked `fuzz`: device parsers and the ESC/POS decoder), each with FUZZ_RUNS inputs; pure parsers,
# so no services are started. `make fuzz FUZZ_RUNS=10000000` runs longer.
fuzz: setup
	TABKEEPER_FUZZ_RUNS=$(FUZZ_RUNS) QT_QPA_PLATFORM=offscreen \
	$(PY) -m pytest -m fuzz tests/devices tests/receipts --durations=0 $(PYTEST_ARGS)

# Device latencies need pcscd + vpcd and socat: started like `make test` does.
bench: setup
	@trap 'scripts/test-services.sh stop' EXIT; trap 'exit 130' INT TERM; \
	scripts/test-services.sh start; \
	source var/test-services.env; \
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

# The fault campaign (docs/SYNC.md, "Fault campaign"): randomised runs of real head-office
# and terminal processes through a fault-injecting proxy, then the summary table; 500 runs
# unless `make fault-campaign RUNS=50`. Needs PostgreSQL, so it starts the services.
fault-campaign: setup
	@trap 'scripts/test-services.sh stop' EXIT; trap 'exit 130' INT TERM; \
	scripts/test-services.sh start; \
	source var/test-services.env; \
	$(PY) -m tests.fault.campaign --runs $(or $(RUNS),500)

# Runs every checker even when an earlier one fails, so one pass shows all problems.
lint: setup
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(VENV)/bin/lint-imports --no-logo || status=1; \
	exit $$status

# `make run` and `make test` work on a fresh Debian 12 / Ubuntu machine: each
# one first runs scripts/setup.sh, which is a no-op once everything is in place.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS='-k pcsc -x'`.
PYTEST_ARGS ?=

.PHONY: setup run test bench lint

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

# Device latencies need pcscd + vpcd and socat: started like `make test` does.
bench: setup
	@trap 'scripts/test-services.sh stop' EXIT; trap 'exit 130' INT TERM; \
	scripts/test-services.sh start; \
	source var/test-services.env; \
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

# Runs every checker even when an earlier one fails, so one pass shows all problems.
lint: setup
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(VENV)/bin/lint-imports --no-logo || status=1; \
	exit $$status

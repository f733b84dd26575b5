# Every target sets itself up: it finds uv (or installs it into .tools/ with pip), syncs the
# workspace into .venv, then does its job. Needs only python3 (3.11+) and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
MKSERVICE := $(VENV)/bin/mkservice
SYNC_INPUTS := pyproject.toml uv.lock platform/pyproject.toml scaffold/pyproject.toml \
	$(wildcard tests/lab/pyproject.toml services/*/pyproject.toml)

.PHONY: help bootstrap demo up test test-postgres lint check chaos chaos-ci chaos-cluster \
	chaos-cluster-ci bench clean

help:
	@echo "make demo           run the reference checkout end to end (SQLite, embedded NATS)"
	@echo "make test           run every test suite (SQLite mode)"
	@echo "make test-postgres  the same suites in Postgres mode (needs a PostgreSQL server)"
	@echo "make lint           ruff, mypy and each service's import-linter layers"
	@echo "make check          mkservice check: look for the distributed monolith"
	@echo "make chaos          the fault suite, full size (10,000 sagas, 210 faults; ~30 min)"
	@echo "make chaos-ci       the fault suite, CI size (500 sagas, 32 faults; minutes)"
	@echo "make chaos-cluster  the fault suite on 3 NATS nodes and 2 replicas each (PostgreSQL)"
	@echo "make up             run the stack until Ctrl-C"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: $(SYNC_INPUTS) | $(UV)
	$(UV) sync --all-packages --locked --compile-bytecode --python $(PYTHON)
	@touch $@

bootstrap: $(VENV)/.synced

# demo, chaos and bench are the reference checkout's lab (tests/lab, a plugin of mkservice:
# docs/adr/0016-the-checkout-lab-is-a-plugin-of-mkservice.md).
demo: bootstrap
	$(MKSERVICE) demo

up: bootstrap
	$(MKSERVICE) up

test: bootstrap
	$(MKSERVICE) test

test-postgres: bootstrap
	$(MKSERVICE) test --postgres

# Every service under services/ is found, not listed: its sources are type-checked (package names
# are unique in the workspace, so one mypy run holds them all) and its layers checked by the
# import-linter contract in its own pyproject.toml.
SERVICE_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))

lint: bootstrap
	$(VENV)/bin/ruff check platform scaffold/src scaffold/tests services tests
	$(VENV)/bin/ruff format --check platform scaffold/src scaffold/tests services tests
	$(VENV)/bin/mypy platform/src scaffold/src tests/lab/src $(addsuffix /src,$(SERVICE_DIRS))
	@status=0; for service in $(SERVICE_DIRS); do \
		echo "lint-imports: $$service"; \
		(cd $$service && PYTHONPATH=src $(VENV)/bin/lint-imports --no-cache --no-logo) || status=1; \
	done; exit $$status

check: bootstrap
	$(MKSERVICE) check

# The fault suite: the checkout under kills, crash points, broker outages and duplicated
# deliveries, judged by invariants over every database (docs/reliability.md). Set
# MKSERVICE_TEST_DB=postgres for PostgreSQL; CHAOS_SEED picks another seeded schedule.
CHAOS_SEED ?= 1
chaos: bootstrap
	$(MKSERVICE) chaos --seed $(CHAOS_SEED)

chaos-ci: bootstrap
	$(MKSERVICE) chaos --ci --seed $(CHAOS_SEED)

# The production shape (docs/scale-out.md): 3 NATS nodes, 2 replicas of each service, PostgreSQL
# (it restarts the local server: a machine of your own or CI's). Full size and CI size.
chaos-cluster: bootstrap
	$(MKSERVICE) chaos --cluster --seed $(CHAOS_SEED)

chaos-cluster-ci: bootstrap
	$(MKSERVICE) chaos --cluster --ci --seed $(CHAOS_SEED)

# Checkout throughput and latency against floors measured in the same run (docs/benchmarks.md);
# writes .bench/results.json. MKSERVICE_TEST_DB=postgres for PostgreSQL.
bench: bootstrap
	$(MKSERVICE) bench

clean:
	rm -rf .data .bench .chaos

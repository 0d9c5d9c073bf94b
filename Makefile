# make run    — create .venv, install what serving needs, start the server with demo data
# make test   — add the test and benchmark tools, lint and run the whole test suite
# make schema — write activation_server/db/schema.sql anew from the migrations
# make cluster / make cluster-down — the highly available cluster of deploy/cluster on loopback
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What serving needs (the package and its runtime dependencies, uvloop where it runs), and on
# top of it the test, lint and benchmark tools.
SERVE  := $(VENV)/.installed-serve
DEV    := $(VENV)/.installed-dev

.PHONY: run test lint typecheck schema bench chaos cluster cluster-down clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fast]'
	@touch $(SERVE)

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fast,dev,bench]'
	@touch $(SERVE) $(DEV)

run: $(SERVE)
	$(BIN)/activation-server serve --demo

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

schema: $(SERVE)
	$(BIN)/python -m activation_server.db.schema

chaos: $(DEV)
	$(BIN)/python -m pytest -m slow tests
	CLUSTER_FAILOVERS=3 $(BIN)/python -m pytest tests/cluster

cluster: $(DEV)
	$(BIN)/python deploy/cluster/cluster.py up

cluster-down:
	$(PYTHON) deploy/cluster/cluster.py down

bench: $(DEV)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .cluster .pytest_cache .mypy_cache .ruff_cache

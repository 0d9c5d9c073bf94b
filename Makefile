# make run   — create .venv, install, start the server with demo data on the embedded PostgreSQL
# make test  — create .venv, install, lint and run the whole test suite
# make cluster / make cluster-down — the highly available cluster of deploy/cluster on loopback
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck bench chaos cluster cluster-down clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/activation-server serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

chaos: $(STAMP)
	$(BIN)/python -m pytest -m slow tests
	CLUSTER_FAILOVERS=3 $(BIN)/python -m pytest tests/cluster

cluster: $(STAMP)
	$(BIN)/python deploy/cluster/cluster.py up

cluster-down:
	$(PYTHON) deploy/cluster/cluster.py down

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .cluster .pytest_cache .mypy_cache .ruff_cache

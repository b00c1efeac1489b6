# Development tasks.  Each target that needs the virtualenv creates it when missing.
#   make run   [ARGS="--port 0 --legacy-buckets"]
#   make test  [PYTEST_ARGS="-k buckets -x"]   (without PYTEST_ARGS it also runs conformance/ in-process)
#   make conformance [ARGS="--target aws --conformance-report report.md"]   (docs/conformance.md)
#   make bench [BENCH_ARGS="--only kernel"]   (make bench-quick: small sizes, about seven minutes)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pip re-runs when pyproject.toml is newer.
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := test
.PHONY: .venv venv run test lint conformance clean bench bench-quick

# tools/ensure_venv.py creates .venv and installs into it under a lock, so two first `make`s in a fresh
# clone do not race (the second waits, then finds the install done).  It re-runs pip when pyproject.toml
# is newer than the stamp, keeping the extras installed before.
$(STAMP): pyproject.toml
	$(PYTHON) tools/ensure_venv.py $(VENV) test

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PYTHON) tools/ensure_venv.py $(VENV) test,bench
	touch $(BENCH_STAMP)

.venv venv: $(STAMP)

run: $(STAMP)
	$(BIN)/s3vectors-emulator --host 127.0.0.1 --port 8000 $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check s3vectors_emulator tests conformance bench tools
	$(BIN)/ruff format --check s3vectors_emulator tests conformance bench tools
	$(BIN)/python -m mypy s3vectors_emulator
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(BIN)/python -m pytest -q conformance --target inprocess)

# The conformance suite alone; ARGS go to pytest (--target emulator|inprocess|aws|http://..., --conformance-report FILE).
conformance: $(STAMP)
	$(BIN)/ruff check conformance
	$(BIN)/python -m pytest -q conformance $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check s3vectors_emulator tests conformance bench tools
	$(BIN)/ruff format --check s3vectors_emulator tests conformance bench tools
	$(BIN)/python -m mypy s3vectors_emulator

# Tables on stdout, JSON in bench/results/<timestamp>.json.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(VENV).lock .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +

# Development tasks.  Each target that needs the virtualenv creates it when missing.
#   make run   [ARGS="--port 0 --legacy-buckets"]
#   make test  [PYTEST_ARGS="-k buckets -x"]

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pip re-runs when pyproject.toml is newer.
STAMP := $(VENV)/.installed

ARGS ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := test
.PHONY: .venv venv run test lint clean

# The interpreter is the real file behind `.venv`: created once, removed again if creation fails.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

.venv venv: $(STAMP)

run: $(STAMP)
	$(BIN)/s3vectors-emulator --host 127.0.0.1 --port 8000 $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check emulator tests bench
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check emulator tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +

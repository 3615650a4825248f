# Storekeeper — two commands: `make run` and `make test`. Both do all set-up they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export FLASK_APP := wsgi.py
export HOST PORT

.PHONY: run test setup deps vendor browser migrate seed lint bench clean

run: setup migrate seed  ## set up, migrate, seed demo data on first run, serve on http://$(HOST):$(PORT)
	@echo "Storekeeper on http://$(HOST):$(PORT)"
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup browser  ## set up and run the whole suite (lint with security rules, unit, services, web, browser)
	$(BIN)/ruff check app tests scripts migrations bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.deps static/vendor/.copied
	@$(BIN)/python scripts/vendor.py --compress-only

deps: $(VENV)/.deps
$(VENV)/.deps: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

vendor: static/vendor/.copied
static/vendor/.copied: node_modules/.installed scripts/vendor.py $(VENV)/.deps
	$(BIN)/python scripts/vendor.py
	touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download needs the internet).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' (browser tests need it)"; exit 1; fi; }

migrate: setup
	$(BIN)/flask db upgrade

seed: migrate  # the demo goes into migrated tables, also under make -j
	$(BIN)/flask seed-demo --if-empty

lint: setup
	$(BIN)/ruff check app tests scripts migrations bench

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache

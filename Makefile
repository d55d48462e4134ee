# Clearloop — the two commands: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# pip on these machines warns about an unused local index; harmless, so kept out of the way.
PIP_QUIET := 2>&1 | { grep -v 'is ignored: it is neither' || true; }
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev lint fmt migrate seed worker cron browser clean help

help:
	@echo "make run    install, migrate, seed demo data, serve http://$(HOST):$(PORT)"
	@echo "make test   install and run the whole test suite"
	@echo "make lint | make worker | make cron | make browser | make clean"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip $(PIP_QUIET)

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt $(PIP_QUIET)
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt $(PIP_QUIET)
	@touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	@if [ -d app/translations ]; then $(BIN)/pybabel compile -d app/translations 2>&1 | { grep -v '^compiling catalog' || true; }; fi

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@$(FLASK) demo login
	@echo "Serving Clearloop on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@$(FLASK) jobs scheduler >>instance/scheduler.log 2>&1 & sched=$$!; \
	  trap "kill $$sched 2>/dev/null" EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev
	@$(BIN)/python -c "import shutil,sys; shutil.which('chromium') or print('note: Debian chromium is not installed (apt-get install -y chromium); browser tests will skip', file=sys.stderr)"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(FLASK) db upgrade

worker: install
	$(BIN)/python worker.py

cron: install
	$(BIN)/rq cron app.cron --url "$$REDIS_URL"

browser:
	apt-get install -y chromium

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

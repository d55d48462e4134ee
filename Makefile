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
# Where this machine reaches the server (0.0.0.0 listens everywhere, including 127.0.0.1).
LOCAL_HOST = $(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST))
SCHEDULER ?= 1
# Every command sees HOST/PORT: links in emails (BASE_URL) then point at the port actually served.
export HOST PORT

.PHONY: run serve test install install-dev lint fmt migrate seed worker cron browser clean help mutation

# Exit 0 once HOST:PORT accepts connections, 1 if the server process (pid) died first or 120 s passed.
define WAIT_FOR_PORT
import os, socket, sys, time
host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.settimeout(0.5)
        if s.connect_ex((host.strip("[]"), port)) == 0:
            sys.exit(0)
    time.sleep(0.2)
sys.exit(1)
endef
export WAIT_FOR_PORT

help:
	@echo "make run    install, migrate, seed demo data, serve http://$(HOST):$(PORT) (PORT=5101 HOST=0.0.0.0 make run)"
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
	@$(MAKE) --no-print-directory serve

# Serve (and run the scheduler) on HOST:PORT; "Serving on" is printed only once the port accepts.
serve:
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('$(LOCAL_HOST)', $(PORT))) != 0)" 2>/dev/null; then \
	  echo "Port $(PORT) on $(LOCAL_HOST) is already in use: stop what runs there, or choose another port, e.g. PORT=$$(( $(PORT) + 1 )) make run" >&2; exit 1; fi
	@sched=; if [ "$(SCHEDULER)" = 1 ]; then mkdir -p "$${CLEARLOOP_INSTANCE:-instance}"; \
	  $(FLASK) jobs scheduler >>"$${CLEARLOOP_INSTANCE:-instance}/scheduler.log" 2>&1 & sched=$$!; fi; \
	  $(FLASK) run --host $(HOST) --port $(PORT) & web=$$!; \
	  trap 'kill $$sched $$web 2>/dev/null' EXIT INT TERM; \
	  if $(BIN)/python -c "$$WAIT_FOR_PORT" $(LOCAL_HOST) $(PORT) $$web; then \
	    echo "Serving Clearloop on http://$(LOCAL_HOST):$(PORT)  (Ctrl-C to stop)"; fi; \
	  wait $$web

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

# Mutation testing, on demand (never in CI: it takes hours on two cores). MODULE narrows a run to one
# module, e.g. make mutation MODULE=app.metrics, against that module's tests ([tool.clearloop.mutation] in
# pyproject.toml); results accumulate in mutants/<module>/ between runs (docs/mutation.md).
MODULE ?=
mutation: install-dev
	$(BIN)/pip install -q -r requirements-mutation.txt $(PIP_QUIET)
	$(BIN)/python -m tests.tools.mutation_run $(or $(MODULE),--all) --max-children 2 || true
	$(BIN)/python -m tests.tools.mutation_run --results | $(BIN)/python -m tests.tools.mutation_report

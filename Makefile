# The two commands a new user needs: `make run` and `make test`. Both build their own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on SQLite always, and on PostgreSQL at this URL (it creates and drops its own database).
FRONTDESK_TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
FRONTDESK_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export FRONTDESK_TEST_DATABASE_URL FRONTDESK_TEST_REDIS_URL

.PHONY: run test lint install install-test benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work offline).
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# The reliability tests start (and kill) a redis-server of their own on a free port.
REDIS_SERVER ?= $(shell command -v redis-server || echo /usr/bin/redis-server)

$(REDIS_SERVER):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test $(CHROMIUM) $(REDIS_SERVER)

## run: install, migrate ./var/frontdesk.db, load the demo workspace and serve on http://127.0.0.1:8000
run: install
	mkdir -p var
	$(BIN)/frontdesk migrate
	$(BIN)/frontdesk demo
	@echo "Open http://$(HOST):$(PORT)  — demo login: admin@demo-shop.example / frontdesk-demo"
	@echo "Chat as a visitor: http://$(HOST):$(PORT)/widget/try (after signing in)"
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

## lint: ruff and mypy --strict
lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# The suite runs in this many worker processes (pytest-xdist), each with its own test databases. A test file
# stays on one worker, so its module fixtures are built once.
TEST_WORKERS ?= 2

## test: install the test dependencies, lint, and run the whole suite on SQLite and PostgreSQL
test: install-test lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

## benchmark: every benchmark on SQLite and PostgreSQL (segments.py builds 1M contacts / 5M orders: long)
benchmark: install-test
	$(BIN)/pip install -q -e ".[test,bench]"
	$(BIN)/python benchmarks/contacts_import.py
	$(BIN)/python benchmarks/chat_fanout.py
	$(BIN)/python benchmarks/segments.py
	$(BIN)/python benchmarks/import_floor.py
	$(BIN)/python benchmarks/signin_load.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/clv.py
	$(BIN)/python benchmarks/webhooks.py
	$(BIN)/python benchmarks/help_search.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

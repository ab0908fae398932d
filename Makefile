# The README's commands. Each creates what it needs (.venv, packages) by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# Use the machine's PostgreSQL and Redis for tests when they answer; a
# newcomer without them still gets a green run on SQLite.
PG_UP := $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo yes)
REDIS_UP := $(shell redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && echo yes)
# Two checkouts testing on one machine must not share a database: the test
# database (test_diary_<id>) and the Redis key prefix (tests/diary/test_worker.py)
# are named after this checkout's path. DATABASE_URL / TEST_REDIS_URL still win.
CHECKOUT_ID := $(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)
TEST_ENV := $(if $(PG_UP),DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/diary_$(CHECKOUT_ID)}) \
	$(if $(REDIS_UP),TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15})

.PHONY: run test check lint bench clean screenshots messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

## Compile the de/fr/es catalogues under locale/ (Babel: no GNU gettext needed).
messages: $(VENV)/.run-installed
	$(BIN)/python -m config.catalogues

## Run the service on the embedded default: SQLite, jobs in-process, demo data.
run: $(VENV)/.run-installed messages
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	@# One key for seed_demo and the server, so the app link's tokens it prints are valid there.
	export SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	$(BIN)/python manage.py seed_demo --app-link http://127.0.0.1:$(PORT) && \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Run the tests (PostgreSQL and Redis are used when reachable).
test: $(VENV)/.dev-installed messages
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

## Lint and migration drift: what CI checks besides the tests.
check: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

lint: check

## Clinic pages: docs/clinic-*.png from the demo data, in Debian's chromium.
screenshots: $(VENV)/.dev-installed
	$(BIN)/python docs/screenshots.py
	$(BIN)/python docs/screenshots_app.py

## Benchmarks (PostgreSQL on 127.0.0.1:5432; each uses a database of its own).
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/sync_ingest.py
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/export.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
	find locale -name '*.mo' -delete

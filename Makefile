# Relwatch: `make run` serves the dashboard with a worker and beat; `make test` runs the suite.
# Both install into .venv first when pyproject.toml is newer than the last install, and both
# start an embedded PostgreSQL / Redis under var/ when DATABASE_URL / REDIS_URL are unset.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# pytest-xdist processes for the fast tests of `make test` (0: one process).
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint format bench load migrate

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[embedded]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[embedded,dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# The supervisor: embedded services when needed, migrate, seeds, first editor account,
# then gunicorn + Celery worker + Celery beat until Ctrl-C. RELWATCH_HOST/RELWATCH_PORT move it.
run: install
	$(PY) -m relwatch.supervisor

# `supervisor exec` provides the same services to the command and stops what it started.
# Tests run with DEBUG on and a test key (tests/envdefaults.py); so does the migrations check.
# The fast tests are spread over PYTEST_WORKERS processes (each with its own PostgreSQL and
# Redis database); the slow ones (real workers, beat, fault injection, `make run` itself)
# measure timing and run alone afterwards.
test: install-dev
	$(PY) -m relwatch.supervisor exec -- sh -c '\
		DEBUG=true $(PY) manage.py makemigrations --check --dry-run && \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow" $(PYTEST_ARGS) && \
		$(PY) -m pytest -m slow $(PYTEST_ARGS)'

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Each benchmark prints `name: value` lines (ratios against a baseline run in the same
# process) and works in a throwaway database of its own.
bench: install-dev
	$(PY) -m relwatch.supervisor exec -- sh -c '\
		$(PY) bench/matching.py && $(PY) bench/ingest.py && $(PY) bench/memory.py && \
		$(PY) bench/corpus.py && $(PY) bench/coding.py && $(PY) bench/plover.py && \
		$(PY) bench/alerts.py && $(PY) bench/brief.py && $(PY) bench/pages.py'

load: install-dev
	$(PY) -m relwatch.supervisor exec -- $(PY) bench/load.py

migrate: install
	$(PY) -m relwatch.supervisor exec -- $(PY) manage.py migrate

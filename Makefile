# safety_portal: `make run` serves the portal with demo data, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install check lint migrations-check messages bench bench-national clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Set up everything and serve the portal with demo data on 127.0.0.1:8000
## (SQLite, Celery worker and beat on the SQLite broker under var/celery/: no Redis needed).
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py setup_periodic_tasks
	scripts/run_dev.sh

## Run the whole suite (PostgreSQL and Redis when DATABASE_URL/REDIS_URL are set).
test: install
	scripts/ensure_test_tools.sh
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

## Regenerate and compile both translation catalogues.
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

## Performance scenarios on PostgreSQL (DATABASE_URL, default a local safety_portal_bench).
bench: install
	$(PY) -m benchmarks

## National scale (500,000 schools x 16 deadlines) in its own database
## (default a local safety_portal_bench_national): long; not part of bench or test.
bench-national: install
	$(PY) -m benchmarks.national

clean:
	rm -rf var/celery var/mail staticfiles

# The README names these targets. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= crm.settings.base

.PHONY: run test e2e lint format check migrate demo bench clean install

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Development server with its Celery worker and beat, all stopped together by Ctrl-C (honcho).
run: export DEBUG ?= true
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(BIN)/honcho start -f Procfile.dev

migrate: export DEBUG ?= true
migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

demo: export DEBUG ?= true
demo: migrate
	$(PY) manage.py load_demo

# The whole suite, browser journeys included, against DATABASE_URL (SQLite by default).
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: export DEBUG ?= true
check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

clean:
	rm -rf $(VENV) var/celery var/celerybeat-schedule* .pytest_cache

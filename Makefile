# The README names these targets. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run test e2e lint format check migrate demo bench bench-pages bench-api-choice bench-scoring bench-faults bench-load bench-load-curve bench-hostile bench-imports bench-exports bench-mail-send bench-mail-sync clean install chromium gettext mailserver compose-check messages catalogues

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,demo]"
	touch $(STAMP)

# A development checkout runs with DEBUG on, so `.venv/bin/python manage.py ...` works as is.
# Production never has this file: it sets its environment (see docker-compose.yml).
.env:
	printf '# Development settings written by make; see .env.example for production.\nDEBUG=true\n' > .env

# The compiled catalogues (.mo, not committed) are built from the committed .po files by polib,
# pure Python: Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack.
# A .po newer than its .mo (after a `git pull`) is compiled again by the next make run/test.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po | $(STAMP)
	$(PY) -m core.catalogues compile $<

catalogues: $(MO_FILES)

install: $(STAMP) .env $(MO_FILES)

# Development server with its Celery worker and beat, all stopped together by Ctrl-C (honcho).
run: export DEBUG ?= true
run: $(STAMP) .env $(MO_FILES)
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
# Screenshots of the main pages land in test-artifacts/screenshots/.
# It runs in TEST_WORKERS processes (pytest-xdist; `auto` is one per core), each with a test
# database, a live server and a Chromium of its own; tests that share one costly set-up run in one
# process (tests/conftest.py, ONE_PROCESS). TEST_WORKERS=0 runs them all in this process.
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS)
test: $(STAMP) $(MO_FILES) chromium gettext mailserver
	$(BIN)/pytest --ds=crm.settings.test $(PYTEST_PARALLEL)

# Only the browser journeys.
e2e: $(STAMP) $(MO_FILES) chromium mailserver
	$(BIN)/pytest --ds=crm.settings.test $(PYTEST_PARALLEL) -m e2e

# Extract every marked string into the catalogues of all languages (the catalogue check in
# tests/core/test_catalogues.py runs the same command into a copy and compares). Then translate
# the new entries in locale/<lang>/LC_MESSAGES/django.po (see locale/<lang>/GLOSSARY.md).
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=test-artifacts --ignore=static/vendor
messages: export DEBUG ?= true
messages: $(STAMP) gettext
	$(PY) manage.py makemessages --locale=pl --locale=cs --locale=ru $(MAKEMESSAGES_IGNORE)

# makemessages (and so the catalogue check) needs GNU gettext's xgettext and msgmerge; the
# compiled catalogues do not.
gettext:
	@command -v xgettext >/dev/null 2>&1 || { \
		echo "Installing Debian's gettext for the catalogue check (needs root)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# Playwright drives Debian's Chromium: it cannot download a browser of its own here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests (needs root)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The e-mail tests and bench/mail.py run a mail server of their own (tests/mailserver.py): Debian's
# Dovecot for IMAP and LMTP. Installed without starting the package's own service (policy-rc.d):
# the tests run the binary on spare ports of 127.0.0.1.
mailserver:
	@test -x /usr/lib/dovecot/lmtp || { \
		echo "Installing Debian's Dovecot for the e-mail tests (needs root)..."; \
		apt-get update -qq; \
		had_policy=1; test -e /usr/sbin/policy-rc.d || { had_policy=0; printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null; \
		test $$had_policy = 1 || rm -f /usr/sbin/policy-rc.d; }

# ruff, then the import contracts in pyproject.toml (layers of apps, no cycles inside an app).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: export DEBUG ?= true
check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Every benchmark that proves a figure in the README: the pages, then the load run and the fault
# runs in their long forms (the test suite runs the last two in a short form).
bench: bench-pages bench-exports bench-load bench-load-curve bench-faults bench-hostile

# Latency, SQL queries and throughput of the main pages on PostgreSQL (bench/README.md).
SIZE ?= 100k
bench-pages: $(STAMP)
	$(PY) bench/run.py --size $(SIZE)

# Exporting the customer list as CSV and XLSX: time and peak memory (bench/exports.py), on
# the database bench-pages fills (crm_bench_$(SIZE)).
bench-exports: $(STAMP)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_$(SIZE) $(PY) bench/exports.py

# Importing customers with two contact persons each from CSV, at two sizes (bench/imports.py).
IMPORT_SIZES ?= 20000,100000
bench-imports: $(STAMP)
	$(PY) bench/imports.py --sizes $(IMPORT_SIZES)
# A mailing to 10,000 consenting contacts through the real SMTP server (bench/mail_send.py).
bench-mail-send: $(STAMP)
	$(PY) bench/mail_send.py --contacts 10000
# The customer list served by Django REST framework and by django-ninja (the API's library choice).
# Syncing a mailbox of 10,000 messages from scratch from a real Dovecot (bench/mail_sync.py).
MAIL_SYNC_MESSAGES ?= 10000
bench-mail-sync: $(STAMP)
	$(PY) bench/mail_sync.py --messages $(MAIL_SYNC_MESSAGES)

bench-api-choice: $(STAMP)
	$(PY) bench/api_choice.py --size $(SIZE)

# The nightly scoring job against one plain SQL aggregate over the same data (bench/README.md).
bench-scoring: $(STAMP)
	$(PY) bench/score_job.py --size $(SIZE)

# docker-compose.yml stays valid without a Docker engine: Debian's docker-compose parses and
# interpolates it (with throwaway values for the variables it requires) as `docker compose config` would.
compose-check: .env
	@command -v docker-compose >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	SECRET_KEY=check ALLOWED_HOSTS=check POSTGRES_PASSWORD=check \
		docker-compose --env-file .env.example -f docker-compose.yml config --quiet

# The hostile-input suite with many random examples per URL instead of CI's ten fixed ones.
bench-hostile: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest --ds=crm.settings.test -p no:cacheprovider tests/hostile

# Redis stopped, PostgreSQL restarted and a Celery worker killed under traffic, longer than the
# fault tests, with their figures; every server is the run's own (bench/README.md, "Faults").
bench-faults: $(STAMP)
	$(PY) bench/faults.py

# 50 logged-in users reading and writing for 60 s against gunicorn; exits 1 on any 5xx or
# lost write (bench/README.md). USERS=10 DURATION=10 for a quick one. THINK is the pause between
# two actions; 0.5-2 s here, as in the README's figures of this run (the curve's default is 1-3).
USERS ?= 50
DURATION ?= 60
THINK ?= 0.5-2
bench-load: $(STAMP)
	$(PY) bench/load.py --users $(USERS) --seconds $(DURATION) --think $(THINK)

# The load curve (issue 18): 10, 50, 100 and 200 users in turn, each step measured for 60 s,
# 1-3 s of think time, 2 gunicorn workers, on the 100k database bench-pages fills (reused as it
# is: the run adds its writes to it); the curve goes to bench/results/load-curve.png, which the
# README shows. CURVE_DATABASE=crm_load_100k CURVE_REUSE= generates a database of its own.
STEPS ?= 10,50,100,200
STEP_SECONDS ?= 60
CURVE_WORKERS ?= 2
CURVE_DATABASE ?= crm_bench_$(SIZE)
CURVE_REUSE ?= --reuse
CURVE_CUSTOMERS ?= 100000
bench-load-curve: $(STAMP)
	$(PY) bench/load.py --steps $(STEPS) --seconds $(STEP_SECONDS) --workers $(CURVE_WORKERS) \
		--database-url postgres://postgres@127.0.0.1:5432/$(CURVE_DATABASE) $(CURVE_REUSE) \
		--customers $(CURVE_CUSTOMERS) --png bench/results/load-curve.png

clean:
	rm -rf $(VENV) var/celery var/celerybeat-schedule* .pytest_cache $(MO_FILES)

# Screening — every target installs what it needs itself (virtual environment in .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install lock assets browser run demo-accounts lint test coverage test-fast bench bench-parts rules clean
FLASK := $(VENV)/bin/flask --app screening
PORT ?= 5000

help: ## Show the targets and what they do
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

# The exact versions (with hashes) come from requirements.lock; the package itself is installed editable, without
# dependencies, so that it keeps using templates/, static/ and migrations/ from this checkout. `pip check` stops an
# install whose lock no longer covers setup.cfg (run `make lock`).
$(STAMP): requirements.lock setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@# Debian and Ubuntu ship ensurepip, which `-m venv` needs to install pip, in python3.X-venv (`-m venv --help` works without it)
	@if ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
		pkg=$$($(PYTHON) -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])'); \
		echo "$(PYTHON) cannot make a virtual environment with pip (no ensurepip): installing Debian's $$pkg"; \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq "$$pkg" >/dev/null; \
		fi; \
		$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
			echo "Could not install $$pkg here (that needs apt-get, as root). On Debian or Ubuntu, run:"; \
			echo "  sudo apt-get install $$pkg"; \
			echo "or use another Python 3.11+ that includes ensurepip: make install PYTHON=/path/to/python3"; \
			exit 1; }; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "requirements.lock does not cover setup.cfg: run make lock"; exit 1; }
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked versions (requirements.lock) and the package, editable

# uv resolves setup.cfg's ranges (runtime + test extras) for Python 3.11 on Linux; the file is replaced only when it
# changes (a new lock reinstalls). Pins that still fit are kept; UPGRADE=1 moves every pin to the newest allowed.
lock: ## Refresh requirements.lock from setup.cfg (make lock UPGRADE=1: newest versions setup.cfg allows)
	@[ -x $(VENV)/bin/uv ] || $(MAKE) --no-print-directory install || [ -x $(VENV)/bin/uv ]
	@cp requirements.lock $(VENV)/requirements.lock.new
	$(VENV)/bin/uv pip compile --quiet setup.cfg --extra test --python-version 3.11 --python-platform linux \
		--generate-hashes --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) \
		--output-file $(VENV)/requirements.lock.new
	@if cmp -s $(VENV)/requirements.lock.new requirements.lock; then echo "requirements.lock: unchanged"; \
	else mv $(VENV)/requirements.lock.new requirements.lock; echo "requirements.lock: updated (make install applies it)"; fi
	@rm -f $(VENV)/requirements.lock.new

static/dist/app.css: package.json package-lock.json $(wildcard static/src/*)
	bash scripts/build-assets.sh

assets: static/dist/app.css ## Build the CSS and JavaScript (npm: GOV.UK Frontend, Sass)

browser: ## Install Debian's Chromium, Java and poppler-utils for the browser and PDF tests (apt-get, only when missing)
	bash scripts/ensure-browser.sh

# make run: urgent alerts go to a local file (and the worker's console), escalate after 5 minutes, any time of day
run: export SCREENING_ALERT_FILE ?= $(CURDIR)/instance/alerts.log
run: export SCREENING_URGENT_ESCALATE_MINUTES ?= 5
run: export SCREENING_OPENING_HOURS ?= always
run: export SCREENING_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export SCREENING_PATIENT_EMAILS ?= on
run: export SCREENING_EMAIL_RECEIPT ?= on
run: export SCREENING_PATIENT_MAIL_FILE ?= $(CURDIR)/instance/patient-mail.log
run: $(STAMP) assets ## Install and run the app on SQLite with demo data at http://127.0.0.1:5000, with the alert worker
	@fresh=$$([ -f instance/screening.sqlite3 ] || echo yes); \
	$(FLASK) db upgrade && if [ -n "$$fresh" ]; then echo "Demo submissions:"; $(FLASK) demo-data; fi
	@echo "Open http://127.0.0.1:$(PORT)/ (Ctrl+C to stop); staff sign in at http://127.0.0.1:$(PORT)/staff/login"
	@echo "(make demo-accounts shows the demo staff accounts again and resets their passwords and authenticators)"
	@echo "Urgent alerts: written to $$SCREENING_ALERT_FILE and printed below by the alert worker;"
	@echo "an urgent submission nobody picks up is escalated after $$SCREENING_URGENT_ESCALATE_MINUTES minutes."
	@echo "Emails to patients (come-back links, receipts): written to $$SCREENING_PATIENT_MAIL_FILE."
	@$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

demo-accounts: $(STAMP) ## Show the demo staff accounts again, resetting their passwords and MFA (development only)
	@[ -n "$$SCREENING_DATABASE_URL" ] || [ -f instance/screening.sqlite3 ] || \
		{ echo "No database yet: make run creates it with the demo accounts"; exit 1; }
	$(FLASK) demo-accounts

lint: $(STAMP) ## Run ruff (checks, with its bandit rules, and format), bandit (medium and high) and mypy (strict)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r screening -ll
	$(VENV)/bin/mypy

# make test: the unit, app and deploy tests, the browser tests, then the database tests again on PostgreSQL (each of
# its 2 workers gets its own database, test_gw0 and test_gw1, next to the URL's). Coverage is `make coverage`: tracing
# doubles the unit and app tests' time (3.5 -> 5-6.5 minutes on 2 cores), which would take CI past 15 minutes. Run
# one after the other: the browser tests beside the PostgreSQL pass took longer together (15:11) and made the sign-in
# timing test flaky.
test: lint browser assets ## Install, lint and run every test (and the database tests on PostgreSQL if SCREENING_TEST_DATABASE_URL is set)
	SCREENING_TEST_DATABASE_URL= $(PY) -m pytest -q -n 2 tests/unit tests/app tests/deploy
	SCREENING_TEST_DATABASE_URL= $(PY) -m pytest -q -n 2 tests/e2e
	@if [ -n "$$SCREENING_TEST_DATABASE_URL" ]; then \
		echo "Database tests on PostgreSQL ($${SCREENING_TEST_DATABASE_URL%%@*}@...)"; \
		$(PY) -m pytest -q -n 2 tests/app; \
	fi

coverage: $(STAMP) ## Run the unit and app tests on SQLite with branch coverage of screening/ (fails under 90%)
	SCREENING_TEST_DATABASE_URL= $(PY) -m pytest -q -n 2 --cov=screening --cov-report=term-missing:skip-covered tests/unit tests/app

test-fast: $(STAMP) ## Run the unit tests only (pure code: no database, browser or lint; under a minute)
	$(PY) -m pytest -q -n 2 tests/unit

bench: $(STAMP) assets ## The HTTP benchmark: the app under gunicorn against same-run references (wrk), one table (SQLite; also PostgreSQL with SCREENING_BENCH_DATABASE_URL)
	bash scripts/ensure-wrk.sh
	$(PY) bench/bench_http.py

bench-parts: $(STAMP) ## The in-process benchmarks: clinical core, medicine recall, summary PDF, pages, queries, FHIR export
	$(PY) bench/bench_core.py
	$(PY) bench/bench_medicine_recall.py
	$(PY) bench/bench_summary.py
	$(PY) bench/bench_pages.py
	$(PY) bench/bench_queries.py
	$(PY) bench/bench_fhir_export.py

rules: $(STAMP) ## Print the rule catalogue for clinical review
	$(PY) -m screening.rules

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov *.egg-info

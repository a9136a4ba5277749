# Screening — every target installs what it needs itself (virtual environment in .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install assets browser run lint test bench rules clean
FLASK := $(VENV)/bin/flask --app screening
PORT ?= 5000

help: ## Show the targets and what they do
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with its test extras

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
run: $(STAMP) assets ## Install and run the app on SQLite with demo data at http://127.0.0.1:5000, with the alert worker
	@fresh=$$([ -f instance/screening.sqlite3 ] || echo yes); \
	$(FLASK) db upgrade && if [ -n "$$fresh" ]; then echo "Demo submissions:"; $(FLASK) demo-data; fi
	@echo "Open http://127.0.0.1:$(PORT)/ (Ctrl+C to stop)"
	@echo "Urgent alerts: written to $$SCREENING_ALERT_FILE and printed below by the alert worker;"
	@echo "an urgent submission nobody picks up is escalated after $$SCREENING_URGENT_ESCALATE_MINUTES minutes."
	@$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

lint: $(STAMP) ## Run ruff on everything and mypy (strict) on the pure modules
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint browser assets ## Install, lint and run every test (and the database tests on PostgreSQL if SCREENING_TEST_DATABASE_URL is set)
	SCREENING_TEST_DATABASE_URL= $(PY) -m pytest -n 2 --cov
	@if [ -n "$$SCREENING_TEST_DATABASE_URL" ]; then \
		echo "Database tests on PostgreSQL ($${SCREENING_TEST_DATABASE_URL%%@*}@...)"; \
		$(PY) -m pytest -q tests/app; \
	fi

bench: $(STAMP) ## Print benchmark numbers (not a test)
	$(PY) bench/bench_core.py
	$(PY) bench/bench_medicine_recall.py
	$(PY) bench/bench_summary.py

rules: $(STAMP) ## Print the rule catalogue for clinical review
	$(PY) -m screening.rules

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov *.egg-info

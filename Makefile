# The two commands of the README:  make run  (app + demo data on SQLite)  and  make test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-other-day check lint format translations demo migrate install clean bench bench-shipments \
	bench-trace bench-forest bench-fieldimport

# Re-install whenever pyproject.toml changes; the stamp file records the last install.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Catalogues are compiled here, never committed as binaries.
translations: install
	PYTHON_BIN=$(BIN) scripts/i18n.sh compile

migrate: translations
	COOPCHAIN_ENV=$${COOPCHAIN_ENV:-demo} $(BIN)/coopchain migrate

# FLASK_RUN_HOST/PORT: where `coopchain run` serves, and so (in the demo) the address the
# demo's printed bag page and QR codes use.
demo: migrate
	COOPCHAIN_ENV=$${COOPCHAIN_ENV:-demo} FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT) \
		$(BIN)/coopchain demo

# The web server and one job worker (coopchain worker) together; Ctrl-C stops both.
run: demo
	@echo "CoopChain on http://$(HOST):$(PORT)/ (and one job worker)"
	export COOPCHAIN_ENV=$${COOPCHAIN_ENV:-demo} FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT); \
		$(BIN)/coopchain worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(BIN)/coopchain run

# On every core (pytest-xdist), each test module on one worker so its module fixtures are
# built once; each worker has its own SQLite file and PostgreSQL database. The browser
# journeys share one live server and its demo data, in order: they run after, in one process.
test: translations
	$(BIN)/python -m pytest -n auto --dist loadscope -m "not browser"
	$(BIN)/python -m pytest -m browser

# The suite again on SQLite with the clock pinned to another day (a leap day, another season
# and year; COOPCHAIN_TEST_TODAY to choose): no test may depend on the day it runs.
test-other-day: translations
	COOPCHAIN_TEST_TODAY=$${COOPCHAIN_TEST_TODAY:-2028-02-29} COOPCHAIN_TEST_POSTGRES_URL= \
		$(BIN)/python -m pytest -n auto --dist loadscope -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

# Performance figures for the issues' targets, written to docs/BENCHMARKS.md (not tests).
# PostgreSQL: COOPCHAIN_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
# coopchain_bench; emptied on every run); SQLite only, said clearly, when it is unreachable.
bench: translations
	$(BIN)/python -m benchmarks.lots_bench
	$(BIN)/python -m benchmarks.org_scale_bench
	$(BIN)/python -m benchmarks.shipments_bench
	$(BIN)/python -m benchmarks.trace_bench
	$(BIN)/python -m benchmarks.certificate_bench
	$(BIN)/python -m benchmarks.labels_bench
	$(BIN)/python -m benchmarks.job_lock_bench
	$(BIN)/python -m benchmarks.forest_bench
	$(BIN)/python -m benchmarks.bench_payments --databases sqlite,postgresql
	$(BIN)/python -m benchmarks.bench_settlement --databases sqlite,postgresql
	$(BIN)/python -m benchmarks.epcis_bench
	$(BIN)/python -m benchmarks.dds_bench
	$(BIN)/python -m benchmarks.fieldimport_bench --databases sqlite,postgresql
	$(BIN)/python -m benchmarks.bench_offline_intake

bench-shipments: translations
	$(BIN)/python -m benchmarks.shipments_bench

# Needs wrk (apt-get install wrk): the bag page under load next to /healthz, gunicorn -w 2.
bench-trace: translations
	$(BIN)/python -m benchmarks.trace_bench

# 10,000 plots against synthetic 1 arc-second rasters of the Alto Mayo area (issue: forest).
bench-forest: translations
	$(BIN)/python -m benchmarks.forest_bench

# Paying producers: a payment run over 2,000 deliveries; a settlement traced to 2,000
# deliveries and a 500-line statement PDF (issue: paying producers).
bench-payments: translations
	$(BIN)/python -m benchmarks.bench_payments --databases sqlite,postgresql
	$(BIN)/python -m benchmarks.bench_settlement --databases sqlite,postgresql

# Plots from a KoboToolbox export of 2,000 rows, preview and import (issue 17 §1).
bench-fieldimport: translations
	$(BIN)/python -m benchmarks.fieldimport_bench --databases sqlite,postgresql

clean:
	rm -rf $(VENV) instance test-results

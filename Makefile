# ChordMe BI. `make run` and `make test` work on a fresh machine: they install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# dbt's own environment: Dagster runs dbt as a subprocess, so dbt-core never loads into Dagster's processes.
DBT_VENV := .venv-dbt
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export RUST_BACKTRACE := 0
SOURCE_DB := data/chordme.db
DEMO_SESSIONS ?= 200000

.PHONY: run test ui install instance system-deps demo-data manifest lock validate clean

run: install demo-data instance  ## extract, dbt build, reports, exports on the embedded default
	$(BIN)/python -m orchestration.run

test: install system-deps  ## the whole test suite (PostgreSQL tests are required when CI=true)
	$(BIN)/python -m pytest -q

# The demo's scheduled_reports rows point at 127.0.0.1:25 and :8099, so the delivery sensor starts stopped
# here unless BI_SCHEDULER_ENABLED is set (deployments keep the seed's default, true).
ui: install instance  ## the Dagster UI on http://127.0.0.1:3000
	PATH=$(CURDIR)/$(BIN):$$PATH BI_SCHEDULER_ENABLED=$${BI_SCHEDULER_ENABLED:-false} $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

install: $(VENV)/.installed $(DBT_VENV)/.installed dbt_project/target/manifest.json

# Both environments are compiled to bytecode here: uv writes no .pyc, and where PYTHONDONTWRITEBYTECODE is set
# (as on this machine) Python never does, so every process compiled dagster and dbt from source again: the
# definitions load took 2.4 s instead of 1.0 s, importing dbt 3.1 s instead of 1.7 s. compileall, not uv's
# --compile-bytecode, which skips packages already installed; the Makefile is a prerequisite so that an
# existing checkout is compiled too.
$(VENV)/.installed: requirements.lock pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	@# a checkout from before the split had dbt-core here; with it present dagster-dbt imports it at load
	@if $(BIN)/python -c "import dbt.version" 2>/dev/null; then $(BIN)/uv pip uninstall -q --python $(BIN)/python dbt-core dbt-duckdb dbt-postgres; fi
	touch $@

# `dbt` beside Dagster's python is a link into dbt's environment: the code, tests and DbtCliResource find it there.
$(DBT_VENV)/.installed: requirements-dbt.lock Makefile | $(VENV)/.installed
	test -x $(DBT_VENV)/bin/python || $(PYTHON) -m venv $(DBT_VENV)
	$(BIN)/uv pip install -q --python $(DBT_VENV)/bin/python -r requirements-dbt.lock
	$(DBT_VENV)/bin/python -m compileall -q -j 0 $(DBT_VENV)/lib > /dev/null
	ln -sf $(CURDIR)/$(DBT_VENV)/bin/dbt $(BIN)/dbt
	touch $@

# The manifest is prepared here, never parsed when Dagster loads the definitions.
dbt_project/target/manifest.json: $(DBT_VENV)/.installed $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . && touch target/manifest.json

manifest: dbt_project/target/manifest.json

demo-data: $(SOURCE_DB)

$(SOURCE_DB): | $(VENV)/.installed
	$(BIN)/chordme-bi demo-data --url sqlite:///$(SOURCE_DB) --sessions $(DEMO_SESSIONS)

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp $< $@

# Pools: one DuckDB writer at a time; reports as wide as BI_MAX_CONCURRENT_REPORTS (the seed's setting).
instance: $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/dagster instance concurrency set duckdb_writer 1 >/dev/null
	@$(BIN)/dagster instance concurrency set reports $${BI_MAX_CONCURRENT_REPORTS:-5} >/dev/null

# Browser and PDF tools the tests render with (Debian packages; installed only when missing).
system-deps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

lock:  ## re-resolve requirements.lock (pyproject.toml) and requirements-dbt.lock (dbt_project/requirements.in)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile dbt_project/requirements.in --python-version 3.11 -o requirements-dbt.lock

clean:
	rm -rf data dbt_project/target dbt_project/logs

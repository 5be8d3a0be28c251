# fba-reclaim. `make demo` then `make test` on a fresh machine that has python3 and the package
# registries: the first target that needs it bootstraps uv and the locked virtualenv.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
RECLAIM_HOME ?= $(CURDIR)/data
DEV_PORT ?= 3000
export RECLAIM_HOME
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project

.PHONY: install demo test dev lint format manifest clean bench

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

demo: install
	$(BIN)/reclaim demo

test: install
	$(BIN)/pytest

manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet

dev: install manifest
	@mkdir -p "$(RECLAIM_HOME)/dagster/storage" "$(RECLAIM_HOME)/dagster/compute_logs"
	DAGSTER_HOME=$(CURDIR) \
	RECLAIM_DAGSTER_STORAGE="$(RECLAIM_HOME)/dagster/storage" \
	RECLAIM_DAGSTER_COMPUTE_LOGS="$(RECLAIM_HOME)/dagster/compute_logs" \
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(DEV_PORT)

# The issue-8 benchmark (benchmarks/run.py): 1, 10 and 100 sellers x 18 months (about 45 minutes
# on 2 cores), history growth at 12 and 36 months, the first demo after install;
# BENCH_ARGS="--scenarios 1,10" for a quick run.
# Results: $(RECLAIM_HOME)/bench/results.md and results-<timestamp>.json (the extraction's
# figures first, in extraction-<timestamp>.*, and in the table's targets).
bench: install
	$(BIN)/python -m benchmarks.extraction
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p "$(RECLAIM_HOME)/warehouse"  # the dbt templater connects to the warehouse
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs

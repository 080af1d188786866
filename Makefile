# whynow — every target creates .venv when needed. `make help` lists them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test lint fmt docs bench bench-serve trial clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) ## Generate the demo company and run whynow on it (embedded DuckDB)
	$(BIN)/whynow demo

test: $(STAMP) ## Run the test suite on every core, with a throwaway PostgreSQL, local Spark and Chromium (installed if missing)
	scripts/ensure-java.sh
	scripts/ensure-chromium.sh
	WHYNOW_REQUIRE_BACKENDS=1 scripts/with-postgres.sh $(BIN)/python -m pytest -n auto

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict on src/
	$(BIN)/ruff check src tests bench scripts examples
	$(BIN)/ruff format --check src tests bench scripts examples
	$(BIN)/mypy

fmt: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests bench scripts examples
	$(BIN)/ruff check --fix src tests bench scripts examples

docs: $(STAMP) ## Regenerate docs/model.md from the schema and the data contract
	$(BIN)/python -m whynow.docs > docs/model.md

bench: $(STAMP) ## Benchmark whynow against hand-written DuckDB SQL at 1M and 10M activities (BENCH_ARGS=--with-50m adds 50M)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-serve: $(STAMP) ## Latency of every dashboard page and API call on a store of the 50M-activity data (builds it once)
	$(BIN)/python bench/serve.py $(BENCH_ARGS)

trial: $(STAMP) ## Learn on the real data in ../shared/data where it is there: X Education lead scoring (contact level)
	@if [ ! -f ../shared/data/x-education-leads/Leads.csv ]; then echo "trial: no ../shared/data/x-education-leads here; nothing to try"; exit 0; fi; \
	$(BIN)/python examples/trials/x_education/prepare.py ../shared/data/x-education-leads/Leads.csv .trial/x-education && \
	$(BIN)/whynow learn --level contact --label converted --as-of 2026-11-20 \
	    --model examples/trials/x_education/model.yaml --data .trial/x-education

clean: ## Remove the venv, caches, demo output and cached benchmark data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache whynow-demo whynow.duckdb bench/.data test-artifacts .trial

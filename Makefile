# whynow — every target creates .venv when needed. `make help` lists them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test lint fmt docs bench bench-serve bench-push trial clean

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

bench: $(STAMP) ## Benchmark whynow against hand-written DuckDB SQL at 1M and 10M activities, and the goals of #21 (BENCH_ARGS=--with-50m adds 50M, --small-only: only --help, check and the explain fixture's run)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-serve: $(STAMP) ## Latency of every dashboard page and API call on a store of the 50M-activity data (builds it once)
	$(BIN)/python bench/serve.py $(BENCH_ARGS)

bench-push: $(STAMP) ## Time, requests and memory of whynow push of 100k accounts and 1M contacts into the fake Salesforce org and HubSpot portal (BENCH_ARGS=--small: 10k and 100k, --profile: where the time goes)
	$(BIN)/python bench/push.py $(BENCH_ARGS)

trial: $(STAMP) ## Learn on the real data in ../shared/data where it is there: X Education leads, Olist's funnel, Maven's CRM win/loss
	@if [ ! -d ../shared/data ]; then echo "trial: no ../shared/data beside the checkout; nothing to try"; exit 0; fi
	@if [ -f ../shared/data/x-education-leads/Leads.csv ]; then \
	  echo "== X Education: lead scoring, contact level, label converted"; \
	  $(BIN)/python examples/trials/x_education/prepare.py ../shared/data/x-education-leads/Leads.csv .trial/x-education && \
	  $(BIN)/whynow learn --level contact --label converted --as-of 2026-11-20 \
	      --model examples/trials/x_education/model.yaml --data .trial/x-education; fi
	@if [ -d ../shared/data/olist-marketing-funnel ]; then \
	  echo "== Olist: MQL to seller contract, account level, weekly 2017-07-07 .. 2018-05-25, 90-day window"; \
	  $(BIN)/python examples/trials/olist/prepare.py ../shared/data/olist-marketing-funnel .trial/olist && \
	  $(BIN)/whynow backtest --model examples/trials/olist/model.yaml --data .trial/olist \
	      --from 2017-07-07 --to 2018-05-25 --every 7 --window 90 --report .trial/olist-report && \
	  $(BIN)/whynow learn --model examples/trials/olist/model.yaml --data .trial/olist \
	      --from 2017-07-07 --to 2018-05-25 --every 7 --window 90; fi
	@if [ -d ../shared/data/crm-sales-opportunities ]; then \
	  echo "== Maven CRM: win/loss of closed deals, contact level, label won"; \
	  $(BIN)/python examples/trials/crm_sales/prepare.py ../shared/data/crm-sales-opportunities .trial/crm-sales && \
	  $(BIN)/whynow backtest --model examples/trials/crm_sales/model.yaml --data .trial/crm-sales \
	      --from 2017-01-06 --to 2017-12-29 --every 28 --window 90 && \
	  $(BIN)/whynow learn --level contact --label won --as-of 2017-12-31 \
	      --model examples/trials/crm_sales/model.yaml --data .trial/crm-sales; fi

clean: ## Remove the venv, caches, demo output and cached benchmark data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache whynow-demo whynow.duckdb bench/.data test-artifacts .trial

# The project's habits, one command each (`make help`). Everything runs through uv.
.PHONY: help rules lint test-fast test bench ui types

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

rules:  ## a rule author's loop: check the knowledge base, then run the regression cases
	uv run coopdec lint && uv run coopdec test

lint:  ## ruff (lint and format) and the type checker
	uv run ruff check . && uv run ruff format --check . && uv run mypy

types:  ## the type checker alone
	uv run mypy

test-fast:  ## the tests without the slow ones (browser, installs, kills, thousands of examples)
	uv run pytest -m "not slow"

test:  ## the whole test-suite, as CI runs it (README's test command)
	uv run pytest

bench:  ## speed on sparse, middling and complete profiles, screening, cold start (figures for README)
	uv run python bench/bench_engine.py && uv run python bench/bench_cold.py \
	&& uv run python bench/bench_screening.py

ui:  ## the app on http://localhost:8501
	uv run coopdec ui

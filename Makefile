# Opportunity Scout — the two commands of the quick start are `make demo` and `make test`.
# Both set everything up from nothing (uv, the virtualenv, the locked dependencies) first.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

PG_TEST_URL ?= postgresql+asyncpg://oppscout:oppscout@127.0.0.1:5432/postgres

.PHONY: setup demo chat test test-postgres lint bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen --quiet

demo: setup
	$(UV) run oppscout demo

chat: setup
	$(UV) run oppscout chat

test: setup
	$(UV) run pytest

# The database-backed tests again, on a PostgreSQL server (scripts/postgres starts one locally).
# tests/core/analysis is left out: the engine's tests never touch a database.
test-postgres: setup
	OPPSCOUT_TEST_DATABASE_URL=$(PG_TEST_URL) $(UV) run pytest tests/core tests/jobs --ignore=tests/core/analysis

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run deptry .
	$(UV) run lint-imports

bench: setup
	$(UV) run python -m bench.bench_demo
	$(UV) run python -m bench.bench_enqueue

clean:
	rm -rf .venv .tools .oppscout .pytest_cache .mypy_cache .ruff_cache

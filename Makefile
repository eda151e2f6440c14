# Chancela — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test setup lint typecheck migrations-check test-sqlite test-postgres bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --quiet
	touch $@

setup: $(VENV)/.synced

## Run Chancela locally: web, worker and the Clicksign emulator, with demo data.
run: setup
	@$(BIN)/python -m chancela.core.localenv .env
	$(BIN)/python manage.py run_local

## Everything CI runs: lint, types, migrations, the suite on SQLite and on PostgreSQL.
test: setup lint typecheck migrations-check test-sqlite test-postgres

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck:
	$(BIN)/mypy chancela $(wildcard clicksign_emulator)

migrations-check:
	DJANGO_SETTINGS_MODULE=chancela.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=chancela.settings_test $(BIN)/python manage.py check

test-sqlite:
	@echo "== test suite on SQLite =="
	CHANCELA_DATABASE_URL= $(BIN)/pytest

test-postgres:
	@if $(BIN)/python scripts/pg_available.py "$(PG_URL)"; then \
		echo "== test suite on PostgreSQL =="; \
		CHANCELA_DATABASE_URL="$(PG_URL)" $(BIN)/pytest; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "ERROR: PostgreSQL is required under CI but $(PG_URL) does not answer." >&2; exit 1; \
	else \
		echo ""; \
		echo "#################################################################"; \
		echo "## WARNING: PostgreSQL at $(PG_URL) does not answer.            "; \
		echo "## The PostgreSQL run of the suite was SKIPPED on this machine. "; \
		echo "## CI runs it; set PG_URL=... to point at your server.          "; \
		echo "#################################################################"; \
	fi

## Regenerate the performance figures (P1-P6) of docs/benchmarks.md; needs PostgreSQL at PG_URL.
## BENCH_DB names the throw-away databases (<BENCH_DB>_p1 ... _p6), created and dropped.
BENCH_DB ?= bench_chancela
bench: setup
	@command -v wrk >/dev/null || { echo "make bench needs the wrk load generator: apt-get install -y wrk" >&2; exit 1; }
	CHANCELA_DATABASE_URL="$(PG_URL)" BENCH_DB="$(BENCH_DB)" $(BIN)/python scripts/bench.py --write

clean:
	rm -rf $(VENV) data/test_* .mypy_cache .ruff_cache

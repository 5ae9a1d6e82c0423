# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test schema lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/modelcatalog migrate
	$(BIN)/modelcatalog serve --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then again on PostgreSQL when TEST_POSTGRES_URL is set.
test: install lint
	env -u DATABASE_URL TEST_DATABASE_URL= $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL"; \
		env -u DATABASE_URL TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/python -m pytest -q; \
	fi

schema: install
	$(BIN)/modelcatalog schema > schema.graphql

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Import, chat backfill, sync, endpoint health, read path and usage benchmarks (bench/): SQLite, then
# PostgreSQL when BENCH_POSTGRES_URL is set; the LiteLLM cost check when LITELLM_PYTHON is set.
# They empty the tables of the database they run on.
bench: install
	rm -f .bench.sqlite3 .bench.sqlite3-wal .bench.sqlite3-shm
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/imports.py
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/backfill.py
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/sync.py
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/health.py
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/read_path.py
	env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/usage.py
	@if [ -n "$$BENCH_POSTGRES_URL" ]; then \
		env DATABASE_URL="$$BENCH_POSTGRES_URL" $(BIN)/python bench/imports.py; \
		env DATABASE_URL="$$BENCH_POSTGRES_URL" $(BIN)/python bench/backfill.py; \
		env DATABASE_URL="$$BENCH_POSTGRES_URL" $(BIN)/python bench/sync.py; \
		env DATABASE_URL="$$BENCH_POSTGRES_URL" $(BIN)/python bench/health.py; \
		env DATABASE_URL="$$BENCH_POSTGRES_URL" $(BIN)/python bench/usage.py; \
	else echo "(set BENCH_POSTGRES_URL=postgres://... to measure PostgreSQL too)"; fi
	@if [ -n "$$LITELLM_PYTHON" ]; then \
		env DATABASE_URL=sqlite:///.bench.sqlite3 $(BIN)/python bench/litellm_costs.py; \
	else echo "(set LITELLM_PYTHON to a Python with the litellm package to check costs against LiteLLM)"; fi

# Two commands on a fresh machine: `make run` and `make test`.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST_PORT ?= 127.0.0.1:8000

.PHONY: run test check benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(HOST_PORT)

# axe-core for the browser tests comes from the npm registry. Without npm
# (or Chromium) the browser tests are reported as skipped, never passed.
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error || echo "npm ci failed: the browser tests will be skipped"; \
	else \
		echo "npm not found: the browser tests will be skipped"; \
	fi

test: $(STAMP) node_modules/.package-lock.json
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# A large synthetic council in its own SQLite file, then page timings.
BENCHMARK_DB := DATABASE_URL=sqlite:///$(CURDIR)/benchmark.sqlite3
benchmark: $(STAMP)
	rm -f benchmark.sqlite3*
	$(BENCHMARK_DB) $(BIN)/python manage.py migrate --no-input
	$(BENCHMARK_DB) $(BIN)/python manage.py build_synthetic_council --kpis 2000 --years 10
	$(BENCHMARK_DB) $(BIN)/python manage.py benchmark --repeat 20

clean:
	rm -rf $(VENV) db.sqlite3 benchmark.sqlite3* staticfiles test-results

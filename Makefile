SHELL := /bin/bash
# Shopfloor: `make run` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format venv deps test-deps migrate lock clean schema

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.test-deps: requirements.txt requirements-test.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-test.txt
	@touch $(VENV)/.deps $@

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

migrate: deps
	$(PY) manage.py migrate --noinput

run: deps migrate
	$(PY) manage.py seed_demo --if-empty
	@echo "Shopfloor is at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: test-deps
	@bash scripts/test.sh $(ARGS)

bench: test-deps
	@bash scripts/bench.sh

lint: test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: test-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The committed OpenAPI document; a test fails when it is out of date.
schema: deps
	env -u DATABASE_URL $(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

lock:
	rm -rf /tmp/shopfloor-lock && $(PYTHON) -m venv /tmp/shopfloor-lock
	/tmp/shopfloor-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned runtime closure of requirements.in (regenerate: make lock)."; /tmp/shopfloor-lock/bin/pip freeze | sort; } > requirements.txt
	/tmp/shopfloor-lock/bin/pip install --quiet -r requirements-test.in
	{ echo "# Pinned test/lint closure of requirements-test.in, on top of requirements.txt."; echo "-r requirements.txt"; \
	  /tmp/shopfloor-lock/bin/pip freeze | sort | comm -13 <(grep -v '^#' requirements.txt | sort) -; } > requirements-test.txt

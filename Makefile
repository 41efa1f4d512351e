# The two commands of the README: `make run` and `make test`. Both create .venv
# and install the project into it on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

run: $(STAMP)
	$(BIN)/python run.py run

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check feeds tests run.py bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) var public .pytest_cache .mypy_cache .ruff_cache

# Two-command quick start: `make run` and `make test` each create .venv if missing and install.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,vision]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/loci-desktop

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check core desktop tests
	$(BIN)/ruff format --check core desktop tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider -s -o addopts=""

clean:
	rm -rf $(VENV) build *.egg-info

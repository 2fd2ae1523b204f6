# The two commands of the README's Development section, each doing its own set-up:
#   make book   builds the sample book into dist/
#   make test   runs the whole test suite
# Both create the virtual environment (.venv) and install the system packages coursebook
# needs (the book face and HarfBuzz's subsetter) when they are missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test golden lint typecheck check clean system

book: $(STAMP)
	$(BIN)/coursebook build book -o dist

test: $(STAMP) tests/epubjs/node_modules/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --durations=20

# Regenerate the golden files of tests/golden/ after an intended change; review the diff.
golden: $(STAMP)
	$(BIN)/python -m pytest tests/test_golden.py --update-golden -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

$(STAMP): pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# epub.js, the reading system the tests open EPUBs with (versions pinned in package-lock.json).
tests/epubjs/node_modules/.installed: tests/epubjs/package-lock.json
	cd tests/epubjs && npm ci --silent --no-audit --no-fund
	touch $@

# System packages: Pango (WeasyPrint's text layout), HarfBuzz's subsetter (font embedding),
# the Charis SIL book face, and for the tests Java (EPUBCheck), Chromium (epub.js, DAISY Ace)
# and Node.js. Installed with apt when missing and possible; otherwise a note says what to
# install, and coursebook falls back to other fonts.
system:
	@./tools/system-deps

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache

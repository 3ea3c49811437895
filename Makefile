# Two commands matter: `make demo` and `make test`. Both install everything first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install system-deps demo test lint docs nbgrader-suite release bench-notebooks bench-grading bench-feedback hub

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: system-deps $(STAMP)

system-deps:
	bash scripts/system-deps.sh

demo: install
	$(BIN)/python -m demo

# pytest builds the docs too (tests/docs: warnings are errors, links checked offline, every name on a page exists)
test: install lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup
	$(MAKE) --no-print-directory nbgrader-suite

# The documentation site, from docs/ into docs/_build/html/ (its reference pages generated from the code first)
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going -q docs docs/_build/html

# nbgrader's own autograde and generate_feedback tests, from the installed package, with our engine configured in
nbgrader-suite: $(STAMP)
	PYTEST_WORKERS=$(PYTEST_WORKERS) $(BIN)/python -m tests.plugins.nbgrader_suite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check autograder solutions tests demo benchmarks hub
	$(BIN)/mypy

release: $(STAMP)
	$(BIN)/autograder release week3

bench-notebooks: $(STAMP)
	$(BIN)/python benchmarks/notebook_times.py

STUDENTS ?= 100
FEEDBACK_STUDENTS ?= 30
bench-grading: $(STAMP)
	$(BIN)/python benchmarks/grading.py --students $(STUDENTS)

# Feedback during the lab on a hub with real accounts (run as root): single, burst, kill -9, scores, stock
bench-feedback: $(STAMP)
	$(BIN)/python benchmarks/feedback.py --students $(FEEDBACK_STUDENTS)

# The course on a JupyterHub on 127.0.0.1 with real Unix accounts (run as root; Ctrl-C stops it). See the README.
HUB_PORT ?= 8000
hub: $(STAMP)
	$(BIN)/python -m hub --port $(HUB_PORT)

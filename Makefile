# The two commands: `make demo` and `make test`. Each creates or refreshes the virtual
# environment (.venv) from pyproject.toml, pinned by constraints.txt, then runs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= data/demo

.PHONY: demo test venv lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

## make demo: generate two nights of demo data, run the robots, then run tonight again (pays 0 more)
demo: $(STAMP)
	$(BIN)/robots demo --data-dir $(DEMO_DIR)
	@echo
	@echo "=== The same night again: nothing new may be paid ==="
	$(BIN)/robots run all --data-dir $(DEMO_DIR) --mode demo

## make test: the whole test suite (PostgreSQL tests need TEST_DATABASE_URL; .ci/run sets it)
test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/robots bench

clean:
	rm -rf $(VENV) data/demo

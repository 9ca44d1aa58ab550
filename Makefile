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
# The night is fixed once (Copenhagen's date), so "the same night again" stays the same
# night even when the demo runs across midnight.
demo: $(STAMP)
	$(eval NIGHT := $(shell TZ=Europe/Copenhagen date +%F))
	$(BIN)/robots demo --data-dir $(DEMO_DIR) --date $(NIGHT)
	@echo
	@echo "=== The same night again ($(NIGHT)): nothing new may be paid ==="
	$(BIN)/robots run all --data-dir $(DEMO_DIR) --mode demo --date $(NIGHT)
	@echo
	@echo "=== The control group's workbench ==="
	@echo "Open it with: $(BIN)/robots review --data-dir $(DEMO_DIR)   then http://127.0.0.1:8470/"
	@echo "Log in as kontrol.kirsten or kontrol.karl (control group), sag.sofie (caseworker),"
	@echo "oekonomi.olga (finance) or admin.adam (admin); the password is demo-kodeord-173."
	@echo
	@echo "=== What the scheduler would run next (robots schedule; README: Nightly operations) ==="
	$(BIN)/robots schedule --list

## make test: the layers, lint and types first (quick), then the whole test suite
## (PostgreSQL tests need TEST_DATABASE_URL; .ci/run sets it)
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/robots bench

clean:
	rm -rf $(VENV) data/demo

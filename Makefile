# Two commands on a fresh machine with Python >= 3.11:
#   make report   set up, generate demo data if data/raw/ is empty, build the demo's reports:
#                 reports/2023-12/ (verksamhetsberättelse), 2024-03/ and 2024-08/ (delårsrapporter;
#                 August compares itself with March), the year end and August each with the
#                 committee's PDF and rapport.html; PERIOD=ÅÅÅÅ-MM builds one
#   make test     set up and run the tests
PYTHON ?= python3
VENV   ?= .venv
PERIOD  ?=
PERIODS  = $(if $(PERIOD),$(PERIOD),2023-12 2024-03 2024-08)
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup demo report test lint lab clean chromium bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 krävs"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name uppfoljning --display-name "Python (uppfoljning)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/uppfoljning demo --if-empty

report: demo
	@for period in $(PERIODS); do $(BIN)/uppfoljning run $$period || exit 1; done

# The browser tests drive Debian's chromium; as root with apt it is installed here, elsewhere
# those tests are skipped and say why.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installerar chromium för webbläsartesterna"; \
		apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "chromium kunde inte installeras; webbläsartesterna hoppas över"; \
	fi

# ruff first: a lint or formatting slip fails the tests as it would fail review.
test: demo chromium lint
	$(BIN)/python -m pytest

# Wall time and peak memory of a report run, re-runs and ingest of 1 M and 10 M ledger lines
# against a bare pyarrow read (a few minutes): prints a table, writes benchmarks/results.json.
bench: demo
	$(BIN)/python benchmarks/bench.py

lint: setup
	$(BIN)/ruff check lib tests benchmarks
	$(BIN)/ruff format --check lib tests benchmarks

lab: demo
	$(BIN)/uppfoljning ingest
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

clean:
	rm -rf reports/20* data/processed/*.parquet data/processed/ingest.json

# Two entry points do all set-up on a fresh machine: `make quickstart` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quickstart test test-slow lint bench bench-baselines bench-text bench-cold bench-encoder clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

quickstart: $(STAMP)
	$(BIN)/llm4rec quickstart

test: $(STAMP)
	$(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: bench-baselines bench-encoder bench-cold bench-text

bench-baselines: $(STAMP)
	$(BIN)/python benchmarks/run_baselines.py --out benchmarks/results/baselines.json

bench-text: $(STAMP)
	$(BIN)/python benchmarks/run_text_models.py

bench-cold: $(STAMP)
	$(BIN)/python benchmarks/run_cold_start.py

bench-encoder: $(STAMP)
	$(BIN)/python benchmarks/encode_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info

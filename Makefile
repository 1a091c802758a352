# Two entry points do all set-up on a fresh machine: `make quickstart` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quickstart test browser serve bench-serving bench-ann bench-explain bench-attack bench-simulate test-slow lint bench bench-baselines bench-text bench-cold bench-encoder bench-finetune bench-finetune-methods bench-scale bench-generative bench-live-items bench-two-stage clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

quickstart: $(STAMP)
	$(BIN)/llm4rec quickstart

# The page test drives Debian's chromium; install it when missing and apt-get is usable
# (root, or passwordless sudo). Without it that one test is skipped and says why.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	    $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || \
	    echo "note: could not install chromium/chromium-driver; the browser test will be skipped"; }

test: $(STAMP) browser
	$(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

serve: $(STAMP)
	$(BIN)/llm4rec serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: bench-baselines bench-encoder bench-cold bench-text bench-finetune bench-serving bench-ann bench-explain bench-attack bench-simulate

bench-baselines: $(STAMP)
	$(BIN)/python benchmarks/run_baselines.py --out benchmarks/results/baselines.json

bench-text: $(STAMP)
	$(BIN)/python benchmarks/run_text_models.py

bench-cold: $(STAMP)
	$(BIN)/python benchmarks/run_cold_start.py

bench-encoder: $(STAMP)
	$(BIN)/python benchmarks/encode_throughput.py
	$(BIN)/python benchmarks/encoder_backends.py --out benchmarks/results/encoder_backends.json

bench-finetune: $(STAMP)  # ml-latest-small's sequential hybrid takes long to tune, so it is left out there
	$(BIN)/python benchmarks/finetune_encoder.py --datasets ml-100k-loo,amazon-office-loo
	$(BIN)/python benchmarks/finetune_encoder.py --datasets ml-latest-small-loo --models text,hybrid

bench-finetune-methods: $(STAMP)
	$(BIN)/python benchmarks/finetune_encoder.py --datasets ml-100k-loo --methods head,lora,adalora,full --no-compare

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/large_log.py
	$(BIN)/python benchmarks/large_log.py --format csv
	$(BIN)/python benchmarks/large_catalogue.py
	$(BIN)/python benchmarks/ann_retrieval.py --sizes 100000,1000000,5000000 --float-up-to 5000000 --ef 16,32,64,128,256,512 --skip-uniform --out benchmarks/results/ann_scale.json

bench-generative: $(STAMP)  # hours on 2 cores: the comparison on four splits, cold start, the ablation
	$(BIN)/python benchmarks/generative_retrieval.py

bench-live-items: $(STAMP)  # about half an hour on 2 cores
	$(BIN)/python benchmarks/live_items.py

bench-two-stage: $(STAMP)
	$(BIN)/python benchmarks/two_stage.py

bench-serving: $(STAMP)
	$(BIN)/python benchmarks/serving_latency.py --out benchmarks/results/serving.json

bench-ann: $(STAMP)
	$(BIN)/python benchmarks/ann_retrieval.py --sizes 1000000 --out benchmarks/results/ann.json

bench-explain: $(STAMP)
	$(BIN)/python benchmarks/explain_faithfulness.py --out benchmarks/results/explain.json
	$(BIN)/python benchmarks/explain_wording.py --out benchmarks/results/explain_wording.json

bench-attack: $(STAMP)
	$(BIN)/llm4rec attack-eval --out benchmarks/results/attack-eval.json
	$(BIN)/python benchmarks/live_fraud.py

bench-simulate: $(STAMP)
	$(BIN)/python benchmarks/tune_policies.py
	$(BIN)/llm4rec simulate --rounds 200 --seeds 5 --out benchmarks/results/simulation.json

clean:
	rm -rf $(VENV) build *.egg-info

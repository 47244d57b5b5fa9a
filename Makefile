# `make demo` and `make test` work from a clean clone: they create .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench vectors clean train-cpu model-card fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch pinned first: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/securecomp demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# ruff and mypy, configured in pyproject.toml; .ci/run runs both before the tests.
lint: $(STAMP)
	$(BIN)/ruff check securecomp tests benchmarks scripts examples

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ciphers.py

# Longer fuzzing, on demand: tests/test_fuzz.py with FUZZ_EXAMPLES examples per test (CI runs a few
# hundred), seeds from a corpus tests/fuzzing.py rebuilds (every codec and mode, every suite and key
# type, the bomb regression body) and decoding under FUZZ_MAX_PIXELS (the library's default). A call
# that runs over 20 s ends the run with every thread's stack; a failure prints the shrunk input.
FUZZ_EXAMPLES ?= 5000
FUZZ_MAX_PIXELS ?= 89478485
FUZZ_CORPUS ?= build/fuzz-corpus
fuzz: $(STAMP)
	$(BIN)/python tests/fuzzing.py $(FUZZ_CORPUS)
	SECURECOMP_FUZZ_CORPUS=$(FUZZ_CORPUS) SECURECOMP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	SECURECOMP_FUZZ_MAX_PIXELS=$(FUZZ_MAX_PIXELS) $(BIN)/python -m pytest -q tests/test_fuzz.py \
	    --hypothesis-show-statistics

vectors: $(STAMP)
	$(BIN)/python tests/vectors/generate.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# The CPU training recipe of the continuous-rate learned codec (docs/codec.md): one stage per
# session, in the background (`make train-cpu &`; THREADS=2 on an otherwise idle machine); the
# per-quality models' recipe is scripts/train_cpu_v1.sh.
DATA ?= ../shared/datasets
STAGE ?= s23
train-cpu: $(STAMP)
	DATA=$(DATA) scripts/train_cpu.sh $(STAGE)

# The model card alone (docs/codec.md: every codec on Kodak, the continuous model on 4 clic2025
# photos); after a retrain, benchmarks/after_training.sh runs it beside every other check.
model-card: $(STAMP)
	$(BIN)/python benchmarks/model_card.py

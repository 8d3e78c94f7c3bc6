# iclx — every target installs what it needs (.venv from pyproject.toml) on first use.
# The figure targets come from the registry (src/iclx/experiments/__init__.py): `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PRESET ?=
PRESET_FLAG := $(if $(PRESET),--preset=$(PRESET),)

.PHONY: help install test demo bench report report-check reproduce-all clean-runs

help: $(STAMP)
	@$(PY) -m iclx.experiments help

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile

demo: $(STAMP)
	$(PY) -m iclx.experiments reproduce $$($(PY) -c "import iclx.experiments as X; print(X.DEMO_TARGET)")

# make reproduce-fig-<target> [PRESET=paper]: one registered target (make help lists them)
reproduce-fig-%: $(STAMP)
	$(PY) -m iclx.experiments reproduce $* $(PRESET_FLAG)

reproduce-all: $(STAMP)
	$(PY) -m iclx.experiments reproduce-all $(PRESET_FLAG)

report: $(STAMP)
	$(PY) -m iclx.report

# fails when a generated file is out of date with the committed results
report-check: $(STAMP)
	$(PY) -m iclx.report --check

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m iclx.bench --mode=cpu --torch

clean-runs:
	rm -rf runs

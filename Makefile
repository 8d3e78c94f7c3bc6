# iclx — every target installs what it needs (.venv from pyproject.toml) on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
RUN    := $(PY) -m iclx.experiments

GVN    := $(RUN).gd_vs_newton --preset=cpu
GVN_FIGS := experiments/gd_vs_newton

.PHONY: install test demo bench reproduce-all reproduce-fig-linear-regression reproduce-fig-lipschitz \
	reproduce-fig-gd-vs-newton reproduce-fig-gd-vs-newton-illcond reproduce-fig-gd-vs-newton-noisy \
	reproduce-fig-gd-vs-newton-width reproduce-fig-gd-vs-newton-all clean-runs help

help:
	@echo "make demo                              first figure at cpu scale (7-10 min on 2 cores)"
	@echo "make test                              the test suite (CPU, < 5 min)"
	@echo "make reproduce-fig-linear-regression   GPT-2 vs least squares / Newton / GD (cpu preset)"
	@echo "make reproduce-fig-lipschitz           softmax attention: dynamics and the L-threshold sweep"
	@echo "make reproduce-fig-gd-vs-newton        Fu et al.: probes, SimE/SimW heatmaps, Newton vs GD, Table 1"
	@echo "make reproduce-fig-gd-vs-newton-illcond  the same on ill-conditioned inputs (kappa = 100)"
	@echo "make reproduce-fig-gd-vs-newton-noisy    the same with label noise (sigma = 0.1)"
	@echo "make reproduce-fig-gd-vs-newton-width    Fu et al. Fig 6: 1-head models of growing width"
	@echo "make reproduce-all                     every experiment's cpu preset"
	@echo "make bench                             engine throughput, scaling, memory; PyTorch reference"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n auto

demo: reproduce-fig-linear-regression

reproduce-fig-linear-regression: $(STAMP)
	$(RUN).linear_regression --preset=cpu --figures=experiments/linear_regression

reproduce-fig-lipschitz: $(STAMP)
	$(RUN).lipschitz_threshold --preset=cpu --figures=experiments/lipschitz_threshold

reproduce-fig-gd-vs-newton: $(STAMP)
	$(GVN) --figures=$(GVN_FIGS)

reproduce-fig-gd-vs-newton-illcond: $(STAMP)
	$(GVN) --config.task.covariance=two_level --config.task.kappa=100 --config.lstm.enabled=false \
	  --config.sim.newton_max=30 --config.sim.gd_lin_step=100 --config.sim.gd_lin_max=4000 \
	  --config.sim.gd_log2_max=16 --figures=$(GVN_FIGS)/ill_conditioned

reproduce-fig-gd-vs-newton-noisy: $(STAMP)
	$(GVN) --config.task.noise_std=0.1 --config.lstm.enabled=false --figures=$(GVN_FIGS)/noisy

reproduce-fig-gd-vs-newton-width: $(STAMP)
	$(RUN).gd_vs_newton_width --preset=cpu --figures=$(GVN_FIGS)/width

reproduce-fig-gd-vs-newton-all: reproduce-fig-gd-vs-newton reproduce-fig-gd-vs-newton-illcond \
	reproduce-fig-gd-vs-newton-noisy reproduce-fig-gd-vs-newton-width

reproduce-all: reproduce-fig-linear-regression reproduce-fig-lipschitz reproduce-fig-gd-vs-newton-all

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m iclx.bench --mode=cpu --torch

clean-runs:
	rm -rf runs

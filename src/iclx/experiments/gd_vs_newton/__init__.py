"""Fu et al. 2023 (arXiv 2310.17086): transformers match Iterative Newton layer by layer, not GD.

    python -m iclx.experiments.gd_vs_newton --preset=cpu      # make reproduce-fig-gd-vs-newton
    python -m iclx.experiments.gd_vs_newton --preset=cpu --variant=ill_conditioned   # κ = 100, Figs 4/16
    python -m iclx.experiments.gd_vs_newton --preset=cpu --variant=noisy             # σ = 0.1, Fig 19
    python -m iclx.experiments.gd_vs_newton --preset=cpu-long # make reproduce-fig-gd-vs-newton-converged
    python -m iclx.experiments.gd_vs_newton --preset=paper    # GPU: d=20, 12L/8H/256, 500k steps

``config`` (presets, variants), ``run`` (training, probes, baselines, similarities), ``plots``
(figures from saved results), ``claims`` (the paper's claims as checks on saved results).
"""

from iclx import experiment as E
from iclx.experiments.gd_vs_newton.claims import CLAIMS
from iclx.experiments.gd_vs_newton.config import NAME, PRESETS, VARIANTS, get_config, validate
from iclx.experiments.gd_vs_newton.plots import plot
from iclx.experiments.gd_vs_newton.run import run, summarise

EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          claims=CLAIMS, variants=VARIANTS, presets=PRESETS, summarise=summarise,
                          figures_dir="experiments/gd_vs_newton")

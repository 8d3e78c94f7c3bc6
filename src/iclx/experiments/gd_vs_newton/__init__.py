"""Fu et al. 2023 (arXiv 2310.17086): transformers match Iterative Newton layer by layer, not GD.

    python -m iclx.experiments.gd_vs_newton --preset=cpu      # make reproduce-fig-gd-vs-newton
    python -m iclx.experiments.gd_vs_newton --preset=cpu --variant=ill_conditioned   # κ = 100, Figs 4/16
    python -m iclx.experiments.gd_vs_newton --preset=cpu --variant=noisy             # σ = 0.1, Fig 19
    python -m iclx.experiments.gd_vs_newton --preset=cpu-long # make reproduce-fig-gd-vs-newton-converged
    python -m iclx.experiments.gd_vs_newton --preset=paper    # GPU: d=20, 12L/8H/256, 500k steps

``config`` (presets, variants), ``run`` (training, probes, similarities), ``baselines`` (the
algorithms in float64, Table 1's rows, the forgetting prompts), ``plots`` (figures from saved
results), ``claims`` (the paper's claims as checks on saved results, with ``claims_growth``,
``claims_table``, ``claims_extra``).
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.gd_vs_newton import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    figures_dir="experiments/gd_vs_newton", variants=config.VARIANTS, presets=config.PRESETS)

"""GPT-2 trained on in-context linear regression vs least squares, Iterative Newton, GD, averaging
and 3-NN: squared error (÷ d) against the number of in-context examples (Garg et al. 2022, Fig. 2;
Fu et al. 2023, Fig. 5/7 starting point).

    python -m iclx.experiments.linear_regression --preset=cpu      # make reproduce-fig-linear-regression
    python -m iclx.experiments.linear_regression --preset=paper    # GPU: d=20, 41 points, 12L/8H/256, 500k steps

Expected (cpu): the transformer's error sits far below averaging and 3-NN, and falls towards least
squares (≈ 0 for noiseless data) once the prompt holds n ≥ d examples.

``config`` (presets), ``run`` (training and evaluation), ``summary`` (summary lines, tables),
``plots`` (figures from saved results), ``claims`` (the paper's claims as checks).
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.linear_regression import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    figures_dir="experiments/linear_regression")

"""Li, Duan, Liang 2025 (arXiv 2507.20443): one-layer softmax attention learning in-context
regression of L-Lipschitz functions by GD on the population loss: training dynamics in the flat and
sharp regimes, the time to ε versus L across the threshold L*, and the final attention on unseen
functions.

    python -m iclx.experiments.lipschitz_threshold --preset=cpu     # make reproduce-fig-lipschitz
    python -m iclx.experiments.lipschitz_threshold --preset=paper   # GPU scale: K=10, N=100, 1e5 steps

``config`` (presets, validation), ``task`` (the task and the training problem a config builds),
``run`` (theory tables, the two training stages, evaluation;
``--config.stages=dynamics`` or ``=sweep`` runs one of them),
``summary`` (summary lines and README tables), ``plots`` / ``plots_sweep`` (figures from saved
results), ``claims`` (the paper's claims as checks).
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.lipschitz_threshold import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    stages=config.STAGES, figures_dir="experiments/lipschitz_threshold")

"""In-context classification of Gaussian mixtures by a one-layer linear-attention transformer
(Shen, Zhou, Yang, Shen 2024, arXiv 2410.11778): linear convergence of GD, W* = c(Λ⁻¹ + G), the
error's dependence on N, M and c, a 3-layer GPT-2 contrast and traditional baselines.

    python -m iclx.experiments.gmm_classification --preset=cpu --figures=experiments/gmm_classification
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.gmm_classification import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    stages=config.STAGES, figures_dir="experiments/gmm_classification")

"""Wu, Su, Hu, Song, Liu 2024 (arXiv 2411.16549): transformers learn deep ReLU networks in context.

    python -m iclx.experiments.deep_optimizers --preset=cpu     # make reproduce-fig-deep-opt
    python -m iclx.experiments.deep_optimizers --preset=paper   # GPU: 12L/8H/256, d=20, 500k steps

``config`` (presets), ``run`` (training of softmax / ReLU-attention GPT-2, R² under input-mixture and
parameter shifts, the directly trained N-layer network, the depth sweep), ``plots`` (figures from
saved results), ``claims`` (the paper's claims as checks). The explicit construction that runs GD
on an N-layer ReLU net lives in ``iclx.models.constructions_relu_gd`` (tested in tests/).
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.deep_optimizers import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    figures_dir="experiments/deep_optimizers")

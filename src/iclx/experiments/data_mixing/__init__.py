"""Data mixing with linear attention + MLP heads (Demir & Doğan 2025, arXiv 2510.25753).

    python -m iclx.experiments.data_mixing --preset=cpu                          # make reproduce-fig-mixing
    python -m iclx.experiments.data_mixing --preset=cpu --variant=multilingual   # make reproduce-fig-multilingual
    python -m iclx.experiments.data_mixing --preset=cpu --variant=multilingual_e5   # … -multilingual-e5
    python -m iclx.experiments.data_mixing.gap_table --d=16,32,48   # MLP vs equivalent at every scale
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.data_mixing import catalog, claims, config, cost, multilingual, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    figures_dir="experiments/data_mixing", variants=config.VARIANTS, stages=config.STAGES,
    requirements=multilingual.require_encoder)

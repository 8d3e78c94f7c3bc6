"""Fu et al. 2023 (arXiv 2310.17086), Fig. 6: the width a one-head transformer needs.

    python -m iclx.experiments.gd_vs_newton_width --preset=cpu     # make reproduce-fig-gd-vs-newton-width
    python -m iclx.experiments.gd_vs_newton_width --preset=paper   # GPU: d=20, 12L-1H, 500k steps each
"""

from iclx.framework.experiment import Experiment
from iclx.experiments.gd_vs_newton_width import catalog, claims, config, cost, plots, run, summary

EXPERIMENT = Experiment(
    paper=catalog.PAPER, targets=catalog.TARGETS, order=catalog.ORDER, dry_run=catalog.DRY_RUN,
    name=config.NAME, get_config=config.get_config, validate=config.validate, run=run.run,
    summarise=summary.summarise, estimate=cost.estimate, plot=plots.plot, claims=claims.CLAIMS,
    figures_dir="experiments/gd_vs_newton/width")

"""Fu et al. 2023 (arXiv 2310.17086), Fig. 6: the width a one-head transformer needs.

    python -m iclx.experiments.gd_vs_newton_width --preset=cpu     # make reproduce-fig-gd-vs-newton-width
    python -m iclx.experiments.gd_vs_newton_width --preset=paper   # GPU: d=20, 12L-1H, 500k steps each
"""

from iclx import experiment as E
from iclx.experiments.gd_vs_newton_width.claims import CLAIMS
from iclx.experiments.gd_vs_newton_width.config import NAME, get_config, validate
from iclx.experiments.gd_vs_newton_width.plots import plot
from iclx.experiments.gd_vs_newton_width.run import run

EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          claims=CLAIMS, figures_dir="experiments/gd_vs_newton/width")

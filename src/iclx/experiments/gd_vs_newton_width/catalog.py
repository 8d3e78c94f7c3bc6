"""What the registry lists of gd_vs_newton_width: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "gd_vs_newton_width"

PAPER = Paper("fu-newton", "Transformers Learn to Achieve Second-Order Convergence Rates for In-Context Linear "
              "Regression",
              "Fu, Chen, Jia, Sharan", 2023, "2310.17086", order=1)

TARGETS = (
    Target("gd-vs-newton-width", NAME, "experiments/gd_vs_newton/width",
           "width ablation of 1-head models, Fig 6",
           minutes="21"),
)

DRY_RUN = DryRunCuts()

ORDER = 3   # its place in `make help` and the report (lower first)

"""What the registry lists of linear_regression: its paper, its make targets, its dry-run cuts."""

from iclx.framework.catalog import DryRunCuts, Paper, Target

NAME = "linear_regression"

PAPER = Paper("fu-newton", "Transformers Learn to Achieve Second-Order Convergence Rates for In-Context Linear "
              "Regression",
              "Fu, Chen, Jia, Sharan", 2023, "2310.17086", order=1)

TARGETS = (
    Target("linear-regression", NAME, "experiments/linear_regression",
           "GPT-2 vs least squares / Newton / GD / averaging / 3-NN: error vs in-context examples",
           minutes="32 (loaded)"),
)

DRY_RUN = DryRunCuts()

ORDER = 1   # its place in `make help` and the report (lower first)

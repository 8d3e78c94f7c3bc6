"""GPT-2 trained on in-context linear regression vs least squares, Iterative Newton, GD, averaging
and 3-NN: squared error (÷ d) against the number of in-context examples (Garg et al. 2022, Fig. 2;
Fu et al. 2023, Fig. 5/7 starting point).

    python -m iclx.experiments.linear_regression --preset=cpu      # make reproduce-fig-linear-regression
    python -m iclx.experiments.linear_regression --preset=paper    # GPU: d=20, 41 points, 12L/8H/256, 500k steps

Expected (cpu): the transformer's error sits far below averaging and 3-NN, and falls towards least
squares (≈ 0 for noiseless data) once the prompt holds n ≥ d examples.
"""

from iclx import experiment as E
from iclx.experiments.linear_regression.claims import CLAIMS
from iclx.experiments.linear_regression.config import NAME, get_config, method_names, validate
from iclx.experiments.linear_regression.plots import plot
from iclx.experiments.linear_regression.run import build_problem, evaluate, run

EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          claims=CLAIMS, figures_dir="experiments/linear_regression")
main = EXPERIMENT.main

__all__ = ["EXPERIMENT", "NAME", "build_problem", "evaluate", "get_config", "main", "method_names",
           "validate"]

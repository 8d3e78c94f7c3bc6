"""In-context classification of Gaussian mixtures by a one-layer linear-attention transformer
(Shen, Zhou, Yang, Shen 2024, arXiv 2410.11778): linear convergence of GD, W* = c(Λ⁻¹ + G), the
error's dependence on N, M and c, a 3-layer GPT-2 contrast and traditional baselines.

    python -m iclx.experiments.gmm_classification --preset=cpu --figures=experiments/gmm_classification
"""

from iclx import experiment as E
from iclx.experiments.gmm_classification.claims import CLAIMS
from iclx.experiments.gmm_classification.config import NAME, get_config, validate
from iclx.experiments.gmm_classification.plots import plot
from iclx.experiments.gmm_classification.run import run

EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          claims=CLAIMS, figures_dir="experiments/gmm_classification")

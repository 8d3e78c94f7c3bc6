"""Data mixing with linear attention + MLP heads (Demir & Doğan 2025, arXiv 2510.25753).

    python -m iclx.experiments.data_mixing --preset=cpu                          # make reproduce-fig-mixing
    python -m iclx.experiments.data_mixing --preset=cpu --variant=multilingual   # make reproduce-fig-multilingual
    python -m iclx.experiments.data_mixing --preset=cpu --variant=multilingual_e5   # … -multilingual-e5
"""

from iclx import experiment as E
from iclx.experiments.data_mixing.claims import CLAIMS
from iclx.experiments.data_mixing.config import NAME, VARIANTS, get_config, validate
from iclx.experiments.data_mixing.multilingual import require_encoder
from iclx.experiments.data_mixing.plots import plot
from iclx.experiments.data_mixing.run import run

EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          claims=CLAIMS, variants=VARIANTS, figures_dir="experiments/data_mixing",
                          requirements=require_encoder)

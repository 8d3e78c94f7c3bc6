"""What every deep-optimizers claim shares: the positions a statistic averages over, the learned-task
gate (a transformer that does not beat 1-NN and label averaging in distribution by
``LEARNED_MARGIN`` is not evaluated), the directly trained network's best-epoch R² with its interval
over blocks of prompts, and the gap between a model and that baseline."""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import NotEvaluable, estimate, exact, require_learned
from iclx.experiments.deep_optimizers import references
from iclx.experiments.deep_optimizers.summary import curve, mix_key, shift_key
from iclx.framework.stats import Estimate

LEARNED_MARGIN = 0.02   # a learned model beats the better trivial predictor by this much mean R²
TRIVIAL_NAMES = {"nn1": "1-NN", "label_mean": "label averaging"}
SUPPLEMENT = "python -m iclx.experiments.deep_optimizers.supplement deep-opt"


def inside(cfg, r2: np.ndarray) -> np.ndarray:
    """Each row's mean R² over positions 1 … n_train − 1 (the pretraining length):
    ``[..., n]`` → ``[...]``."""
    return r2[..., 1:cfg.task.n_points].mean(axis=-1)


def trivial(cfg, arrays, target: int, w: float = 1.0, mean: float = 0.0,
            positions: np.ndarray | None = None) -> dict[str, float]:
    """1-NN's and label averaging's mean R² (over ``positions``, default 1 … n_train − 1) on the
    prompts of one test distribution (the transformer's prompts)."""
    out = {}
    for name in references.TRIVIAL:
        key = f"trivial/{name}/N{target}/{mix_key(w)}/{shift_key(mean)}"
        if key not in arrays:
            raise NotEvaluable(f"this run saved no trivial baselines ({key}): re-run it, or add them "
                               f"with {SUPPLEMENT}")
        r2 = arrays[key]
        out[name] = float(inside(cfg, r2) if positions is None else r2[positions].mean())
    return out


def require_models_learned(cfg, arrays, models) -> None:
    """``NotEvaluable`` unless every (attention, target, layers) model's in-distribution mean R²
    (seeds) beats the better of 1-NN and label averaging on the same prompts by ``LEARNED_MARGIN``."""
    for attention, target, layers in models:
        base = trivial(cfg, arrays, target)
        name = max(base, key=base.get)
        model = estimate(np.mean, inside(cfg, curve(arrays, attention, target, layers)))
        require_learned(model, exact(base[name]), TRIVIAL_NAMES[name], LEARNED_MARGIN,
                        what=f"{attention} N={target}, {layers} layers, mean R² over 1–"
                             f"{cfg.task.n_points - 1} examples in distribution")


def baseline_positions(cfg, arrays) -> np.ndarray:
    """The baseline's fitted positions inside 1 … n_train − 1 (the claims compare there only)."""
    pos = arrays["baseline/positions"]
    return pos[(pos >= 1) & (pos < cfg.task.n_points)]


def baseline_best(cfg, arrays, target: int, mean: float = 0.0) -> Estimate:
    """The N-layer network's best-epoch mean R² over ``baseline_positions``, with its 95% interval
    over the blocks of the baseline's prompts (delete-one-block jackknife; the best epoch is chosen
    again on every subset)."""
    key = f"baseline/N{target}/{shift_key(mean)}/block_sums"
    if key not in arrays:
        raise NotEvaluable(f"this run saved the baseline as one pooled fit ({key} missing), no "
                           f"replicates for its interval: re-run it, or add them with {SUPPLEMENT}")
    pos = arrays["baseline/positions"]
    sel = (pos >= 1) & (pos < cfg.task.n_points)
    stat = lambda sums, sizes: float(np.mean(references.block_r2(sums, sizes).max(axis=0)[sel]))
    return estimate(stat, arrays[key], arrays["baseline/block_sizes"], axis="prompt blocks")


def gap(model: Estimate, baseline: Estimate) -> Estimate:
    """model − baseline for independent replicates (seeds against prompt blocks), its interval the
    conservative [model.low − baseline.high, model.high − baseline.low]."""
    exact_model = model.axis == "exact"      # a trivial predictor in the model's place (a control)
    return Estimate(model.value - baseline.value, model.low - baseline.high, model.high - baseline.low,
                    baseline.replicates if exact_model else model.replicates,
                    baseline.axis if exact_model else f"{model.axis} × {baseline.axis}")


def smallest(estimates: list[Estimate]) -> Estimate:
    """The smallest of several quantities: value, low and high are each the smallest (a valid 95%
    interval for the minimum when each interval covers its quantity)."""
    return Estimate(min(e.value for e in estimates), min(e.low for e in estimates),
                    min(e.high for e in estimates), estimates[0].replicates, estimates[0].axis)


def swap_alternate(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The control of a paired comparison: ``a`` and ``b`` ``[seeds, ...]`` with their rows swapped
    in every second seed, so that neither side is systematically the claimed one."""
    odd = (np.arange(a.shape[0]) % 2 == 1).reshape((-1,) + (1,) * (a.ndim - 1))
    return np.where(odd, b, a), np.where(odd, a, b)

"""Our claims on the probe stage (beyond the paper; ``Claim(ours=True)``): which in-context algorithm
the trained models' layers read out like (``probe``: SimE heatmaps ``[S, K, L]`` per family).

- **the best-matching GD step grows with the layer**: per seed, log₂(1 + s_L) − log₂(1 + s_1), the
  best-matching step of GD on the ReLU network (first maximum of SimE) at the last layer against the
  first, > 0 for every main model (the smallest over models; 95% interval over seeds);
- **closer to GD on the ReLU network than to ridge**: per seed, at the last layer, the best SimE over
  GD's steps − the best SimE over ridge's penalties, > 0 for every main model.

Control of both: the same test on the untrained (initialised) model of the same seeds. Both are
gated on the models having learned the task (``claims_common.require_models_learned``).
"""

from __future__ import annotations

import numpy as np

from iclx import probes
from iclx.framework.claims import Measured, NotEvaluable, Test, compare, estimate, gated, with_control
from iclx.experiments.deep_optimizers import claims_common as common

UNTRAINED = "the untrained model of the same seeds"
GROWTH, CLOSER = Test(">", 0.0), Test(">", 0.0)


def heatmap(arrays, net: str, attention: str, target: int, family: str) -> np.ndarray:
    """SimE ``[S, K, L]`` of one network (``tf`` | ``init``) against one candidate family."""
    key = f"probe/{net}/{attention}/N{target}/sime_{family}"
    if key not in arrays:
        raise NotEvaluable(f"this run has no probe stage ({key} missing): re-run it")
    return np.asarray(arrays[key], np.float64)


def step_growth(heat: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per seed, log₂(1 + best step at the last layer) − log₂(1 + best step at the first layer):
    ``heat [S, K, L]``, ``steps [K]`` → ``[S]``."""
    best = probes.best_steps(heat, steps)["best"].astype(np.float64)                  # [S, L]
    return np.log2(1.0 + best[:, -1]) - np.log2(1.0 + best[:, 0])


def gd_over_ridge(gd: np.ndarray, ridge: np.ndarray) -> np.ndarray:
    """Per seed, the last layer's best SimE with GD's rows − its best with ridge's rows:
    ``[S, K, L]`` and ``[S, K', L]`` → ``[S]``."""
    return gd[:, :, -1].max(axis=1) - ridge[:, :, -1].max(axis=1)


def _smallest(cfg, arrays, net: str, statistic) -> tuple[np.ndarray, str]:
    """The per-seed statistic of the main model with the smallest mean, and every model's mean."""
    values = {f"{a} N={t}": statistic(a, t, net) for a in cfg.study.attentions for t in cfg.study.target_depths}
    name = min(values, key=lambda k: float(np.mean(values[k])))
    return values[name], "; ".join(f"{k}: {float(np.mean(v)):+.3f}" for k, v in values.items())


def _probe_claim(cfg, arrays, statistic, test: Test, what: str) -> Measured:
    trained, parts = _smallest(cfg, arrays, "tf", statistic)
    control, control_parts = _smallest(cfg, arrays, "init", statistic)
    detail = f"{what}, smallest over the main models (mean over seeds): {parts}; untrained: {control_parts}"
    return with_control(compare(estimate(np.mean, trained), test, detail), UNTRAINED,
                        compare(estimate(np.mean, control), test))


def _models(cfg):
    return [(a, t, cfg.model.n_layer) for a in cfg.study.attentions for t in cfg.study.target_depths]


def gd_step_grows(cfg, scalars, arrays) -> Measured:
    steps = np.asarray(arrays.get("probe/grid/relu_gd", np.zeros(0)))
    stat = lambda a, t, net: step_growth(heatmap(arrays, net, a, t, "relu_gd"), steps)
    return gated(lambda: _probe_claim(cfg, arrays, stat, GROWTH,
                                      "log₂(1 + best GD step) at the last − the first layer"),
                 lambda: common.require_models_learned(cfg, arrays, _models(cfg)))


def closer_to_relu_gd(cfg, scalars, arrays) -> Measured:
    stat = lambda a, t, net: gd_over_ridge(heatmap(arrays, net, a, t, "relu_gd"),
                                           heatmap(arrays, net, a, t, "ridge"))
    return gated(lambda: _probe_claim(cfg, arrays, stat, CLOSER,
                                      "last layer's best SimE with GD on the ReLU net − with ridge"),
                 lambda: common.require_models_learned(cfg, arrays, _models(cfg)))

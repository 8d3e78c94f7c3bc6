"""How the best-matching algorithm step grows with the layer (Fu et al. 2023, Figs 3, 8, 9, 10):
linear for Iterative Newton, exponential for GD.

A best-match curve (best step per layer, of the seed-mean heatmap) has a **growth phase**: from the
first layer above the curve's minimum to the first layer at its maximum (so a plateau at either end
is left out); the paper's Newton curve 1, 1, 2, 5, 8, 10, 14, 17, 20, 21, 21, 21 gives layers 3–10.
Over it (at least ``MIN_MIDDLE_LAYERS`` layers):

- the **acceleration** is the mean increment over the later half of the phase ÷ the mean increment
  over its earlier half, (s_m − s_{m−h}) / (s_h − s_0) with m + 1 layers and h = ⌊m/2⌋: 1 for any
  straight line, 2^(m−h) ≥ 4 for a doubling curve over ≥ 4 layers (0.875 on the paper's Newton
  curve, 64 on its GD curve). ``ACCELERATION`` = 2 (the geometric midpoint of 1 and 4) splits them;
  the test reads log₂(acceleration) against 1 (a ratio of small integer differences: its jackknife
  interval is far better behaved on the log scale, where a line is 0 and doubling ≥ 2);
- **linear** growth: slope ≥ ``NEWTON_MIN_SLOPE`` iterations per layer, R² of a straight line ≥
  ``MIN_R2`` and log₂(acceleration) < 1;
- **exponential** growth: slope of log₂(steps) ≥ ``GD_MIN_DOUBLINGS`` doublings per layer, R² of that
  line ≥ ``MIN_R2`` and log₂(acceleration) ≥ 1.

No test can tell a doubling curve that bends smoothly into its plateau within the phase from a
straight one (the last increments shrink in both); a plateau reached in one step (the paper's
21, 21, 21; a grid's end) is outside the phase. SimW (Fig. 9) leaves layers 1–2 unmatched (SimW ≈ 0,
"—" in the paper): a layer whose best SimW is below ``SIMW_MATCHED`` is skipped.
Intervals: the delete-one-seed jackknife of each statistic of the seed-mean heatmap.
"""

from __future__ import annotations

import math

import numpy as np

from iclx import probes
from iclx.framework.claims import (Arrays, Measured, NotEvaluable, Scalars, Test, all_of, compare, estimate,
                                   gated, linear_fit, with_control)
from iclx.experiments.gd_vs_newton.claims_common import UNTRAINED, learned

MIN_R2 = 0.9
NEWTON_MIN_SLOPE = 1.0       # iterations per layer (paper ≈ 3)
GD_MIN_DOUBLINGS = 0.5       # doublings per layer (paper ≈ 1)
MIN_MIDDLE_LAYERS = 4
ACCELERATION = 2.0           # later ÷ earlier mean increment: 1 for a line, ≥ 4 for doubling
SIMW_MATCHED = 0.5           # a layer whose best SimW is below this matches no step (Fig. 9's "—")
LOG2_ACCELERATION = math.log2(ACCELERATION)
LAWS = {"linear": (("slope", ">=", NEWTON_MIN_SLOPE), ("r2", ">=", MIN_R2),
                   ("log2_acceleration", "<", LOG2_ACCELERATION)),
        "exponential": (("log2_slope", ">=", GD_MIN_DOUBLINGS), ("log2_r2", ">=", MIN_R2),
                        ("log2_acceleration", ">=", LOG2_ACCELERATION))}
UNITS = {"linear": "value: iterations per layer", "exponential": "value: doublings per layer"}


def middle_layers(best) -> np.ndarray:
    """0-based indices of the growth phase of ``best`` (best step per layer; NaN = unmatched layer,
    skipped): from the first layer above the minimum to the first layer at the maximum."""
    best = np.asarray(best, dtype=float)
    valid = np.flatnonzero(~np.isnan(best))
    if valid.size == 0:
        return np.array([], dtype=int)
    values = best[valid]
    above = np.flatnonzero(values > values.min())
    if above.size == 0:
        return np.array([], dtype=int)
    end = int(np.flatnonzero(values == values.max())[0])
    return valid[int(above[0]):end + 1]


def acceleration(steps) -> float:
    """Mean increment over the later half ÷ over the earlier half of ``steps`` (≥ 3 values)."""
    s = np.asarray(steps, dtype=float)
    m = len(s) - 1
    h = m // 2
    early, late = s[h] - s[0], s[m] - s[m - h]
    if early <= 0:
        return math.inf if late > 0 else math.nan
    return float(late / early)


def growth_fits(best) -> dict[str, float | np.ndarray]:
    """Over the growth phase of ``best``: ``layers`` (1-based), ``steps``, and with ≥ 3 layers the
    line in steps (``slope``, ``r2``), the line in log₂(steps) (``log2_slope``, ``log2_r2``) and
    the ``acceleration``."""
    layers = middle_layers(best)
    steps = np.asarray(best, dtype=float)[layers]
    out: dict[str, float | np.ndarray] = {"layers": layers + 1, "steps": steps}
    if layers.size >= 3:
        out["slope"], _, out["r2"] = linear_fit(layers + 1, steps)
        out["log2_slope"], _, out["log2_r2"] = linear_fit(layers + 1, np.log2(steps))
        out["acceleration"] = acceleration(steps)
        out["log2_acceleration"] = math.log2(out["acceleration"]) if out["acceleration"] > 0 else math.nan
    return out


def best_curve(mean_heatmap: np.ndarray, grid: np.ndarray, decimals: int,
               matched: float | None = None) -> np.ndarray:
    """Best step per layer of ``mean_heatmap [K, L]`` over ``grid [K]``; NaN where the best score is
    below ``matched``."""
    match = probes.best_match(mean_heatmap, decimals)
    best = np.asarray(grid, dtype=float)[match.index]
    return best if matched is None else np.where(match.score >= matched, best, np.nan)


def describe(fits: dict, unit: str) -> str:
    layers, steps = fits["layers"], fits["steps"]
    head = (f"layers {layers[0]}–{layers[-1]}: best steps {', '.join(f'{s:g}' for s in steps)}"
            if len(layers) else "no growth phase")
    if "slope" not in fits:
        return head
    return (f"{head}; steps: slope {fits['slope']:.3g}/layer, R² {fits['r2']:.3f}; log₂ steps: slope "
            f"{fits['log2_slope']:.3g}/layer, R² {fits['log2_r2']:.3f}; acceleration "
            f"{fits['acceleration']:.3g} ({unit})")


def growth_test(heat: np.ndarray, grid: np.ndarray, decimals: int, law: str,
                matched: float | None = None) -> Measured:
    """The ``law`` ("linear" | "exponential") of the seed heatmaps ``heat [seeds, K, L]``."""
    curve = lambda h: best_curve(np.asarray(h).mean(axis=0), grid, decimals, matched)
    fits = growth_fits(curve(heat))
    if len(fits["layers"]) < MIN_MIDDLE_LAYERS:
        return Measured(math.nan, "fails", describe(fits, f"fewer than {MIN_MIDDLE_LAYERS} growing layers"))

    def stat(name: str):
        return lambda h: growth_fits(curve(h)).get(name, math.nan)

    parts = [(name, compare(estimate(stat(name), np.asarray(heat)), Test(op, threshold)))
             for name, op, threshold in LAWS[law]]
    return all_of(parts, describe(fits, UNITS[law]))


def _growth_claim(cfg, arrays: Arrays, metric: str, grid: str, law: str,
                  matched: float | None = None) -> Measured:
    """The law on the transformer's heatmap, with the untrained transformer's as the control."""
    if f"tf/{metric}_{grid}" not in arrays:
        raise NotEvaluable(f"no tf/{metric}_{grid} in this run (SimW is off: simw.enabled=false)")
    steps, decimals = np.asarray(arrays[f"grid/{grid}"]), cfg.sim.decimals
    test = lambda net: growth_test(np.asarray(arrays[f"{net}/{metric}_{grid}"]), steps, decimals, law, matched)
    return gated(lambda: with_control(test("tf"), UNTRAINED, test("init")), learned(cfg, arrays, "tf"))


def newton_linear(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _growth_claim(cfg, arrays, "sime", "newton", "linear")


def gd_exponential(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _growth_claim(cfg, arrays, "sime", "gd_log", "exponential")


def simw_newton_linear(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _growth_claim(cfg, arrays, "simw", "newton", "linear", matched=SIMW_MATCHED)

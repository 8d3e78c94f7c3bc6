"""Fu et al. 2023 (arXiv 2310.17086) as checks on a saved ``gd_vs_newton`` run.

Thresholds (fixed from the paper's statements, never from our runs):
- "middle layers": the growth phase of a best-match curve, from the first layer whose best step has
  left the grid's first step to the first layer that reaches the curve's maximum (the paper's
  Newton curve 1, 1, 2, 5, 8, 10, 14, 17, 20, 21, 21, 21 gives layers 3–10); at least 3 layers.
- linear growth (Newton, "≈ +3 iterations per layer"): over the middle layers a straight line in
  the number of steps fits with R² ≥ 0.9, better than a straight line in log₂(steps), and rises by
  at least 1 iteration per layer;
- exponential growth (GD, "about one doubling per layer"): a straight line in log₂(steps) fits with
  R² ≥ 0.9, better than one in steps, and rises by at least 0.5 doublings per layer;
- Table 1 orderings: the seed mean of the per-seed difference of SimE scores > 0.
Each statistic carries its 95% interval over the seeds: a Student-t interval for the Table 1 means,
the delete-one-seed jackknife for the growth fits of the seed-mean heatmap (a claim of several
conditions holds when every condition's interval is on its side).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from iclx import probes
from iclx.claims import (Arrays, Claim, Measured, NotEvaluable, Scalars, Test, all_of, compare,
                         estimate, linear_fit, mean_of)

MIN_R2 = 0.9
NEWTON_MIN_SLOPE = 1.0       # iterations per layer (paper ≈ 3)
GD_MIN_DOUBLINGS = 0.5       # doublings per layer (paper ≈ 1)
MIN_MIDDLE_LAYERS = 3
COLUMNS = ("newton", "gd", "online_gd")       # the columns of arrays["<net>/table"]


def middle_layers(best: Sequence[float]) -> np.ndarray:
    """0-based indices of the growth phase of ``best`` (best step per layer): from the first layer
    above the minimum to the first layer at the maximum, inclusive (empty if there is no growth)."""
    best = np.asarray(best, dtype=float)
    above = np.flatnonzero(best > best.min())
    if above.size == 0:
        return np.array([], dtype=int)
    start, end = int(above[0]), int(np.flatnonzero(best == best.max())[0])
    return np.arange(start, end + 1)


def growth_fits(best: Sequence[float]) -> dict[str, float | np.ndarray]:
    """Linear fits over the middle layers of steps vs layer and of log₂(steps) vs layer."""
    layers = middle_layers(best)
    steps = np.asarray(best, dtype=float)[layers]
    out: dict[str, float | np.ndarray] = {"layers": layers + 1, "steps": steps}
    if layers.size >= 2:
        out["slope"], _, out["r2"] = linear_fit(layers + 1, steps)
        out["log2_slope"], _, out["log2_r2"] = linear_fit(layers + 1, np.log2(steps))
    return out


def _describe(fits: dict, unit: str) -> str:
    layers, steps = fits["layers"], fits["steps"]
    head = (f"layers {layers[0]}–{layers[-1]}: best steps {', '.join(f'{s:g}' for s in steps)}"
            if len(layers) else "no growth phase")
    if "slope" not in fits:
        return head
    return (f"{head}; steps: slope {fits['slope']:.3g}/layer, R² {fits['r2']:.3f}; log₂ steps: slope "
            f"{fits['log2_slope']:.3g}/layer, R² {fits['log2_r2']:.3f} ({unit})")


def _best_steps(cfg, heatmaps: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Best-matching step per layer of the seed-mean heatmap (``heatmaps [seeds, K, L]``)."""
    return grid[probes.best_match(heatmaps.mean(axis=0), cfg.sim.decimals).index]


def _growth(cfg, arrays: Arrays, grid: str, log: bool, min_slope: float, unit: str) -> Measured:
    """The growth claim of one step grid: over the middle layers of the seed-mean best-match curve,
    the fit in ``log₂(steps)`` (``log``) or in steps has R² ≥ MIN_R2, beats the other fit's R², and
    rises by ≥ ``min_slope`` per layer; each with its jackknife interval over the seeds."""
    heat, steps = np.asarray(arrays[f"tf/sime_{grid}"]), np.asarray(arrays[f"grid/{grid}"])
    fits = growth_fits(_best_steps(cfg, heat, steps))
    if len(fits["layers"]) < MIN_MIDDLE_LAYERS:
        return Measured(float("nan"), "fails", _describe(fits, "too few growing layers to fit"))
    slope, r2, other_r2 = ("log2_slope", "log2_r2", "r2") if log else ("slope", "r2", "log2_r2")

    def stat(name: str):
        def value(h: np.ndarray) -> float:
            f = growth_fits(_best_steps(cfg, h, steps))
            if "slope" not in f:
                return float("nan")
            return f[name] if name != "advantage" else f[r2] - f[other_r2]
        return value

    parts = [("slope", compare(estimate(stat(slope), heat), Test(">=", min_slope))),
             ("R²", compare(estimate(stat(r2), heat), Test(">=", MIN_R2))),
             ("R² − other fit's R²", compare(estimate(stat("advantage"), heat), Test(">", 0.0)))]
    return all_of(parts, _describe(fits, unit))


def newton_linear(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _growth(cfg, arrays, "newton", False, NEWTON_MIN_SLOPE, "value: Newton iterations per layer")


def gd_exponential(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _growth(cfg, arrays, "gd_log", True, GD_MIN_DOUBLINGS, "value: GD doublings per layer")


def _table(arrays: Arrays, net: str) -> np.ndarray:
    key = f"{net}/table"
    if key not in arrays:
        raise NotEvaluable(f"no {key} in this run (the LSTM is off: lstm.enabled=false)")
    return np.asarray(arrays[key], dtype=float)           # [seeds, (newton, gd, online_gd)]


def _positive_mean(diff: np.ndarray, detail: str) -> Measured:
    """The seed mean of a per-seed difference ``[seeds]`` > 0, with its t-interval."""
    return compare(mean_of(diff), Test(">", 0.0),
                   f"{detail}; per seed: {', '.join(f'{x:+.3f}' for x in diff)}")


def _greater(table: np.ndarray, a: str, b: str, what: str) -> Measured:
    diff = table[:, COLUMNS.index(a)] - table[:, COLUMNS.index(b)]
    mean = table.mean(axis=0)
    return _positive_mean(diff, f"{what} SimE: {a} {mean[COLUMNS.index(a)]:.3f}, "
                                f"{b} {mean[COLUMNS.index(b)]:.3f}; value: {a} − {b}")


def tf_newton_over_gd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _greater(_table(arrays, "tf"), "newton", "gd", "transformer output")


def tf_newton_over_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _greater(_table(arrays, "tf"), "newton", "online_gd", "transformer output")


def lstm_prefers_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    table = _table(arrays, "lstm")
    mean = table.mean(axis=0)
    return _positive_mean(table[:, 2] - np.maximum(table[:, 0], table[:, 1]),
                          f"LSTM output SimE: Newton {mean[0]:.3f}, GD {mean[1]:.3f}, online GD "
                          f"{mean[2]:.3f}; value: online GD − max(Newton, GD)")


def lstm_nearer_ogd_than_tf(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    lstm, tf = _table(arrays, "lstm")[:, 2], _table(arrays, "tf")[:, 2]
    return _positive_mean(lstm - tf, f"SimE with online GD: LSTM {lstm.mean():.3f}, transformer "
                                     f"{tf.mean():.3f} (same seeds and prompts); value: LSTM − transformer")


CLAIMS = (
    Claim("newton-linear-in-layer",
          "The best-matching Iterative Newton iteration grows linearly with the layer index",
          "Figs 3, 8 (§4.2)",
          f"over the middle layers, steps ~ layer: R² ≥ {MIN_R2}, above the R² of log₂(steps) ~ layer, "
          f"slope ≥ {NEWTON_MIN_SLOPE:g} iteration/layer (SimE, seed-mean heatmap)",
          newton_linear, paper_value="≈ +3 iterations per layer over layers 3–9 (1, 1, 2, 5, 8, 10, 14, "
                                     "17, 20, 21, 21, 21)"),
    Claim("gd-exponential-in-layer",
          "The best-matching number of GD steps grows exponentially with the layer index",
          "Figs 3, 10 (§4.2)",
          f"over the middle layers, log₂(steps) ~ layer: R² ≥ {MIN_R2}, above the R² of steps ~ layer, "
          f"slope ≥ {GD_MIN_DOUBLINGS:g} doublings/layer (SimE, log₂ grid, seed-mean heatmap)",
          gd_exponential, paper_value="≈ one doubling per layer (1, 1, 4, 8, 32, 64, 256, 512–1024, "
                                      "1024–2048, 4096, …)"),
    Claim("tf-closer-to-newton-than-gd",
          "The transformer's output is more similar to Iterative Newton than to GD",
          "Table 1",
          "SimE(transformer, Newton) − SimE(transformer, GD), both at their best step: seed mean > 0",
          tf_newton_over_gd, paper_value="Newton .991 vs GD .957"),
    Claim("tf-far-from-online-gd",
          "The transformer's output is much less similar to online GD than to Iterative Newton",
          "Table 1",
          "SimE(transformer, Newton) − SimE(transformer, online GD): seed mean > 0",
          tf_newton_over_ogd, paper_value="Newton .991 vs online GD .806"),
    Claim("lstm-closest-to-online-gd",
          "The LSTM behaves like online GD rather than Newton or GD",
          "Table 1, Fig 5",
          "SimE(LSTM, online GD) − max(SimE(LSTM, Newton), SimE(LSTM, GD)): seed mean > 0",
          lstm_prefers_ogd, paper_value="online GD .954 vs Newton .920, GD .916"),
    Claim("lstm-nearer-online-gd-than-tf",
          "The LSTM is closer to online GD than the transformer is",
          "Table 1",
          "SimE(LSTM, online GD) − SimE(transformer, online GD), same seed and prompts: seed mean > 0",
          lstm_nearer_ogd_than_tf, paper_value="LSTM .954 vs transformer .806"),
)

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
- Table 1 orderings hold on the mean over seeds and in every seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from iclx.claims import Arrays, Claim, Measured, NotEvaluable, Scalars, linear_fit

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


def _best(scalars: Scalars, key: str) -> list[float]:
    return scalars["best_match"][key]["best_of_mean"]


def newton_linear(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    fits = growth_fits(_best(scalars, "tf/sime_newton"))
    if len(fits["layers"]) < MIN_MIDDLE_LAYERS:
        return Measured(float("nan"), False, _describe(fits, "too few growing layers to fit"))
    holds = (fits["r2"] >= MIN_R2 and fits["r2"] > fits["log2_r2"]
             and fits["slope"] >= NEWTON_MIN_SLOPE)
    return Measured(fits["slope"], holds, _describe(fits, "value: Newton iterations per layer"))


def gd_exponential(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    fits = growth_fits(_best(scalars, "tf/sime_gd_log"))
    if len(fits["layers"]) < MIN_MIDDLE_LAYERS:
        return Measured(float("nan"), False, _describe(fits, "too few growing layers to fit"))
    holds = (fits["log2_r2"] >= MIN_R2 and fits["log2_r2"] > fits["r2"]
             and fits["log2_slope"] >= GD_MIN_DOUBLINGS)
    return Measured(fits["log2_slope"], holds, _describe(fits, "value: GD doublings per layer"))


def _table(arrays: Arrays, net: str) -> np.ndarray:
    key = f"{net}/table"
    if key not in arrays:
        raise NotEvaluable(f"no {key} in this run (the LSTM is off: lstm.enabled=false)")
    return np.asarray(arrays[key], dtype=float)           # [seeds, (newton, gd, online_gd)]


def _greater(table: np.ndarray, a: str, b: str, what: str) -> Measured:
    diff = table[:, COLUMNS.index(a)] - table[:, COLUMNS.index(b)]
    mean = table.mean(axis=0)
    detail = (f"{what} SimE: {a} {mean[COLUMNS.index(a)]:.3f}, {b} {mean[COLUMNS.index(b)]:.3f}; "
              f"{a} − {b} per seed: {', '.join(f'{x:+.3f}' for x in diff)}")
    return Measured(float(diff.mean()), bool(diff.mean() > 0 and np.all(diff > 0)), detail)


def tf_newton_over_gd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _greater(_table(arrays, "tf"), "newton", "gd", "transformer output")


def tf_newton_over_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return _greater(_table(arrays, "tf"), "newton", "online_gd", "transformer output")


def lstm_prefers_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    table = _table(arrays, "lstm")
    best_other = np.maximum(table[:, 0], table[:, 1])
    diff = table[:, 2] - best_other
    mean = table.mean(axis=0)
    detail = (f"LSTM output SimE: Newton {mean[0]:.3f}, GD {mean[1]:.3f}, online GD {mean[2]:.3f}; "
              f"online GD − max(Newton, GD) per seed: {', '.join(f'{x:+.3f}' for x in diff)}")
    return Measured(float(diff.mean()), bool(diff.mean() > 0 and np.all(diff > 0)), detail)


def lstm_nearer_ogd_than_tf(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    lstm, tf = _table(arrays, "lstm")[:, 2], _table(arrays, "tf")[:, 2]
    detail = (f"SimE with online GD: LSTM {lstm.mean():.3f} (seeds {', '.join(f'{x:.3f}' for x in lstm)}), "
              f"transformer {tf.mean():.3f} (seeds {', '.join(f'{x:.3f}' for x in tf)})")
    return Measured(float(lstm.mean() - tf.mean()), bool(lstm.min() > tf.max()), detail)


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
          "SimE(transformer, Newton) > SimE(transformer, GD), both at their best step, on the seed "
          "mean and in every seed",
          tf_newton_over_gd, paper_value="Newton .991 vs GD .957"),
    Claim("tf-far-from-online-gd",
          "The transformer's output is much less similar to online GD than to Iterative Newton",
          "Table 1",
          "SimE(transformer, Newton) > SimE(transformer, online GD) on the seed mean and in every seed",
          tf_newton_over_ogd, paper_value="Newton .991 vs online GD .806"),
    Claim("lstm-closest-to-online-gd",
          "The LSTM behaves like online GD rather than Newton or GD",
          "Table 1, Fig 5",
          "SimE(LSTM, online GD) > max(SimE(LSTM, Newton), SimE(LSTM, GD)) on the seed mean and in "
          "every seed",
          lstm_prefers_ogd, paper_value="online GD .954 vs Newton .920, GD .916"),
    Claim("lstm-nearer-online-gd-than-tf",
          "The LSTM is closer to online GD than the transformer is",
          "Table 1",
          "every LSTM seed's SimE with online GD exceeds every transformer seed's",
          lstm_nearer_ogd_than_tf, paper_value="LSTM .954 vs transformer .806"),
)

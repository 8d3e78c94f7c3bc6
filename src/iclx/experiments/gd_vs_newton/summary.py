"""The summary of a gd_vs_newton run from its saved arrays: best-matching Newton / GD steps per layer,
Table 1 (whole prompt and per prompt-length window), the summary lines and the README tables."""

from __future__ import annotations

from typing import Any

import numpy as np

from iclx import config, probes
from iclx.experiments.gd_vs_newton.config import TABLE_COLUMNS, step_grids


def position_windows(cfg: config.ConfigDict) -> list[tuple[int, int]]:
    """Prompt-length windows of the windowed Table 1: fewer examples than d, d to d + 2 (the nearly
    square, ill-conditioned systems where GD is slowest), more (``[lo, hi)`` positions)."""
    d, n, first = cfg.task.n_dims, cfg.task.n_points, cfg.sim.first_position
    edges = [first, max(first, d), min(n, d + 3), n]
    return [(lo, hi) for lo, hi in zip(edges, edges[1:]) if hi > lo]


def best_match_summary(cfg: config.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Best-matching steps per layer (mean, spread over seeds, tie band of the seed-mean heatmap)."""
    grids, out = step_grids(cfg), {}
    for key in sorted(arrays):
        if "/sime_" not in key and "/simw_" not in key or key.startswith("alg/"):
            continue
        grid = key.split("_", 1)[1]
        per_seed = probes.best_steps(arrays[key], grids[grid], cfg.sim.decimals)
        mean_map = probes.best_match(arrays[key].mean(axis=0), cfg.sim.decimals)
        out[key] = {"best_mean": per_seed["best"].mean(axis=0).tolist(),
                    "best_std": per_seed["best"].std(axis=0).tolist(),
                    "best_per_seed": per_seed["best"].tolist(),
                    "best_of_mean": grids[grid][mean_map.index].tolist(),
                    "tie_low": grids[grid][mean_map.low].tolist(),
                    "tie_high": grids[grid][mean_map.high].tolist(),
                    "score_of_mean": mean_map.score.tolist()}
    return out


def _ties(match: dict[str, Any]) -> list[str]:
    return [f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            for lo, hi in zip(match["tie_low"], match["tie_high"])]


def per_layer_table(matches: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """A README table: one row per layer; for each ``{column label: best_match key}`` the best step
    of the seed-mean heatmap (tie band), the per-seed mean ± sd and the score at the best step."""
    keys = {label: key for label, key in keys.items() if key in matches}
    columns = ["layer"]
    for label in keys:
        columns += [f"{label}: best (ties)", f"{label}: per seed", f"{label}: score"]
    num_layers = len(matches[next(iter(keys.values()))]["best_of_mean"]) if keys else 0
    rows = []
    for layer in range(num_layers):
        row: list[Any] = [layer + 1]
        for key in keys.values():
            m = matches[key]
            row += [_ties(m)[layer], f"{m['best_mean'][layer]:.3g} ± {m['best_std'][layer]:.2g}",
                    f"{m['score_of_mean'][layer]:.3f}"]
        rows.append(row)
    return {"columns": columns, "rows": rows}


NETWORK_NAMES = {"tf": "transformer", "lstm": "LSTM", "ls": "least squares (control)",
                 "ogd": "online GD (control)", "init": "untrained transformer (control)"}
FORGET_NAMES = {"tf/forget": "transformer", "lstm/forget": "LSTM", "alg/forget_least_squares": "least squares",
                "alg/forget_online_gd": "online GD", "alg/forget_newton_fixed": "Newton (sim.newton_fixed)"}


def forgetting_table(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Fig. 5 right: error ÷ d at a query re-using the example g back, per gap (seed means)."""
    gaps = arrays["grid/forget_gap"]
    rows = [[name] + [f"{v:.3f}" for v in np.asarray(arrays[key]).mean(axis=0)]
            for key, name in FORGET_NAMES.items() if key in arrays]
    return {"columns": ["predictor", *[f"g = {g}" for g in gaps]], "rows": rows}


def windowed_table(cfg: config.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Table 1 within prompt-length windows: per window and predictor, SimE with Newton and GD
    (seed mean ± sd) and their gap — where in the prompt Newton and GD can be told apart."""
    d, rows = cfg.task.n_dims, []
    for w, (lo, hi) in enumerate(position_windows(cfg)):
        label = f"{lo}–{hi - 1} examples" + (" (< d)" if hi <= d else " (≈ d)" if lo == d else " (> d)")
        for net, name in NETWORK_NAMES.items():
            if f"{net}/table_windows" not in arrays:
                continue
            v = arrays[f"{net}/table_windows"][:, w]                   # [seeds, C]
            newton, gd = v[:, TABLE_COLUMNS.index("newton")], v[:, TABLE_COLUMNS.index("gd")]
            rows.append([label, name, f"{newton.mean():.3f} ± {newton.std():.3f}",
                         f"{gd.mean():.3f} ± {gd.std():.3f}", f"{(newton - gd).mean():+.3f}"])
    return {"columns": ["positions", "predictor", "SimE Newton", "SimE GD", "Newton − GD"], "rows": rows}


def summarise(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Best-matching steps per layer, Table 1 (whole prompt and by window), the summary lines and the
    README tables, from the saved similarity heatmaps and Table-1 rows."""
    matches = best_match_summary(cfg, arrays)
    lines = []
    fmt = lambda xs: ", ".join(f"{x:g}" for x in xs)
    for key, m in matches.items():
        spread = ", ".join(f"{a:.3g}±{s:.2g}" for a, s in zip(m["best_mean"], m["best_std"]))
        lines.append(f"{key}: best step per layer (mean±sd over seeds) {spread}")
        lines.append(f"  seed-mean heatmap: best {fmt(m['best_of_mean'])}; tie band {', '.join(_ties(m))}; "
                     f"scores {', '.join(f'{s:.3f}' for s in m['score_of_mean'])}")
    table = {}
    for net in NETWORK_NAMES:
        if f"{net}/table" in arrays:
            values = arrays[f"{net}/table"]
            table[net] = {c: [float(values[:, i].mean()), float(values[:, i].std())]
                          for i, c in enumerate(TABLE_COLUMNS)}
            lines.append(f"Table 1 {net}: " + ", ".join(
                f"{c} {m:.3f}±{s:.3f}" for c, (m, s) in table[net].items()))
    d = cfg.task.n_dims
    late = np.mean(arrays["tf/error_model"][:, d:])
    lines.append(f"transformer error/d at ≥ d examples: {late:.4f} "
                 f"(least squares {np.mean(arrays['alg/error_least_squares'][:, d:]):.2e}"
                 + (f", label averaging {np.mean(arrays['alg/error_averaging'][:, d:]):.4f}"
                    if "alg/error_averaging" in arrays else "") + ")")
    tables = {
        "sime_per_layer": per_layer_table(matches, {"Newton": "tf/sime_newton",
                                                    "GD log₂ grid": "tf/sime_gd_log",
                                                    "GD linear grid": "tf/sime_gd"}),
        "simw_per_layer": per_layer_table(matches, {"Newton": "tf/simw_newton",
                                                    "GD log₂ grid": "tf/simw_gd_log"}),
        "table1": {"columns": ["network", "Newton", "GD", "online GD"],
                   "rows": [[NETWORK_NAMES[net]] + [f"{m:.3f} ± {s:.3f}" for m, s in row.values()]
                            for net, row in table.items()]},
    }
    if "tf/table_windows" in arrays:
        tables["table1_windows"] = windowed_table(cfg, arrays)
    if "grid/forget_gap" in arrays:
        tables["forgetting"] = forgetting_table(arrays)
    return {"best_match": matches, "table1": table, "tf_error_after_d": float(late), "summary": lines,
            "tables": tables}

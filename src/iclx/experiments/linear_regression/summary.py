"""The summary lines and README tables of a linear-regression run, from its saved error curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from iclx import config
from iclx.experiments.linear_regression.config import method_names


def summarise(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Mean error ÷ d past n = d (and at n = d) per method and seed, the summary lines and the README
    tables, from the saved ``error/<method>`` curves ``[seeds, n]``."""
    curves = {m: arrays[f"error/{m}"] for m in method_names(cfg) if f"error/{m}" in arrays}
    d, n = cfg.task.n_dims, cfg.task.n_points
    late = slice(d, n)   # positions with at least d examples
    mean_late = {m: float(np.mean(curves[m][:, late])) for m in curves}
    at_d = {m: float(np.mean(curves[m][:, d])) for m in curves} if d < n else {}
    summary = [f"mean error ÷ d over prompts with ≥ d={d} examples (positions {d}..{n - 1}):"]
    summary += [f"  {m:<15} {v:.4g}" for m, v in mean_late.items()]
    table = {"columns": ["method", f"error ÷ d, n ≥ d (mean of {cfg.seeds} seeds)",
                         "error ÷ d at n = d"],
             "rows": [[m, f"{v:.4g}", f"{at_d[m]:.4g}" if m in at_d else "—"]
                      for m, v in mean_late.items()]}
    per_position = {"columns": ["examples", *[str(i) for i in range(n)]],
                    "rows": [[m, *[f"{v:.3f}" for v in curves[m].mean(axis=0)]] for m in curves]}
    per_seed = {m: [float(v) for v in curves[m][:, late].mean(axis=1)] for m in curves}
    summary.append("transformer per seed: " + ", ".join(f"{v:.3g}" for v in per_seed["transformer"]))
    return {"error_after_d": mean_late, "error_at_d": at_d, "error_after_d_per_seed": per_seed,
            "summary": summary, "tables": {"errors": table, "per_position": per_position}}

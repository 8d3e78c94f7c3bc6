"""The summary of a width-ablation run from its saved error curves: error ÷ d past n = d per hidden
size, the summary lines and the README table."""

from __future__ import annotations

from typing import Any

import numpy as np

from iclx import config


def width_table(cfg: config.ConfigDict, arrays: dict[str, np.ndarray]) -> dict:
    """README table: error ÷ d past n = d per hidden size (mean ± sd and per seed), and least squares."""
    d = cfg.task.n_dims
    rows = []
    for width in cfg.widths:
        late = arrays[f"error/width_{width}"][:, d:].mean(axis=1)
        rows.append([width, f"{width / d:.2g}", f"{late.mean():.3g} ± {late.std():.2g}",
                     " / ".join(f"{x:.3f}" for x in late)])
    ols = arrays["error/least_squares"][:, d:].mean()
    rows.append(["least squares", "—", f"{ols:.2g}", ""])
    return {"columns": ["hidden", "hidden / d", f"error / d with ≥ d = {d} examples (mean ± sd)",
                        "per seed"], "rows": rows}


def summarise(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Mean error ÷ d with ≥ d examples of least squares and each width, the summary and the table."""
    d = cfg.task.n_dims
    names = ["least_squares"] + [f"width_{w}" for w in cfg.widths]
    late = {name: float(arrays[f"error/{name}"][:, d:].mean()) for name in names}
    summary = [f"mean error ÷ d with ≥ d={d} examples ({cfg.model.n_layer}L-{cfg.model.n_head}H):"]
    summary += [f"  {k:<15} {v:.4g}" for k, v in late.items()]
    hidden_over_d = {f"width_{w}": w / d for w in cfg.widths}
    return {"error_after_d": late, "hidden_over_d": hidden_over_d, "summary": summary,
            "tables": {"width": width_table(cfg, arrays)}}

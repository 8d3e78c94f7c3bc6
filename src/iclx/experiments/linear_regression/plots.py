"""Error vs in-context examples, linear and log axes, from saved results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import config
from iclx.framework import plotting
from iclx.experiments.linear_regression.config import method_names

LABELS = {"transformer": "Transformer", "least_squares": "Least squares", "averaging": "Averaging"}


def _shade(steps: list[int], k: int, low: float) -> float:
    return low + 0.5 * steps.index(k) / max(len(steps) - 1, 1)


def style_of(method: str, cfg: config.ConfigDict) -> dict[str, Any]:
    """Colour families: Newton greens, GD oranges (darker = more steps)."""
    import matplotlib

    if method.startswith("newton_"):
        k = int(method.split("_")[1])
        return dict(color=matplotlib.colormaps["Greens"](_shade(list(cfg.eval.newton_steps), k, 0.45)),
                    linestyle="--", label=f"Newton, {k} iter.")
    if method.startswith("gd_"):
        k = int(method.split("_")[1])
        return dict(color=matplotlib.colormaps["Oranges"](_shade(list(cfg.eval.gd_steps), k, 0.4)),
                    linestyle=":", label=f"GD, {k} step{'s' if k > 1 else ''} (η={cfg.eval.gd_lr:g})")
    if method.startswith("knn_"):
        return dict(color=plotting.PALETTE[8], linestyle="-.", label=f"{method.split('_')[1]}-NN")
    colour = {"transformer": plotting.PALETTE[0], "least_squares": plotting.PALETTE[1],
              "averaging": plotting.PALETTE[4]}[method]
    return dict(color=colour, linestyle="-", label=LABELS[method],
                linewidth=2.4 if method == "transformer" else None)


def plot(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    """Error vs in-context examples: linear axis (Garg's view) and log axis (closeness to OLS)."""
    methods = [m for m in method_names(cfg) if f"error/{m}" in arrays and m != "untrained"]
    d, n = cfg.task.n_dims, cfg.task.n_points
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=4.2, height=3.1)
        plotting.error_vs_examples_panels(
            axes[0], np.arange(n), [(arrays[f"error/{m}"], style_of(m, cfg)) for m in methods], d=d)
        axes[0][1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"In-context linear regression, d={d}: {cfg.model.n_layer}-layer GPT-2 vs "
                     f"algorithms ({plotting.band_caption(cfg.seeds)})", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "error_vs_examples")

"""Fig. 6 of Fu et al. 2023 from saved results: error vs in-context examples per hidden size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import config, engine
from iclx.framework import plotting


def seed_rows(labels: list[dict[str, Any]]) -> np.ndarray:
    """Row of every seed (in seed order) among a stage's lanes, picked by label."""
    seeds = sorted({label["seed"] for label in labels})
    return np.array([engine.select_lanes(labels, seed=seed)[0] for seed in seeds])


def plot(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    """Squared error vs in-context examples per hidden size, with least squares (linear, log)."""
    import matplotlib

    d, n = cfg.task.n_dims, cfg.task.n_points
    cmap = matplotlib.colormaps["plasma"]
    lanes = scalars["lanes"]
    curves = []
    for i, width in enumerate(cfg.widths):
        values = arrays[f"error/width_{width}"][seed_rows(lanes[f"width_{width}"])]
        colour = cmap(0.1 + 0.75 * i / max(len(cfg.widths) - 1, 1))
        curves.append((values, dict(label=f"hidden {width}", color=colour)))
    # least squares was evaluated on the prompts of every seed, in the lane order of each stage
    ols_rows = seed_rows(lanes[f"width_{cfg.widths[0]}"])
    curves.append((arrays["error/least_squares"][ols_rows],
                   dict(label="least squares", color=plotting.PALETTE[0], linestyle=":")))
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=3.8, height=3.0)
        plotting.error_vs_examples_panels(axes[0], np.arange(n), curves, d=d,
                                          linear_ylim=(-0.05, 1.3), trivial=False, titles=False)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"Width ablation: {cfg.model.n_layer}-layer, {cfg.model.n_head}-head GPT-2, d={d} "
                     f"({plotting.band_caption(cfg.seeds)})", fontsize=9)
        return plotting.save_figure(fig, fig_dir, "width_ablation")

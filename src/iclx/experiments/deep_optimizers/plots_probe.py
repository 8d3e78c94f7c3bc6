"""The probe stage's figures (ours, beyond the paper), each trained model beside its negative
control, the untrained model of the same seeds:

- ``probe_heatmaps``: SimE of every layer's read-out (columns) with every step of GD on the N-layer
  ReLU network (rows), seed mean, trained | untrained, one row of panels per main model;
- ``probe_best_step``: the best-matching GD step per layer (first maximum of SimE) with its 95%
  interval over seeds, trained and untrained; and the last layer's best SimE per candidate family.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iclx import config, probes
from iclx.framework import plotting
from iclx.framework.stats import mean_band
from iclx.experiments.deep_optimizers import probe_candidates

NET_LABELS = {"tf": "trained", "init": "untrained (control)"}
FAMILY_LABELS = {"relu_gd": "GD on the ReLU net", "ridge": "ridge on x", "kernel": "kernel regression",
                 "nn1": "1-NN"}


def _models(cfg: config.ConfigDict) -> list[tuple[str, int]]:
    return [(a, t) for a in cfg.study.attentions for t in cfg.study.target_depths]


def _heat(arrays, net: str, attention: str, target: int, family: str) -> np.ndarray:
    return np.asarray(arrays[f"probe/{net}/{attention}/N{target}/sime_{family}"], np.float64)


def plot_heatmaps(cfg: config.ConfigDict, arrays, fig_dir: Path) -> list[Path]:
    steps = arrays["probe/grid/relu_gd"].astype(int)
    models = _models(cfg)
    with plotting.style():
        fig, axes = plotting.new_figure(2, len(models), width=2.8, height=2.4, layout="constrained")
        for row, (attention, target) in enumerate(models):
            for col, net in enumerate(("tf", "init")):
                heat = _heat(arrays, net, attention, target, "relu_gd").mean(axis=0)        # [K, L]
                ax = axes[row][col]
                image = ax.imshow(heat, aspect="auto", origin="lower", cmap="viridis", vmin=-1, vmax=1)
                ax.set_yticks(range(len(steps)), [str(s) for s in steps], fontsize=6)
                ax.set_xticks(range(heat.shape[1]), [str(i + 1) for i in range(heat.shape[1])])
                ax.set_xlabel("layer")
                ax.set_title(f"{attention} N={target}, {NET_LABELS[net]}", fontsize=8)
            axes[row][0].set_ylabel("GD step")
        fig.colorbar(image, ax=axes, shrink=0.6, label="SimE (seed mean)")
        return plotting.save_figure(fig, fig_dir, "probe_heatmaps")


def plot_best_step(cfg: config.ConfigDict, arrays, fig_dir: Path) -> list[Path]:
    steps = arrays["probe/grid/relu_gd"]
    models = _models(cfg)
    with plotting.style():
        fig, axes = plotting.new_figure(2, len(models), width=3.2, height=2.4, layout="constrained")
        for row, (attention, target) in enumerate(models):
            ax, bar_ax = axes[row]
            for net, color in (("tf", plotting.PALETTE[1]), ("init", "0.55")):
                best = probes.best_steps(_heat(arrays, net, attention, target, "relu_gd"), steps)["best"]
                layers = np.arange(1, best.shape[1] + 1)
                plotting.band_plot(ax, layers, np.log2(1.0 + best), color=color, marker="o",
                                   label=NET_LABELS[net])
                last = [_heat(arrays, net, attention, target, f)[:, :, -1].max(axis=1)
                        for f in probe_candidates.FAMILIES]                                  # [F][S]
                mean, lo, hi = mean_band(np.stack(last, axis=1))
                offset = -0.2 if net == "tf" else 0.2
                x = np.arange(len(last)) + offset
                bar_ax.bar(x, mean, width=0.4, color=color, label=NET_LABELS[net])
                bar_ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="none", ecolor="k", linewidth=0.8)
            ax.set_xticks(layers)
            ax.set_xlabel("layer")
            ax.set_ylabel("log₂(1 + best GD step)")
            ax.set_title(f"{attention} N={target}: best-matching GD step", fontsize=8)
            bar_ax.set_xticks(range(len(probe_candidates.FAMILIES)),
                              [FAMILY_LABELS[f] for f in probe_candidates.FAMILIES], fontsize=6, rotation=15)
            bar_ax.set_ylabel("best SimE, last layer")
            bar_ax.set_title(f"{attention} N={target}: closest family", fontsize=8)
        axes[0][0].legend(fontsize=6)
        fig.suptitle(f"Layer read-outs vs in-context algorithms; {plotting.band_caption(_seeds(arrays))}",
                     fontsize=8.5)
        return plotting.save_figure(fig, fig_dir, "probe_best_step")


def _seeds(arrays) -> int:
    return next(int(v.shape[0]) for k, v in arrays.items() if k.startswith("probe/tf/"))


def plot(cfg: config.ConfigDict, arrays, fig_dir: Path) -> list[Path]:
    """Both probe figures, or none for a run without the probe stage."""
    if "probe/grid/relu_gd" not in arrays:
        return []
    return plot_heatmaps(cfg, arrays, fig_dir) + plot_best_step(cfg, arrays, fig_dir)

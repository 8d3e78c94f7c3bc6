"""Figures from saved results: R² vs in-context examples under input-mixture shift (Figs 2–4),
parameter shift (Figs 5–6) and the transformer-depth sweep (Fig 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import config
from iclx.framework import plotting
from iclx.experiments.deep_optimizers import plots_probe

# the paper's legend: red N(−2, I), blue 0.9/0.1, orange 0.7/0.3, green 0.5/0.5, gray the N-layer NN
MIX_COLORS = {1.0: "#D55E00", 0.9: "#0072B2", 0.7: "#E69F00", 0.5: "#009E73"}
TITLES = {"softmax": "Softmax-Transformer", "relu": "ReLU-Transformer"}
SHORT = {"softmax": "Softmax", "relu": "ReLU"}


def _key(attention: str, target: int, layers: int, w: float = 1.0, mean: float = 0.0) -> str:
    return f"r2/{attention}/N{target}/L{layers}/w{w:g}/mu{mean:g}"


def _baseline(ax, arrays, target: int, mean: float) -> None:
    per_epoch = arrays[f"baseline/N{target}/mu{mean:g}/per_epoch"]
    pos = arrays["baseline/positions"]
    ax.plot(pos, per_epoch.max(0), color="0.45", label="N-layer NN (best epoch)")
    ax.plot(pos, per_epoch[-1], color="0.65", linestyle=":", label="N-layer NN (last epoch)")
    nn1 = arrays.get(f"trivial/nn1/N{target}/w1/mu{mean:g}")      # absent from older runs
    if nn1 is not None:
        ax.plot(np.arange(nn1.size), nn1, color="k", linestyle="-.", linewidth=0.9, label="1-NN (no training)")


def _axes_style(ax, cfg: config.ConfigDict, title: str, low: float = -0.5) -> None:
    ax.axvline(cfg.task.n_points - 1, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, cfg.eval.n_points - 1)
    ax.set_ylim(low, 1.02)
    ax.set_xlabel("in-context examples")
    ax.set_title(title)


def plot_mixtures(cfg, arrays, fig_dir) -> list[Path]:
    attentions, targets = list(cfg.study.attentions), list(cfg.study.target_depths)
    x = np.arange(cfg.eval.n_points)
    with plotting.style():
        fig, axes = plotting.new_figure(len(attentions), len(targets), width=3.8, height=2.9,
                                        layout="constrained")
        for c, attention in enumerate(attentions):
            for r, target in enumerate(targets):
                ax = axes[r][c]
                for i, w in enumerate(cfg.eval.mixtures):
                    color = MIX_COLORS.get(round(w, 2), plotting.PALETTE[i])
                    plotting.band_plot(ax, x, arrays[_key(attention, target, cfg.model.n_layer, w)],
                                       color=color, label=f"{w:g}N(−2,I) + {1 - w:.1g}N(2,I)"
                                       if w < 1 else "N(−2, I)")
                _baseline(ax, arrays, target, 0.0)
                _axes_style(ax, cfg, f"{TITLES[attention]}, {target}-layer targets")
                if c == 0:
                    ax.set_ylabel("R²")
        axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"R² vs in-context examples under input-mixture shift ({cfg.model.n_layer}-layer GPT-2, "
                     f"{plotting.band_caption(cfg.seeds)}; dashed: training prompt length)", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "r2_mixtures")


def plot_param_shift(cfg, arrays, fig_dir) -> list[Path]:
    attentions, target = list(cfg.study.attentions), cfg.study.sweep_target_depth
    means = list(cfg.eval.param_means)
    x = np.arange(cfg.eval.n_points)
    with plotting.style():
        fig, axes = plotting.new_figure(len(means), len(attentions), width=3.4, height=2.7,
                                        layout="constrained")
        for r, attention in enumerate(attentions):
            for c, mean in enumerate(means):
                ax = axes[r][c]
                values = arrays[_key(attention, target, cfg.model.n_layer, 1.0, mean)]
                plotting.band_plot(ax, x, values, color=MIX_COLORS[1.0], label="ICL (transformer)")
                _baseline(ax, arrays, target, mean)
                # R² far below 0 (a label scale the model never saw) widens the axis, down to −30
                low = max(min(-0.5, float(np.min(values.mean(0)[1:])) - 0.5), -30.0)
                _axes_style(ax, cfg, f"{SHORT[attention]}, weights ~ N({mean:g}, 1)", low)
                if c == 0:
                    ax.set_ylabel("R²")
        axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"Parameter shift: trained on N(0, 1) weights, {target}-layer targets", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "r2_param_shift")


def plot_depth(cfg, arrays, fig_dir) -> list[Path]:
    depths = sorted(set(cfg.study.sweep_depths) | {cfg.model.n_layer})
    target = cfg.study.sweep_target_depth
    with plotting.style():
        fig, axes = plotting.new_figure(len(cfg.study.attentions), width=3.4, height=2.7,
                                        layout="constrained")
        for ax, attention in zip(axes[0], cfg.study.attentions):
            for i, k in enumerate(cfg.eval.depth_ks):
                values = np.stack([arrays[_key(attention, target, L)][:, k] for L in depths], axis=1)
                plotting.band_plot(ax, np.asarray(depths), values, color=plotting.PALETTE[i + 1],
                                   marker="o", label=f"{k} examples")
            ax.set_xlabel("transformer depth (layers)")
            ax.set_xticks(depths)
            ax.set_title(TITLES[attention])
        axes[0][0].set_ylabel("R²")
        axes[0][-1].legend(loc="lower right")
        fig.suptitle(f"Depth sweep, {target}-layer targets, test = training distribution", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "r2_depth")


def plot(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    return (plot_mixtures(cfg, arrays, fig_dir) + plot_param_shift(cfg, arrays, fig_dir)
            + plot_depth(cfg, arrays, fig_dir) + plots_probe.plot(cfg, arrays, fig_dir))

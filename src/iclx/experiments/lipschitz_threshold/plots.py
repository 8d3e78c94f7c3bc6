"""Figures of the Lipschitz-threshold experiment from saved results only: ``dynamics`` (Fig. 1a/1b),
``threshold_sweep`` (time to ε versus L, in ``plots_sweep``) and ``attention_maps``. Lanes are picked
by their labels (``scalars["lanes"][stage]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import config
from iclx.framework import plotting
from iclx.engine.lanes import select_lanes
from iclx.framework.experiment import runs_stage
from iclx.experiments.lipschitz_threshold.plots_sweep import plot_sweep


def plot(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    paths = plot_sweep(cfg, scalars, arrays, fig_dir) if runs_stage(cfg, "sweep") else []
    if scalars["dynamics_points"]:   # no dynamics stage when left out or without a threshold on the grid
        paths = plot_dynamics(cfg, scalars, arrays, fig_dir) + paths + plot_maps(cfg, scalars, arrays, fig_dir)
    return paths


def plot_dynamics(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    """Fig. 1a/1b: loss (linear and log), attention and bilinear scores over GD steps, per regime."""
    points = scalars["dynamics_points"]
    steps = arrays["dynamics/step"]
    labels = scalars["lanes"]["dynamics"]
    n_seeds = cfg.seeds
    with plotting.style():
        fig, axes = plotting.new_figure(len(points), 4, width=3.6, height=2.3)
        for col, point in enumerate(points):
            lanes = select_lanes(labels, L=point["L"])                       # its seeds
            get = lambda name: arrays[f"dynamics/{name}"][:, lanes].T       # [seeds, T]
            title = (f"{point['regime']} regime: L = {point['L']:.3g}, η = {point['lr']:.3g}")
            ax = axes[0][col]
            plotting.band_plot(ax, steps, get("loss"), label="population loss", color=plotting.PALETTE[0])
            ax.set_title(title)
            ax.set_ylabel("loss (linear)")
            ax = axes[1][col]
            plotting.band_plot(ax, steps, get("rel_loss"), label="loss / loss at Q=0",
                               color=plotting.PALETTE[0], log=True)
            ax.set_yscale("log")
            ax.set_ylabel("relative loss (log)")
            ax = axes[2][col]
            plotting.band_plot(ax, steps, get("attn_target"), label="Attn on own feature",
                               color=plotting.PALETTE[1])
            plotting.band_plot(ax, steps, 1.0 - get("attn_target"), label="Attn on other features (sum)",
                               color=plotting.PALETTE[2])
            plotting.band_plot(ax, steps, get("attn_irrelevant_max"), label="largest irrelevant Attn_k",
                               color=plotting.PALETTE[5], linestyle="--")
            for k in range(1, cfg.task.n_features):
                plotting.band_plot(ax, steps, get(f"attn_q0_k{k}"), color=plotting.PALETTE[8],
                                   linewidth=0.7, label="query of feature 0 → feature k"
                                   if k == 1 else "_nolegend_")
            ax.set_ylabel("attention")
            ax.set_ylim(-0.02, 1.02)
            ax = axes[3][col]
            plotting.band_plot(ax, steps, get("score_target"), label="A = v_kᵀQv_k (own)",
                               color=plotting.PALETTE[1])
            plotting.band_plot(ax, steps, get("score_irrelevant"), label="B = v_jᵀQv_k (other)",
                               color=plotting.PALETTE[2])
            ax.set_ylabel("bilinear scores")
            ax.set_xlabel("GD step")
            for row in range(4):
                axes[row][col].set_xscale("log")
        for row in (0, 2, 3):
            axes[row][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"GD dynamics of softmax attention: {cfg.task.family} tasks ({cfg.task.scaling} "
                     f"scaling), {cfg.dynamics.features} features ρ={cfg.dynamics.rho:g}, "
                     f"K={cfg.task.n_features}, N={cfg.task.n_points} ({plotting.band_caption(n_seeds)}; "
                     "metrics before each step)", fontsize=9)
        return plotting.save_figure(fig, fig_dir, "dynamics")


def plot_maps(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    """Final Q of each dynamics run on prompts of unseen functions: the per-feature attention matrix
    (label-free, so the same for every family), one prompt's token weights, and the MSE per family
    relative to uniform attention, with the same-feature oracle."""
    points = scalars["dynamics_points"]
    families = list(cfg.eval.families)
    K = cfg.task.n_features
    with plotting.style():
        fig, axes = plotting.new_figure(3, len(points), width=3.1, height=2.6)
        fig.subplots_adjust(hspace=0.7, wspace=0.55)
        for row, point in enumerate(points):
            head = f"{point['regime']} regime, L = {point['L']:.3g}"
            ax = axes[row][0]
            m = arrays[f"maps/{row}/{families[0]}/matrix"].mean(axis=0)       # mean over seeds
            ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
            for (i, j), v in np.ndenumerate(m):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if v > 0.5 else "black")
            ax.set(xlabel="token feature k", ylabel="query feature", xticks=range(K), yticks=range(K))
            ax.set_title(f"{head}\nmean Attn_k ({cfg.seeds} seeds' Q)", fontsize=8)
            ax.grid(False)
            ax = axes[row][1]
            w = arrays[f"maps/{row}/{families[0]}/example_weights"][0]        # seed 0's Q
            feats = arrays[f"maps/{row}/{families[0]}/example_features"][0]
            qf = int(arrays[f"maps/{row}/{families[0]}/example_query"][0])
            order = np.argsort(feats, kind="stable")
            ax.bar(np.arange(len(w)), w[order], width=0.9,
                   color=[plotting.PALETTE[1] if feats[i] == qf else plotting.PALETTE[2] for i in order])
            ax.set(xlabel="prompt token (sorted by feature)", ylabel="attention weight")
            ax.set_title(f"one prompt, seed 0; blue: tokens of the\nquery's feature ({qf}), orange: others",
                         fontsize=8)
            ax = axes[row][2]
            x = np.arange(len(families))
            errs = [scalars["maps"][f"{row}/{f}"] for f in families]
            ax.bar(x - 0.2, [e["mse_model"] / e["mse_uniform"] for e in errs], width=0.4,
                   color=plotting.PALETTE[1], label="trained Q")
            ax.bar(x + 0.2, [e["mse_oracle"] / e["mse_uniform"] for e in errs], width=0.4,
                   color=plotting.PALETTE[3], label="same-feature oracle")
            ax.set_yscale("log")
            ax.set_ylim(1e-4, 2.0)
            ax.axhline(1.0, color="0.5", linewidth=0.8)
            ax.set(xticks=x, xticklabels=families, ylabel="MSE / MSE(uniform)")
            ax.set_title("unseen functions by family\n(1 = uniform attention, Q = 0)", fontsize=8)
        axes[0][2].legend(loc="center right", fontsize=6.5)
        fig.suptitle(f"Final attention on fresh prompts (token noise σ = {cfg.eval.noise_std:g}, "
                     f"{cfg.dynamics.features} features ρ = {cfg.dynamics.rho:g})", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "attention_maps")

"""The threshold-sweep figure: GD steps to ε versus L, measured (mean over seeds, lanes picked by
label) and the continuous-time T* of ``iclx.theory.lipschitz``, from saved results only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from iclx.framework import plotting
from iclx.experiments.lipschitz_threshold.task import table_tag
from iclx.experiments.lipschitz_threshold.summary import lane_means
from iclx.theory import lipschitz as lipschitz_theory


def plot_sweep(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    """Time to ε versus L: measured (markers; mean over seeds) and the continuous-time theory T*
    (dotted), per scaling (columns) and ε kind (rows); L* dashed, the gap saturation L_sat dotted."""
    scalings = list(cfg.sweep.scalings)
    kinds = (("rel", cfg.sweep.eps_rel, "relative ε: loss ≤ ε·loss(Q=0)"),
             ("abs", cfg.sweep.eps_abs, "absolute ε: loss ≤ ε"))
    with plotting.style():
        fig, axes = plotting.new_figure(len(scalings), 2, width=4.2, height=3.3)
        fig.subplots_adjust(hspace=0.45, wspace=0.3)
        for col, scaling in enumerate(scalings):
            for row, (kind, eps_list, label) in enumerate(kinds):
                _panel(axes[row][col], cfg, scalars, arrays, scaling, kind, eps_list)
                axes[row][col].set_title(f"{scaling} scaling — {label}", fontsize=8.5)
        _legends(axes, cfg.sweep.train.steps)
        fig.suptitle(f"Time to ε versus L ({cfg.task.family} tasks, {cfg.task.features} features, "
                     f"K={cfg.task.n_features}, N={cfg.task.n_points}, η_flat={cfg.theory.eta_flat:g}, "
                     f"{cfg.seeds} seeds per point)", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "threshold_sweep")


def _colors(cfg) -> list[str]:
    n_colors = len(cfg.sweep.rhos) * max(len(cfg.sweep.eps_rel), len(cfg.sweep.eps_abs))
    return [plotting.PALETTE[1 + i % (len(plotting.PALETTE) - 1)] for i in range(n_colors)]


def _panel(ax, cfg, scalars, arrays, scaling: str, kind: str, eps_list) -> None:
    """One (scaling, ε kind) panel: per ρ and ε, the measured times and T*; L* and L_sat per ρ."""
    labels, steps = scalars["lanes"]["sweep"], cfg.sweep.train.steps
    L = np.array([float(label["L"]) for label in labels])
    colors, c = _colors(cfg), 0
    for ri_rho, r in enumerate(float(r) for r in cfg.sweep.rhos):
        tab = _table(scalars, arrays, table_tag(cfg.task.features, scaling, r))
        for e in eps_list:
            color, c = colors[c], c + 1
            _measured(ax, labels, arrays[f"sweep/T_{kind}_{e:g}"], scaling, r, e, steps, color)
            if tab is not None:
                g = tab["grid"]
                span = (g >= L.min() / 1.5) & (g <= L.max() * 1.5)
                Tth = lipschitz_theory.time_to_eps(e, tab["sigma2"][span], tab["eta"][span],
                                                   cfg.task.n_features, tab["gram"],
                                                   relative=(kind == "rel"))
                ax.plot(g[span], np.maximum(Tth, 0.5), color=color, linewidth=0.9, linestyle=":")
        if tab is not None:
            _thresholds(ax, tab, r, ri_rho)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Lipschitz constant L")
    ax.set_ylabel("GD steps to ε")
    ax.axhline(steps, color="0.8", linewidth=0.8)


def _measured(ax, labels, times: np.ndarray, scaling: str, rho: float, eps: float, steps: int,
              color: str) -> None:
    """Mean steps to ε over seeds per L, both step rules; ▲ where some seed never reached ε."""
    for rule, marker, filled in (("theory", "o", True), ("common", "s", False)):
        Ls, Tm, _ = lane_means(labels, times, rule=rule, scaling=scaling, rho=rho)
        if not len(Ls):
            continue
        cens, ok = Tm >= steps, (Tm < steps) & (Tm > 0)
        ax.plot(Ls[ok], Tm[ok], marker=marker, linestyle="-" if filled else "none",
                color=color, markerfacecolor=color if filled else "white",
                markersize=4, linewidth=1.0,
                label=f"ρ={rho:g}, ε={eps:g}" if filled else "_nolegend_")
        ax.plot(Ls[cens], np.full(cens.sum(), steps), marker="^", linestyle="none",
                color=color, markersize=5, markerfacecolor="white")


def _thresholds(ax, tab, rho: float, row: int) -> None:
    """L* (dashed) and L_sat (dotted) of one ρ, labelled."""
    for value, name, style in ((tab["L_star"], "L*", "--"), (tab["L_sat"], "L_sat", ":")):
        if math.isfinite(value):
            ax.axvline(value, color="0.45", linestyle=style, linewidth=0.8)
            ax.text(value, 0.98 - 0.07 * row, f" {name}(ρ={rho:g})={value:.3g}",
                    transform=ax.get_xaxis_transform(), fontsize=6.5, va="top", color="0.3")


def _legends(axes, steps: int) -> None:
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    handles = axes[1][-1]
    handles.plot([], [], "o-", color="0.3", label="η(L) = min(η_flat, 1/β(L))")
    handles.plot([], [], "s", color="0.3", markerfacecolor="white", label="common η = η_flat")
    handles.plot([], [], "^", color="0.3", markerfacecolor="white",
                 label=f"not reached in {steps} steps")
    handles.plot([], [], ":", color="0.3", label="T* (continuous time, ours)")
    handles.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))


def _table(scalars, arrays, tag: str):
    if f"theory/{tag}/grid" not in arrays:
        return None
    return {**{k: arrays[f"theory/{tag}/{k}"] for k in ("grid", "beta", "sigma2", "eta")},
            **scalars["theory"][tag]}

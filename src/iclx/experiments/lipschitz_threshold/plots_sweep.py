"""The threshold-sweep figure: GD steps to ε versus L, measured (mean over seeds, lanes picked by
label) and the continuous-time T* of ``iclx.theory.lipschitz``, from saved results only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from iclx import plotting
from iclx.experiments.lipschitz_threshold.config import table_tag
from iclx.experiments.lipschitz_threshold.summary import lane_means
from iclx.theory import lipschitz as TH


def plot_sweep(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    """Time to ε versus L: measured (markers; mean over seeds) and the continuous-time theory T*
    (dotted), per scaling (columns) and ε kind (rows); L* dashed, the gap saturation L_sat dotted."""
    labels = scalars["lanes"]["sweep"]
    L = np.array([float(label["L"]) for label in labels])
    steps, K = cfg.sweep.train.steps, cfg.task.n_features
    scalings, rhos = list(cfg.sweep.scalings), [float(r) for r in cfg.sweep.rhos]
    kinds = (("rel", cfg.sweep.eps_rel, "relative ε: loss ≤ ε·loss(Q=0)"),
             ("abs", cfg.sweep.eps_abs, "absolute ε: loss ≤ ε"))
    n_colors = len(rhos) * max(len(cfg.sweep.eps_rel), len(cfg.sweep.eps_abs))
    colors = [plotting.PALETTE[1 + i % (len(plotting.PALETTE) - 1)] for i in range(n_colors)]
    with plotting.style():
        fig, axes = plotting.new_figure(len(scalings), 2, width=4.2, height=3.3)
        fig.subplots_adjust(hspace=0.45, wspace=0.3)
        for col, scaling in enumerate(scalings):
            for row, (kind, eps_list, label) in enumerate(kinds):
                ax = axes[row][col]
                c = 0
                for ri_rho, r in enumerate(rhos):
                    tab = _table(scalars, arrays, table_tag(cfg.task.features, scaling, r))
                    for e in eps_list:
                        color, c = colors[c], c + 1
                        name = f"sweep/T_{kind}_{e:g}"
                        for rule, marker, filled in (("theory", "o", True), ("common", "s", False)):
                            Ls, Tm, _ = lane_means(labels, arrays[name], rule=rule,
                                                   scaling=scaling, rho=r)
                            if not len(Ls):
                                continue
                            cens, ok = Tm >= steps, (Tm < steps) & (Tm > 0)
                            ax.plot(Ls[ok], Tm[ok], marker=marker, linestyle="-" if filled else "none",
                                    color=color, markerfacecolor=color if filled else "white",
                                    markersize=4, linewidth=1.0,
                                    label=f"ρ={r:g}, ε={e:g}" if filled else "_nolegend_")
                            ax.plot(Ls[cens], np.full(cens.sum(), steps), marker="^", linestyle="none",
                                    color=color, markersize=5, markerfacecolor="white")
                        if tab is not None:
                            g = tab["grid"]
                            span = (g >= L.min() / 1.5) & (g <= L.max() * 1.5)
                            Tth = TH.time_to_eps(e, tab["sigma2"][span], tab["eta"][span], K,
                                                 tab["gram"], relative=(kind == "rel"))
                            ax.plot(g[span], np.maximum(Tth, 0.5), color=color, linewidth=0.9,
                                    linestyle=":")
                    if tab is None:
                        continue
                    for value, name, style in ((tab["L_star"], "L*", "--"), (tab["L_sat"], "L_sat", ":")):
                        if math.isfinite(value):
                            ax.axvline(value, color="0.45", linestyle=style, linewidth=0.8)
                            ax.text(value, 0.98 - 0.07 * ri_rho, f" {name}(ρ={r:g})={value:.3g}",
                                    transform=ax.get_xaxis_transform(), fontsize=6.5, va="top",
                                    color="0.3")
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_xlabel("Lipschitz constant L")
                ax.set_ylabel("GD steps to ε")
                ax.set_title(f"{scaling} scaling — {label}", fontsize=8.5)
                ax.axhline(steps, color="0.8", linewidth=0.8)
        axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        handles = axes[1][-1]
        handles.plot([], [], "o-", color="0.3", label="η(L) = min(η_flat, 1/β(L))")
        handles.plot([], [], "s", color="0.3", markerfacecolor="white", label="common η = η_flat")
        handles.plot([], [], "^", color="0.3", markerfacecolor="white",
                     label=f"not reached in {steps} steps")
        handles.plot([], [], ":", color="0.3", label="T* (continuous time, ours)")
        handles.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"Time to ε versus L ({cfg.task.family} tasks, {cfg.task.features} features, "
                     f"K={K}, N={cfg.task.n_points}, η_flat={cfg.theory.eta_flat:g}, "
                     f"{cfg.seeds} seeds per point)", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "threshold_sweep")


def _table(scalars, arrays, tag: str):
    if f"theory/{tag}/grid" not in arrays:
        return None
    return {**{k: arrays[f"theory/{tag}/{k}"] for k in ("grid", "beta", "sigma2", "eta")},
            **scalars["theory"][tag]}

"""Figures from saved results: markers = MLP transformer (geometric mean ± 95% band over Monte Carlo
runs), lines = equivalent polynomial model (geometric mean), dashed = linear transformer (as in the paper's
figures); log error axes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iclx import plotting
from iclx.experiments.data_mixing import config  # noqa: F401  (the experiment's config module)
from iclx.experiments.data_mixing.curves import DIM_AXES, ETA_PANELS, MIX_PANELS, curve, curve_values, icl

AXIS_LABEL = {"n_ratio": "n / d²", "ell_ratio": "ℓ / d", "k_ratio": "k / n", "rho": "ρ = P(s = 1)"}


def draw(ax, x, err, color, label, source=None, linear=False):
    plotting.band_plot(ax, x, icl(err, "mlp", source), label=f"MLP {label}", color=color,
                       linestyle="none", marker="D", log=True)
    ax.plot(x, geomean(icl(err, "equivalent", source)), color=color, linewidth=1.2)
    if linear:
        ax.plot(x, geomean(icl(err, "linear", source)), color=color, linestyle="--",
                linewidth=1.0, label=f"linear {label}")


def geomean(values: np.ndarray) -> np.ndarray:
    return np.exp(np.nanmean(np.log(np.maximum(values, 1e-300)), axis=0))


def fig_dimensions(scalars, arrays, fig_dir):
    lanes = scalars["lanes"]
    acts = sorted({s.split("_")[1] for s in arrays if s.startswith("dims_")})
    fig, axes = plotting.new_figure(3, len(acts))
    for r, act in enumerate(acts):
        for c, (axis, key) in enumerate(DIM_AXES.items()):
            ax = axes[r, c]
            x, err = curve(lanes, arrays, f"dims_{act}_{axis}", key)
            draw(ax, x, err, plotting.PALETTE[1 + r], act, linear=True)
            ax.set_xlabel(AXIS_LABEL[key])
            ax.set_ylabel("ICL error")
            ax.set_yscale("log")
            ax.set_title(f"({'abc'[c]}) {act}: sweep {AXIS_LABEL[key]}")
            ax.legend()
    return plotting.save_figure(fig, fig_dir, "fig1_dimensions")


def fig_rho(scalars, arrays, fig_dir, panels, stem, legend_name, source=None):
    lanes = scalars["lanes"]
    present = [s for s in panels if s in arrays]
    fig, axes = plotting.new_figure(len(present))
    for c, stage in enumerate(present):
        ax = axes[0, c]
        values = curve_values(lanes, stage)
        for j, v in enumerate(values):
            x, err = curve(lanes, arrays, stage, "rho", curve=v)
            draw(ax, x, err, plotting.colors(len(values) + 1)[j + 1], f"{legend_name(stage)}={v:g}",
                 source=source)
        ax.set_xlabel(AXIS_LABEL["rho"])
        ax.set_ylabel("ICL error" if source is None else f"error on source {source}")
        ax.set_title(f"({'abcd'[c]}) {panels[stage]}")
        ax.set_yscale("log")
        ax.legend()
    return plotting.save_figure(fig, fig_dir, stem)


def plot(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    paths: list[Path] = []
    with plotting.style():
        if any(s.startswith("dims_") for s in arrays):
            paths += fig_dimensions(scalars, arrays, fig_dir)
        if any(s in arrays for s in MIX_PANELS):
            name = lambda stage: MIX_PANELS[stage]
            paths += fig_rho(scalars, arrays, fig_dir, MIX_PANELS, "fig2_mixing", name)
            for s in (0, 1):
                paths += fig_rho(scalars, arrays, fig_dir, MIX_PANELS, f"fig4-6_source{s}", name,
                                 source=s)
        eta = {k: v for k, v in ETA_PANELS.items() if k != "real"}
        if any(s in arrays for s in eta):
            paths += fig_rho(scalars, arrays, fig_dir, eta, "fig3ab_eta", lambda s: "η/d²")
        if "real" in arrays:
            real = {"real": f"real data: {' vs '.join(scalars['real_data']['languages'][::-1])} "
                            f"({scalars['real_data']['encoder']})"}
            paths += fig_rho(scalars, arrays, fig_dir, real, "fig3c_real", lambda s: "η/d²")
            for s in (0, 1):
                paths += fig_rho(scalars, arrays, fig_dir, real, f"fig3c_real_source{s}",
                                 lambda s: "η/d²", source=s)
    return paths

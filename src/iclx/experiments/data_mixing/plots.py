"""Figures from saved results: markers = MLP transformer (geometric mean, with its 95% band over the
Monte Carlo runs when there are ≥ 5, else one thin line per run), solid lines = the equivalent
polynomial model (geometric mean), dashed = linear transformer (as in the paper's figures); log error
axes. Each figure has one legend below its panels: colours name the curves, line styles the models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from iclx.framework import plotting
from iclx.experiments.data_mixing import config  # noqa: F401  (the experiment's config module)
from iclx.experiments.data_mixing.curves import DIM_AXES, ETA_PANELS, MIX_PANELS, curve, curve_values, icl

AXIS_LABEL = {"n_ratio": "n / d²", "ell_ratio": "ℓ / d", "k_ratio": "k / n", "rho": "ρ = P(s = 1)"}


def draw(ax, x, err, color, source=None, linear=False):
    """One curve: MLP markers (band or per-run lines), the equivalent's solid line, the linear
    transformer's dashed line (``linear``); labels are left to the figure's legend."""
    plotting.band_plot(ax, x, icl(err, "mlp", source), label="_mlp", color=color,
                       linestyle="none", marker="D", log=True)
    ax.plot(x, geomean(icl(err, "equivalent", source)), color=color, linewidth=1.2)
    if linear:
        ax.plot(x, geomean(icl(err, "linear", source)), color=color, linestyle="--", linewidth=1.0)


def geomean(values: np.ndarray) -> np.ndarray:
    return np.exp(np.nanmean(np.log(np.maximum(values, 1e-300)), axis=0))


def legend(fig, entries: list[tuple[str, str]], runs: int, scale: str, degree: str, linear: bool,
           ncol: int = 4) -> None:
    """The figure's legend below the panels: one colour patch per curve ``(label, colour)`` and one
    entry per model (style), the MLP's naming what its band is."""
    handles = [Line2D([], [], color=c, linewidth=6, alpha=0.6, label=label) for label, c in entries]
    band = plotting.band_caption(runs, "Monte Carlo runs")
    handles += [Line2D([], [], color="0.3", marker="D", linestyle="none", markersize=4,
                       label=f"MLP transformer (geometric {band})"),
                Line2D([], [], color="0.3", linewidth=1.2,
                       label=f"equivalent: Hermite p = {degree} + noise, {scale}")]
    if linear:
        handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.0, label="linear transformer"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), ncol))


def runs_of(err: np.ndarray) -> int:
    return int(err.shape[0])


def fig_dimensions(cfg, scalars, arrays, fig_dir):
    lanes = scalars["lanes"]
    acts = sorted({s.split("_")[1] for s in arrays if s.startswith("dims_")})
    fig, axes = plotting.new_figure(3, len(acts), height=2.5, layout="constrained")
    runs = 0
    for r, act in enumerate(acts):
        for c, (axis, key) in enumerate(DIM_AXES.items()):
            ax = axes[r, c]
            x, err = curve(lanes, arrays, f"dims_{act}_{axis}", key)
            runs = runs_of(err)
            draw(ax, x, err, plotting.PALETTE[1 + r], linear=True)
            ax.set_xlabel(AXIS_LABEL[key])
            ax.set_ylabel("ICL error")
            ax.set_yscale("log")
            ax.set_title(f"({'abc'[c]}) {act}: sweep {AXIS_LABEL[key]}")
    legend(fig, [(act, plotting.PALETTE[1 + r]) for r, act in enumerate(acts)], runs,
           _scale(cfg), str(cfg.dimensions.degree), linear=True)
    return plotting.save_figure(fig, fig_dir, "fig1_dimensions")


def fig_rho(cfg, scalars, arrays, fig_dir, panels, stem, legend_name, source=None):
    lanes = scalars["lanes"]
    present = [s for s in panels if s in arrays]
    fig, axes = plotting.new_figure(len(present), height=3.0, layout="constrained")
    entries, runs = [], 0
    for c, stage in enumerate(present):
        ax = axes[0, c]
        values = curve_values(lanes, stage)
        palette = plotting.colors(len(values) + 1)[1:]
        for j, v in enumerate(values):
            x, err = curve(lanes, arrays, stage, "rho", curve=v)
            runs = runs_of(err)
            draw(ax, x, err, palette[j], source=source)
        tag = f"({'abcd'[c]}) " if len(present) > 1 else ""
        entries += [(f"{tag}{legend_name(stage)} = {v:g}", palette[j]) for j, v in enumerate(values)]
        ax.set_xlabel(AXIS_LABEL["rho"])
        ax.set_ylabel("ICL error" if source is None else f"error on source {source}")
        ax.set_title(f"{tag}{panels[stage]}")
        ax.set_yscale("log")
    legend(fig, entries, runs, _scale(cfg), str(cfg.model.degree), linear=False,
           ncol=4 if len(present) > 1 else 1)
    return plotting.save_figure(fig, fig_dir, stem)


SCALE_TEXT = {"unit": "expanded at unit scale", "context": "expanded at ‖vec H_Z‖/√t per context",
              "source": "expanded at one scale per source",
              "neurons": "expanded at the RMS of F̂ vec H_Z per context"}


def _scale(cfg) -> str:
    return SCALE_TEXT[cfg.model.get("equivalent_scale", "unit")]


def plot(cfg, scalars, arrays, fig_dir: Path) -> list[Path]:
    paths: list[Path] = []
    with plotting.style():
        if any(s.startswith("dims_") for s in arrays):
            paths += fig_dimensions(cfg, scalars, arrays, fig_dir)
        if any(s in arrays for s in MIX_PANELS):
            name = lambda stage: MIX_PANELS[stage]
            paths += fig_rho(cfg, scalars, arrays, fig_dir, MIX_PANELS, "fig2_mixing", name)
            for s in (0, 1):
                paths += fig_rho(cfg, scalars, arrays, fig_dir, MIX_PANELS, f"fig4-6_source{s}", name,
                                 source=s)
        eta = {k: v for k, v in ETA_PANELS.items() if k != "real"}
        if any(s in arrays for s in eta):
            paths += fig_rho(cfg, scalars, arrays, fig_dir, eta, "fig3ab_eta", lambda s: "η/d²")
        if "real" in arrays:
            real = {"real": f"real data: {' vs '.join(scalars['real_data']['languages'][::-1])} "
                            f"({scalars['real_data']['encoder']})"}
            paths += fig_rho(cfg, scalars, arrays, fig_dir, real, "fig3c_real", lambda s: "η/d²")
            for s in (0, 1):
                paths += fig_rho(cfg, scalars, arrays, fig_dir, real, f"fig3c_real_source{s}",
                                 lambda s: "η/d²", source=s)
    return paths

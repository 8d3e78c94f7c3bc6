"""Figures of ``gd_vs_newton`` (Fu et al. 2023, arXiv 2310.17086), drawn from saved results only.

- ``heatmaps_sime`` / ``heatmaps_simw``: layer × Newton steps, layer × GD steps (linear grid) and
  layer × GD steps (log₂ grid); seed-mean scores, best match boxed, tie band outlined (Figs 3, 8–10).
- ``best_match``: best-matching Newton step vs layer (linear) and GD step vs layer (log axis), per
  seed and mean; plus GD steps matching each Newton step (algorithm vs algorithm, Fig 26).
- ``error_per_layer``: error vs in-context examples of every layer's probe, of Newton and of GD at
  each layer's best-matching step (Fig 7).
- ``error_vs_depth``: error vs layer / Newton steps / GD steps for several prompt lengths (Figs 2, 4).
- ``lstm`` (with the LSTM): error vs examples of the transformer, LSTM, online GD, Newton (fixed
  steps) and least squares (Fig 5 left), and the LSTM's layers (Fig 7c); Table 1 in the title.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iclx import config, engine, probes
from iclx.framework import plotting
from iclx.experiments.gd_vs_newton.config import TABLE_COLUMNS

GRID_LABELS = {"newton": "Newton iterations", "gd": "GD steps", "gd_log": "GD steps (log₂ grid)"}
METRIC_LABELS = {"sime": "similarity of errors", "simw": "similarity of induced weights"}


def _layer_colours(num_layers: int):
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.05 + 0.85 * i / max(num_layers - 1, 1)) for i in range(num_layers)]


def _heatmap(ax, heat: np.ndarray, steps: np.ndarray, decimals: int, title: str, annotate: bool):
    import matplotlib.patches as patches

    num_steps, num_layers = heat.shape
    image = ax.imshow(heat, aspect="auto", origin="lower", cmap="Spectral_r", vmin=0.4, vmax=1.0,
                      extent=(0.5, num_layers + 0.5, -0.5, num_steps - 0.5))
    match = probes.best_match(heat, decimals)
    for layer in range(num_layers):
        lo, hi = match.low[layer], match.high[layer]
        ax.add_patch(patches.Rectangle((layer + 0.5, lo - 0.5), 1, hi - lo + 1, fill=False,
                                       edgecolor="gold", linewidth=1.2))
        ax.add_patch(patches.Rectangle((layer + 0.55, match.index[layer] - 0.45), 0.9, 0.9,
                                       fill=False, edgecolor="red", linewidth=1.4))
    if annotate:
        for k in range(num_steps):
            for layer in range(num_layers):
                ax.text(layer + 1, k, f"{heat[k, layer]:.2f}", ha="center", va="center", fontsize=4.2)
    stride = max(1, num_steps // 12)
    ticks = np.arange(0, num_steps, stride)
    ax.set_yticks(ticks, [f"{steps[i]:g}" for i in ticks])
    ax.set_xticks(np.arange(1, num_layers + 1))
    ax.set_xlabel("layer")
    ax.set_title(title)
    ax.grid(False)
    return image


def plot_heatmaps(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], metric: str, net: str,
                  fig_dir: Path) -> list[Path]:
    grids = [g for g in ("newton", "gd", "gd_log") if f"{net}/{metric}_{g}" in arrays]
    if not grids:
        return []
    with plotting.style():
        fig, axes = plotting.new_figure(len(grids), width=3.9, height=4.3, layout="constrained")
        image = None
        for ax, grid in zip(axes[0], grids):
            heat = arrays[f"{net}/{metric}_{grid}"].mean(axis=0)
            image = _heatmap(ax, heat, arrays[f"grid/{grid}"], cfg.sim.decimals,
                             f"vs {GRID_LABELS[grid]}", annotate=heat.shape[0] <= 24)
            ax.set_ylabel(GRID_LABELS[grid])
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=METRIC_LABELS[metric])
        fig.suptitle(f"{METRIC_LABELS[metric].capitalize()} of the transformer's layers "
                     f"({_setting(cfg)}; mean of {cfg.seeds} seeds; red: best, gold: ties at "
                     f"{cfg.sim.decimals} decimals)", fontsize=9)
        return plotting.save_figure(fig, fig_dir, f"heatmaps_{metric}")


def _setting(cfg: config.ConfigDict) -> str:
    task = cfg.task
    extra = ""
    if task.covariance != "isotropic":
        extra += f", {task.covariance} Σ κ={task.kappa:g}"
    if task.noise_std > 0:
        extra += f", σ={task.noise_std:g}"
    return f"d={task.n_dims}, {cfg.model.n_layer}L/{cfg.model.n_head}H/{cfg.model.n_embd}{extra}"


def _best_panel(ax, cfg, arrays, grid: str, colour_of: dict[str, str]):
    layers = None
    for metric in ("sime", "simw"):
        key = f"tf/{metric}_{grid}"
        if key not in arrays:
            continue
        steps = arrays[f"grid/{grid}"]
        best = probes.best_steps(arrays[key], steps, cfg.sim.decimals)
        mean_match = probes.best_match(arrays[key].mean(axis=0), cfg.sim.decimals)
        layers = np.arange(1, best["best"].shape[1] + 1)
        colour = colour_of[metric]
        offset = -0.08 if metric == "sime" else 0.08
        for seed_best in best["best"]:
            ax.scatter(layers + offset, seed_best, s=9, color=colour, alpha=0.45, linewidths=0)
        ax.plot(layers, steps[mean_match.index], color=colour, marker="o", markersize=3.5,
                label=f"{'SimE' if metric == 'sime' else 'SimW'}, seed-mean map")
        ax.fill_between(layers, steps[mean_match.low], steps[mean_match.high], color=colour,
                        alpha=0.15, linewidth=0)
    if layers is not None:
        ax.set_xticks(layers)
    ax.set_xlabel("layer")
    ax.set_ylabel(f"best-matching {GRID_LABELS[grid]}")


def plot_best_match(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], fig_dir: Path) -> list[Path]:
    colour_of = {"sime": plotting.PALETTE[1], "simw": plotting.PALETTE[2]}
    with plotting.style():
        fig, axes = plotting.new_figure(3, width=3.6, height=3.1, layout="constrained")
        _best_panel(axes[0][0], cfg, arrays, "newton", colour_of)
        axes[0][0].set_title("Newton: linear in depth")
        _best_panel(axes[0][1], cfg, arrays, "gd_log", colour_of)
        axes[0][1].set_yscale("log", base=2)
        axes[0][1].set_title("GD: exponential in depth")
        axes[0][1].legend(loc="upper left")
        # algorithm vs algorithm: GD steps whose errors best match k Newton steps
        ax = axes[0][2]
        heat = arrays["alg/sime_newton_vs_gd_log"]                 # [S, G, K]
        best = probes.best_steps(heat, arrays["grid/gd_log"], cfg.sim.decimals)
        newton = arrays["grid/newton"]
        ax.plot(newton, np.exp(np.log(best["best"]).mean(axis=0)), color=plotting.PALETTE[3],
                marker="o", markersize=3)
        ax.fill_between(newton, best["low"].min(axis=0), best["high"].max(axis=0),
                        color=plotting.PALETTE[3], alpha=0.15, linewidth=0)
        ax.set_yscale("log", base=2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("Newton iterations")
        ax.set_ylabel("best-matching GD steps")
        ax.set_title("algorithm vs algorithm (SimE)")
        fig.suptitle(f"Best-matching algorithm step per layer ({_setting(cfg)}; dots: seeds, line: "
                     f"seed-mean heatmap, band: ties at {cfg.sim.decimals} decimals)", fontsize=9)
        return plotting.save_figure(fig, fig_dir, "best_match")


def plot_error_per_layer(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], fig_dir: Path) -> list[Path]:
    """Fig 7: error vs examples per layer (probe), Newton and GD at each layer's best match."""
    d, n = cfg.task.n_dims, cfg.task.n_points
    x = np.arange(n)
    layer_err = arrays["tf/error_layers"]                                # [S, L, n]
    num_layers = layer_err.shape[1]
    colours = _layer_colours(num_layers)
    panels = [("transformer layers (probes)", None)]
    for grid in ("newton", "gd_log"):
        match = probes.best_match(arrays[f"tf/sime_{grid}"].mean(axis=0), cfg.sim.decimals)
        name = "Newton" if grid == "newton" else "GD"
        panels.append((f"{name} at each layer's best match (SimE)", (grid, match)))
    with plotting.style():
        fig, axes = plotting.new_figure(len(panels), width=3.6, height=3.1, sharey=True,
                                        layout="constrained")
        for ax, (title, spec) in zip(axes[0], panels):
            ax.axvline(d, color="0.6", linewidth=0.8, linestyle=(0, (2, 2)))
            for layer in range(num_layers):
                if spec is None:
                    values, label = layer_err[:, layer], f"layer {layer + 1}"
                else:
                    grid, match = spec
                    k = match.index[layer]
                    values = arrays[f"alg/error_{grid}"][:, k]
                    label = f"L{layer + 1}: {arrays[f'grid/{grid}'][k]:g}"
                plotting.band_plot(ax, x, np.maximum(values, 1e-8), log=True, label=label,
                                   color=colours[layer])
            plotting.band_plot(ax, x, np.maximum(arrays["alg/error_least_squares"], 1e-8), log=True,
                               label="least squares", color=plotting.PALETTE[0], linestyle=":")
            ax.set_yscale("log")
            ax.set_ylim(1e-5, 3)
            ax.set_xlabel("in-context examples")
            ax.set_title(title)
            ax.legend(fontsize=6, loc="lower left", ncol=2)
        axes[0][0].set_ylabel("squared error / d")
        fig.suptitle(f"Error vs examples per layer ({_setting(cfg)}; {plotting.band_caption(cfg.seeds)})",
                     fontsize=9)
        return plotting.save_figure(fig, fig_dir, "error_per_layer")


def plot_error_vs_depth(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], fig_dir: Path) -> list[Path]:
    """Figs 2 / 4: error at several prompt lengths vs layer, Newton iterations, GD steps."""
    examples = list(cfg.errors.examples)
    colours = _layer_colours(len(examples))
    layer_err = arrays["tf/error_layers"]
    panels = [("transformer", np.arange(1, layer_err.shape[1] + 1), layer_err, "layer"),
              ("Newton", arrays["grid/newton"], arrays["alg/error_newton"], "Newton iterations"),
              ("GD", arrays["grid/gd_log"], arrays["alg/error_gd_log"],
               f"GD steps (η={cfg.sim.gd_lr:g})")]
    with plotting.style():
        fig, axes = plotting.new_figure(3, width=3.4, height=3.0, sharey=True, layout="constrained")
        for ax, (title, x, err, xlabel) in zip(axes[0], panels):
            for colour, t in zip(colours, examples):
                plotting.band_plot(ax, x, np.maximum(err[:, :, t], 1e-6), log=True,
                                   label=f"{t} examples", color=colour, marker="o")
            ax.set_yscale("log")
            ax.set_ylim(5e-7, 3)
            if title == "GD":
                ax.set_xscale("log", base=2)
            ax.set_xlabel(xlabel)
            ax.set_title(title)
        axes[0][0].set_ylabel("squared error / d")
        axes[0][0].legend(fontsize=6)
        fig.suptitle(f"Error vs depth / iterations ({_setting(cfg)}; {cfg.seeds} seeds; floor 1e-6)",
                     fontsize=9)
        return plotting.save_figure(fig, fig_dir, "error_vs_depth")


def plot_lstm(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
              fig_dir: Path) -> list[Path]:
    """Fig 5 left and Fig 7c; Table 1 in the title."""
    if "lstm/error_model" not in arrays:
        return []
    d, n = cfg.task.n_dims, cfg.task.n_points
    x = np.arange(n)
    k = cfg.sim.newton_fixed
    curves = [("transformer", arrays["tf/error_model"], plotting.PALETTE[0], "-"),
              ("LSTM", arrays["lstm/error_model"], plotting.PALETTE[2], "-"),
              ("online GD", arrays["alg/error_online_gd"], plotting.PALETTE[5], "--"),
              (f"Newton, {k} it.", arrays["alg/error_newton"][:, k - 1], plotting.PALETTE[3], "--"),
              ("least squares", arrays["alg/error_least_squares"], plotting.PALETTE[1], ":")]
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=3.8, height=3.0, layout="constrained")
        ax = axes[0][0]
        for label, values, colour, style in curves:
            plotting.band_plot(ax, x, values, label=label, color=colour, linestyle=style)
        ax.axvline(d, color="0.6", linewidth=0.8, linestyle=(0, (2, 2)))
        ax.set_ylim(-0.05, 1.3)
        ax.set_xlabel("in-context examples")
        ax.set_ylabel("squared error / d")
        ax.set_title("outputs (Fig. 5 left)")
        ax.legend(fontsize=6.5)
        ax = axes[0][1]
        lstm_err = arrays["lstm/error_layers"]
        for layer, colour in enumerate(_layer_colours(lstm_err.shape[1])):
            plotting.band_plot(ax, x, np.maximum(lstm_err[:, layer], 1e-8), log=True,
                               label=f"LSTM layer {layer + 1}", color=colour)
        ax.set_yscale("log")
        ax.set_xlabel("in-context examples")
        ax.set_title("LSTM layers, probes (Fig. 7c)")
        ax.legend(fontsize=6.5)
        table = scalars.get("table1", {})
        rows = "; ".join(f"{'TF' if net == 'tf' else 'LSTM'}: " + ", ".join(
            f"{c.replace('_', ' ')} {table[net][c][0]:.3f}" for c in TABLE_COLUMNS)
            for net in ("tf", "lstm") if net in table)
        fig.suptitle(f"Transformer vs LSTM ({_setting(cfg)}). Table 1 (SimE, best step) — {rows}",
                     fontsize=8.5)
        return plotting.save_figure(fig, fig_dir, "lstm")


def seed_rows(labels: list[dict[str, Any]]) -> np.ndarray:
    """Row of every seed (in seed order) among a stage's lanes, picked by label."""
    seeds = sorted({label["seed"] for label in labels})
    return np.array([engine.select_lanes(labels, seed=seed)[0] for seed in seeds])


def by_seed(scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``arrays`` with their leading axis ordered by seed: ``lstm/`` arrays by the lanes of stage
    "lstm", every other per-seed array by stage "model" (the baselines share its eval prompts)."""
    rows = {stage: seed_rows(labels) for stage, labels in scalars["lanes"].items()}
    return {key: values if key.startswith("grid/")
            else values[rows["lstm" if key.startswith("lstm/") else "model"]]
            for key, values in arrays.items()}


def plot(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    arrays = by_seed(scalars, arrays)
    paths = plot_heatmaps(cfg, arrays, "sime", "tf", fig_dir)
    paths += plot_heatmaps(cfg, arrays, "simw", "tf", fig_dir)
    paths += plot_best_match(cfg, arrays, fig_dir)
    paths += plot_error_per_layer(cfg, arrays, fig_dir)
    paths += plot_error_vs_depth(cfg, arrays, fig_dir)
    paths += plot_lstm(cfg, scalars, arrays, fig_dir)
    return paths

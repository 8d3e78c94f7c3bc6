"""The summary lines and README tables of a deep-optimizers run, from its saved R² curves; the names
of those curves (``r2/<attention>/N<target>/L<layers>/<mixture>/<shift>``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from iclx import config, probes
from iclx.experiments.deep_optimizers import probe_candidates


def mix_key(w: float) -> str:
    return f"w{w:g}"


def shift_key(mean: float) -> str:
    return f"mu{mean:g}"


def curve(arrays, attention: str, target: int, layers: int, w: float = 1.0, mean: float = 0.0):
    """The saved R² per position ``[seeds, n]`` of one stage on one test distribution."""
    return arrays[f"r2/{attention}/N{target}/L{layers}/{mix_key(w)}/{shift_key(mean)}"]


def _trivial_rows(cfg: config.ConfigDict, arrays, target: int, inside: slice) -> list[list[Any]]:
    """The mixtures table's rows of 1-NN and label averaging (no training; absent from older runs)."""
    rows = []
    for name, label in (("nn1", "1-NN"), ("label_mean", "label averaging")):
        keys = [f"trivial/{name}/N{target}/{mix_key(w)}/{shift_key(0.0)}" for w in cfg.eval.mixtures]
        if all(k in arrays for k in keys):
            beyond = float(np.mean(arrays[keys[0]][cfg.task.n_points:]))
            rows.append([f"N={target}", label] + [round(float(np.mean(arrays[k][inside])), 3) for k in keys]
                        + [round(beyond, 3), "", ""])
    return rows


def _baseline_means(arrays: dict[str, np.ndarray], target: int, mean: float, n_train: int) -> tuple[float, float]:
    """The N-layer NN baseline's mean R² over 1 .. n_train − 1 examples: (best epoch, final epoch)."""
    base = arrays[f"baseline/N{target}/{shift_key(mean)}/per_epoch"]
    pos = arrays["baseline/positions"]
    sel = (pos >= 1) & (pos < n_train)
    return float(np.mean(base.max(0)[sel])), float(np.mean(base[-1][sel]))


def _param_shift_rows(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], inside: slice) -> list[list[Any]]:
    """Per weight mean μ: each attention's mean R² over ``inside`` and the NN's best epoch."""
    target, main = cfg.study.sweep_target_depth, cfg.model.n_layer
    return [[f"{mean:g}"] + [round(float(np.mean(curve(arrays, a, target, main, 1.0, mean)[:, inside])), 3)
                             for a in cfg.study.attentions]
            + [round(_baseline_means(arrays, target, mean, cfg.task.n_points)[0], 3)]
            for mean in cfg.eval.param_means]


def summarise(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Mean R² per test distribution and stage, the depth sweep, the parameter shifts (summary lines and
    README tables), from the saved R² curves."""
    n_train, main = cfg.task.n_points, cfg.model.n_layer
    inside = slice(1, n_train)                       # 1 .. n_train − 1 examples
    summary, rows = [], []
    for target in cfg.study.target_depths:
        best, final = _baseline_means(arrays, target, 0.0, n_train)
        for row in _trivial_rows(cfg, arrays, target, inside):
            rows.append(row)
            summary.append(f"N={target} {row[1]}: mean R² over 1..{n_train - 1} examples " + ", ".join(
                f"ω₁={w:g}: {v:.3f}" for w, v in zip(cfg.eval.mixtures, row[2:])) + f"; beyond: {row[-3]:.3f}")
        for attention in cfg.study.attentions:
            row = [f"N={target}", attention]
            for w in cfg.eval.mixtures:
                row.append(round(float(np.mean(curve(arrays, attention, target, main, w)[:, inside])), 3))
            beyond = float(np.mean(curve(arrays, attention, target, main)[:, n_train:]))
            row += [round(beyond, 3), round(best, 3), round(final, 3)]
            rows.append(row)
            summary.append(f"N={target} {attention:7s}: mean R² over 1..{n_train - 1} examples "
                           + ", ".join(f"ω₁={w:g}: {v:.3f}" for w, v in zip(cfg.eval.mixtures, row[2:]))
                           + f"; beyond {n_train - 1}: {beyond:.3f}; N-layer NN best-epoch {best:.3f}, "
                           f"final {final:.3f}")
    tables = {"mixtures": {
        "columns": ["target", "attention"] + [f"R² ω₁={w:g}" for w in cfg.eval.mixtures]
        + [f"R² ω₁=1, > {n_train - 1} ex.", "NN best epoch", "NN final epoch"], "rows": rows}}
    depths = sorted(set(cfg.study.sweep_depths) | {main})
    depth_rows = []
    for L in depths:
        row: list[Any] = [L]
        for attention in cfg.study.attentions:
            r2 = curve(arrays, attention, cfg.study.sweep_target_depth, L)
            row += [round(float(np.mean(r2[:, k])), 3) for k in cfg.eval.depth_ks]
        depth_rows.append(row)
    tables["depth_sweep"] = {"columns": ["depth"] + [f"{a} k={k}" for a in cfg.study.attentions
                                                     for k in cfg.eval.depth_ks], "rows": depth_rows}
    summary.append(f"depth sweep (target N={cfg.study.sweep_target_depth}, R² at k={list(cfg.eval.depth_ks)}): "
                   + "; ".join(f"L={r[0]}: {r[1:]}" for r in depth_rows))
    shift_rows = _param_shift_rows(cfg, arrays, inside)
    tables["param_shift"] = {"columns": ["weight mean μ"] + list(cfg.study.attentions) + ["NN best epoch"],
                             "rows": shift_rows}
    summary.append("parameter shift (mean R² over 1..%d examples): " % (n_train - 1)
                   + "; ".join(f"μ={r[0]}: {r[1:]}" for r in shift_rows))
    if "probe/grid/relu_gd" in arrays:
        tables["probe"] = probe_table(cfg, arrays)
        summary += [f"probe {r[0]} ({r[1]}): best GD step per layer {r[2]}; last layer's best SimE "
                    + ", ".join(f"{f} {v}" for f, v in zip(probe_candidates.FAMILIES, r[3:]))
                    for r in tables["probe"]["rows"]]
    return {"summary": summary, "tables": tables}


def probe_table(cfg: config.ConfigDict, arrays) -> dict[str, Any]:
    """Per main model, trained and untrained: the best-matching GD step per layer (seed median) and
    the last layer's best SimE with each candidate family (seed mean)."""
    steps, rows = arrays["probe/grid/relu_gd"], []
    for a in cfg.study.attentions:
        for t in cfg.study.target_depths:
            for net, label in (("tf", "trained"), ("init", "untrained")):
                heat = lambda f: np.asarray(arrays[f"probe/{net}/{a}/N{t}/sime_{f}"], np.float64)
                best = probes.best_steps(heat("relu_gd"), steps)["best"]
                rows.append([f"{a} N={t}", label, [float(v) for v in np.median(best, axis=0)]]
                            + [round(float(heat(f)[:, :, -1].max(axis=1).mean()), 3)
                               for f in probe_candidates.FAMILIES])
    return {"columns": ["model", "network", "best GD step per layer"]
            + [f"SimE {f}" for f in probe_candidates.FAMILIES], "rows": rows}

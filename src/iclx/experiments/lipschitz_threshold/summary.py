"""The summary lines and the README tables of a Lipschitz-threshold run, computed from its arrays and
lane labels (no training here). ``steps_below`` is shared with the claims, ``lane_means`` with the plots."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from iclx import config
from iclx.engine.lanes import select_lanes
from iclx.framework.experiment import runs_stage
from iclx.experiments.lipschitz_threshold.task import dynamics_combo, table_tag, theory_combos

Labels = Sequence[Mapping[str, Any]]


def attention_maps(cfg: config.ConfigDict, scalars: dict[str, Any],
                   arrays: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """``{"<point>/<family>": {mse_model, mse_uniform, mse_oracle}}`` of the saved attention maps,
    each the mean over the seeds' final Q."""
    return {f"{i}/{family}": {k: float(np.mean(arrays[f"maps/{i}/{family}/{k}"]))
                              for k in ("mse_model", "mse_uniform", "mse_oracle")}
            for i in range(len(scalars["dynamics_points"])) for family in cfg.eval.families}


def summary_lines(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
                  maps: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"threshold (η_flat = {cfg.theory.eta_flat:g}; L* solves η_flat·β(L*) = 1):"]
    for features, scaling, rho in theory_combos(cfg):
        tab = scalars["theory"][table_tag(features, scaling, rho)]
        lines.append(f"  {features} ρ={rho:<4g} {scaling:9s} L* = {tab['L_star']:.4g}  "
                     f"Δ = {tab['margin']:.3g}  δ = {tab['delta']:.3g}  c = L*·Δ·δ = {tab['c']:.3g}"
                     f"  L_sat = {tab['L_sat']:.3g}")
    if runs_stage(cfg, "sweep"):
        lines += sweep_lines(cfg, scalars, arrays)
    if maps:
        lines.append("final Q on unseen functions: MSE model / uniform / oracle (noise σ = "
                     f"{cfg.eval.noise_std:g}):")
    for key, m in maps.items():
        p = scalars["dynamics_points"][int(key.split("/")[0])]
        lines.append(f"  {p['regime']:5s} L={p['L']:.3g} {key.split('/')[1]:6s} {m['mse_model']:.3g} / "
                     f"{m['mse_uniform']:.3g} / {m['mse_oracle']:.3g}")
    return lines


def sweep_lines(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[str]:
    """Steps to the smallest relative ε per L (theory rule, mean over seeds), per scaling and ρ; the
    lanes picked by their labels (``scalars["lanes"]["sweep"]``)."""
    lines = ["time to relative ε (steps), theory rule, mean over seeds:"]
    labels, eps = scalars["lanes"]["sweep"], cfg.sweep.eps_rel[-1]
    Tr = arrays[f"sweep/T_rel_{eps:g}"]
    for scaling in cfg.sweep.scalings:
        for r in cfg.sweep.rhos:
            Ls, vals, _ = lane_means(labels, Tr, rule="theory", scaling=scaling, rho=float(r))
            cells = " ".join(f"{x:g}:{v:.0f}" for x, v in zip(Ls, vals))
            lines.append(f"  {scaling} ρ={r:g} ε_rel={eps:g}  {cells}")
    return lines


def summarise(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The summary lines, the final attention's errors (``maps``) and the README tables."""
    maps = attention_maps(cfg, scalars, arrays)
    derived = {**scalars, "maps": maps}
    return {"summary": summary_lines(cfg, scalars, arrays, maps), "maps": maps,
            "tables": tables(cfg, derived, arrays, scalars["lanes"])}


# --------------------------------------------------------------------------- helpers (also for claims)


def steps_below(steps: np.ndarray, above: np.ndarray) -> np.ndarray:
    """GD steps spent while a condition holds, per column of ``above [T, ...]`` (per logged window:
    the condition, or the fraction of the window's steps where it held): Σ over windows of
    ``above`` × the window's length; the first hitting time for a monotone curve. ``steps [T]``."""
    widths = np.diff(np.concatenate([[0], steps]))
    return np.sum(above * widths.reshape((-1,) + (1,) * (above.ndim - 1)), axis=0)


def lane_means(labels: Labels, values: np.ndarray, key: str = "L",
               **criteria: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the lanes matching ``criteria``: the distinct values of label ``key`` (sorted), the mean
    of ``values [lanes]`` over the lanes (seeds) of each, and the largest such value."""
    idx = select_lanes(labels, **criteria)
    keys = np.array([float(labels[i][key]) for i in idx])
    xs = np.unique(keys)
    mean = np.array([values[idx[keys == x]].mean() for x in xs])
    top = np.array([values[idx[keys == x]].max() for x in xs])
    return xs, mean, top


# --------------------------------------------------------------------------- README tables


def _g(value: float, digits: int = 3) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def theory_table(cfg: config.ConfigDict, scalars: dict[str, Any]) -> dict[str, Any]:
    rows = []
    dyn = dynamics_combo(cfg)
    combos = {(cfg.task.features, s, float(r)) for s in cfg.sweep.scalings for r in cfg.sweep.rhos}
    for combo in theory_combos(cfg):
        t = scalars["theory"][table_tag(*combo)]
        stage = " + ".join(s for s, used in (("sweep", combo in combos), ("dynamics", combo == dyn))
                           if used)
        rows.append([combo[0], f"{combo[2]:g}", combo[1], stage,
                     _g(t["L_star"]) if math.isfinite(t["L_star"]) else "none (η_flat·β < 1)",
                     _g(t["margin"]), _g(t["delta"]), _g(t["c"]), _g(t["L_sat"])])
    return {"columns": ["features", "ρ", "scaling", "stage", "L*", "Δ", "δ", "c = L*Δδ", "L_sat"],
            "rows": rows}


def dynamics_table(scalars: dict[str, Any], arrays: dict[str, np.ndarray],
                   labels: Labels) -> dict[str, Any]:
    """Per dynamics point (column), mean over seeds: steps until the target attention reaches ½, the
    target attention at logged decades and the end, the final relative loss, and the attention of
    feature-0 queries on the feature that draws the most of it (start → peak → end)."""
    points, steps = scalars["dynamics_points"], arrays["dynamics/step"]
    get = lambda name, idx: arrays[f"dynamics/{name}"][:, idx].mean(axis=1)      # [T]
    marks = [s for s in (10, 100, 1000, 10_000, 100_000) if s < steps[-1]] + [int(steps[-1])]
    K = 1 + sum(1 for k in arrays if k.startswith("dynamics/attn_q0_k"))
    columns = [""] + [f"{p['regime']}: L = {p['L']:.3g}, η = {p['lr']:.3g}" for p in points]
    rows: list[list[str]] = [["GD steps until the target attention reaches ½"],
                             *[[f"target attention at step {s}"] for s in marks],
                             [f"loss / loss(Q=0) at step {int(steps[-1])}"],
                             ["query of feature 0 → its most attended other feature k: start → "
                              "peak (step) → end"],
                             ["… → every other feature at the end"]]
    for p in points:
        idx = select_lanes(labels, L=p["L"])
        attn = get("attn_target", idx)
        rows[0].append(f"{steps_below(steps, attn < 0.5):.0f}")
        for r, s in enumerate(marks, start=1):
            rows[r].append(f"{attn[np.searchsorted(steps, s)]:.3g}")
        rows[len(marks) + 1].append(f"{get('rel_loss', idx)[-1]:.2g}")
        q0 = np.stack([get(f"attn_q0_k{k}", idx) for k in range(1, K)], axis=1)    # [T, K-1]
        k = int(np.argmax(q0.max(axis=0)))
        t = int(np.argmax(q0[:, k]))
        rows[len(marks) + 2].append(f"k = {k + 1}: {q0[0, k]:.3g} → {q0[t, k]:.3g} (step "
                                    f"{int(steps[t])}) → {q0[-1, k]:.2g}")
        rows[len(marks) + 3].append(", ".join(f"{v:.2g}" for v in q0[-1]))
    return {"columns": columns, "rows": rows}


def sweep_table(cfg: config.ConfigDict, arrays: dict[str, np.ndarray], labels: Labels) -> dict[str, Any]:
    """GD steps to ε (mean over seeds; ▲ = some seed did not reach it) per L, for every rule,
    scaling, ρ, ε kind and ε."""
    steps = cfg.sweep.train.steps
    Ls = sorted({float(label["L"]) for label in labels})
    rows = []
    for rule in cfg.sweep.rules:
        for scaling in cfg.sweep.scalings:
            for rho in cfg.sweep.rhos:
                for kind in ("rel", "abs"):
                    for e in getattr(cfg.sweep, f"eps_{kind}"):
                        xs, mean, top = lane_means(labels, arrays[f"sweep/T_{kind}_{e:g}"],
                                                   rule=rule, scaling=scaling, rho=float(rho))
                        if len(xs) == 0:
                            continue
                        cells = {x: ("▲" if t >= steps else f"{m:.0f}")
                                 for x, m, t in zip(xs, mean, top)}
                        name = "relative" if kind == "rel" else "absolute"
                        rows.append([f"{rule} η, {scaling}, ρ = {float(rho):g}, {name} ε = {e:g}",
                                     *[cells.get(x, "= theory" if rule == "common" else "")
                                       for x in Ls]])
    return {"columns": ["rule, scaling, ρ, ε \\ L", *[f"{x:g}" for x in Ls]], "rows": rows}


def maps_table(cfg: config.ConfigDict, scalars: dict[str, Any],
               arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    rows = []
    for i, p in enumerate(scalars["dynamics_points"]):
        for family in cfg.eval.families:
            m = scalars["maps"][f"{i}/{family}"]
            own = float(np.mean(np.diagonal(arrays[f"maps/{i}/{family}/matrix"], axis1=-2, axis2=-1)))
            rows.append([p["regime"], f"{p['L']:.3g}", family, f"{own:.3f}", _g(m["mse_model"]),
                         _g(m["mse_uniform"]), _g(m["mse_oracle"]),
                         _g(m["mse_model"] / m["mse_uniform"]), _g(m["mse_model"] / m["mse_oracle"])])
    return {"columns": ["regime", "L", "family", "attention on own feature", "MSE model",
                        "MSE uniform (Q = 0)", "MSE same-feature oracle", "model / uniform",
                        "model / oracle"], "rows": rows}


def tables(cfg: config.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
           labels: Mapping[str, Labels]) -> dict[str, Any]:
    out = {"theory": theory_table(cfg, scalars)}
    if runs_stage(cfg, "sweep"):
        out["sweep"] = sweep_table(cfg, arrays, labels["sweep"])
    if scalars["dynamics_points"]:          # a run without a threshold on the grid has no dynamics
        out["dynamics"] = dynamics_table(scalars, arrays, labels["dynamics"])
        out["attention_maps"] = maps_table(cfg, scalars, arrays)
    return out

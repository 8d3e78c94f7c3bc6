"""Read saved results: curves by lane label, ICL errors, the summary lines and tables.

``arrays[stage]`` is ``[lanes, S, 3]``: per-source test MSE of (MLP, equivalent, linear). The ICL
error is the uniform mean over sources (the paper's eq. 8). Used by run (summary), plots and claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from iclx.results import select_lanes

MODELS = ("mlp", "equivalent", "linear")
MODEL_INDEX = {m: i for i, m in enumerate(MODELS)}
TARGET_ERR = "ICL error"


def curve(lanes: Mapping[str, Sequence[Mapping[str, Any]]], arrays: Mapping[str, np.ndarray],
          stage: str, x_key: str, **criteria: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x [P]`` (sorted distinct values of ``x_key`` among matching lanes) and errors
    ``[seeds, P, S, 3]`` (lanes picked by label)."""
    labels = lanes[stage]
    idx = select_lanes(labels, **criteria)
    xs = np.array(sorted({float(labels[i][x_key]) for i in idx}))
    seeds = sorted({int(labels[i]["seed"]) for i in idx})
    data = np.asarray(arrays[stage])
    out = np.full((len(seeds), len(xs), *data.shape[1:]), np.nan)
    for i in idx:
        out[seeds.index(int(labels[i]["seed"])), int(np.argmin(np.abs(xs - float(labels[i][x_key]))))] = data[i]
    return xs, out


def icl(errors: np.ndarray, model: str, source: int | None = None) -> np.ndarray:
    """``[seeds, P]`` ICL error of ``model`` (uniform over sources) or the error on ``source``."""
    e = errors[..., MODEL_INDEX[model]]
    return e.mean(axis=-1) if source is None else e[..., source]


def curve_values(lanes, stage: str) -> list[float]:
    return sorted({float(label["curve"]) for label in lanes[stage]})


def relative_gaps(lanes, arrays, stages: Sequence[str]) -> np.ndarray:
    """|mean MLP − mean equivalent| / mean MLP at every sweep point of ``stages``."""
    gaps = []
    for stage in stages:
        data = np.asarray(arrays[stage]).mean(axis=1)             # [L, 3]
        keys = [tuple(sorted((k, v) for k, v in lab.items() if k != "seed")) for lab in lanes[stage]]
        for key in dict.fromkeys(keys):
            sel = [i for i, k in enumerate(keys) if k == key]
            m, e = data[sel, 0].mean(), data[sel, 1].mean()
            gaps.append(abs(m - e) / m)
    return np.asarray(gaps)


DIM_AXES = {"n": "n_ratio", "ell": "ell_ratio", "k": "k_ratio"}
MIX_PANELS = {"mix_x": "θ_x/√d", "mix_xi": "θ_ξ/d", "mix_noise": "Δ₁"}
ETA_PANELS = {"eta_x": "input spike", "eta_xi": "task spike", "real": "real data"}


def summarise(cfg, lanes, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """``summary`` lines and ``tables`` (README) from the saved errors."""
    lines, tables = [], {}
    dim_stages = [s for s in arrays if s.startswith("dims_")]
    if dim_stages:
        rows = []
        for stage in dim_stages:
            _, act, axis = stage.split("_", 2)
            x, err = curve(lanes, arrays, stage, DIM_AXES[axis])
            means = {m: np.nanmean(icl(err, m), axis=0) for m in MODELS}
            for j, v in enumerate(x):
                rows.append([act, DIM_AXES[axis], f"{v:g}", *(f"{means[m][j]:.4g}" for m in MODELS)])
            wins = int(np.sum(means["mlp"] < means["linear"]))
            lines.append(f"Fig 1 {act} sweep {DIM_AXES[axis]}: MLP < linear at {wins}/{len(x)} points; "
                         f"MLP error {means['mlp'].min():.4g}–{means['mlp'].max():.4g}, "
                         f"linear {means['linear'].min():.4g}–{means['linear'].max():.4g}")
        tables["dimensions"] = {"columns": ["activation", "sweep", "value", "MLP", "equivalent",
                                            "linear"], "rows": rows}
    for group in (MIX_PANELS, ETA_PANELS):
        rows = []
        for stage, what in group.items():
            if stage not in arrays:
                continue
            for c in curve_values(lanes, stage):
                x, err = curve(lanes, arrays, stage, "rho", curve=c)
                m, e, lin = (np.nanmean(icl(err, k), axis=0) for k in MODELS)
                rows.append([stage, what, f"{c:g}", f"{m[0]:.4g}", f"{m[-1]:.4g}", f"{e[0]:.4g}",
                             f"{e[-1]:.4g}", f"{lin[0]:.4g}", f"{lin[-1]:.4g}"])
                lines.append(f"{stage} {what}={c:g}: MLP ICL error {m[0]:.4g} (ρ={x[0]:g}) → "
                             f"{m[-1]:.4g} (ρ={x[-1]:g}); equivalent {e[0]:.4g} → {e[-1]:.4g}")
        if rows:
            name = "mixing" if group is MIX_PANELS else "eta"
            tables[name] = {"columns": ["stage", "curve", "value", "MLP ρ=min", "MLP ρ=max",
                                        "equiv. ρ=min", "equiv. ρ=max", "linear ρ=min",
                                        "linear ρ=max"], "rows": rows}
    synthetic = [s for s in arrays if s != "real"]
    if synthetic:
        gaps = relative_gaps(lanes, arrays, synthetic)
        lines.append(f"MLP vs equivalent (synthetic): median relative gap {np.median(gaps):.3g}, "
                     f"90th percentile {np.percentile(gaps, 90):.3g}, max {gaps.max():.3g} "
                     f"over {len(gaps)} sweep points")
    if "real" in arrays:
        gaps = relative_gaps(lanes, arrays, ["real"])
        lines.append(f"MLP vs equivalent (real data): median relative gap {np.median(gaps):.3g}, "
                     f"max {gaps.max():.3g}")
    return {"summary": lines, "tables": tables}

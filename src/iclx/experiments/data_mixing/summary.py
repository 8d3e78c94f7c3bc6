"""The summary lines and README tables of a data-mixing run, from its saved errors and lane labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from iclx.experiments.data_mixing.curves import (
    DIM_AXES,
    ETA_PANELS,
    MIX_PANELS,
    MODELS,
    curve,
    curve_values,
    has_zero,
    icl,
    point_errors,
    relative_gaps,
)


def summarise(cfg, scalars: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """``summary`` lines and ``tables`` (README) from the saved errors and lane labels."""
    lanes = scalars["lanes"]
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
    lines += zero_lines(lanes, arrays)
    synthetic = [s for s in arrays if s != "real"]
    scale = cfg.model.get("equivalent_scale", "unit")
    if synthetic:
        gaps = relative_gaps(lanes, arrays, synthetic)
        lines.append(f"MLP vs equivalent at the {scale} scale (synthetic): median relative gap "
                     f"{np.median(gaps):.3g}, 90th percentile {np.percentile(gaps, 90):.3g}, "
                     f"max {gaps.max():.3g} "
                     f"over {len(gaps)} sweep points")
    if "real" in arrays:
        gaps = relative_gaps(lanes, arrays, ["real"])
        lines.append(f"MLP vs equivalent at the {scale} scale (real data): median relative gap "
                     f"{np.median(gaps):.3g}, max {gaps.max():.3g}")
    return {"summary": lines, "tables": tables}


def zero_lines(lanes, arrays) -> list[str]:
    """Per stage: the zero predictor's mean ICL error and at how many points the MLP is below it
    (runs saved with the zero predictor's column only)."""
    lines = []
    for stage in arrays:
        if not has_zero(arrays[stage]):
            continue
        m = np.nanmean(point_errors(lanes, arrays, [stage]), axis=0)        # [P, 4]
        lines.append(f"{stage}: zero predictor's ICL error {m[:, 3].min():.4g}–{m[:, 3].max():.4g}; "
                     f"MLP below it at {int(np.sum(m[:, 0] < m[:, 3]))}/{len(m)} points")
    return lines

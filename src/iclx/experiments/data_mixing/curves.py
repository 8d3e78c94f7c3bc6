"""Read saved results: curves by lane label, ICL errors, relative gaps.

``arrays[stage]`` is ``[lanes, S, 3]``: per-source test MSE of (MLP, equivalent, linear). The ICL
error is the uniform mean over sources (the paper's eq. 8). Used by run (summary), plots and claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from iclx.engine.lanes import select_lanes

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


def point_errors(lanes, arrays, stages: Sequence[str]) -> np.ndarray:
    """ICL errors ``[runs, points, 3]`` (MLP, equivalent, linear; uniform over sources) at every sweep
    point of ``stages`` (a point: a distinct label without its seed), Monte Carlo runs on axis 0
    (runs are paired across points: a seed draws the same world, F and contexts at every point)."""
    columns = []
    for stage in stages:
        data = np.asarray(arrays[stage]).mean(axis=1)             # [L, 3]
        labels = lanes[stage]
        keys = [tuple(sorted((k, v) for k, v in lab.items() if k != "seed")) for lab in labels]
        seeds = sorted({int(lab["seed"]) for lab in labels})
        for key in dict.fromkeys(keys):
            col = np.full((len(seeds), data.shape[1]), np.nan)
            for i in (i for i, k in enumerate(keys) if k == key):
                col[seeds.index(int(labels[i]["seed"]))] = data[i]
            columns.append(col)
    return np.stack(columns, axis=1)


def relative_gaps(lanes, arrays, stages: Sequence[str]) -> np.ndarray:
    """|mean MLP − mean equivalent| / mean MLP at every sweep point of ``stages``: ``[points]``."""
    return gaps_of_means(point_errors(lanes, arrays, stages))


def gaps_of_means(errors: np.ndarray) -> np.ndarray:
    """``errors [runs, points, 3]`` → |mean MLP − mean equivalent| / mean MLP per point (means over
    the runs)."""
    means = np.nanmean(errors, axis=0)
    return np.abs(means[:, 0] - means[:, 1]) / means[:, 0]


DIM_AXES = {"n": "n_ratio", "ell": "ell_ratio", "k": "k_ratio"}
MIX_PANELS = {"mix_x": "θ_x/√d", "mix_xi": "θ_ξ/d", "mix_noise": "Δ₁"}
ETA_PANELS = {"eta_x": "input spike", "eta_xi": "task spike", "real": "real data"}

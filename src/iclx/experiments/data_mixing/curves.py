"""Read saved results: curves by lane label, ICL errors, relative gaps, the zero predictor.

``arrays[stage]`` is ``[lanes, S, 4]``: per-source test MSE of (MLP, equivalent, linear, zero
predictor); runs saved before the zero predictor was added have ``[lanes, S, 3]``. The ICL error is
the uniform mean over sources (the paper's eq. 8). Used by run (summary), plots and claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from iclx.engine.lanes import select_lanes

MODELS = ("mlp", "equivalent", "linear")
MODEL_INDEX = {"mlp": 0, "equivalent": 1, "linear": 2, "zero": 3}
TARGET_ERR = "ICL error"
# every real-data loader (multilingual.read_corpus, synthetic_embeddings) gives labels ±1, so the
# zero predictor's squared error is 1 on every test context of those runs
PLUS_MINUS_ONE_LABELS = 1.0


def curve(lanes: Mapping[str, Sequence[Mapping[str, Any]]], arrays: Mapping[str, np.ndarray],
          stage: str, x_key: str, **criteria: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x [P]`` (sorted distinct values of ``x_key`` among matching lanes) and errors
    ``[seeds, P, S, M]`` (lanes picked by label)."""
    labels = lanes[stage]
    idx = select_lanes(labels, **criteria)
    xs = np.array(sorted({float(labels[i][x_key]) for i in idx}))
    seeds = sorted({int(labels[i]["seed"]) for i in idx})
    data = np.asarray(arrays[stage])
    out = np.full((len(seeds), len(xs), *data.shape[1:]), np.nan)
    for i in idx:
        out[seeds.index(int(labels[i]["seed"])), int(np.argmin(np.abs(xs - float(labels[i][x_key]))))] = data[i]
    return xs, out


def grid(lanes, arrays, stage: str, x_key: str = "rho") -> tuple[list[float], np.ndarray, np.ndarray]:
    """Every curve of ``stage`` along ``x_key``: (curve values [C], x [P], errors
    ``[seeds, C, P, S, M]``); the curves share their x values."""
    values = curve_values(lanes, stage)
    parts = [curve(lanes, arrays, stage, x_key, curve=v) for v in values]
    return values, parts[0][0], np.stack([err for _, err in parts], axis=1)


def icl(errors: np.ndarray, model: str, source: int | None = None) -> np.ndarray:
    """``[seeds, P]`` ICL error of ``model`` (uniform over sources) or the error on ``source``."""
    e = errors[..., MODEL_INDEX[model]]
    return e.mean(axis=-1) if source is None else e[..., source]


def has_zero(errors: np.ndarray) -> bool:
    """Whether saved errors carry the zero predictor's column."""
    return np.asarray(errors).shape[-1] > MODEL_INDEX["zero"]


def with_zero(errors: np.ndarray, real: bool) -> np.ndarray | None:
    """``errors [..., M]`` with the zero predictor's column: saved, or for a real-data stage saved
    without it the known 1 of ±1 labels; None when a synthetic run did not save it."""
    errors = np.asarray(errors, dtype=float)
    if has_zero(errors):
        return errors
    if not real:
        return None
    return np.concatenate([errors, np.full((*errors.shape[:-1], 1), PLUS_MINUS_ONE_LABELS)], axis=-1)


def curve_values(lanes, stage: str) -> list[float]:
    return sorted({float(label["curve"]) for label in lanes[stage]})


def point_errors(lanes, arrays, stages: Sequence[str], source: int | None = None) -> np.ndarray:
    """Errors ``[runs, points, M]`` (uniform over sources, or on ``source``) at every sweep point of
    ``stages`` (a point: a distinct label without its seed), Monte Carlo runs on axis 0 (runs are
    paired across points: a seed draws the same world, F and contexts at every point)."""
    columns = []
    for stage in stages:
        data = np.asarray(arrays[stage])
        data = data.mean(axis=1) if source is None else data[:, source]          # [L, M]
        labels = lanes[stage]
        keys = [tuple(sorted((k, v) for k, v in lab.items() if k != "seed")) for lab in labels]
        seeds = sorted({int(lab["seed"]) for lab in labels})
        for key in dict.fromkeys(keys):
            col = np.full((len(seeds), data.shape[1]), np.nan)
            for i in (i for i, k in enumerate(keys) if k == key):
                col[seeds.index(int(labels[i]["seed"]))] = data[i]
            columns.append(col)
    width = min(c.shape[1] for c in columns)
    return np.stack([c[:, :width] for c in columns], axis=1)


def relative_gaps(lanes, arrays, stages: Sequence[str]) -> np.ndarray:
    """|mean MLP − mean equivalent| / mean MLP at every sweep point of ``stages``: ``[points]``."""
    return gaps_of_means(point_errors(lanes, arrays, stages))


def gaps_of_means(errors: np.ndarray, other: int = 1) -> np.ndarray:
    """``errors [runs, points, M]`` → |mean MLP − mean model ``other``| / mean MLP per point (means
    over the runs); ``other`` = 1 the equivalent, 2 the linear model."""
    means = np.nanmean(errors, axis=0)
    return np.abs(means[:, 0] - means[:, other]) / means[:, 0]


DIM_AXES = {"n": "n_ratio", "ell": "ell_ratio", "k": "k_ratio"}
MIX_PANELS = {"mix_x": "θ_x/√d", "mix_xi": "θ_ξ/d", "mix_noise": "Δ₁"}
ETA_PANELS = {"eta_x": "input spike", "eta_xi": "task spike", "real": "real data"}

"""The statistics behind the data-mixing claims, on arrays with the Monte Carlo runs on axis 0, and
the learning gate (a model must beat the zero predictor before a claim about it gets a verdict).

Every function here is pure numpy on the arrays a check passes it; thresholds are stated once, here.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from iclx.framework import claims
from iclx.framework.claims import Measured, NotEvaluable

EQUIV_TOL = 0.10       # "matches": |MLP − equivalent| / MLP ≤ 10% at 90% of the sweep points
GAIN_LARGE = 0.20      # "large gains": ≥ 20% lower error at the best η > 0 than at η = 0
GAIN_NONE = 0.05       # "does not reduce": < 5% lower at every η > 0
PEAK_MARGIN = 1.10     # double descent: an interior peak > 10% above the error at a larger value
ELL_RISE = 1.05        # "decreases in ℓ": no rise > 5% from one ℓ to the next
LEARN_MARGIN = 0.0     # learned: the zero predictor's error minus the model's, whole intervals, > 0
RUNS = "Monte Carlo runs"


def mean(e: np.ndarray) -> np.ndarray:
    """Mean over the runs (axis 0), NaN-aware."""
    return np.nanmean(e, axis=0)


def q90_gap(errors: np.ndarray, other: int = 1) -> float:
    """90th percentile over points of |mean MLP − mean model ``other``| / mean MLP:
    ``errors [runs, P, M]``."""
    m = mean(errors)
    return float(np.percentile(np.abs(m[:, 0] - m[:, other]) / m[:, 0], 90))


def excess(errors: np.ndarray, model: int = 0, reference: int = 2) -> float:
    """Largest (mean ``model`` / mean ``reference``) − 1 over points: ``errors [runs, P, M]``."""
    m = mean(errors)
    return float(np.max(m[:, model] / m[:, reference]) - 1.0)


def peak_ratio(m: np.ndarray) -> float:
    """max over interior points i of m_i / max(m_{i−1}, 1.1 · min_{j>i} m_j) for a curve of means
    ``m [P]``: > 1 exactly when some interior point rises from its left neighbour to > 10% above the
    error at a larger value."""
    return max(m[i] / max(m[i - 1], PEAK_MARGIN * m[i + 1:].min()) for i in range(1, len(m) - 1))


def curve_peak(e: np.ndarray) -> float:
    """``peak_ratio`` of the run-mean of a curve ``e [runs, P]``."""
    return float(peak_ratio(mean(e)))


def largest_rise(e: np.ndarray) -> float:
    """Largest ratio of consecutive run-means of ``e [runs, P]``."""
    m = mean(e)
    return float(np.max(m[1:] / m[:-1]))


def last_over_first(e: np.ndarray) -> float:
    m = mean(e)
    return float(m[-1] / m[0])


def drop(e: np.ndarray) -> float:
    """1 − mean e[:, −1] / mean e[:, 0] for a curve ``e [runs, P]`` (> 0: the error falls)."""
    return 1.0 - last_over_first(e)


def ordering(e: np.ndarray) -> float:
    """Smallest relative drop between consecutive curves ``e [runs, C]`` listed from the lowest to
    the highest quality (> 0: the error falls with every step up in quality)."""
    m = mean(e)
    return float(np.min(1.0 - m[1:] / m[:-1]))


def best_gain(e: np.ndarray) -> float:
    """Best relative drop of any η > 0 against η = 0 at one cell: ``e [runs, C]``, curve 0 is η = 0."""
    m = mean(e)
    return float(np.max(1.0 - m[1:] / m[0]))


def gain_growth(e: np.ndarray) -> float:
    """``best_gain`` at the last ρ minus at the first: ``e [runs, C(η), P(ρ)]``."""
    return best_gain(e[:, :, -1]) - best_gain(e[:, :, 0])


def trend_gap(mlp: np.ndarray, other: np.ndarray) -> float:
    """Largest |drop(MLP) − drop(other)| over cells: ``mlp``, ``other`` ``[runs, K, P]`` (a cell: a
    panel, curve and source; P the ρ values)."""
    return float(max(abs(drop(mlp[:, j]) - drop(other[:, j])) for j in range(mlp.shape[1])))


# --------------------------------------------------------------------------- the learning gate


def learned(errors: np.ndarray | None, what: str) -> str:
    """Raise ``NotEvaluable`` unless the MLP's mean error over ``errors [runs, P, 4]`` (its column 0;
    column 3 the zero predictor) is below the zero predictor's, whole intervals apart (``LEARN_MARGIN``).
    Returns a note for the detail: "" or, without a zero column (None), that learning was not checked."""
    if errors is None:
        return " (learning not checked: this run predates the zero predictor's column)"
    model = claims.estimate(lambda e: float(np.nanmean(e[..., 0])), errors, axis=RUNS)
    zero = claims.estimate(lambda e: float(np.nanmean(e[..., 3])), errors, axis=RUNS)
    claims.require_learned(model, zero, "the zero predictor", LEARN_MARGIN, higher_is_better=False,
                           what=f"mean MLP error {what}")
    return ""


def gated(measured: Measured, errors: np.ndarray | None, what: str) -> Measured:
    """``measured`` once the MLP has learned (``learned``); otherwise ``NotEvaluable`` whose reason
    also says what the test would have given, carrying ``measured``'s control."""
    try:
        note = learned(errors, what)
    except NotEvaluable as reason:
        would = measured.estimate.text() if measured.estimate else str(measured.value)
        raise NotEvaluable(f"{reason}; the test would give {would} ({measured.verdict})",
                           measured.control) from None
    return dataclasses.replace(measured, detail=measured.detail + note)

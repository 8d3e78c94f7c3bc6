"""Intervals over replicates, shared by the claims (``iclx.framework.claims``) and the figures' bands
(``iclx.framework.plotting``).

A run's replicates (seeds of trained models, Monte Carlo runs of closed-form experiments) sit on
axis 0 of every array a statistic is computed from. ``estimate(statistic, *samples)`` gives the
statistic of all replicates and its 95% interval, value ± t₀.₉₇₅,R−1 · SE with SE the delete-one
jackknife standard error: for a mean this is exactly the Student-t interval of the mean
(``mean_of``, and per point ``mean_band``), for a smooth function of means (a ratio, a slope of log
means) the jackknife's first-order interval. ``exact(value)`` marks a number without replicate noise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

MIN_BAND_REPLICATES = 5     # fewer: figures draw each replicate as a thin line instead of a band


def t_quantile_975(df: int) -> float:
    """Two-sided 95% Student-t quantile t₀.₉₇₅ with ``df`` degrees of freedom."""
    return _T975[df - 1] if 1 <= df <= len(_T975) else 1.96 + 2.4 / df   # ≤ 3e-4 off beyond 30


_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A statistic's ``value`` and 95% interval ``[low, high]`` over ``replicates`` replicates of
    kind ``axis`` ("seeds", "Monte Carlo runs", …; "exact" for a closed form, whose interval is the
    value itself)."""

    value: float
    low: float
    high: float
    replicates: int
    axis: str

    def text(self, digits: int = 3) -> str:
        if self.axis == "exact" or self.low == self.high:
            return fmt(self.value, digits)
        return f"{fmt(self.value, digits)} [{fmt(self.low, digits)}, {fmt(self.high, digits)}]"


def jackknife(statistic: Callable[..., float], *samples: np.ndarray) -> tuple[float, float]:
    """(value, standard error): ``statistic(*samples)`` on all replicates and the delete-one
    jackknife standard error over the replicate axis (axis 0 of every sample)."""
    samples = tuple(np.asarray(s) for s in samples)
    n = samples[0].shape[0]
    if any(s.shape[0] != n for s in samples):
        raise ValueError(f"samples disagree on the number of replicates: {[s.shape[0] for s in samples]}")
    value = float(statistic(*samples))
    if n < 2:
        return value, math.nan
    keep = ~np.eye(n, dtype=bool)
    leave_one_out = np.array([float(statistic(*(s[keep[i]] for s in samples))) for i in range(n)])
    if np.all(leave_one_out == leave_one_out[0]):      # also ±inf on every subset: no spread
        return value, 0.0
    if not np.all(np.isfinite(leave_one_out)):
        return value, math.nan
    se = math.sqrt((n - 1) / n * float(np.sum((leave_one_out - leave_one_out.mean()) ** 2)))
    return value, se


def estimate(statistic: Callable[..., float], *samples: np.ndarray, axis: str = "seeds") -> Estimate:
    """``statistic(*samples)`` with its 95% interval over the replicates (axis 0 of every sample):
    value ± t₀.₉₇₅,R−1 × jackknife SE. With one replicate the interval is unbounded (no noise
    estimate: every test on it is undecided); a statistic that no left-out replicate moves (a
    censored time, +inf, on every subset) has no spread."""
    value, se = jackknife(statistic, *samples)
    n = np.asarray(samples[0]).shape[0]
    if math.isnan(value):
        return Estimate(value, math.nan, math.nan, n, axis)
    if n >= 2 and se == 0.0:
        return Estimate(value, value, value, n, axis)
    if n < 2 or not math.isfinite(se) or not math.isfinite(value):
        return Estimate(value, -math.inf, math.inf, n, axis)
    half = t_quantile_975(n - 1) * se
    return Estimate(value, value - half, value + half, n, axis)


def mean_of(values: np.ndarray, axis: str = "seeds") -> Estimate:
    """The mean of per-replicate ``values [R]`` with its Student-t 95% interval."""
    return estimate(np.mean, np.asarray(values, dtype=float), axis=axis)


def exact(value: float) -> Estimate:
    """A number without replicate noise (a closed form): its interval is the value."""
    return Estimate(float(value), float(value), float(value), 0, "exact")


def mean_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t 95% interval of the mean over axis 0 (replicates): ``[R, ...]`` → three
    ``[...]`` (the interval collapses to the mean with one replicate)."""
    values = np.asarray(values, dtype=np.float64)
    mean = values.mean(axis=0)
    n = values.shape[0]
    if n < 2:
        return mean, mean, mean
    half = t_quantile_975(n - 1) * values.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def fmt(value: float | str | None, digits: int = 3) -> str:
    """A measured value for tables: numbers to ``digits`` significant digits."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}g}"

"""A paper's claims as checks on our saved results.

Each experiment declares ``CLAIMS``: a tuple of ``Claim``. A claim names the paper's statement (one
line, with its figure or table), the paper's own number where it has one, the threshold we apply
(stated once, here, next to the claim) and a ``check(cfg, scalars, arrays) -> Measured`` that reads
only what a run saved: the config it ran with, results.json's scalars and arrays.npz. ``evaluate`` turns them into plain JSON
rows that go into results.json (``"claims"``) and that the report shows.

A claim applies at the presets in ``scales``; at another preset (``smoke``) it is evaluated all the
same but marked ``"applies": false``, so a smoke run can never count as evidence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Scalars = Mapping[str, Any]
Arrays = Mapping[str, np.ndarray]


class NotEvaluable(Exception):
    """Raised by a check whose run cannot speak to the claim (e.g. a contrast model that learned
    nothing): the row is then "not evaluable" (``holds: null``), never a pass or a fail."""


@dataclasses.dataclass(frozen=True)
class Measured:
    """What a check found: ``value`` (a number, or a short text such as a list of steps), whether
    the claim ``holds``, and a one-line ``detail`` (how it was measured)."""

    value: float | str
    holds: bool
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of a paper, checked on a run's saved results."""

    id: str                      # unique within the experiment, e.g. "newton-linear-in-layer"
    statement: str               # the paper's claim in one line
    source: str                  # where the paper shows it: "Fig. 3", "Table 1", "Thm 4.1"
    threshold: str               # the test we apply, in words (the numbers live in ``check``)
    check: Callable[[Any, Scalars, Arrays], Measured]   # (cfg, scalars, arrays)
    paper_value: str = ""        # the paper's own number, if it has one
    scales: tuple[str, ...] = ("cpu", "cpu-long", "paper")   # presets at which this claim is evidence


def evaluate(claims: Sequence[Claim], cfg: Any, scalars: Scalars, arrays: Arrays) -> list[dict[str, Any]]:
    """One JSON row per claim. A check that raises gives ``holds: null``, never a pass: with
    ``NotEvaluable`` the detail starts "not evaluable:" (the run cannot speak to the claim); any other
    error (a missing array, say) "could not evaluate:". ``cfg`` is the run's config; its ``preset``
    decides whether a claim ``applies``."""
    preset, rows = cfg.preset, []
    for claim in claims:
        try:
            measured = claim.check(cfg, scalars, arrays)
            value, holds, detail = _jsonable_value(measured.value), bool(measured.holds), measured.detail
        except NotEvaluable as reason:
            value, holds, detail = None, None, f"not evaluable: {reason}"
        except Exception as error:  # noqa: BLE001 — a broken check is reported, not fatal
            value, holds, detail = None, None, f"could not evaluate: {type(error).__name__}: {error}"
        rows.append({"id": claim.id, "statement": claim.statement, "source": claim.source,
                     "threshold": claim.threshold, "paper_value": claim.paper_value,
                     "value": value, "holds": holds, "detail": detail,
                     "scales": list(claim.scales), "applies": preset in claim.scales})
    return rows


def _jsonable_value(value: Any) -> float | str | None:
    if isinstance(value, str):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def fmt(value: float | str | None, digits: int = 3) -> str:
    """A measured value for tables: numbers to ``digits`` significant digits."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}g}"


# --------------------------------------------------------------------------- helpers for checks


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line through (x, y): (slope, intercept, R²)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual ** 2) / total) if total > 0 else (1.0 if np.allclose(residual, 0) else 0.0)
    return float(slope), float(intercept), r2

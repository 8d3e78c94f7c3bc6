"""Helpers of the claims' checks (``iclx.framework.claims`` re-exports them): a least-squares line, and the texts
of what a claim needs of its run's config (``Claim.requires``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def needs_values(values: Sequence[float], wanted: Sequence[float], path: str) -> list[str]:
    """A claim's need of ``wanted`` among a config list ``values`` (at ``path``): [] or its text."""
    missing = [w for w in wanted if not any(math.isclose(float(v), w) for v in values)]
    return [f"{' and '.join(f'{w:g}' for w in missing)} among {path} "
            f"(has {', '.join(f'{float(v):g}' for v in values) or 'none'})"] if missing else []


def needs_count(values: Sequence[Any], count: int, path: str, what: str = "distinct values") -> list[str]:
    """A claim's need of at least ``count`` distinct entries in ``values`` (at ``path``): [] or its text."""
    have = len(set(values))
    return [] if have >= count else [f"at least {count} {what} of {path} (has {have})"]


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line through (x, y): (slope, intercept, R²)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual ** 2) / total) if total > 0 else (1.0 if np.allclose(residual, 0) else 0.0)
    return float(slope), float(intercept), r2

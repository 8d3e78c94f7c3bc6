"""Stored claim rows (``results.json``'s ``claims``) read back as text: the verdict counts, a row's
value with its interval, and its control — what the report shows beside each claim."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from iclx.framework.claims import NOT_EVALUABLE, VERDICTS
from iclx.framework.stats import fmt


def verdict_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many rows hold, fail, are undecided and are not evaluable."""
    return {v: sum(1 for r in rows if r.get("verdict") == v) for v in (*VERDICTS, NOT_EVALUABLE)}


def control_text(row: Mapping[str, Any], digits: int = 3) -> str:
    """A row's control, e.g. "control (least squares): −0.004 [−0.01, 0.002], fails"; "" if none."""
    control = row.get("control")
    if not control:
        return ""
    return f"control ({control['label']}): {interval_text(control, digits)}, {control['verdict']}"


def interval_text(row: Mapping[str, Any], digits: int = 3) -> str:
    """A claim row's value with its 95% interval and replicates, e.g. "0.065 [0.051, 0.079] (3 seeds)"."""
    value = fmt(row.get("value"), digits)
    interval = row.get("interval")
    if interval is None or row.get("value") is None or isinstance(row.get("value"), str):
        return value
    lo, hi = ("−∞" if interval[0] is None else fmt(interval[0], digits),
              "∞" if interval[1] is None else fmt(interval[1], digits))
    n, axis = row.get("replicates"), row.get("replicate_axis") or "replicates"
    return f"{value} [{lo}, {hi}] ({n} {axis})"

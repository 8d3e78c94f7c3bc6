"""A paper's claims as checks on our saved results, each with its 95% interval and a verdict.

Each experiment declares ``CLAIMS``: a tuple of ``Claim``. A claim names the paper's statement (one
line, with its figure or table), the paper's own number where it has one, the test we apply (stated
once, next to the claim) and a ``check(cfg, scalars, arrays) -> Measured`` that reads only what a run
saved: the config it ran with, results.json's scalars and arrays.npz. ``evaluate`` turns them into
plain JSON rows that go into results.json (``"claims"``) and that the report shows.

**One way to get an interval.** A check computes the claim's own statistic from the run's independent
replicates (seeds of trained models, Monte Carlo runs of closed-form experiments, resampled prompt
banks), each array carrying the replicate axis first, and calls ``estimate(statistic, *samples,
axis=...)`` (``iclx.framework.stats``): the value is the statistic of all replicates; its 95% interval is
value ± t₀.₉₇₅,R−1 · SE, with SE the delete-one jackknife standard error over the R replicates. For a
mean this is exactly the Student-t interval of the mean (``mean_of``); for a smooth function of
means (a ratio, a slope of log means) it is the jackknife's first-order interval (coverage checked
in tests/test_stats.py). ``exact(value)`` marks a number with no replicate noise (a closed form).

**Three verdicts.** ``Test(op, threshold)`` compares the whole interval with the threshold:

- **holds**: the interval lies entirely on the claim's side;
- **fails**: it lies entirely on the other side;
- **undecided**: it straddles the threshold (more replicates may decide it).

A claim made of several conditions holds when each holds and fails when any fails (``all_of``).
A check that cannot speak to the claim raises ``NotEvaluable`` (a contrast model that learned
nothing): the row is "not evaluable", never a pass or a fail. So is a claim whose ``needs`` names a
stage the run left out (a run restricted to some stages by its config's ``stages``), or whose
``requires(cfg)`` names what the config lacks (ρ = 1 among the mixing ratios, two distinct depths).

**A control beside every claim.** A check attaches ``control``: the same test applied to a reference
that must not have the claimed property (least squares or the algorithm itself for a similarity
claim, label averaging / 1-NN / the untrained model for a learning claim, the unshifted or shuffled
case for a shift claim), made with ``with_control(measured, label, control_measured)``. The row
stores it (``"control": {"label", "value", "interval", "verdict"}``) and the report shows it beside
the value: a claim whose control passes too says nothing about the model. A trained model that its
task's trivial baselines match has not learned: ``require_learned`` raises ``NotEvaluable`` with the
model's and the baseline's values, so no verdict rests on such a model; ``gated(measure, gate)`` keeps
the control (and what the test would give) on such a row.

A claim applies at the presets in ``scales``; at another preset (``smoke``) it is evaluated all the
same but marked ``"applies": false``, so a smoke run can never count as evidence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from iclx.framework.claim_helpers import linear_fit, needs_count, needs_values  # noqa: F401 (the checks' API)
from iclx.framework.stats import Estimate, estimate, exact, fmt, mean_of  # noqa: F401 (the checks' API)

Scalars = Mapping[str, Any]
Arrays = Mapping[str, np.ndarray]
VERDICTS = ("holds", "fails", "undecided")
NOT_EVALUABLE = "not evaluable"


class NotEvaluable(Exception):
    """Raised by a check whose run cannot speak to the claim (e.g. a contrast model that learned
    nothing): the row is then "not evaluable", never a pass or a fail. ``control``: the control the
    claim's test still gives (the row keeps it), where the check could compute it."""

    def __init__(self, reason: str, control: "Control | None" = None):
        super().__init__(reason)
        self.control = control


# --------------------------------------------------------------------------- tests and verdicts


@dataclasses.dataclass(frozen=True)
class Test:
    """``value op threshold`` ("<", "<=", ">", ">="), or ``op="within"`` with ``threshold`` a
    (low, high) pair: the claim's side of its threshold."""

    op: str
    threshold: float | tuple[float, float]

    def satisfied_by(self, x: float) -> bool:
        if self.op == "within":
            return self.threshold[0] <= x <= self.threshold[1]
        t = float(self.threshold)
        return {"<": x < t, "<=": x <= t, ">": x > t, ">=": x >= t}[self.op]

    def verdict(self, est: Estimate) -> str:
        """holds / fails when the whole interval [low, high] is on one side; else undecided."""
        lo, hi = est.low, est.high
        if math.isnan(est.value) or math.isnan(lo) or math.isnan(hi):
            return "undecided"
        if self.satisfied_by(lo) and self.satisfied_by(hi):
            return "holds"
        if self.op == "within":     # fails only when the interval misses the band altogether
            return "fails" if hi < self.threshold[0] or lo > self.threshold[1] else "undecided"
        return "fails" if not (self.satisfied_by(lo) or self.satisfied_by(hi)) else "undecided"

    def text(self) -> str:
        if self.op == "within":
            return f"within [{self.threshold[0]:g}, {self.threshold[1]:g}]"
        return f"{self.op} {self.threshold:g}"


@dataclasses.dataclass(frozen=True)
class Measured:
    """What a check found: the ``estimate`` of its statistic (``value`` may instead be a short text
    when the claim is a conjunction, see ``all_of``), the ``verdict`` (holds | fails | undecided) and
    a one-line ``detail`` (how it was measured)."""

    value: float | str
    verdict: str
    detail: str = ""
    estimate: Estimate | None = None
    control: "Control | None" = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


@dataclasses.dataclass(frozen=True)
class Control:
    """The same test applied to a reference that must not have the claimed property: its ``label``
    ("least squares", "the untrained model", "ω = 0 (unshifted)") and what the test gave it."""

    label: str
    measured: Measured


def with_control(measured: Measured, label: str, control: Measured) -> Measured:
    """``measured`` with its control: ``control`` is the same test on the reference ``label``."""
    return dataclasses.replace(measured, control=Control(label, control))


def require_learned(model: Estimate, baseline: Estimate, baseline_label: str, margin: float,
                    higher_is_better: bool = True, what: str = "") -> None:
    """Raise ``NotEvaluable`` unless the model beats the trivial baseline by ``margin``: the whole
    95% interval of ``model − baseline`` (or ``baseline − model`` when lower is better) must lie
    above ``margin``. ``model`` and ``baseline`` carry the same replicates; their intervals are
    combined conservatively (the model's low end against the baseline's high end)."""
    gap_low = (model.low - baseline.high) if higher_is_better else (baseline.low - model.high)
    if not gap_low > margin:
        raise NotEvaluable(f"the model has not learned the task{(' (' + what + ')') if what else ''}: "
                           f"{model.text()} vs {baseline_label} {baseline.text()} "
                           f"(needs a margin of {margin:g})")


def gated(measure: Callable[[], Measured], *gates: Callable[[], Any]) -> Measured:
    """``measure()`` once every gate passes (a gate raises ``NotEvaluable``, e.g. ``require_learned``).
    When one does not, the row stays not evaluable with the gate's reason, and keeps the control and
    the value the test would have given, where ``measure`` can still compute them."""
    try:
        for gate in gates:
            gate()
    except NotEvaluable as reason:
        try:
            would = measure()
        except NotEvaluable:
            raise reason from None
        value = would.estimate.text() if would.estimate else fmt(would.value)
        raise NotEvaluable(f"{reason}; the test would give {value} ({would.verdict})",
                           would.control) from None
    return measure()


def compare(est: Estimate, test: Test, detail: str = "") -> Measured:
    """The verdict of ``test`` on ``est``'s whole interval."""
    return Measured(est.value, test.verdict(est), detail, est)


def all_of(parts: Sequence[tuple[str, Measured]], detail: str = "") -> Measured:
    """A conjunction: holds when every named part holds, fails when any fails, else undecided. The
    value is the first part's estimate; the detail lists every part with its interval and verdict."""
    verdicts = [m.verdict for _, m in parts]
    verdict = ("fails" if "fails" in verdicts else "holds" if all(v == "holds" for v in verdicts)
               else "undecided")
    listed = "; ".join(f"{name} {m.estimate.text() if m.estimate else fmt(m.value)} ({m.verdict})"
                       for name, m in parts)
    first = parts[0][1]
    return Measured(first.value, verdict, f"{listed}" + (f". {detail}" if detail else ""), first.estimate)


# --------------------------------------------------------------------------- claims


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
    needs: tuple[str, ...] = ()  # the run's stages the check reads (a run that left one out cannot speak)
    # what the check needs of the config, as ``requires(cfg) -> [unmet need, ...]`` (e.g. "ρ = 1 among
    # mixing.rhos"): a config that leaves one unmet makes the claim not evaluable, with that reason
    requires: Callable[[Any], Sequence[str]] | None = None
    # ours, not the paper's: a claim we test beyond the paper (the report keeps such rows apart, in
    # a section "beyond the papers"); its ``source`` names our stage, its ``paper_value`` what the
    # paper's theory predicts, if anything
    ours: bool = False

    def stages_left_out(self, cfg: Any) -> list[str]:
        """The stages this claim reads that ``cfg``'s run left out (``stages`` empty: it ran them all)."""
        ran = set(cfg.get("stages") or ())
        return [s for s in self.needs if ran and s not in ran]

    def unmet(self, cfg: Any) -> list[str]:
        """The needs of this claim that ``cfg`` leaves unmet (the stages its run left out first)."""
        stages = [f"stage {s}, which this run left out" for s in self.stages_left_out(cfg)]
        return stages + ([] if stages or self.requires is None else list(self.requires(cfg)))


def evaluate(claims: Sequence[Claim], cfg: Any, scalars: Scalars, arrays: Arrays) -> list[dict[str, Any]]:
    """One JSON row per claim. A check that raises is never a pass or a fail: with ``NotEvaluable``
    the verdict is "not evaluable" (the run cannot speak to the claim); any other error (a missing
    array, say) gives "not evaluable" with a "could not evaluate:" detail. ``cfg`` is the run's
    config; its ``preset`` decides whether a claim ``applies``."""
    rows = []
    for claim in claims:
        try:
            if unmet := claim.unmet(cfg):
                raise NotEvaluable(f"needs {'; '.join(unmet)}", _control_anyway(claim, cfg, scalars, arrays))
            row = _row(claim.check(cfg, scalars, arrays))
        except NotEvaluable as reason:
            row = _row(None, f"not evaluable: {reason}", reason.control)
        except Exception as error:  # noqa: BLE001 — a broken check is reported, not fatal
            row = _row(None, f"could not evaluate: {type(error).__name__}: {error}")
        rows.append({"id": claim.id, "statement": claim.statement, "source": claim.source,
                     "threshold": claim.threshold, "paper_value": claim.paper_value, "ours": claim.ours, **row,
                     "scales": list(claim.scales), "applies": cfg.preset in claim.scales})
    return rows


def _control_anyway(claim: Claim, cfg: Any, scalars: Scalars, arrays: Arrays) -> Control | None:
    """The control a claim's check gives on a run whose config leaves one of its needs unmet (the
    control is a reference's value, meaningful whatever the config), or None where the check cannot
    run: a stage left out, or arrays it needs that the run lacks."""
    if claim.requires is None or claim.stages_left_out(cfg):
        return None
    try:
        measured = claim.check(cfg, scalars, arrays)
    except NotEvaluable as reason:
        return reason.control
    except Exception:  # noqa: BLE001 — no control then, as for a run that cannot speak
        return None
    return measured.control


def _row(measured: Measured | None, detail: str = "", control: Control | None = None) -> dict[str, Any]:
    """A row's fields; a not-evaluable row (``measured`` None) keeps the ``control`` it was given."""
    if measured is None:
        row = {"value": None, "interval": None, "replicates": None, "replicate_axis": None,
               "verdict": NOT_EVALUABLE, "detail": detail}
    else:
        row, control = _measured_fields(measured), measured.control
    row["control"] = (None if control is None
                      else {"label": control.label, **_measured_fields(control.measured)})
    return row


def _measured_fields(measured: Measured) -> dict[str, Any]:
    est = measured.estimate
    interval = None
    if est is not None and est.axis != "exact":
        interval = [_finite_or_none(est.low), _finite_or_none(est.high)]
    return {"value": _jsonable_value(measured.value), "interval": interval,
            "replicates": None if est is None else est.replicates,
            "replicate_axis": None if est is None else est.axis,
            "verdict": measured.verdict, "detail": measured.detail}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _jsonable_value(value: Any) -> float | str | None:
    if isinstance(value, str):
        return value
    return _finite_or_none(float(value))

"""Checks of the mixing claims (Figs 2–6, 3c), each with its control (see ``claims_fig1``).

``grid`` gives a ρ-stage's errors ``[runs, C, P, S, M]`` (C curves, P values of ρ, S sources, M
models: MLP, equivalent, linear, zero predictor); the ICL error is the mean over S.
"""

from __future__ import annotations

import numpy as np

from iclx.framework import claims
from iclx.framework.claims import NotEvaluable, Test
from iclx.experiments.data_mixing import claim_stats as cs
from iclx.experiments.data_mixing.curves import MIX_PANELS, grid, point_errors, with_zero

# per Fig 2 panel: whether a larger curve value is the higher-quality source 1
QUALITY_UP = {"mix_x": True, "mix_xi": True, "mix_noise": False}


def stage_grid(scalars, arrays, stage: str):
    if stage not in arrays:
        raise NotEvaluable(f"this run has no {stage} stage")
    return grid(scalars["lanes"], arrays, stage)


def identical_curve(cfg, stage: str) -> float:
    """The curve value at which source 1 equals source 0: no spike, or Δ₁ = Δ₀."""
    return float(cfg.mixing.noise0) if stage == "mix_noise" else 0.0


CURVE_FIELDS = {"mix_x": "mixing.x_theta_over_sqrt_d", "mix_xi": "mixing.xi_theta_over_d",
                "mix_noise": "mixing.noise1"}


def rho_trend_needs(stage: str):
    """What ``rho_trend(stage)`` needs of the config: ρ = 0 and ρ = 1, the identical-source curve
    (its control) and another curve."""
    def needs(cfg) -> list[str]:
        curves, field = cfg.mixing[CURVE_FIELDS[stage].split(".")[1]], CURVE_FIELDS[stage]
        return (claims.needs_values(cfg.mixing.rhos, (0.0, 1.0), "mixing.rhos")
                + claims.needs_values(curves, (identical_curve(cfg, stage),), f"{field} (the control: "
                                      "source 1 identical to source 0)")
                + claims.needs_count(curves, 2, field, "curves"))
    return needs


def rho_trend(stage: str):
    """The highest-quality curve of a Fig 2 panel: relative drop of the mean MLP ICL error from ρ = 0
    to ρ = 1 > 0; control: the curve where source 1 is identical to source 0 (ρ cannot matter)."""
    def check(cfg, scalars, arrays):
        values, _, err = stage_grid(scalars, arrays, stage)
        j = len(values) - 1 if QUALITY_UP[stage] else 0
        e = err[:, j].mean(axis=2)                                      # [runs, P, M]
        test = Test(">", 0.0)
        out = claims.compare(claims.estimate(lambda x: cs.drop(x[..., 0]), e, axis=cs.RUNS), test,
                             f"curve {values[j]:g}: 1 − mean MLP ICL error at ρ=1 / at ρ=0 "
                             f"({cs.mean(e[:, 0, 0]):.3g} → {cs.mean(e[:, -1, 0]):.3g})")
        same = identical_curve(cfg, stage)
        if same not in values or values.index(same) == j:
            raise NotEvaluable(f"the control, source 1 identical to source 0 (curve {same:g}), is not "
                               f"a lower-quality curve of this run's {stage} ({', '.join(map(str, values))})")
        ref = err[:, values.index(same)].mean(axis=2)[..., 0]
        out = claims.with_control(out, f"curve {same:g}: source 1 identical to source 0",
                                  claims.compare(claims.estimate(cs.drop, ref, axis=cs.RUNS), test))
        return cs.gated(out, with_zero(e, False), f"on curve {values[j]:g}")
    return check


def _ordered(err: np.ndarray, stage: str, rho: int) -> np.ndarray:
    """MLP ICL errors ``[runs, C]`` at ρ index ``rho``, curves from the lowest to the highest quality."""
    e = err[:, :, rho].mean(axis=2)[..., 0]
    return e if QUALITY_UP[stage] else e[:, ::-1]


def curve_ordering(cfg, scalars, arrays):
    """At ρ = 1 the error falls with every step up in source 1's quality, in every Fig 2 panel;
    control: the same test at ρ = 0 (source 1 absent from training)."""
    parts, control, pooled = [], [], []
    test = Test(">", 0.0)
    for stage in (s for s in MIX_PANELS if s in arrays):
        values, _, err = stage_grid(scalars, arrays, stage)
        if len(values) < 2:
            continue
        for rho, into in ((-1, parts), (0, control)):
            est = claims.estimate(cs.ordering, _ordered(err, stage, rho), axis=cs.RUNS)
            into.append((stage, claims.compare(est, test)))
        pooled.append(err[:, :, -1].mean(axis=2))
    if not parts:
        raise NotEvaluable("this run has no Fig 2 panel with two curves")
    out = claims.all_of(parts, "per panel at ρ = 1: smallest relative drop of the mean MLP ICL error "
                               "between consecutive curves, lowest to highest quality of source 1")
    out = claims.with_control(out, "the same at ρ = 0", claims.all_of(control))
    return cs.gated(out, with_zero(np.concatenate(pooled, axis=1), False), "at ρ = 1")


def per_source_equivalence(cfg, scalars, arrays):
    """Figs 4–6: per source, |MLP − equivalent| / MLP ≤ 10% at 90% of the Fig 2 points; control: the
    linear model in place of the equivalent."""
    stages = [s for s in MIX_PANELS if s in arrays]
    if not stages:
        raise NotEvaluable("this run has no Fig 2 stages")
    test, parts, control = Test("<=", cs.EQUIV_TOL), [], []
    for s in (0, 1):
        errors = point_errors(scalars["lanes"], arrays, stages, source=s)
        for other, into in ((1, parts), (2, control)):
            est = claims.estimate(lambda e, o=other: cs.q90_gap(e, o), errors, axis=cs.RUNS)
            into.append((f"source {s}", claims.compare(est, test)))
    out = claims.all_of(parts, "per source: 90th percentile over the Fig 2 points of |mean MLP − "
                               "mean equivalent| / mean MLP on that source's test error")
    return claims.with_control(out, "the linear model in place of the equivalent", claims.all_of(control))


def per_source_trends(cfg, scalars, arrays):
    """Figs 4–6 "with the same trends": per panel, curve and source, the relative change of the
    error from ρ = 0 to ρ = 1 of the MLP and of the equivalent differ by ≤ 10%; control: the linear
    model in place of the equivalent."""
    cells = [stage_grid(scalars, arrays, s)[2] for s in MIX_PANELS if s in arrays]
    if not cells:
        raise NotEvaluable("this run has no Fig 2 stages")
    # [runs, cells, P, M]: every (panel, curve, source) a cell
    e = np.concatenate([np.moveaxis(c, 3, 2).reshape(c.shape[0], -1, c.shape[2], c.shape[4])
                        for c in cells], axis=1)
    test = Test("<=", cs.EQUIV_TOL)
    stat = lambda x, o: cs.trend_gap(x[..., 0], x[..., o])
    out = claims.compare(claims.estimate(lambda x: stat(x, 1), e, axis=cs.RUNS), test,
                         f"largest |(1 − E(ρ=1)/E(ρ=0))_MLP − (same)_equivalent| over {e.shape[1]} "
                         "(panel, curve, source) cells")
    return claims.with_control(out, "the linear model in place of the equivalent", claims.compare(
        claims.estimate(lambda x: stat(x, 2), e, axis=cs.RUNS), test))

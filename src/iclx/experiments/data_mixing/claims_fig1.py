"""Checks of the Fig 1 claims and of the equivalence (Thm 4.12), each with its control.

A check reads a run's saved errors (``curves``), computes its statistic with a 95% jackknife interval
over the Monte Carlo runs (a seed draws the same world, F and contexts at every sweep point, so runs
pair across points), applies the same test to a control that must not have the property
(``claims.with_control``) and, for claims about the MLP's ICL performance, gates the verdict on the
MLP beating the zero predictor (``claim_stats.gated``).
"""

from __future__ import annotations

import numpy as np

from iclx.framework import claims
from iclx.framework.claims import NotEvaluable, Test
from iclx.experiments.data_mixing import claim_stats as cs
from iclx.experiments.data_mixing.curves import DIM_AXES, curve, point_errors, with_zero


def dims(arrays, axis: str = "") -> list[str]:
    stages = [s for s in arrays if s.startswith("dims_") and s.endswith(f"_{axis}" if axis else "")]
    if not stages:
        raise NotEvaluable("this run has no Fig 1 stages")
    return stages


def sweep(scalars, arrays, stage: str) -> np.ndarray:
    """Errors ``[runs, points, M]`` (uniform over sources) along a Fig 1 stage's sweep, in order."""
    _, err = curve(scalars["lanes"], arrays, stage, DIM_AXES[stage.split("_", 2)[2]])
    return err.mean(axis=2)


def eta0_points(scalars, arrays) -> np.ndarray | None:
    """Errors ``[runs, points, M]`` at the η = 0 points of the Fig 3 stages (random features)."""
    stages = [s for s in ("eta_x", "eta_xi") if s in arrays]
    if not stages:
        return None
    errs = [curve(scalars["lanes"], arrays, s, "rho", curve=0.0)[1].mean(axis=2) for s in stages]
    return np.concatenate(errs, axis=1)


def mlp_beats_linear(cfg, scalars, arrays):
    errors = point_errors(scalars["lanes"], arrays, dims(arrays))           # [runs, P, M]
    m = cs.mean(errors)
    wins = int(np.sum(m[:, 0] < m[:, 2]))
    test = Test("<", 0.0)
    out = claims.compare(claims.estimate(cs.excess, errors, axis=cs.RUNS), test,
                         f"largest (mean MLP / mean linear − 1) over the {len(m)} grid points of Fig 1 "
                         f"(all sweeps and activations); MLP below linear at {wins}/{len(m)}")
    rf, zero = eta0_points(scalars, arrays), with_zero(errors, False)
    if rf is not None:
        out = claims.with_control(out, "random features: the MLP at η = 0 (Fig 3 points)",
                                  claims.compare(claims.estimate(cs.excess, rf, axis=cs.RUNS), test))
    elif zero is not None:       # a run without Fig 3: the zero predictor in the MLP's place
        out = claims.with_control(out, "the zero predictor in the MLP's place", claims.compare(
            claims.estimate(lambda e: cs.excess(e, model=3), zero, axis=cs.RUNS), test))
    return cs.gated(out, zero, "over Fig 1's points")


def equivalence(stages_fn, real: bool = False):
    """|MLP − equivalent| / MLP ≤ 10% at 90% of the points; control: the linear model in place of the
    equivalent. Thm 4.12 is about two models' errors, not about learning: gated only on real data."""
    def check(cfg, scalars, arrays):
        stages = [s for s in stages_fn(arrays) if s in arrays]
        if not stages:
            raise NotEvaluable("this run has none of these stages")
        errors = point_errors(scalars["lanes"], arrays, stages)
        gaps = np.abs(cs.mean(errors)[:, 0] - cs.mean(errors)[:, 1]) / cs.mean(errors)[:, 0]
        test = Test("<=", cs.EQUIV_TOL)
        out = claims.compare(claims.estimate(cs.q90_gap, errors, axis=cs.RUNS), test,
                             f"90th percentile over {len(gaps)} sweep points of |mean MLP − mean "
                             f"equivalent| / mean MLP (median {np.median(gaps):.3g}; equivalent expanded "
                             f"at the {cfg.model.get('equivalent_scale', 'unit')} scale)")
        control = claims.estimate(lambda e: cs.q90_gap(e, other=2), errors, axis=cs.RUNS)
        out = claims.with_control(out, "the linear model in place of the equivalent",
                                  claims.compare(control, test))
        return cs.gated(out, with_zero(errors, True), "on real data") if real else out
    return check


def double_descent(axis: str):
    """A peak in the MLP's and the equivalent's curves for every activation; control: the same test
    on a curve that must not peak (n: the MLP along ℓ; k: the linear model, which has no width)."""
    def check(cfg, scalars, arrays):
        parts, pooled = [], []
        test = Test(">", 1.0)
        for stage in dims(arrays, axis):
            err = sweep(scalars, arrays, stage)
            pooled.append(err)
            for name, col in (("MLP", 0), ("equivalent", 1)):
                est = claims.estimate(lambda e, c=col: cs.curve_peak(e[..., c]), err, axis=cs.RUNS)
                parts.append((f"{stage.split('_')[1]} {name}", claims.compare(est, test)))
            linear = cs.curve_peak(err[..., 2])
        out = claims.all_of(parts, f"max over interior {DIM_AXES[axis]} of mean error / max(its left "
                                   f"neighbour, 1.1 × the least error at a larger value); > 1 is a peak "
                                   f"(linear model's own: {linear:.3g})")
        if axis == "n":
            ref, label = sweep(scalars, arrays, dims(arrays, "ell")[0])[..., 0], "the MLP along ℓ"
        else:
            ref, label = pooled[0][..., 2], "the linear model along k (no width)"
        out = claims.with_control(out, label, claims.compare(
            claims.estimate(cs.curve_peak, ref, axis=cs.RUNS), test))
        return cs.gated(out, with_zero(np.concatenate(pooled, axis=1), False), f"along {axis}")
    return check


def _ell_parts(err: np.ndarray, tag: str) -> list:
    rise = claims.compare(claims.estimate(cs.largest_rise, err, axis=cs.RUNS), Test("<=", cs.ELL_RISE))
    end = claims.compare(claims.estimate(cs.last_over_first, err, axis=cs.RUNS), Test("<", 1.0))
    return [(f"{tag} largest step ratio", rise), (f"{tag} last / first", end)]


def decreasing_in_ell(cfg, scalars, arrays):
    parts, pooled = [], []
    for stage in dims(arrays, "ell"):
        err = sweep(scalars, arrays, stage)
        pooled.append(err)
        parts += _ell_parts(err[..., 0], stage.split("_")[1])
    out = claims.all_of(parts, "mean MLP error never rises by > 5% from one ℓ to the next and ends lower")
    k_curve = sweep(scalars, arrays, dims(arrays, "k")[0])[..., 0]
    out = claims.with_control(out, "the MLP along k (through its interpolation peak)",
                              claims.all_of(_ell_parts(k_curve, "k")))
    return cs.gated(out, with_zero(np.concatenate(pooled, axis=1), False), "along ℓ")

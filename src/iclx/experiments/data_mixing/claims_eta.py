"""Checks of the step-size claims (Fig 3a/b) and the real-data claims (Fig 3c), with controls.

The gain of feature learning is read where the paper's statement puts it, per ρ and per source:
at the largest ρ (all training contexts from source 1) on source 1's own test error, the best step
η > 0 of the grid against η = 0 (a larger η hurting beyond a point is part of the picture).
"""

from __future__ import annotations

import numpy as np

from iclx.framework import claims
from iclx.framework.claims import NotEvaluable, Test
from iclx.experiments.data_mixing import claim_stats as cs
from iclx.experiments.data_mixing.claims_mixing import stage_grid
from iclx.experiments.data_mixing.curves import with_zero


def eta_cell(scalars, arrays, stage: str) -> tuple[list[float], np.ndarray, np.ndarray]:
    """(η/d² values, ρ values, errors ``[runs, C(η), P(ρ), S, M]``); η = 0 must be the first curve."""
    values, rhos, err = stage_grid(scalars, arrays, stage)
    if values[0] != 0.0 or len(values) < 2:
        raise NotEvaluable(f"{stage} needs η = 0 and a larger η")
    return values, rhos, err


def source1_gain(err: np.ndarray, model: int = 0) -> float:
    """``best_gain`` on source 1's error at the largest ρ: ``err [runs, C, P, S, M]``."""
    return cs.best_gain(err[:, :, -1, 1, model])


def per_rho_text(values, rhos, err) -> str:
    m = cs.mean(err[..., 0])                                         # [C, P, S]
    gains = lambda x: np.max(1.0 - x[1:] / x[0], axis=0)             # best η > 0, per ρ
    s1, icl = gains(m[..., 1]), gains(m.mean(axis=-1))
    return ("best gain per ρ " + ", ".join(f"{r:g}: {a:.3g} (ICL {b:.3g})" for r, a, b in zip(rhos, s1, icl))
            + f" over η/d² ∈ {{{', '.join(f'{v:g}' for v in values)}}}")


def eta_gain(stage: str, other: str, want_large: bool):
    """Fig 3b (``want_large``): best gain ≥ 20%; Fig 3a: < 5%. Control: the same test on the other
    panel (isotropic task ↔ structured task)."""
    test = Test(">=", cs.GAIN_LARGE) if want_large else Test("<", cs.GAIN_NONE)

    def check(cfg, scalars, arrays):
        values, rhos, err = eta_cell(scalars, arrays, stage)
        out = claims.compare(claims.estimate(source1_gain, err, axis=cs.RUNS), test,
                             "source 1 at ρ = max: best relative drop of the mean MLP error of any "
                             f"η > 0 against η = 0; {per_rho_text(values, rhos, err)}")
        if other in arrays:
            _, _, ref = eta_cell(scalars, arrays, other)
            out = claims.with_control(out, f"the other panel ({other})", claims.compare(
                claims.estimate(source1_gain, ref, axis=cs.RUNS), test))
        return cs.gated(out, with_zero(err[:, :, -1, 1], False), "on source 1 at ρ = max")
    return check


def eta_benefit_grows_with_rho(cfg, scalars, arrays):
    """Fig 3b: the best η gain on the ICL error is larger at ρ = max than at ρ = min; control: the
    isotropic-task panel (Fig 3a)."""
    test = Test(">", 0.0)
    stat = lambda e: cs.gain_growth(e.mean(axis=3)[..., 0])
    _, rhos, err = eta_cell(scalars, arrays, "eta_xi")
    out = claims.compare(claims.estimate(stat, err, axis=cs.RUNS), test,
                         f"best gain of η > 0 on the mean MLP ICL error at ρ = {rhos[-1]:g} minus at "
                         f"ρ = {rhos[0]:g}")
    if "eta_x" in arrays:
        out = claims.with_control(out, "the isotropic-task panel (eta_x)", claims.compare(
            claims.estimate(stat, eta_cell(scalars, arrays, "eta_x")[2], axis=cs.RUNS), test))
    return cs.gated(out, with_zero(err.mean(axis=3).reshape(err.shape[0], -1, err.shape[-1]), False),
                    "over the task-spike panel")


def real_errors(scalars, arrays):
    values, rhos, err = eta_cell(scalars, arrays, "real")
    full = with_zero(err, True)                                       # ±1 labels: zero error 1
    return values, rhos, full


def real_eta_helps(cfg, scalars, arrays):
    """Fig 3c: best η gain on English (source 1) at ρ = 1 ≥ 20%; control: the linear model (no first
    layer to train: the same error at every η)."""
    values, rhos, err = real_errors(scalars, arrays)
    test = Test(">=", cs.GAIN_LARGE)
    out = claims.compare(claims.estimate(source1_gain, err, axis=cs.RUNS), test,
                         f"English at ρ = 1: {per_rho_text(values, rhos, err)}")
    out = claims.with_control(out, "the linear model", claims.compare(
        claims.estimate(lambda e: source1_gain(e, model=2), err, axis=cs.RUNS), test))
    return cs.gated(out, err.mean(axis=3).reshape(err.shape[0], -1, err.shape[-1]), "on real data")


def more_english_helps(cfg, scalars, arrays):
    """Fig 3c: for every η, the mean MLP ICL error falls from ρ = 0 (German only) to ρ = 1 (English
    only); control: the zero predictor (trains on nothing)."""
    values, _, err = real_errors(scalars, arrays)
    icl = err.mean(axis=3)                                            # [runs, C, P, M]
    stat = lambda e, m: min(cs.drop(e[:, c, :, m]) for c in range(e.shape[1]))
    test = Test(">", 0.0)
    out = claims.compare(claims.estimate(lambda e: stat(e, 0), icl, axis=cs.RUNS), test,
                         "smallest over η/d² ∈ {" + ", ".join(f"{v:g}" for v in values)
                         + "} of 1 − mean MLP ICL error at ρ = 1 / at ρ = 0")
    out = claims.with_control(out, "the zero predictor", claims.compare(
        claims.estimate(lambda e: stat(e, 3), icl, axis=cs.RUNS), test))
    return cs.gated(out, icl.reshape(icl.shape[0], -1, icl.shape[-1]), "on real data")

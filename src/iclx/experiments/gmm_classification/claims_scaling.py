"""Checks of the bound's dependence on the number of classes c and of the approach to the Bayes law
as N and M grow (arXiv 2410.11778: W* = c(Λ⁻¹ + G), ‖G‖_max = O(c/N); error O(c²/N + c^{3/2}/√M);
"approaches the ground truth distribution of the labels"). The c-exponents are read as upper bounds
(the bound's power of c plus the 0.2 tolerance the N-slopes use): the paper treats c as a constant
and does not claim the powers are tight. Each control is the same test on a model without the
factor c (the binary optimum's scale at every c), whose error must outgrow the bound."""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import Measured, NotEvaluable, Test, all_of, compare, estimate, with_control
from iclx.theory import gmm as gmm_theory

EXPONENT_TOLERANCE = 0.2      # as the O(1/N) band's half-width
SLOWEST_RATE = -0.35          # the bound's slowest decay −½ with the O(1/√M) band's 0.15


def _c_slope(cs: np.ndarray, tv: np.ndarray) -> float:
    """Log-log slope of the replicate-mean TV ``[R, c]`` against c."""
    return gmm_theory.loglog_slope(cs, tv.mean(axis=0))


def _c_exponent(cfg, arrays, name: str, power: float, what: str) -> Measured:
    cs = np.asarray(cfg.eval.classes, float)
    tv = np.asarray(arrays[f"classes/{name}"])
    return compare(estimate(lambda t: _c_slope(cs, t), tv), Test("<=", power + EXPONENT_TOLERANCE),
                   f"log-log slope in c of {what} for c = {', '.join(f'{c:g}' for c in cs)}: "
                   + " → ".join(f"{v:.3g}" for v in tv.mean(0)))


def classes_grow(cfg, scalars, arrays) -> Measured:
    """At N = M: the error grows with c, no faster than the bound's c² (all_of); control 2W*_N/c."""
    def test(name: str) -> Measured:
        tv = np.asarray(arrays[f"classes/{name}"])
        grows = compare(estimate(lambda t: float(np.min(np.diff(t.mean(axis=0)))), tv), Test(">", 0.0))
        return all_of([("smallest increase", grows),
                       ("slope in c", _c_exponent(cfg, arrays, name, 2.0, "the TV at N = M"))],
                      f"TV at N = M = {cfg.eval.class_N}: " + " → ".join(f"{v:.3g}" for v in tv.mean(0)))
    return with_control(test("tv"), "2W*_N/c (no factor c)", test("tv_wrong"))


def classes_N_term(cfg, scalars, arrays) -> Measured:
    return with_control(
        _c_exponent(cfg, arrays, "tv_inf", 2.0, f"the M = ∞ TV of W*_N (N = {cfg.eval.class_N}: the "
                    "c²/N term alone)"),
        "2W*_N/c (no factor c)", _c_exponent(cfg, arrays, "tv_inf_wrong", 2.0, "2W*_N/c at M = ∞"))


def classes_M_term(cfg, scalars, arrays) -> Measured:
    return with_control(
        _c_exponent(cfg, arrays, "tv_limit", 1.5, f"the TV of the N = ∞ limit cΛ⁻¹ at M = "
                    f"{cfg.eval.class_M} (the c^{{3/2}}/√M term alone)"),
        "2Λ⁻¹ at every c (no factor c)", _c_exponent(cfg, arrays, "tv_limit_wrong", 1.5, "2Λ⁻¹"))


def _G_exponent(cfg, arrays, divisors: tuple[float, float]) -> Measured:
    """The power of c in ‖W*_N/divisor − Λ⁻¹‖_max from c = 2 to 3 at the largest N (banks paired)."""
    if not {2, 3} <= set(cfg.minimizer.classes):
        raise NotEvaluable("needs minimizer.classes 2 and 3")
    W2, W3 = (np.asarray(arrays[f"minimizer/W_c{c}"])[:, -1] for c in (2, 3))
    inv = np.diag(1.0 / np.linspace(cfg.task.cov_min, cfg.task.cov_max, W2.shape[-1]))
    G = lambda W, k: np.max(np.abs(W / k - inv), axis=(-2, -1))                      # [banks]
    power = lambda a, b: float(np.log(b.mean() / a.mean()) / np.log(1.5))
    g2, g3 = G(W2, divisors[0]), G(W3, divisors[1])
    return compare(estimate(power, g2, g3, axis="banks"), Test("<=", 1.0 + EXPONENT_TOLERANCE),
                   f"power of c in ‖G‖_max from c = 2 ({g2.mean():.3g}) to c = 3 ({g3.mean():.3g}) at "
                   f"N = {cfg.minimizer.N_values[-1]}")


def minimizer_c_scaling(cfg, scalars, arrays) -> Measured:
    return with_control(_G_exponent(cfg, arrays, (2.0, 3.0)), "W*_N/2 at c = 3 (no factor c)",
                        _G_exponent(cfg, arrays, (2.0, 2.0)))


def _diagonal_slope(cfg, arrays, name: str) -> Measured:
    Ns = np.asarray(cfg.minimizer.N_values, float)
    sel = Ns >= cfg.minimizer.fit_from
    tv = np.asarray(arrays[f"minimizer/{name}"])[:, sel]
    return compare(estimate(lambda t: gmm_theory.loglog_slope(Ns[sel], t.mean(axis=0)), tv, axis="banks"),
                   Test("<=", SLOWEST_RATE),
                   f"log-log slope of the TV to p* along M = N ≥ {cfg.minimizer.fit_from}: "
                   + " → ".join(f"{v:.3g}" for v in tv.mean(0)))


def approaches_bayes(cfg, scalars, arrays) -> Measured:
    """Along M = N the binary W*_N's TV to p* keeps falling at least as fast as the bound's slowest
    term; control W*_N/2 (half the factor 2: an error floor)."""
    measured = _diagonal_slope(cfg, arrays, "tv_diag")
    excess = np.asarray(arrays["minimizer/cls_diag"]) - np.asarray(arrays["minimizer/bayes_diag"])
    detail = (f"{measured.detail}; misclassification − Bayes rate at N = M = "
              f"{cfg.minimizer.N_values[-1]}: {excess[:, -1].mean():+.4f}")
    return with_control(Measured(measured.value, measured.verdict, detail, measured.estimate),
                        "W*_N/2 (half the factor)", _diagonal_slope(cfg, arrays, "tv_diag_half"))

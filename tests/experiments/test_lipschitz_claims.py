"""The Lipschitz-threshold claims on synthetic saved results: each must hold where the synthetic run
shows the paper's statement and fail where it shows the opposite."""

import numpy as np
import pytest

from iclx import claims as claims_lib, config
from iclx.experiments.lipschitz_threshold import EXPERIMENT, claims as lipschitz_claims
from iclx.theory import lipschitz as lipschitz_theory

LS = np.array([1.0, 2, 4, 8, 16, 32, 64, 128])
L_STAR = 10.0
TAG = "equicorrelated/amplitude/rho=0"
STEPS = 1_000_000
EPS = {"rel": (1e-2, 1e-3), "abs": (1e-2, 1e-3)}
# the fields of a run's config that the claims read
CFG = config.ConfigDict({"preset": "cpu", "task": {"features": "equicorrelated", "n_features": 5},
                         "sweep": {"train": {"steps": STEPS}, "eps_rel": EPS["rel"], "eps_abs": EPS["abs"]},
                         "eval": {"families": ("linear", "sine")}})


def _lr(L):
    return float(min(1.0, (L_STAR / L) ** 2))       # η = min(η_flat, 1/β), β ∝ L²


def _predicted(kind, eps):
    grid = np.geomspace(0.1, 1000, 41)
    return lipschitz_theory.time_to_eps(eps, lipschitz_theory.interp_log(LS, grid, 0.1 * grid ** 2),
                                        np.array([_lr(L) for L in LS]), 5, 1.0, relative=(kind == "rel"))


SEEDS = 3


def sweep_result(times=None, theory_c=(3.0,)):
    """A synthetic saved run (config, scalars, arrays): one amplitude ρ = 0 sweep (theory rule, 3 seeds
    per L, L* = 10); ``times[(kind, eps)]`` replaces that ε's steps-to-ε (default: exactly our T*),
    each seed within ±1% of it (a censored time stays censored)."""
    labels = [{"L": float(L), "alpha": 1.0, "rho": 0.0, "scaling": "amplitude", "rule": "theory",
               "lr": _lr(L), "seed": seed} for L in LS for seed in range(SEEDS)]
    grid = np.geomspace(0.1, 1000, 41)
    theory = {TAG: {"L_star": L_STAR, "c": theory_c[0], "gram": 1.0}}
    for i, c in enumerate(theory_c[1:]):
        theory[f"random/amplitude/rho={i + 1}"] = {"L_star": 5.0, "c": c, "gram": 1.0}
    scalars = {"theory": theory, "lanes": {"sweep": labels}}
    arrays = {f"theory/{TAG}/grid": grid, f"theory/{TAG}/sigma2": 0.1 * grid ** 2}
    jitter = np.tile(np.linspace(-0.01, 0.01, SEEDS), len(LS))
    for kind, values in EPS.items():
        for eps in values:
            t = np.repeat(np.asarray((times or {}).get((kind, eps), _predicted(kind, eps)), float), SEEDS)
            arrays[f"sweep/T_{kind}_{eps:g}"] = np.where(t >= STEPS, t, t * (1 + jitter))
    return CFG, scalars, arrays


def dynamics_result(flat_steps, sharp_steps, own=(0.97, 0.99)):
    steps = np.arange(1, 101)
    lanes = [{"L": L, "regime": regime, "seed": seed} for L, regime in ((2.5, "flat"), (40.0, "sharp"))
             for seed in range(SEEDS)]
    above = np.stack([steps <= (flat_steps if lane["regime"] == "flat" else sharp_steps) for lane in lanes],
                     axis=1).astype(float)
    scalars = {"lanes": {"dynamics": lanes},
               "dynamics_points": [{"L": 2.5, "regime": "flat"}, {"L": 40.0, "regime": "sharp"}]}
    arrays = {"dynamics/step": steps, "dynamics/above_rel_0.001": above}
    K = 4
    for i, a in enumerate(own):
        for family in ("linear", "sine"):
            matrix = a * np.eye(K) + (1 - a) / (K - 1) * (1 - np.eye(K))
            arrays[f"maps/{i}/{family}/matrix"] = np.stack([matrix] * SEEDS)      # [seeds, K, K]
    return CFG, scalars, arrays


V_SHAPE = np.array([5000, 1300, 330, 90, 150, 300, 900, 3000.0])          # fastest just below L*
DECREASING = np.array([5000, 1300, 330, 90, 60, 40, 30, 20.0])            # fastest at large L
KNEE_AT_10 = np.maximum(1e4 / LS ** 2, 100.0)
KNEE_AT_100 = np.maximum(1e4 / LS ** 2, 1.0)


@pytest.mark.parametrize("claim_id, result, holds", [
    ("sharp-run-faster", dynamics_result(80, 20), True),
    ("sharp-run-faster", dynamics_result(20, 80), False),
    ("flat-faster-high-accuracy", sweep_result({("abs", 1e-3): V_SHAPE}), True),
    ("flat-faster-high-accuracy", sweep_result({("abs", 1e-3): DECREASING}), False),
    ("sharp-faster-loose-accuracy", sweep_result({("abs", 1e-2): DECREASING}), True),
    ("sharp-faster-loose-accuracy", sweep_result({("abs", 1e-2): V_SHAPE}), False),
    ("threshold-location", sweep_result({("rel", 1e-3): KNEE_AT_10}), True),
    ("threshold-location", sweep_result({("rel", 1e-3): KNEE_AT_100}), False),
    ("threshold-constant", sweep_result(theory_c=(3.0, 5.0)), True),
    ("threshold-constant", sweep_result(theory_c=(3.0, 9.0)), False),
    ("time-bound", sweep_result(), True),
    ("time-bound", sweep_result({("abs", 1e-3): 3 * _predicted("abs", 1e-3)}), False),
    ("attention-on-own-feature", dynamics_result(80, 20, own=(0.95, 0.99)), True),
    ("attention-on-own-feature", dynamics_result(80, 20, own=(0.6, 0.99)), False),
])
def test_claim_holds_only_where_the_synthetic_run_shows_it(claim_id, result, holds):
    claim = {c.id: c for c in lipschitz_claims.CLAIMS}[claim_id]
    measured = claim.check(*result)
    assert measured.verdict == ("holds" if holds else "fails"), measured.detail


def test_censored_points_never_count_as_fast():
    censored = V_SHAPE.copy()
    censored[4:] = STEPS                       # no sharp lane reached ε: the flat regime wins
    m = lipschitz_claims.flat_faster_at_high_accuracy(*sweep_result({("abs", 1e-3): censored}))
    # a censored time counts as the budget: flat ÷ sharp is then an upper bound, which can only hold
    assert m.verdict == "holds" and 0 < m.value < 1 and "an upper bound" in m.detail
    m = lipschitz_claims.sharp_faster_at_loose_accuracy(*sweep_result({("abs", 1e-2): censored}))
    assert m.verdict == "fails" and m.value > 1 and "a lower bound" in m.detail   # ... only fail
    both = np.full_like(V_SHAPE, STEPS)              # nothing reached ε: no bound, undecided
    m = lipschitz_claims.flat_faster_at_high_accuracy(*sweep_result({("abs", 1e-3): both}))
    assert m.verdict == "undecided" and "no bound" in m.detail


def test_every_claim_is_tested_and_evaluated_rows_are_plain():
    tested = {p[0] for p in test_claim_holds_only_where_the_synthetic_run_shows_it.pytestmark[0].args[1]}
    assert tested == {c.id for c in EXPERIMENT.claims}
    _, scalars, arrays = sweep_result()
    rows = claims_lib.evaluate(EXPERIMENT.claims, CFG, scalars, arrays)
    broken = [r for r in rows if r["verdict"] == "not evaluable"]          # dynamics/maps absent here
    assert {r["id"] for r in broken} == {"sharp-run-faster", "attention-on-own-feature"}

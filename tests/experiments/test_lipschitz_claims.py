"""The Lipschitz-threshold claims on synthetic saved results: each test must hold where the synthetic
run shows the paper's statement, fail where it shows the opposite, be not evaluable where the run
cannot speak to it, and its control must not pass."""

import math

import numpy as np
import pytest

from iclx import config
from iclx.framework import claims as claims_lib
from iclx.experiments.lipschitz_threshold import EXPERIMENT, claims as lipschitz_claims
from iclx.experiments.lipschitz_threshold import claims_dynamics, claims_sweep
from iclx.theory import lipschitz as lipschitz_theory

LS = np.array([1.0, 2, 4, 8, 16, 32, 64, 128])
L_STAR = 10.0
TAG = "equicorrelated/amplitude/rho=0"
STEPS = 1_000_000
SEEDS = 3
EPS = {"rel": (1e-2, 1e-3), "abs": (1e-2, 1e-3)}
# the fields of a run's config that the claims read
CFG = config.ConfigDict({"preset": "cpu", "task": {"features": "equicorrelated", "n_features": 5},
                         "sweep": {"train": {"steps": STEPS}, "eps_rel": EPS["rel"], "eps_abs": EPS["abs"]},
                         "eval": {"families": ("linear", "sine")}})
BY_ID = {c.id: c for c in lipschitz_claims.CLAIMS}


def _lr(L):
    return float(min(1.0, (L_STAR / L) ** 2))       # η = min(η_flat, 1/β), β ∝ L²


def _predicted(kind, eps):
    grid = np.geomspace(0.1, 1000, 41)
    return lipschitz_theory.time_to_eps(eps, lipschitz_theory.interp_log(LS, grid, 0.1 * grid ** 2),
                                        np.array([_lr(L) for L in LS]), 5, 1.0, relative=(kind == "rel"))


def sweep_result(times=None, common=None, family=None):
    """A synthetic saved run (config, scalars, arrays): one amplitude ρ = 0 sweep (theory rule, 3 seeds
    per L, L* = 10); ``times[(kind, eps)]`` replaces that ε's steps-to-ε (default: exactly our T*),
    each seed within ±1% of it (a censored time stays censored); ``common``: steps to the smallest
    relative ε of common-η lanes at L > L*; ``family``: {features: (L*, Δ, δ)} tables."""
    labels = [{"L": float(L), "alpha": 1.0, "rho": 0.0, "scaling": "amplitude", "rule": "theory",
               "lr": _lr(L), "seed": seed} for L in LS for seed in range(SEEDS)]
    above = LS > L_STAR
    if common is not None:
        labels += [{"L": float(L), "alpha": 1.0, "rho": 0.0, "scaling": "amplitude", "rule": "common",
                    "lr": 1.0, "seed": seed} for L in LS[above] for seed in range(SEEDS)]
    grid = np.geomspace(0.1, 1000, 41)
    scalars = {"theory": {TAG: {"L_star": L_STAR, "c": 3.0, "gram": 1.0}}, "lanes": {"sweep": labels}}
    arrays = {f"theory/{TAG}/grid": grid, f"theory/{TAG}/sigma2": 0.1 * grid ** 2}
    jitter = np.tile(np.linspace(-0.01, 0.01, SEEDS), len(LS))
    for kind, values in EPS.items():
        for eps in values:
            t = np.repeat(np.asarray((times or {}).get((kind, eps), _predicted(kind, eps)), float), SEEDS)
            t = np.where(t >= STEPS, t, t * (1 + jitter))
            if common is not None:
                t = np.concatenate([t, np.repeat(np.asarray(common, float)[above], SEEDS)
                                    if (kind, eps) == ("rel", 1e-3) else np.ones(SEEDS * above.sum())])
            arrays[f"sweep/T_{kind}_{eps:g}"] = t
    for features, (L_star, margin, delta) in (family or {}).items():
        arrays.update({f"family/{features}/L_star": L_star, f"family/{features}/margin": margin,
                       f"family/{features}/delta": delta})
    return CFG, scalars, arrays


def curves(kind: str, n_steps: int = 400, half_at: float = 40.0, K: int = 5):
    """(target attention [T], most attended other feature's attention [T]) of a synthetic run:
    ``two-phase``: the continuous-time path of the balanced model, dz/dt ∝ e^z/(e^z + K − 1)³
    (the gap closes ever faster until ½, then ever slower), with an irrelevant feature that first
    gains and then loses attention; ``one-phase``: an exponential approach and uniform decay."""
    t = np.arange(1, n_steps + 1, dtype=float)
    if kind == "one-phase":
        tau = (half_at - 1) / math.log(2 * (1 - 1 / K))
        a = 1 - (1 - 1 / K) * np.exp(-(t - 1) / tau)
        return a, (1 - a) / (K - 1)
    S_grid = np.geomspace(1, 1e4, 20001)
    F = lambda S: (S ** 2 - 1) / 2 + 3 * (K - 1) * (S - 1) + 3 * (K - 1) ** 2 * np.log(S) + (K - 1) ** 3 * (1 - 1 / S)
    S = np.interp((t - 1) * F(K - 1.0) / (half_at - 1), F(S_grid), S_grid)
    a = S / (S + K - 1)
    return a, (1 - a) * (1 / (K - 1) + 0.3 * (1 - np.exp(-(t - 1) / 10)))


def dynamics_result(flat="two-phase", sharp="two-phase", own=(0.97, 0.99), mse_ratio=0.01, log_every=1):
    """A synthetic run with a flat and a sharp dynamics point (``curves`` kinds), attention maps with
    ``own`` attention on the query's own feature and MSE ``mse_ratio`` × uniform attention's."""
    K, lanes = 4, [{"L": L, "regime": regime, "seed": seed}
                   for L, regime in ((2.5, "flat"), (40.0, "sharp")) for seed in range(SEEDS)]
    runs = {"flat": curves(flat, K=K), "sharp": curves(sharp, half_at=15.0, K=K)}
    steps = np.arange(1, 401)[log_every - 1::log_every]
    pick = lambda curve, lane: (curve * (1 + 0.001 * lane["seed"]))[steps - 1]
    arrays = {"dynamics/step": steps,
              "dynamics/attn_target": np.stack([pick(runs[ln["regime"]][0], ln) for ln in lanes], axis=1),
              "dynamics/above_rel_0.001": np.stack([steps <= (80 if ln["regime"] == "flat" else 20)
                                                    for ln in lanes], axis=1).astype(float)}
    for eps, (t_flat, t_sharp) in ((1e-3, (90, 120)), (1e-2, (60, 20))):    # our runs cross over
        arrays[f"dynamics/above_abs_{eps:g}"] = np.stack(
            [steps <= (t_flat if ln["regime"] == "flat" else t_sharp) for ln in lanes], axis=1).astype(float)
    for k in range(1, K):
        share = 1.0 if k == 1 else 0.5
        arrays[f"dynamics/attn_q0_k{k}"] = np.stack([share * pick(runs[ln["regime"]][1], ln) for ln in lanes], axis=1)
    scalars = {"lanes": {"dynamics": lanes},
               "dynamics_points": [{"L": 2.5, "regime": "flat", "lr": 1.0},
                                   {"L": 40.0, "regime": "sharp", "lr": 1 / 64}]}
    for i, a in enumerate(own):
        for family in ("linear", "sine"):
            matrix = a * np.eye(K) + (1 - a) / (K - 1) * (1 - np.eye(K))
            arrays[f"maps/{i}/{family}/matrix"] = np.stack([matrix] * SEEDS)      # [seeds, K, K]
            arrays[f"maps/{i}/{family}/mse_uniform"] = np.full(SEEDS, 2.0)
            arrays[f"maps/{i}/{family}/mse_model"] = 2.0 * mse_ratio * np.linspace(0.99, 1.01, SEEDS)
    return CFG, scalars, arrays


KNEE_AT_10 = np.maximum(1e4 / LS ** 2, 100.0)
KNEE_AT_100 = np.maximum(1e4 / LS ** 2, 1.0)
COMMON = np.ones(LS.size)                  # the common η reaches ε in one step above L*
RHOS = np.array([0.0, 0.25, 0.5, 1, 2, 4])
MARGIN, DELTA = 1 / (1 + RHOS * 3) ** 2, np.full(RHOS.size, 0.3)
FOLLOWS = {"equicorrelated": (3.0 / (MARGIN * DELTA), MARGIN, DELTA)}                    # slope 1
FLAT = {"equicorrelated": (np.full(RHOS.size, 20.0), MARGIN, DELTA)}                    # slope 0
SHORT = {"equicorrelated": (3.0 / (MARGIN[:2] * DELTA[:2]), MARGIN[:2], DELTA[:2])}      # 1.6× span


@pytest.mark.parametrize("claim_id, result, verdict", [
    ("threshold-location", sweep_result({("rel", 1e-3): KNEE_AT_10}, common=COMMON), "holds"),
    ("threshold-location", sweep_result({("rel", 1e-3): KNEE_AT_100}, common=COMMON), "fails"),
    ("threshold-constant", sweep_result(family=FOLLOWS), "holds"),
    ("threshold-constant", sweep_result(family=FLAT), "fails"),
    ("threshold-constant", sweep_result(family={**FOLLOWS, "random": FLAT["equicorrelated"]}), "fails"),
    ("time-bound", sweep_result(), "holds"),
    ("time-bound", sweep_result({("abs", 1e-3): 3 * _predicted("abs", 1e-3)}), "fails"),
    ("two-phase-dynamics", dynamics_result(), "holds"),
    ("two-phase-dynamics", dynamics_result(flat="one-phase"), "fails"),
    ("attention-on-own-feature", dynamics_result(own=(0.95, 0.99)), "holds"),
    ("attention-on-own-feature", dynamics_result(own=(0.6, 0.99)), "fails"),
])
def test_claim_holds_only_where_the_synthetic_run_shows_it(claim_id, result, verdict):
    measured = BY_ID[claim_id].check(*result)
    assert measured.verdict == verdict, measured.detail
    assert measured.control is not None and measured.control.measured.verdict != "holds", measured.control


@pytest.mark.parametrize("claim_id, result, reason", [
    ("threshold-location", sweep_result({("rel", 1e-3): np.full(LS.size, STEPS)}), "fewer than 4"),
    ("threshold-constant", sweep_result(), "no feature-family tables"),
    ("threshold-constant", sweep_result(family=SHORT), "spans only"),
    ("two-phase-dynamics", dynamics_result(log_every=50), "not resolved"),
    ("attention-on-own-feature", dynamics_result(mse_ratio=0.8), "has not learned"),
    ("sharp-run-faster", dynamics_result(), r"ε = 0.001 \(20 / 80\) measure 0.25 where the step sizes alone "
                                            "predict 0.25"),
    ("flat-faster-high-accuracy", sweep_result(), "Theorems 1–2"),
    ("sharp-faster-loose-accuracy", sweep_result(), "Theorems 1–2"),
])
def test_claim_is_not_evaluable_where_the_run_cannot_speak(claim_id, result, reason):
    with pytest.raises(claims_lib.NotEvaluable, match=reason):
        BY_ID[claim_id].check(*result)


def test_the_knee_control_uses_the_common_lanes():
    m = claims_sweep.measured_threshold(*sweep_result({("rel", 1e-3): KNEE_AT_10}, common=COMMON))
    assert m.control.measured.value > 2                   # the knee moves far above L*: no switch, no knee
    m = claims_sweep.measured_threshold(*sweep_result({("rel", 1e-3): KNEE_AT_10}))
    assert m.verdict == "holds" and "reverse order" in m.control.label     # no common lanes: the times
    assert m.control.measured.verdict == "fails"                           # paired with L reversed


def test_attention_of_a_model_that_has_not_learned_keeps_its_control():
    with pytest.raises(claims_lib.NotEvaluable, match="has not learned") as error:
        claims_dynamics.attention_on_own_feature(*dynamics_result(mse_ratio=0.8))
    assert error.value.control.label == "uniform attention (Q = 0)"
    assert error.value.control.measured.verdict == "fails"


def test_the_rows_that_are_never_evaluable_keep_a_control():
    """sharp-run-faster: the step sizes alone give the same verdict (a control that passes: the test
    says nothing of the regimes); the crossover claims: their test on our two runs' steps to ε."""
    cfg, scalars, arrays = dynamics_result()
    rows = {r["id"]: r for r in claims_lib.evaluate(EXPERIMENT.claims, cfg, scalars, arrays)}
    sharp = rows["sharp-run-faster"]
    assert sharp["verdict"] == "not evaluable" and sharp["control"]["value"] == pytest.approx(0.25)
    assert sharp["control"]["verdict"] == "holds"
    flat, loose = rows["flat-faster-high-accuracy"]["control"], rows["sharp-faster-loose-accuracy"]["control"]
    assert flat["value"] == pytest.approx(0.75) and flat["verdict"] == "holds"     # flat ÷ sharp at 1e-3
    assert loose["value"] == pytest.approx(1 / 3) and loose["verdict"] == "holds"  # sharp ÷ flat at 1e-2
    assert "Theorems 1–2" in rows["flat-faster-high-accuracy"]["detail"]


def test_the_crossover_test_on_the_theorems_times():
    assert claims_sweep.crossover(50.0, 80.0).verdict == "holds"        # the claimed-faster regime is
    assert claims_sweep.crossover(80.0, 50.0).verdict == "fails"        # faster / slower


def test_phase_shapes_of_the_two_references():
    steps = np.arange(1, 401, dtype=float)
    one = claims_dynamics.phase_shapes(steps, curves("one-phase")[0])
    two = claims_dynamics.phase_shapes(steps, curves("two-phase")[0])
    assert one == pytest.approx(claims_dynamics.ONE_PHASE_SHAPES, abs=0.02)
    assert two[0] < 0.95 and two[1] > 1.5
    assert claims_dynamics.crossing_time(steps, steps / 400, 0.5) == pytest.approx(200.0)


def test_every_claim_is_tested_and_evaluated_rows_are_plain():
    tested = {p[0] for p in test_claim_holds_only_where_the_synthetic_run_shows_it.pytestmark[0].args[1]}
    tested |= {p[0] for p in test_claim_is_not_evaluable_where_the_run_cannot_speak.pytestmark[0].args[1]}
    assert tested == {c.id for c in EXPERIMENT.claims}
    _, scalars, arrays = sweep_result(common=COMMON, family=FOLLOWS)
    rows = claims_lib.evaluate(EXPERIMENT.claims, CFG, scalars, arrays)
    broken = {r["id"] for r in rows if r["verdict"] == "not evaluable"}     # dynamics/maps absent here
    assert broken == {"sharp-run-faster", "flat-faster-high-accuracy", "sharp-faster-loose-accuracy",
                      "two-phase-dynamics", "attention-on-own-feature"}
    assert all(r["control"] for r in rows if r["verdict"] != "not evaluable")

"""Theorem 5.1, Fig. 4 (ill-conditioned inputs) and Fig. 5 right (forgetting) of Fu et al. 2023 as
claims: each test on synthetic arrays where it must hold and where it must fail (the theorem's full
check, which runs the construction, is asserted on the smoke run in test_gd_vs_newton.py)."""

import numpy as np
import pytest

from iclx import config
from iclx.framework import claims as claims_lib
from iclx.experiments.gd_vs_newton import claims as newton_claims
from iclx.experiments.gd_vs_newton import claims_extra as extra
from iclx.experiments.gd_vs_newton import claims_table as table

CFG = config.ConfigDict({"preset": "cpu", "sim": {"decimals": 3, "gd_lr": 0.01},
                         "task": {"n_dims": 5, "n_points": 11, "covariance": "two_level"}})


def check(claim_id: str, arrays, cfg=CFG) -> claims_lib.Measured:
    return next(c for c in newton_claims.CLAIMS if c.id == claim_id).check(cfg, {}, arrays)


def learned(tf: float = 0.01, lstm: float = 0.3) -> dict:
    out = {f"{k}/error_model": np.full((3, 11), v) for k, v in (("tf", tf), ("lstm", lstm))}
    return out | {"alg/error_averaging": np.full((3, 11), 0.8)}


# --------------------------------------------------------------------------- Theorem 5.1


def newton_iterates(K: int = 6) -> np.ndarray:
    """Distinct "iterates" ``[K, B, n]`` that converge (differences shrink with k)."""
    rng = np.random.default_rng(0)
    limit, start = rng.standard_normal((4, 7)), rng.standard_normal((4, 7))
    return np.stack([limit + start * 0.5 ** k for k in range(1, K + 1)])


def test_constant_overhead_holds_for_blocks_k_plus_2():
    newton = newton_iterates()
    preds = np.concatenate([np.zeros((3, 4, 7)), newton])            # block k + 2 holds iterate k
    assert extra.constant_overhead(preds, newton) == (2.0, 0.0)
    noisy = preds + 1e-5 * np.abs(newton).max()                       # round-off below the agreement
    assert extra.constant_overhead(noisy, newton)[0] == 2.0


def test_constant_overhead_fails_when_no_shift_fits_every_k():
    newton = newton_iterates()
    assert extra.constant_overhead(np.zeros((9, 4, 7)), newton)[0] == np.inf           # never agrees
    growing = np.concatenate([np.zeros((3, 4, 7)), newton[:3], newton[3:4], newton[3:]])   # k + 2, then k + 3
    assert extra.constant_overhead(growing, newton)[0] == np.inf
    assert extra.constant_overhead(np.full((9, 4, 7), np.nan), newton) == (np.inf, np.inf)


# --------------------------------------------------------------------------- Fig. 4


def error_arrays(tf_error: float, gd_reaches: int, newton_reaches: int) -> dict:
    """Errors at the last position: GD's falls below ``tf_error`` at step ``gd_reaches``, Newton's at
    iteration ``newton_reaches``; label averaging errs 0.8."""
    newton_grid, gd_grid, log_grid = np.arange(1, 31), np.arange(100, 4001, 100), 2 ** np.arange(17)
    curve = lambda grid, reach: np.where(grid >= reach, tf_error / 2, 2 * tf_error + 0.1 / grid)
    per_seed = lambda values: np.repeat(np.repeat(values[None, :, None], 11, axis=2), 3, axis=0)
    return {"grid/newton": newton_grid, "grid/gd": gd_grid, "grid/gd_log": log_grid,
            "alg/error_newton": per_seed(curve(newton_grid, newton_reaches)),
            "alg/error_gd": per_seed(curve(gd_grid, gd_reaches)),
            "alg/error_gd_log": per_seed(curve(log_grid, gd_reaches))} | learned(tf=tf_error)


def test_ill_conditioned_claim_holds_where_gd_needs_thousands_of_steps():
    m = check("ill-conditioned-gd-needs-thousands", error_arrays(0.01, gd_reaches=2000, newton_reaches=12))
    assert m.verdict == "holds" and m.value == pytest.approx(np.log10(2000))   # the linear grid has 2000
    assert m.control.measured.verdict == "fails"                       # averaging: one GD step reaches it
    never = check("ill-conditioned-gd-needs-thousands", error_arrays(0.01, gd_reaches=10 ** 6, newton_reaches=12))
    assert never.verdict == "holds" and never.value == np.inf          # beyond the grid: > 65536 steps


def test_ill_conditioned_claim_fails_where_gd_is_fast_or_newton_slow():
    fast_gd = check("ill-conditioned-gd-needs-thousands", error_arrays(0.01, gd_reaches=300, newton_reaches=12))
    assert fast_gd.verdict == "fails"
    slow_newton = error_arrays(0.01, gd_reaches=2000, newton_reaches=1000)          # never within 30
    assert check("ill-conditioned-gd-needs-thousands", slow_newton).verdict == "fails"


def test_ill_conditioned_claim_needs_the_variant_and_a_learned_model():
    arrays = error_arrays(0.01, gd_reaches=2000, newton_reaches=12)
    isotropic = config.ConfigDict(CFG.to_dict() | {"task": {"n_dims": 5, "n_points": 11, "covariance": "isotropic"},
                                                   "sim": {"decimals": 3, "gd_lr": 0.01, "gd_lin_max": 4000,
                                                           "gd_log2_max": 12}})
    claim = next(c for c in newton_claims.CLAIMS if c.id == "ill-conditioned-gd-needs-thousands")
    # another variant: the claim's config need says so, in one place, and the row keeps the control
    row, = claims_lib.evaluate([claim], isotropic, {}, arrays)
    assert row["verdict"] == "not evaluable" and "--variant=ill_conditioned" in row["detail"]
    assert row["control"]["verdict"] == "fails"
    with pytest.raises(claims_lib.NotEvaluable, match="has not learned") as not_learned:
        check("ill-conditioned-gd-needs-thousands", arrays | learned(tf=0.78))
    assert not_learned.value.control.measured.verdict == "fails"   # the row keeps its test's control


def test_an_unmet_config_need_keeps_the_control_but_a_left_out_stage_does_not():
    """Claims.evaluate with an unmet ``requires``: the check still runs for its control (a
    reference's value); with a stage left out it does not run."""
    measured = claims_lib.with_control(claims_lib.Measured(1.0, "holds"), "ref", claims_lib.Measured(0.0, "fails"))
    claim = claims_lib.Claim("c", "s", "Fig", "t", lambda cfg, s, a: measured, needs=("train",),
                             requires=lambda cfg: ["x > 0"])
    row, = claims_lib.evaluate([claim], config.ConfigDict({"preset": "cpu", "stages": ()}), {}, {})
    assert (row["verdict"], row["detail"], row["control"]["label"]) == ("not evaluable", "not evaluable: needs x > 0",
                                                                          "ref")
    row, = claims_lib.evaluate([claim], config.ConfigDict({"preset": "cpu", "stages": ("eval",)}), {}, {})
    assert "left out" in row["detail"] and row["control"] is None


def test_ill_conditioned_claim_needs_a_gd_grid_reaching_thousands():
    grids = lambda lin, log2, cov="two_level": config.ConfigDict(
        {"sim": {"gd_lin_max": lin, "gd_log2_max": log2}, "task": {"covariance": cov}})
    assert extra.gd_grids_reach_thousands(grids(4000, 16)) == extra.gd_grids_reach_thousands(grids(50, 10)) == []
    assert extra.gd_grids_reach_thousands(grids(50, 6)) == [
        "a GD grid reaching 1000 steps (sim.gd_lin_max or 2^sim.gd_log2_max; has 64)"]
    assert extra.gd_grids_reach_thousands(grids(4000, 16, "isotropic")) == [     # the variant comes first
        "ill-conditioned inputs (κ = 100): --variant=ill_conditioned"]


# --------------------------------------------------------------------------- Fig. 5 right


def forget_arrays(lstm, tf, ls=None) -> dict:
    """Per-gap errors ``[3 seeds, 10]`` (± 0.002 over the seeds) of the LSTM, transformer, least squares."""
    jitter = np.array([-0.002, 0.0, 0.002])[:, None]
    curves = {"lstm/forget": lstm, "tf/forget": tf, "alg/forget_least_squares": ls if ls is not None else [0.0] * 10}
    return {k: np.asarray(v, dtype=float)[None] + jitter * (k != "alg/forget_least_squares")
            for k, v in curves.items()} | learned()


def test_forgetting_is_older_half_minus_newer_half():
    np.testing.assert_allclose(table.forgetting(np.array([[0, 0, 1, 5, 9.0]])), [7.0])   # (5+9)/2 − 0


def test_lstm_forgets_holds_on_the_papers_pattern():
    m = check("lstm-forgets-old-examples", forget_arrays(lstm=np.linspace(0.02, 0.2, 10), tf=[0.01] * 10))
    assert (m.verdict, m.control.measured.verdict) == ("holds", "fails")


@pytest.mark.parametrize("lstm,tf", [([0.1] * 10, [0.01] * 10),                               # no forgetting
                                     (np.linspace(0.2, 0.02, 10), [0.01] * 10),               # remembers old ones
                                     (np.linspace(0.02, 0.2, 10), np.linspace(0.01, 0.3, 10))])  # tf forgets more
def test_lstm_forgets_fails_otherwise(lstm, tf):
    assert check("lstm-forgets-old-examples", forget_arrays(lstm=lstm, tf=tf)).verdict == "fails"


def test_lstm_forgets_without_an_lstm_is_not_evaluable():
    arrays = {k: v for k, v in forget_arrays([0.1] * 10, [0.01] * 10).items() if not k.startswith("lstm/")}
    with pytest.raises(claims_lib.NotEvaluable, match="lstm.enabled"):
        check("lstm-forgets-old-examples", arrays)


def test_lstm_claims_name_the_lstm_as_their_need():
    from iclx.experiments.gd_vs_newton.claims_common import needs_lstm

    lstm = lambda on: config.ConfigDict({"lstm": {"enabled": on}})
    assert needs_lstm(lstm(True)) == []
    assert needs_lstm(lstm(False)) == ["the LSTM trained (lstm.enabled=true; this run turns it off)"]

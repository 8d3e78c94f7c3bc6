"""The tests of the Gaussian-mixture claims (arXiv 2410.11778) on synthetic arrays: each holds where
its property is built in, fails where it is not, and its control (the same test on a reference that
must not have the property) does not pass. Convergence, W*_N and the error's N and M terms."""

import numpy as np
import pytest

from iclx import config
from iclx.framework import claims as claims_lib
from iclx.experiments.gmm_classification.claims import CLAIMS

SEEDS, BANKS, D = 4, 6, 3
N_CONV, N_MIN = [10, 40, 160], [10, 20, 40, 80, 160, 320, 640]
M_VALUES = [5, 10, 20, 50, 100, 200, 500, 1000, 3000]
CFG = config.ConfigDict({
    "preset": "cpu", "stages": [], "seeds": SEEDS,
    "task": {"n_dims": D, "n_points": 40, "n_classes": 2, "cov_min": 0.5, "cov_max": 2.0},
    "convergence": {"N_values": N_CONV}, "eval": {"M_values": M_VALUES},
    "minimizer": {"N_values": N_MIN, "classes": [2, 3], "fit_from": 40}})
RNG = np.random.default_rng(0)
INV = np.diag(1.0 / np.linspace(0.5, 2.0, D))


def noisy(values, scale: float = 0.01) -> np.ndarray:
    values = np.asarray(values, float)
    return values * (1.0 + scale * RNG.standard_normal(values.shape))


def row(claim_id: str, arrays: dict, scalars: dict | None = None) -> dict:
    claim = [c for c in CLAIMS if c.id == claim_id]
    return claims_lib.evaluate(claim, CFG, scalars or {}, arrays)[0]


def assert_holds_with_failing_control(out: dict) -> None:
    assert out["verdict"] == "holds", out["detail"]
    assert out["control"] is not None and out["control"]["verdict"] != "holds", out["control"]


# --------------------------------------------------------------------------- convergence


def convergence(curve) -> tuple[dict, dict]:
    """One stage, N_CONV × SEEDS lanes, each logged distance ``curve(t)``."""
    t = np.arange(1, 1501, dtype=float)
    lanes = [{"seed": s, "N": N} for N in N_CONV for s in range(SEEDS)]
    dist = np.stack([noisy(curve(t), 1e-3) for _ in lanes], axis=1)
    return {"conv/gd_d3_c2/dist": dist, "conv/gd_d3_c2/step": t}, {"lanes": {"gd_d3_c2": lanes}}


def test_linear_convergence_holds_on_a_geometric_curve():
    arrays, scalars = convergence(lambda t: 0.98 ** t)
    assert_holds_with_failing_control(row("linear-convergence", arrays, scalars))


def test_linear_convergence_fails_on_a_sublinear_curve():
    arrays, scalars = convergence(lambda t: 1.0 / (1.0 + t))
    assert row("linear-convergence", arrays, scalars)["verdict"] == "fails"


def rates(measured: float, predicted: float) -> tuple[dict, dict]:
    lanes = [{"seed": s, "N": N} for N in N_CONV for s in range(SEEDS)]
    n = len(lanes)
    arrays = {"conv/gd_d3_c2/rate_measured": noisy(np.full(n, measured), 1e-4),
              "conv/gd_d3_c2/rate_theory": np.full(n, predicted),
              "conv/gd_d3_c2/rate_init": np.full(n, 0.95), "conv/gd_d3_c2/dist": np.ones((2, n))}
    return arrays, {"lanes": {"gd_d3_c2": lanes}}


def test_rate_vs_curvature_holds_on_matching_rates():
    assert_holds_with_failing_control(row("rate-vs-curvature", *rates(0.98, 0.9801)))


def test_rate_vs_curvature_fails_on_a_rate_the_curvature_does_not_predict():
    assert row("rate-vs-curvature", *rates(0.98, 0.95))["verdict"] == "fails"


# --------------------------------------------------------------------------- W*_N


def minimizers(power_N: float, power_c: float) -> dict:
    """W*_N = c(Λ⁻¹ + G) with G = (c/2)^power_c A / N^power_N, per bank a little noise."""
    A = RNG.standard_normal((D, D))
    Ns = np.asarray(N_MIN, float)[None, :, None, None]
    out = {}
    for c in (2, 3):
        G = noisy(np.broadcast_to((c / 2) ** power_c * A / Ns ** power_N, (BANKS, len(N_MIN), D, D)))
        out[f"minimizer/W_c{c}"] = c * (INV + G)
    return out


def test_minimizer_1_over_N_holds_on_a_1_over_N_correction():
    assert_holds_with_failing_control(row("minimizer-1-over-N", minimizers(1.0, 1.0)))


def test_minimizer_1_over_N_fails_on_a_1_over_sqrt_N_correction():
    assert row("minimizer-1-over-N", minimizers(0.5, 1.0))["verdict"] == "fails"


def test_minimizer_c_scaling_holds_on_a_correction_linear_in_c():
    assert_holds_with_failing_control(row("minimizer-c-scaling", minimizers(1.0, 1.0)))


def test_minimizer_c_scaling_fails_on_a_correction_cubic_in_c():
    assert row("minimizer-c-scaling", minimizers(1.0, 3.0))["verdict"] == "fails"


# --------------------------------------------------------------------------- the error's terms


def errors_vs_M(m_power: float, untrained: float = 0.3) -> dict:
    """TV [N, seeds, M] = 1/N + 0.3 M^−m_power; the untrained W's TV ``untrained``."""
    N = np.asarray(N_CONV, float)[:, None, None]
    M = np.asarray(M_VALUES, float)[None, None, :]
    tv = noisy(np.broadcast_to(1.0 / N + 0.3 * M ** -m_power, (len(N_CONV), SEEDS, len(M_VALUES))))
    return {"error_M/tv": tv, "error_M/tv_untrained": noisy(np.full((SEEDS, len(M_VALUES)), untrained))}


def test_test_length_rate_holds_on_a_1_over_sqrt_M_error():
    assert_holds_with_failing_control(row("test-length-rate", errors_vs_M(0.5)))


def test_test_length_rate_fails_on_a_1_over_M_error():
    assert row("test-length-rate", errors_vs_M(1.0))["verdict"] == "fails"


def test_test_length_rate_is_not_evaluable_on_a_model_no_better_than_W_0():
    out = row("test-length-rate", errors_vs_M(0.5, untrained=0.06))
    assert out["verdict"] == "not evaluable" and "has not learned" in out["detail"]
    assert out["control"]["label"].startswith("M ≥ 4N")          # the row keeps its control


@pytest.mark.parametrize("m_power,verdict", [(0.5, "holds"), (1.0, "fails")])
def test_test_length_rate_without_the_floor_regime_is_controlled_by_W_0(m_power, verdict):
    """A run whose M stop below 4N at the smallest N: the control is W = 0's TV, flat in M."""
    short = [i for i, m in enumerate(M_VALUES) if m < 4 * min(N_CONV)]
    arrays = {k: v[..., short] for k, v in errors_vs_M(m_power).items()}
    cfg = config.ConfigDict(CFG.to_dict() | {"eval": {"M_values": [M_VALUES[i] for i in short]}})
    out = claims_lib.evaluate([c for c in CLAIMS if c.id == "test-length-rate"], cfg, {}, arrays)[0]
    assert out["verdict"] == verdict and out["control"]["label"] == "the untrained W = 0"
    assert out["control"]["verdict"] == "fails"


def floors(floor: float) -> dict:
    """W*_N's TV at M = ∞: floor + 1/N; at the shortest M 0.2 + 1/N² (the M term dominates)."""
    Ns = np.asarray(N_MIN, float)
    shape = (BANKS, len(N_MIN))
    return {"minimizer/tv_inf": noisy(np.broadcast_to(floor + 1.0 / Ns, shape)),
            "minimizer/tv_short": noisy(np.broadcast_to(0.2 + 1.0 / Ns ** 2, shape))}


def test_train_length_floor_holds_on_a_1_over_N_error():
    assert_holds_with_failing_control(row("train-length-floor", floors(0.0)))


def test_train_length_floor_fails_on_an_error_with_an_N_independent_floor():
    assert row("train-length-floor", floors(0.01))["verdict"] == "fails"


def diagonal(floor: float) -> dict:
    """Along M = N: TV floor + 0.5/√N (the control W*_N/2: 0.1 + 0.5/√N)."""
    Ns = np.asarray(N_MIN, float)
    shape = (BANKS, len(N_MIN))
    return {"minimizer/tv_diag": noisy(np.broadcast_to(floor + 0.5 / np.sqrt(Ns), shape)),
            "minimizer/tv_diag_half": noisy(np.broadcast_to(0.1 + 0.5 / np.sqrt(Ns), shape)),
            "minimizer/cls_diag": np.full(shape, 0.16), "minimizer/bayes_diag": np.full(shape, 0.15)}


def test_approaches_bayes_holds_on_an_error_without_floor():
    assert_holds_with_failing_control(row("approaches-bayes", diagonal(0.0)))


def test_approaches_bayes_fails_on_an_error_with_a_floor():
    assert row("approaches-bayes", diagonal(0.1))["verdict"] == "fails"


@pytest.mark.parametrize("claim", [c.id for c in CLAIMS])
def test_every_claim_names_its_control(claim):
    """The test text of every claim says what its control is."""
    assert "control" in [c for c in CLAIMS if c.id == claim][0].threshold

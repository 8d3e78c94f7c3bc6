"""Tests of the data-mixing claims' tests on synthetic arrays: each must hold where the property is
there, fail where it is not, and decline (not evaluable) where the MLP does not beat predicting 0."""

import numpy as np
import pytest

from iclx.framework import claims
from iclx.experiments.data_mixing import EXPERIMENT

RUNS = 6
ZERO = 5.0          # the zero predictor's error: far above every model unless a test says otherwise
ALL_STAGES = EXPERIMENT.config("cpu", [("stages", "dimensions,mixing,eta,real")])    # every claim's stage


def _stage(points, means, noise, seed=0):
    """Lane labels and errors ``[L, 2, 4]`` of a fake stage: ``means`` per point, ``[P, 4]`` (MLP,
    equivalent, linear, zero; both sources alike) or ``[P, 2, 4]``, each Monte Carlo run multiplying
    them by 1 + noise · N(0, 1)."""
    gen = np.random.default_rng(seed)
    means = np.asarray(means, float)
    if means.ndim == 2:
        means = np.repeat(means[:, None], 2, axis=1)
    labels, rows = [], []
    for point, m in zip(points, means):
        for run in range(RUNS):
            labels.append({**point, "seed": run})
            rows.append(m * (1 + noise * gen.standard_normal(m.shape)))
    return labels, np.asarray(rows)


def _row(claim_id, stages, real=False):
    built = {name: _stage(*spec, seed=i) for i, (name, spec) in enumerate(stages.items())}
    scalars = {"lanes": {k: v[0] for k, v in built.items()}}
    if real:
        scalars["real_data"] = {"languages": ["de", "en"], "encoder": "synthetic"}
    rows = claims.evaluate(EXPERIMENT.claims, ALL_STAGES, scalars,
                           {k: v[1] for k, v in built.items()})
    row = next(r for r in rows if r["id"] == claim_id)
    assert row["replicates"] in (None, RUNS) and row["replicate_axis"] in (None, "Monte Carlo runs"), row
    return row


def _verdict(claim_id, stages, real=False):
    return _row(claim_id, stages, real)["verdict"]


def models(mlp, eq=None, lin=2.0, zero=ZERO):
    return [mlp, mlp if eq is None else eq, lin, zero]


# --------------------------------------------------------------------------- Fig 1


def _dims(curve_n=(1.0, 0.9, 0.8, 0.7), curve_k=(1.0, 0.9, 0.8, 0.7), curve_ell=(1.0, 0.9, 0.8, 0.7),
          linear=2.0, zero=ZERO, noise=0.02):
    out = {}
    for axis, key, values in (("n", "n_ratio", curve_n), ("ell", "ell_ratio", curve_ell),
                              ("k", "k_ratio", curve_k)):
        points = [{"activation": "relu", key: float(v)} for v in (0.25, 0.5, 1.0, 2.0)]
        out[f"dims_relu_{axis}"] = (points, [models(m, lin=linear, zero=zero) for m in values], noise)
    return out


PEAK = (0.5, 1.5, 0.8, 0.6)


@pytest.mark.parametrize("linear,verdict", [(2.0, "holds"), (0.5, "fails")])
def test_mlp_beats_linear_holds_on_a_lower_mlp_fails_on_a_higher_one(linear, verdict):
    assert _verdict("mlp-beats-linear", _dims(linear=linear)) == verdict


def test_mlp_beats_linear_declines_when_predicting_zero_is_better():
    row = _row("mlp-beats-linear", _dims(zero=0.5))
    assert row["verdict"] == "not evaluable" and "has not learned" in row["detail"]
    assert "the test would give" in row["detail"] and row["control"]["verdict"] == "holds"   # zero < linear


@pytest.mark.parametrize("linear,verdict", [(2.0, "holds"), (0.5, "fails")])
def test_mlp_beats_linear_without_fig_3_is_controlled_by_the_zero_predictor(linear, verdict):
    row = _row("mlp-beats-linear", _dims(linear=linear))
    assert row["verdict"] == verdict and row["control"]["label"] == "the zero predictor in the MLP's place"
    assert row["control"]["verdict"] == "fails"
    with_rf = _row("mlp-beats-linear", {**_dims(linear=linear), "eta_x": _eta(0.0)})
    assert with_rf["control"]["label"].startswith("random features")


@pytest.mark.parametrize("axis", ["n", "k"])
def test_double_descent_holds_on_a_peak_fails_on_a_monotone_curve(axis):
    assert _verdict(f"double-descent-{axis}", _dims(**{f"curve_{axis}": PEAK})) == "holds"
    assert _verdict(f"double-descent-{axis}", _dims()) == "fails"


def test_double_descent_controls_do_not_peak():
    row = _row("double-descent-k", _dims(curve_k=PEAK))
    assert row["control"]["verdict"] == "fails"           # the linear model does not depend on k


def test_decreasing_in_ell_holds_on_a_falling_curve_fails_on_a_rising_one():
    assert _verdict("decreasing-in-ell", _dims(curve_k=PEAK)) == "holds"
    row = _row("decreasing-in-ell", _dims(curve_ell=(0.7, 0.8, 0.9, 1.0), curve_k=PEAK))
    assert row["verdict"] == "fails" and row["control"]["verdict"] == "fails"


@pytest.mark.parametrize("eq,noise,verdict", [(1.02, 0.005, "holds"), (1.5, 0.01, "fails")])
def test_equivalence_holds_on_matching_models_fails_on_distant_ones(eq, noise, verdict):
    row = _row("model-matches-equivalent", {"mix_x": (RHOS, [models(1.0, eq)] * 3, noise)})
    assert row["verdict"] == verdict and row["control"]["verdict"] == "fails"   # the linear model


# --------------------------------------------------------------------------- Fig 2, Figs 4–6

RHOS = [{"rho": r, "curve": 1.0} for r in (0.0, 0.5, 1.0)]


def _panel(curves: dict, noise=0.02):
    """A Fig 2 panel: ``{curve value: [MLP error at ρ = 0, ½, 1]}`` (the equivalent alike)."""
    points = [{"rho": r, "curve": c} for c in curves for r in (0.0, 0.5, 1.0)]
    return points, [models(m) for c in curves for m in curves[c]], noise


@pytest.mark.parametrize("end,verdict", [(0.5, "holds"), (1.5, "fails")])
def test_mixing_trend_holds_on_a_falling_curve_fails_on_a_rising_one(end, verdict):
    row = _row("structured-input-helps", {"mix_x": _panel({0.0: [1.0, 1.0, 1.0], 4.0: [1.0, 0.8, end]})})
    assert row["verdict"] == verdict
    assert row["control"]["label"].startswith("curve 0") and row["control"]["verdict"] != "holds"


def test_a_trend_without_its_identical_source_curve_is_not_evaluable():
    row = _row("structured-input-helps", {"mix_x": _panel({1.0: [1.0, 1.0, 1.0], 4.0: [1.0, 0.8, 0.5]})})
    assert row["verdict"] == "not evaluable" and "source 1 identical to source 0 (curve 0)" in row["detail"]


def test_a_claim_of_a_stage_the_run_left_out_says_so():
    built = _stage(*_real(FALLING)["real"])
    rows = claims.evaluate(EXPERIMENT.claims, EXPERIMENT.config("cpu", variant="multilingual"),
                           {"lanes": {"real": built[0]}}, {"real": built[1]})
    by_id = {r["id"]: r for r in rows}
    assert by_id["double-descent-n"]["detail"] == "not evaluable: needs stage dimensions, which this run left out"
    assert by_id["model-matches-equivalent"]["detail"] == ("not evaluable: needs a synthetic stage (dimensions, "
                                                           "mixing, eta), which this run left out")
    assert by_id["more-english-helps"]["verdict"] == "holds"


def test_rows_of_an_mlp_that_has_not_learned_keep_their_controls():
    stages = {"mix_x": _panel({0.0: [1.0, 1.0, 1.0], 4.0: [1.0, 0.8, 0.5]}, noise=0.02),
              "eta_xi": _eta(0.4), "eta_x": _eta(0.0)}
    stages = {k: (points, [[*m[:3], 0.3] for m in means], noise) for k, (points, means, noise) in stages.items()}
    for claim_id in ("structured-input-helps", "feature-learning-structured-task", "eta-benefit-grows-with-rho"):
        row = _row(claim_id, stages)
        assert row["verdict"] == "not evaluable" and "zero predictor" in row["detail"], row
        assert row["control"] is not None, claim_id


def test_low_noise_trend_reads_the_smallest_noise_and_controls_with_equal_noise():
    panel = _panel({0.01: [1.0, 0.8, 0.6], 0.2: [1.0, 1.0, 1.0]})
    row = _row("low-noise-helps", {"mix_noise": panel})
    assert row["verdict"] == "holds" and row["control"]["label"].startswith("curve 0.2")


@pytest.mark.parametrize("at_one,verdict", [([1.0, 0.8, 0.6], "holds"), ([0.6, 0.8, 1.0], "fails")])
def test_curve_ordering_holds_when_quality_lowers_the_error(at_one, verdict):
    curves = {c: [1.0, 1.0, e] for c, e in zip((0.0, 1.0, 4.0), at_one)}
    row = _row("quality-orders-curves", {"mix_x": _panel(curves)})
    assert row["verdict"] == verdict and row["control"]["verdict"] != "holds"   # equal at ρ = 0


def _per_source(eq_source1: float, eq_trend: bool = True):
    """mix_x: the MLP falls on source 1 (1 → 0.5) and rises on source 0; the equivalent matches on
    source 0, is ``eq_source1`` × the MLP on source 1 and (without ``eq_trend``) flat there."""
    points, rows = [{"rho": r, "curve": 4.0} for r in (0.0, 0.5, 1.0)], []
    for s0, s1 in ((1.0, 1.0), (1.1, 0.75), (1.2, 0.5)):
        e1 = eq_source1 * (s1 if eq_trend else 1.0)
        rows.append([[s0, s0, 2.0, ZERO], [s1, e1, 2.0, ZERO]])
    return {"mix_x": (points, rows, 0.01)}


@pytest.mark.parametrize("eq,verdict", [(1.02, "holds"), (1.5, "fails")])
def test_per_source_equivalence_holds_on_matching_sources_fails_on_a_distant_one(eq, verdict):
    row = _row("per-source-matches-equivalent", _per_source(eq))
    assert row["verdict"] == verdict and row["control"]["verdict"] == "fails"


@pytest.mark.parametrize("trend,verdict", [(True, "holds"), (False, "fails")])
def test_per_source_trends_hold_when_the_equivalent_moves_with_the_mlp(trend, verdict):
    row = _row("per-source-trends-match", _per_source(1.0, eq_trend=trend))
    assert row["verdict"] == verdict and row["control"]["verdict"] == "fails"


# --------------------------------------------------------------------------- Fig 3


def _eta(gain_at_one: float, gain_at_zero: float = 0.0, noise=0.02):
    """An η panel, η/d² ∈ {0, 4}, ρ ∈ {0, 1}: η = 4d² lowers the error by the given fractions."""
    points = [{"rho": r, "curve": c} for c in (0.0, 4.0) for r in (0.0, 1.0)]
    means = [models(1.0)] * 2 + [models(1.0 - gain_at_zero), models(1.0 - gain_at_one)]
    return points, means, noise


@pytest.mark.parametrize("gain,verdict", [(0.4, "holds"), (0.0, "fails")])
def test_structured_task_gain_holds_on_a_large_gain_fails_on_none(gain, verdict):
    row = _row("feature-learning-structured-task", {"eta_xi": _eta(gain), "eta_x": _eta(0.0)})
    assert row["verdict"] == verdict and row["control"]["verdict"] == "fails"


@pytest.mark.parametrize("gain,verdict", [(0.0, "holds"), (0.3, "fails")])
def test_isotropic_task_no_gain_holds_on_none_fails_on_a_gain(gain, verdict):
    row = _row("no-feature-learning-isotropic-task", {"eta_x": _eta(gain), "eta_xi": _eta(0.4)})
    assert row["verdict"] == verdict and row["control"]["verdict"] == "fails"


@pytest.mark.parametrize("at_one,at_zero,verdict", [(0.4, 0.0, "holds"), (0.0, 0.4, "fails")])
def test_eta_benefit_grows_with_rho(at_one, at_zero, verdict):
    row = _row("eta-benefit-grows-with-rho", {"eta_xi": _eta(at_one, at_zero), "eta_x": _eta(0.0)})
    assert row["verdict"] == verdict


# --------------------------------------------------------------------------- Fig 3c (real data)


def _real(mlp_at, eq=None, zero=ZERO, noise=0.02):
    """A real stage, η/d² ∈ {0, 4}, ρ ∈ {0, 1}: ``mlp_at[(η, ρ)]`` the MLP's error."""
    points = [{"rho": r, "curve": c} for c in (0.0, 4.0) for r in (0.0, 1.0)]
    means = [models(mlp_at[(p["curve"], p["rho"])], eq, zero=zero) for p in points]
    return {"real": (points, means, noise)}


FALLING = {(0.0, 0.0): 1.0, (0.0, 1.0): 0.8, (4.0, 0.0): 0.7, (4.0, 1.0): 0.5}
RISING = {(0.0, 0.0): 0.8, (0.0, 1.0): 1.0, (4.0, 0.0): 0.9, (4.0, 1.0): 1.0}


@pytest.mark.parametrize("errors,verdict", [(FALLING, "holds"), (RISING, "fails")])
def test_real_eta_and_more_english(errors, verdict):
    for claim in ("real-eta-helps", "more-english-helps"):
        row = _row(claim, _real(errors), real=True)
        # controls: the linear model (no first layer: no η gain), the zero predictor (no ρ trend)
        assert row["verdict"] == verdict and row["control"]["verdict"] != "holds", (claim, row)


def test_real_claims_decline_when_the_zero_predictor_wins():
    for claim in ("real-eta-helps", "more-english-helps", "real-model-matches-equivalent"):
        row = _row(claim, _real(FALLING, zero=0.4), real=True)
        assert row["verdict"] == "not evaluable" and "zero predictor" in row["detail"], (claim, row)


@pytest.mark.parametrize("eq,verdict", [(None, "holds"), (2.0, "fails")])
def test_real_equivalence(eq, verdict):
    assert _verdict("real-model-matches-equivalent", _real(FALLING, eq=eq), real=True) == verdict


def test_real_runs_saved_without_a_zero_column_use_the_labels_second_moment():
    # ±1 labels: the zero predictor's error is 1, so a model at 2 has not learned
    built = _stage(*_real(RISING, zero=1.0)["real"])
    arrays = {"real": built[1][..., :3] * 2.0}
    scalars = {"lanes": {"real": built[0]}, "real_data": {"languages": ["de", "en"]}}
    rows = claims.evaluate(EXPERIMENT.claims, ALL_STAGES, scalars, arrays)
    row = next(r for r in rows if r["id"] == "more-english-helps")
    assert row["verdict"] == "not evaluable" and "zero predictor 1" in row["detail"], row

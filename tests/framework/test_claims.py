"""Claims and their verdicts (iclx.framework.claims): holds / fails / undecided from where the whole 95% interval
lies against the threshold, conjunctions, and the JSON rows results.json stores."""

import numpy as np
import pytest

from iclx import config
from iclx.framework import claim_rows, claims
from iclx.framework.stats import Estimate

CFG = config.ConfigDict({"preset": "cpu"})


def interval(low: float, high: float) -> Estimate:
    return Estimate((low + high) / 2, low, high, 5, "seeds")


@pytest.mark.parametrize("op,threshold,low,high,verdict", [
    ("<=", 0.01, 0.002, 0.008, "holds"),       # the whole interval below
    ("<=", 0.01, 0.012, 0.020, "fails"),       # the whole interval above
    ("<=", 0.01, 0.005, 0.015, "undecided"),   # straddles
    ("<", 1.0, 0.9, 1.0, "undecided"),         # touches the threshold from the claim's side
    (">", 0.0, 0.1, 0.3, "holds"),
    (">", 0.0, -0.3, -0.1, "fails"),
    (">=", 0.0, -0.1, 0.1, "undecided"),
    ("within", (-1.2, -0.8), -1.1, -0.9, "holds"),
    ("within", (-1.2, -0.8), -0.7, -0.5, "fails"),
    ("within", (-1.2, -0.8), -0.9, -0.7, "undecided"),
    ("within", (-1.2, -0.8), -1.5, -0.5, "undecided"),   # wider than the band: not decided
])
def test_verdict_from_the_whole_interval(op, threshold, low, high, verdict):
    assert claims.Test(op, threshold).verdict(interval(low, high)) == verdict


def test_verdicts_of_synthetic_claims_from_replicates():
    test = claims.Test("<=", 0.01)
    rng = np.random.default_rng(1)
    below = claims.compare(claims.mean_of(rng.normal(0.005, 0.001, 5)), test)
    above = claims.compare(claims.mean_of(rng.normal(0.020, 0.001, 5)), test)
    across = claims.compare(claims.mean_of(rng.normal(0.010, 0.005, 5)), test)
    assert (below.verdict, above.verdict, across.verdict) == ("holds", "fails", "undecided")
    one_seed = claims.compare(claims.mean_of(np.array([0.001])), test)
    assert one_seed.verdict == "undecided"          # no noise estimate from one replicate
    assert claims.compare(claims.exact(0.001), test).verdict == "holds"


def test_a_conjunction_fails_if_any_part_fails_and_holds_only_if_all_hold():
    h, f, u = (claims.Measured(1.0, v) for v in ("holds", "fails", "undecided"))
    assert claims.all_of([("a", h), ("b", h)]).verdict == "holds"
    assert claims.all_of([("a", h), ("b", u)]).verdict == "undecided"
    assert claims.all_of([("a", u), ("b", f)]).verdict == "fails"


def test_rows_carry_value_interval_replicates_and_verdict():
    def good(cfg, scalars, arrays):
        return claims.compare(claims.mean_of(arrays["x"], "Monte Carlo runs"), claims.Test(">", 0.0))

    def blind(cfg, scalars, arrays):
        raise claims.NotEvaluable("the GPT-2 did not learn")

    def broken(cfg, scalars, arrays):
        return arrays["missing"]

    rows = claims.evaluate([claims.Claim(name, "s", "Fig. 1", "t", fn, scales=("cpu",))
                            for name, fn in (("good", good), ("blind", blind), ("broken", broken))],
                           CFG, {}, {"x": np.array([1.0, 1.2, 0.9, 1.1, 1.0])})
    row = rows[0]
    assert row["verdict"] == "holds" and row["replicates"] == 5 and row["replicate_axis"] == "Monte Carlo runs"
    assert row["interval"][0] < row["value"] < row["interval"][1] and row["applies"]
    assert rows[1]["verdict"] == "not evaluable" and rows[1]["detail"] == "not evaluable: the GPT-2 did not learn"
    assert rows[2]["verdict"] == "not evaluable" and rows[2]["detail"].startswith("could not evaluate: KeyError")
    assert claim_rows.verdict_counts(rows) == {"holds": 1, "fails": 0, "undecided": 0, "not evaluable": 2}
    assert claim_rows.interval_text(row).endswith("(5 Monte Carlo runs)")
    smoke = claims.evaluate([claims.Claim("good", "s", "Fig. 1", "t", good, scales=("cpu",))],
                            config.ConfigDict({"preset": "smoke"}), {}, {"x": np.ones(3)})
    assert smoke[0]["applies"] is False


def test_measured_rejects_an_unknown_verdict():
    with pytest.raises(ValueError):
        claims.Measured(1.0, "maybe")


def test_a_row_carries_its_control_and_the_report_text_shows_it():
    test = claims.Test(">", 0.0)
    rng = np.random.default_rng(2)

    def check(cfg, scalars, arrays):
        model = claims.compare(claims.mean_of(rng.normal(1.0, 0.1, 5)), test)
        reference = claims.compare(claims.mean_of(rng.normal(-1.0, 0.1, 5)), test)
        return claims.with_control(model, "least squares", reference)

    row, = claims.evaluate([claims.Claim("c", "s", "Fig. 1", "> 0", check)], CFG, {}, {})
    assert row["verdict"] == "holds" and row["control"]["verdict"] == "fails"
    assert row["control"]["label"] == "least squares" and len(row["control"]["interval"]) == 2
    assert claim_rows.control_text(row).startswith("control (least squares): -")
    assert claim_rows.control_text({"control": None}) == ""


@pytest.mark.parametrize("model,baseline,higher,learned", [
    ((0.95, 0.94, 0.96), (0.80, 0.79, 0.81), True, True),     # R²: well above the baseline
    ((0.875, 0.87, 0.88), (0.882, 0.88, 0.884), True, False),  # below 1-NN: not learned
    ((0.85, 0.82, 0.88), (0.84, 0.83, 0.85), True, False),     # overlaps: not learned
    ((0.10, 0.09, 0.11), (0.90, 0.89, 0.91), False, True),     # an error well below the baseline's
])
def test_require_learned_passes_only_a_model_clear_of_its_baseline(model, baseline, higher, learned):
    m, b = Estimate(*model, 5, "seeds"), Estimate(*baseline, 5, "seeds")
    if learned:
        claims.require_learned(m, b, "1-NN", 0.01, higher_is_better=higher)
    else:
        with pytest.raises(claims.NotEvaluable, match="has not learned the task.*1-NN"):
            claims.require_learned(m, b, "1-NN", 0.01, higher_is_better=higher)


def _measured_with_control() -> claims.Measured:
    test = claims.Test(">", 0.0)
    model = claims.compare(claims.mean_of(np.array([0.9, 1.0, 1.1])), test)
    return claims.with_control(model, "1-NN", claims.compare(claims.mean_of(np.array([-1.1, -1.0, -0.9])), test))


def test_a_gated_row_that_is_not_evaluable_keeps_its_control():
    def not_learned():
        raise claims.NotEvaluable("the model has not learned the task")

    def check(cfg, scalars, arrays):
        return claims.gated(_measured_with_control, not_learned)

    row, = claims.evaluate([claims.Claim("c", "s", "Fig. 1", "> 0", check)], CFG, {}, {})
    assert row["verdict"] == "not evaluable" and row["value"] is None
    assert row["detail"].startswith("not evaluable: the model has not learned the task; the test would give 1 [")
    assert row["control"]["label"] == "1-NN" and row["control"]["verdict"] == "fails"
    assert claim_rows.control_text(row).startswith("control (1-NN): -1")
    assert claims.gated(_measured_with_control, lambda: None).verdict == "holds"    # a passed gate


def test_a_gate_keeps_its_reason_when_the_measurement_cannot_be_made():
    def unmeasurable():
        raise claims.NotEvaluable("no array")

    def gate():
        raise claims.NotEvaluable("not learned")

    with pytest.raises(claims.NotEvaluable, match="^not learned$") as error:
        claims.gated(unmeasurable, gate)
    assert error.value.control is None


def test_a_claim_states_what_it_needs_of_the_config():
    needs = lambda cfg: (claims.needs_values(cfg.rhos, (0.0, 1.0), "mixing.rhos")
                         + claims.needs_count(cfg.depths, 2, "study.depths"))
    claim = claims.Claim("c", "s", "Fig. 1", "> 0", lambda cfg, s, a: _measured_with_control(), requires=needs)
    ok = config.ConfigDict({"preset": "cpu", "rhos": (0.0, 0.5, 1.0), "depths": (2, 4)})
    bad = config.ConfigDict({"preset": "cpu", "rhos": (0.0, 0.5), "depths": (2,)})
    assert claims.evaluate([claim], ok, {}, {})[0]["verdict"] == "holds"
    row, = claims.evaluate([claim], bad, {}, {})
    # the control is a reference's value: the row keeps it (the check ran for it alone)
    assert row["verdict"] == "not evaluable" and row["control"]["verdict"] == "fails"
    assert row["detail"] == ("not evaluable: needs 1 among mixing.rhos (has 0, 0.5); at least 2 distinct "
                             "values of study.depths (has 1)")

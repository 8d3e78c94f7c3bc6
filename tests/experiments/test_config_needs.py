"""Issue 42's config inputs, each a regression test: a config that can never run is refused in one
line with exit code 2 before any work; a config that runs but leaves out what a claim reads (ρ = 1,
two distinct depths, a one-step GD curve) makes that claim *not evaluable* with the reason (the claim's
``requires``), never a verdict that compares a value with itself."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from iclx import config, experiments as registry
from iclx.framework import claims
from tests.claim_checks import assert_no_self_comparison, rows_without_control, self_comparisons
from tests.experiments.test_deep_optimizers import _fake


@pytest.mark.parametrize("name,flag,fragment", [
    ("gd_vs_newton", "--config.sim.gd_log2_max=100", "config field sim.gd_log2_max: must be <= 62"),
    ("deep_optimizers", "--config.eval.param_means=", "config field eval.param_means: needs at least one"),
    ("gd_vs_newton_width", "--config.model.n_embd=10000000", "config field model.n_embd: is not read"),
])
def test_a_config_that_can_never_run_is_one_line_and_exit_2(tmp_path, command_line, name, flag, fragment):
    out = tmp_path / "runs"
    code, lines = command_line(registry.load(name), "--preset=smoke", f"--out={out}", "--no-progress", flag)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: ") and fragment in lines[0], lines
    assert not out.exists()


@pytest.mark.parametrize("name,preset,overrides,needs", [
    ("linear_regression", "smoke", {"eval.gd_steps": ""},
     {"better-than-one-gd-step": "1 among eval.gd_steps (has none)"}),
    ("linear_regression", "smoke", {"eval.gd_steps": "10,100"},
     {"better-than-one-gd-step": "1 among eval.gd_steps (has 10, 100)"}),
    ("data_mixing", "smoke", {"dimensions.n_ratios": "0.5"},
     {"double-descent-n": "at least 3 points of dimensions.n_ratios (has 1)"}),
    ("deep_optimizers", "smoke", {"eval.mixtures": "1.0"},
     {"mixture-shift-degrades": "at least 2 mixtures (ω₁ = 1 and a shifted one) of eval.mixtures (has 1)"}),
    ("data_mixing", "smoke", {"mixing.rhos": "0,0.5"},
     {c: "1 among mixing.rhos (has 0, 0.5)" for c in ("structured-input-helps", "structured-task-helps",
                                                       "low-noise-helps", "quality-orders-curves",
                                                       "per-source-trends-match")}),
    ("data_mixing", "smoke", {"eta.eta_cs": "0"},
     {c: "an η > 0 among eta.eta_cs" for c in ("no-feature-learning-isotropic-task",
                                              "feature-learning-structured-task", "eta-benefit-grows-with-rho")}),
    ("deep_optimizers", "cpu", {"study.sweep_depths": "4"},     # the cpu model has 4 layers: one depth
     {"depth-helps": "at least 2 distinct transformer depths of study.sweep_depths with model.n_layer (has 1)"}),
])
def test_a_claim_states_what_it_needs_of_the_config(name, preset, overrides, needs):
    """Exactly the claims that read a left-out value become unmet, each with its reason (beside what
    the preset itself leaves out: data mixing's real-data stage, its own target's)."""
    experiment = registry.load(name)
    unmet = lambda cfg: {c.id: "; ".join(c.unmet(cfg)) for c in experiment.claims if c.unmet(cfg)}
    before, after = unmet(experiment.config(preset)), unmet(experiment.config(preset, list(overrides.items())))
    assert {k: v for k, v in after.items() if before.get(k) != v} == needs
    assert all(v == "stage real, which this run left out" for v in before.values())


def test_depth_helps_on_a_single_depth_is_not_evaluable_rather_than_self_compared():
    """depth 2 against depth 2: without its ``requires`` the claim measures 0 [0, 0] (and fails);
    with it, the row says not evaluable and why, and no row compares a value with itself."""
    cfg, scalars, arrays = _fake()
    cfg.study.sweep_depths = (2,)                         # with model.n_layer = 2: one depth
    experiment = registry.load("deep_optimizers")
    rows = claims.evaluate(experiment.claims, cfg, scalars, arrays)
    depth = next(r for r in rows if r["id"] == "depth-helps")
    assert depth["verdict"] == "not evaluable" and "2 distinct transformer depths" in depth["detail"]
    assert_no_self_comparison(rows)
    unguarded = [dataclasses.replace(c, requires=None) for c in experiment.claims if c.id == "depth-helps"]
    rows = claims.evaluate(unguarded, cfg, scalars, arrays)
    assert self_comparisons(rows, controls=True) == ["depth-helps", "depth-helps (control)"]


def test_the_self_comparison_check_tells_identities_from_measurements():
    row = lambda value, interval, n=3: {"id": "c", "verdict": "fails", "value": value, "interval": interval,
                                        "replicates": n, "control": None}
    assert self_comparisons([row(0.0, [0.0, 0.0])]) == ["c"]
    assert self_comparisons([row(1.0, [1.0, 1.0])]) == ["c"]
    assert self_comparisons([row(0.0, [-0.1, 0.1]), row(0.3, [0.3, 0.3]), row(0.0, [0.0, 0.0], n=1),
                             row(0.0, None)]) == []
    identity_control = {**row(0.2, [0.1, 0.3]), "control": row(0.0, [0.0, 0.0])}
    assert self_comparisons([identity_control], controls=True) == ["c (control)"]
    assert_no_self_comparison([identity_control])                  # a control may be an identity
    with pytest.raises(AssertionError, match="comparing a value with itself: c"):
        assert_no_self_comparison([row(0.0, [0.0, 0.0])])


def test_validation_refuses_a_width_field_the_ablation_does_not_read():
    experiment = registry.load("gd_vs_newton_width")
    for field in ("model.n_embd", "model.mlp_width"):
        with pytest.raises(config.ConfigError) as error:
            experiment.config("cpu", [(field, "64")])
        assert error.value.field == field
    assert experiment.config("cpu", [("widths", "4,8")]).widths == (4, 8)     # the field it reads


def test_every_current_committed_row_has_a_control_or_names_what_its_run_left_out():
    """A row of a committed, current results.json without a control is one whose run has no data for
    it (a part or stage of another target): its detail names that need. Stale results are re-run."""
    root = Path(__file__).resolve().parents[2]
    missing = rows_without_control(root)
    for target in registry.TARGETS.values():
        path = root / target.figures / "results.json"
        if not path.exists() or not registry.is_current(target, json.loads(path.read_text())):
            continue
        for claim_id, detail in missing[str(path.relative_to(root))]:
            assert detail.startswith("not evaluable: needs "), (target.name, claim_id, detail)

"""The first figure's experiment end to end at smoke scale, and its evaluation numbers."""

import json

import jax
import numpy as np
import pytest

from iclx import config
from iclx.framework import claims as claims_lib
from iclx.engine import results
from iclx.engine.checkpoints import Checkpoints
from iclx.experiments.linear_regression import EXPERIMENT
from iclx.experiments.linear_regression import claims as lr_claims
from iclx.experiments.linear_regression.config import method_names
from iclx.framework.plotting import figure_formats


@pytest.fixture(scope="module")
def run(smoke_run):
    return smoke_run("linear_regression")


def test_run_writes_config_metrics_checkpoint_results_and_figures(run):
    run_dir, figures, cfg = run.run_dir, run.figures, run.cfg
    assert run.code == 0
    assert json.loads((run_dir / "config.json").read_text())["train"]["steps"] == cfg.train.steps
    metrics = results.metrics_arrays(run_dir / "metrics.jsonl")
    assert metrics["loss"].shape == (cfg.train.steps // cfg.train.log_every, cfg.seeds)
    assert Checkpoints(run_dir).latest_step() == cfg.train.steps
    scalars, arrays = results.load_results(run_dir)
    assert scalars["environment"]["jax"] == jax.__version__
    for method in method_names(cfg):
        assert arrays[f"error/{method}"].shape == (cfg.seeds, cfg.task.n_points)
    for suffix in figure_formats():
        assert (run_dir / "figures" / f"error_vs_examples.{suffix}").stat().st_size > 1000
        assert (figures / f"error_vs_examples.{suffix}").exists()


def test_baseline_numbers(run):
    run_dir, cfg = run.run_dir, run.cfg
    _, arrays = results.load_results(run_dir)
    d = cfg.task.n_dims
    # no examples: every baseline predicts 0, so all share the error E[y²]/d ≈ 1 (up to sampling)
    at_zero = [arrays[f"error/{m}"][:, 0] for m in method_names(cfg) if m not in ("transformer", "untrained")]
    for errors in at_zero:
        np.testing.assert_allclose(errors, at_zero[0], rtol=1e-6)
    assert at_zero[0].mean() == pytest.approx(1.0, abs=0.5)
    # noiseless data: least squares is exact once it has d examples
    assert arrays["error/least_squares"][:, d:].max() < 1e-6
    assert arrays["error/least_squares"][:, d - 1].mean() > 0.05
    # more Newton iterations and more GD steps help
    late = slice(d, None)
    newton = [arrays[f"error/newton_{k}"][:, late].mean() for k in cfg.eval.newton_steps]
    assert all(a > b for a, b in zip(newton, newton[1:]))
    gd = [arrays[f"error/gd_{k}"][:, late].mean() for k in cfg.eval.gd_steps]
    assert all(a > b for a, b in zip(gd, gd[1:]))


def test_rerun_reuses_results_and_plot_only(run, capsys):
    run_dir = run.run_dir
    before = (run_dir / "results.json").stat().st_mtime_ns
    out = run_dir.parent.parent
    assert EXPERIMENT.main(["--preset=smoke", f"--out={out}", "--no-progress"]) == 0
    assert "found results" in capsys.readouterr().out
    assert EXPERIMENT.main(["--preset=smoke", f"--out={out}", "--plot-only", "--no-progress"]) == 0
    assert (run_dir / "results.json").stat().st_mtime_ns == before


def test_plot_only_without_results_is_an_error(tmp_path, capsys):
    assert EXPERIMENT.main(["--preset=smoke", f"--out={tmp_path}", "--plot-only"]) == 2
    assert "no saved results" in capsys.readouterr().err


def test_claims_are_saved_with_a_control_or_a_reason(run):
    scalars, _ = results.load_results(run.run_dir)
    rows = {row["id"]: row for row in scalars["claims"]}
    assert set(rows) == {c.id for c in lr_claims.CLAIMS}
    for row in rows.values():
        assert not row["detail"].startswith("could not evaluate"), row
        assert row["control"] is not None, row          # also where the model has not learned


# --------------------------------------------------------------------------- the claims' tests


CFG = config.ConfigDict({"preset": "cpu", "task": {"n_dims": 5, "n_points": 11},
                         "eval": {"knn_k": 3, "gd_steps": (1, 10, 100)}})


def curves(**late: float) -> dict:
    """Error curves ``[3 seeds, 11]`` whose mean past n = d is ``late[method]`` (± 2 % over seeds)."""
    jitter = np.array([0.98, 1.0, 1.02])[:, None]
    return {f"error/{m}": np.full((3, 11), v) * jitter for m, v in late.items()}


PAPER = dict(transformer=0.002, untrained=1.2, least_squares=1e-12, averaging=0.8, knn_3=0.6, gd_1=0.7)


def verdicts(arrays) -> dict[str, tuple[str, str | None]]:
    rows = {r["id"]: r for r in claims_lib.evaluate(lr_claims.CLAIMS, CFG, {}, arrays)}
    return {k: (r["verdict"], r["control"] and r["control"]["verdict"]) for k, r in rows.items()}


def test_every_claim_holds_on_the_papers_outcome_and_its_control_fails():
    got = verdicts(curves(**PAPER))
    assert got == {"beats-averaging-and-knn": ("holds", "fails"), "matches-least-squares": ("holds", "fails"),
                   "better-than-one-gd-step": ("holds", "fails")}


def test_matches_least_squares_fails_on_a_model_short_of_it():
    got = verdicts(curves(**(PAPER | {"transformer": 0.06})))          # our cpu run's level
    assert got["matches-least-squares"] == ("fails", "fails")
    assert got["beats-averaging-and-knn"][0] == "holds"


def test_beats_baselines_and_one_gd_step_fail_on_a_model_worse_than_them():
    got = verdicts(curves(**(PAPER | {"transformer": 0.9, "gd_1": 0.3})))
    assert got["beats-averaging-and-knn"] == ("fails", "fails")
    # no better than averaging: the claims that presuppose learning are not evaluable
    assert got["matches-least-squares"] == ("not evaluable", "fails")      # each keeps its control
    assert got["better-than-one-gd-step"] == ("not evaluable", "fails")


def test_better_than_one_gd_step_fails_where_one_step_is_better():
    got = verdicts(curves(**(PAPER | {"transformer": 0.3, "gd_1": 0.1})))
    assert got["better-than-one-gd-step"] == ("fails", "fails")

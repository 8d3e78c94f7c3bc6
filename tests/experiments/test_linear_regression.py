"""The first figure's experiment end to end at smoke scale, and its evaluation numbers."""

import json

import jax
import numpy as np
import pytest

from iclx.engine import results
from iclx.engine.checkpoints import Checkpoints
from iclx.experiments.linear_regression import EXPERIMENT
from iclx.experiments.linear_regression.config import method_names
from iclx.plotting import figure_formats


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
    at_zero = [arrays[f"error/{m}"][:, 0] for m in method_names(cfg) if m != "transformer"]
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

"""The gd_vs_newton experiment (Fu et al. 2023) end to end at smoke scale, its config checks, the
width ablation, and the algorithm-level facts its figures rest on."""

import numpy as np
import pytest

from iclx import config as C
from iclx import probes, results
from iclx.experiments import gd_vs_newton as G
from iclx.experiments import gd_vs_newton_width as W


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    figures = tmp_path_factory.mktemp("figures")
    with pytest.MonkeyPatch.context() as patch:      # PNG only: PDFs are tested by the other experiments
        patch.setenv("ICLX_FIGURE_FORMATS", "png")
        code = G.main(["--preset=smoke", f"--out={out}", f"--figures={figures}", "--no-progress"])
    cfg = G.EXPERIMENT.config("smoke")
    scalars, arrays = results.load_results(G.EXPERIMENT.run_dir(cfg, out))
    return code, cfg, scalars, arrays, figures, out


def test_smoke_run_writes_every_array_and_figure(smoke_run):
    code, cfg, scalars, arrays, figures, _ = smoke_run
    assert code == 0
    S, n, L = cfg.seeds, cfg.task.n_points, cfg.model.n_layer
    grids = G.step_grids(cfg)
    for grid, steps in grids.items():
        assert arrays[f"tf/sime_{grid}"].shape == (S, len(steps), L)
        assert arrays[f"tf/simw_{grid}"].shape == (S, len(steps), L)
        assert arrays[f"lstm/sime_{grid}"].shape == (S, len(steps), cfg.lstm.model.n_layer)
        np.testing.assert_array_equal(arrays[f"grid/{grid}"], steps)
    assert arrays["tf/error_layers"].shape == (S, L, n)
    assert arrays["alg/error_newton"].shape == (S, cfg.sim.newton_max, n)
    for net in ("tf", "lstm"):
        assert arrays[f"{net}/table"].shape == (S, len(G.TABLE_COLUMNS))
        assert np.all(np.abs(arrays[f"{net}/table"]) <= 1.0 + 1e-6)
        assert set(scalars["table1"][net]) == set(G.TABLE_COLUMNS)
    for name in ("heatmaps_sime", "heatmaps_simw", "best_match", "error_per_layer",
                 "error_vs_depth", "lstm"):
        assert (figures / f"{name}.png").stat().st_size > 1000
    assert any(line.startswith("Table 1 tf") for line in scalars["summary"])


def test_best_match_summary_agrees_with_the_heatmaps(smoke_run):
    _, cfg, scalars, arrays, *_ = smoke_run
    steps = G.step_grids(cfg)["newton"]
    summary = scalars["best_match"]["tf/sime_newton"]
    per_seed = probes.best_steps(arrays["tf/sime_newton"], steps, cfg.sim.decimals)["best"]
    np.testing.assert_allclose(summary["best_mean"], per_seed.mean(axis=0))
    assert np.all(np.array(summary["tie_low"]) <= np.array(summary["best_of_mean"]))
    assert np.all(np.array(summary["best_of_mean"]) <= np.array(summary["tie_high"]))


def test_baselines_behave(smoke_run):
    _, cfg, _, arrays, *_ = smoke_run
    d = cfg.task.n_dims
    assert arrays["alg/error_least_squares"][:, d:].max() < 1e-8          # float64, noiseless
    newton_late = arrays["alg/error_newton"][:, :, d + 1:].mean(axis=(0, 2))
    assert np.all(np.diff(newton_late) < 0)                               # more iterations help
    # Fig 26: the GD steps that best match k Newton steps grow (about doubling) with k
    best_gd = probes.best_steps(arrays["alg/sime_newton_vs_gd_log"], arrays["grid/gd_log"])["best"]
    assert np.all(np.diff(best_gd, axis=1) >= 0) and best_gd[:, -1].min() >= 4 * best_gd[:, 0].max()


@pytest.mark.parametrize("preset", ["cpu", "paper"])
def test_presets_validate(preset):
    cfg = G.EXPERIMENT.config(preset)
    assert cfg.seeds >= (5 if preset == "paper" else 3)
    W.EXPERIMENT.config(preset)


@pytest.mark.parametrize("field,value", [
    ("sim.batch_size", "60"), ("probe.anchor", "middle"), ("errors.examples", "3,20"),
    ("simw.n_queries", "2"), ("sim.newton_fixed", "50"), ("lstm.model.hidden", "0"),
    ("lstm.train.lr", "nan"), ("model.name", "lstm"),
])
def test_bad_fields_are_named(field, value):
    with pytest.raises(C.ConfigError) as error:
        G.EXPERIMENT.config("smoke", [(field, value)])
    assert error.value.field == field


def test_width_ablation_smoke(tmp_path):
    assert W.main(["--preset=smoke", f"--out={tmp_path}", "--no-progress"]) == 0
    cfg = W.EXPERIMENT.config("smoke")
    scalars, arrays = results.load_results(W.EXPERIMENT.run_dir(cfg, tmp_path))
    for width in cfg.widths:
        assert arrays[f"error/width_{width}"].shape == (cfg.seeds, cfg.task.n_points)
    assert scalars["error_after_d"]["least_squares"] < 1e-6
    sub = W.width_config(cfg, 3)
    assert (sub.model.n_embd, sub.model.mlp_width, cfg.model.n_embd) == (3, 12, cfg.widths[-1])

"""The gd_vs_newton experiment (Fu et al. 2023, arXiv 2310.17086) end to end at smoke scale (one run,
shared by every check here), its config checks and variants, and the algorithm-level facts its
figures rest on. The width ablation is in test_gd_vs_newton_width.py, the claims in
test_gd_vs_newton_claims.py."""

import ast
import inspect

import numpy as np
import pytest

from iclx import config, probes
from iclx.engine import results
from iclx.experiments.gd_vs_newton import EXPERIMENT, config as newton_config, plots as newton_plots, summary


@pytest.fixture(scope="module")
def gvn_run(smoke_run):
    """The session's shared smoke run of gd_vs_newton (the registry test reuses it)."""
    run = smoke_run("gd_vs_newton")
    scalars, arrays = results.load_results(run.run_dir)
    return run.code, run.cfg, scalars, arrays, run.figures, run.run_dir.parent.parent


def test_smoke_run_writes_every_array_and_figure(gvn_run):
    code, cfg, scalars, arrays, figures, _ = gvn_run
    assert code == 0
    S, n, L = cfg.seeds, cfg.task.n_points, cfg.model.n_layer
    grids = newton_config.step_grids(cfg)
    for grid, steps in grids.items():
        for net in ("tf", "init"):                                  # the trained and untrained transformer
            assert arrays[f"{net}/sime_{grid}"].shape == (S, len(steps), L)
            assert arrays[f"{net}/simw_{grid}"].shape == (S, len(steps), L)
        assert arrays[f"lstm/sime_{grid}"].shape == (S, len(steps), cfg.lstm.model.n_layer)
        np.testing.assert_array_equal(arrays[f"grid/{grid}"], steps)
    assert arrays["tf/error_layers"].shape == (S, L, n)
    assert arrays["alg/error_newton"].shape == (S, cfg.sim.newton_max, n)
    assert arrays["alg/error_averaging"].shape == (S, n)
    # Table 1 on the authors' grids (Newton 1..23, GD 1, 50, …, 1300 then 2⁰..2¹²) for every predictor
    np.testing.assert_array_equal(arrays["grid/table_newton"], np.arange(1, 24))
    np.testing.assert_array_equal(arrays["grid/table_gd"][:27], [1, *range(50, 1301, 50)])
    np.testing.assert_array_equal(arrays["grid/table_gd"][27:], 2 ** np.arange(13))
    for net in ("tf", "lstm", "init", "ls", "ogd"):
        assert arrays[f"{net}/table"].shape == (S, len(newton_config.TABLE_COLUMNS))
        assert np.all(np.abs(arrays[f"{net}/table"]) <= 1.0 + 1e-6)
        np.testing.assert_allclose(arrays[f"{net}/table"][:, 0], arrays[f"{net}/table_sime_newton"].max(axis=1))
        assert set(scalars["table1"][net]) == set(newton_config.TABLE_COLUMNS)
    np.testing.assert_allclose(arrays["ogd/table"][:, 2], 1.0)              # online GD scored as itself
    # forgetting (Fig. 5 right): a query re-using the example g back, g = 1..m
    m = cfg.forget.n_examples
    np.testing.assert_array_equal(arrays["grid/forget_gap"], np.arange(1, m + 1))
    for key in ("tf/forget", "lstm/forget", "alg/forget_least_squares", "alg/forget_online_gd"):
        assert arrays[key].shape == (S, m)
    assert arrays["alg/forget_least_squares"][:, cfg.task.n_dims:].max() < 1e-8  # exact once it has d
    for name in ("heatmaps_sime", "heatmaps_simw", "best_match", "error_per_layer",
                 "error_vs_depth", "lstm"):
        assert (figures / f"{name}.png").stat().st_size > 1000
    assert (figures / "results.json").exists()
    assert any(line.startswith("Table 1 tf") for line in scalars["summary"])


def test_lanes_tables_and_claims_are_saved(gvn_run):
    _, cfg, scalars, arrays, *_ = gvn_run
    seeds = [{"seed": s} for s in range(cfg.seeds)]
    assert scalars["lanes"] == {"model": seeds, "lstm": seeds}
    ordered = newton_plots.by_seed(scalars, arrays)
    np.testing.assert_array_equal(ordered["tf/table"], arrays["tf/table"])
    # reversed lane order: plots follow the labels, not the positions
    flipped = {**scalars, "lanes": {k: v[::-1] for k, v in scalars["lanes"].items()}}
    np.testing.assert_array_equal(newton_plots.by_seed(flipped, arrays)["tf/table"], arrays["tf/table"][::-1])
    tables = scalars["tables"]
    assert len(tables["sime_per_layer"]["rows"]) == cfg.model.n_layer
    assert [row[0] for row in tables["table1"]["rows"]] == ["transformer", "LSTM", "least squares (control)",
                                                            "online GD (control)",
                                                            "untrained transformer (control)"]
    assert len(tables["forgetting"]["rows"]) == 5
    # Table 1 per prompt-length window: every window × predictor, SimE within [-1, 1]
    windows = summary.position_windows(cfg)
    assert windows[0][0] == cfg.sim.first_position and windows[-1][1] == cfg.task.n_points
    assert len(tables["table1_windows"]["rows"]) == 5 * len(windows)
    assert arrays["tf/table_windows"].shape == (cfg.seeds, len(windows), 3)
    assert np.all(np.abs(arrays["ls/table_windows"]) <= 1 + 1e-9)
    for table in tables.values():
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    claims = {row["id"]: row for row in scalars["claims"]}
    assert set(claims) == {c.id for c in EXPERIMENT.claims}
    assert not any(row["applies"] for row in claims.values())    # smoke is never evidence
    for row in claims.values():                                  # each evaluated, or a stated reason
        assert not row["detail"].startswith("could not evaluate"), row
        assert row["control"] is not None or row["detail"].startswith("not evaluable:"), row
    theorem = claims["theorem-newton-in-k-plus-const-layers"]    # runs the construction: any scale
    assert (theorem["verdict"], theorem["value"], theorem["control"]["verdict"]) == ("holds", 2.0, "fails")
    assert claims["ill-conditioned-gd-needs-thousands"]["detail"].endswith("--variant=ill_conditioned")


def test_best_match_summary_agrees_with_the_heatmaps(gvn_run):
    _, cfg, scalars, arrays, *_ = gvn_run
    steps = newton_config.step_grids(cfg)["newton"]
    summary = scalars["best_match"]["tf/sime_newton"]
    per_seed = probes.best_steps(arrays["tf/sime_newton"], steps, cfg.sim.decimals)["best"]
    np.testing.assert_allclose(summary["best_mean"], per_seed.mean(axis=0))
    assert np.all(np.array(summary["tie_low"]) <= np.array(summary["best_of_mean"]))
    assert np.all(np.array(summary["best_of_mean"]) <= np.array(summary["tie_high"]))


def test_baselines_behave(gvn_run):
    _, cfg, _, arrays, *_ = gvn_run
    d = cfg.task.n_dims
    assert arrays["alg/error_least_squares"][:, d:].max() < 1e-8          # float64, noiseless
    newton_late = arrays["alg/error_newton"][:, :, d + 1:].mean(axis=(0, 2))
    assert np.all(np.diff(newton_late) < 0)                               # more iterations help
    # Fig 26: the GD steps that best match k Newton steps grow (about doubling) with k
    best_gd = probes.best_steps(arrays["alg/sime_newton_vs_gd_log"], arrays["grid/gd_log"])["best"]
    assert np.all(np.diff(best_gd, axis=1) >= 0) and best_gd[:, -1].min() >= 4 * best_gd[:, 0].max()


def test_plots_never_import_the_run_code():
    tree = ast.parse(inspect.getsource(newton_plots))
    imported = [a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for a in node.names] + [node.module or "" for node in ast.walk(tree)
                                        if isinstance(node, ast.ImportFrom)]
    assert not any(name.endswith("run") or "gd_vs_newton.run" in name for name in imported)


@pytest.mark.parametrize("preset", ["smoke", "cpu", "cpu-long", "paper"])
def test_presets_and_variants_validate(preset):
    cfg = EXPERIMENT.config(preset)
    assert cfg.seeds >= {"smoke": 2, "cpu": 3, "cpu-long": 3, "paper": 5}[preset]
    ill = EXPERIMENT.config(preset, variant="ill_conditioned")
    assert (ill.task.covariance, ill.task.kappa, ill.lstm.enabled) == ("two_level", 100.0, False)
    assert (ill.sim.newton_max, ill.sim.gd_lin_step, ill.sim.gd_lin_max, ill.sim.gd_log2_max) == \
        (30, 100, 4000, 16)
    # Fu et al.'s code: α = 2/‖SSᵀ‖_F; Table 1 on their grids at every preset
    assert cfg.sim.newton_alpha_scale == 2.0 and cfg.table1.to_dict() == newton_config.TABLE1_GRIDS
    noisy = EXPERIMENT.config(preset, variant="noisy")
    assert (noisy.task.noise_std, noisy.lstm.enabled, noisy.task.covariance) == (0.1, False, "isotropic")
    assert config.config_hash(noisy) != config.config_hash(cfg)


@pytest.mark.parametrize("field,value", [
    ("sim.batch_size", "60"), ("probe.anchor", "middle"), ("errors.examples", "3,20"),
    ("simw.n_queries", "2"), ("sim.newton_fixed", "50"), ("lstm.model.hidden", "0"),
    ("lstm.train.lr", "nan"), ("model.name", "lstm"), ("sim.newton_alpha_scale", "2.5"),
    ("forget.n_examples", "1"), ("table1.gd_lin_max", "10"),
])
def test_bad_fields_are_named(field, value):
    with pytest.raises(config.ConfigError) as error:
        EXPERIMENT.config("smoke", [(field, value)])
    assert error.value.field == field


def test_unknown_variant_is_named():
    with pytest.raises(config.ConfigError) as error:
        EXPERIMENT.config("smoke", variant="tilted")
    assert error.value.field == "variant"


def test_cpu_long_is_the_cpu_model_trained_longer():
    cpu, long = EXPERIMENT.config("cpu"), EXPERIMENT.config("cpu-long")
    assert long.train.steps == newton_config.CPU_LONG_STEPS > cpu.train.steps
    for group in ("model", "task", "curriculum", "probe", "simw", "errors", "table1", "forget"):
        assert long[group].to_dict() == cpu[group].to_dict(), group
    # longer algorithm grids only: a converged model's last layer runs past cpu's
    grids = {"newton_max", "gd_log2_max"}
    assert {k: v for k, v in long.sim.to_dict().items() if k not in grids} == \
        {k: v for k, v in cpu.sim.to_dict().items() if k not in grids}
    assert long.sim.newton_max > cpu.sim.newton_max and long.sim.gd_log2_max > cpu.sim.gd_log2_max
    same = {k: v for k, v in long.train.to_dict().items() if k != "steps"}
    assert same == {k: v for k, v in cpu.train.to_dict().items() if k != "steps"}

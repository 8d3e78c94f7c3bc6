"""The experiment contract (iclx.framework.experiment): what ``execute`` adds to a run's own scalars, the engine's
metrics handed back through ``RunContext.train``, the dry run's stage hook, re-deriving a saved run,
and packages that export their experiment without shadowing a module."""

import dataclasses
import importlib
import pkgutil
import types

import numpy as np
import pytest

from iclx import config, experiments as registry
from iclx.engine import results
from tests import toy_experiment


def test_execute_adds_run_facts_summary_and_claims_and_leaves_the_config_alone(tmp_path):
    experiment = toy_experiment.FAKE
    cfg = experiment.config("smoke")
    before = config.config_hash(cfg)
    seen = []
    run_dir = experiment.execute(cfg, experiment.run_dir(cfg, tmp_path), progress=False,
                                 on_stage=lambda name, train_cfg, trained: seen.append(
                                     (name, train_cfg.steps, trained.metrics["loss"].shape)))
    assert config.config_hash(cfg) == before                      # run never mutates its config
    scalars, arrays = results.load_results(run_dir)
    assert scalars["experiment"] == "fake" and scalars["preset"] == "smoke"
    assert scalars["lanes"] == {"main": [{"seed": 0}, {"seed": 1}], "probe": [{"seed": 0}]}
    assert set(scalars["training"]) == {"train_main", "train_probe"}
    assert scalars["summary"] == [f"error {arrays['error'].mean():.3g}"]      # summarise's output
    assert [row["verdict"] for row in scalars["claims"]] == ["holds", "undecided"]   # 2 seeds, 1 probe seed
    assert "slice" not in scalars
    # the hook saw each stage with its own train config and the metrics the engine logged
    assert seen == [("main", 500, (10, 2)), ("probe", 300, (3, 1))]
    logged = results.metrics_arrays(results.metrics_path(run_dir, "main"))
    assert logged["loss"].shape == (10, 2)


def test_lane_labels_reach_the_results_by_one_route(tmp_path):
    """A Monte Carlo stage records its labels with ``ctx.record_lanes`` (saved beside the trained
    stages'); a stage recorded twice, or a run that returns ``scalars["lanes"]`` itself, is refused."""
    from iclx.framework.experiment import RunContext

    base = toy_experiment.FAKE

    def run(cfg, ctx):
        scalars, arrays = base.run(cfg, ctx)
        ctx.record_lanes("monte_carlo", [{"seed": 0, "rho": 0.5}])
        return scalars, arrays

    cfg = base.config("smoke")
    run_dir = dataclasses.replace(base, run=run).execute(cfg, base.run_dir(cfg, tmp_path), progress=False)
    scalars, _ = results.load_results(run_dir)
    assert scalars["lanes"] == {"main": [{"seed": 0}, {"seed": 1}], "probe": [{"seed": 0}],
                                "monte_carlo": [{"seed": 0, "rho": 0.5}]}
    ctx = RunContext(cfg, None, progress=False)
    ctx.record_lanes("a", [{"seed": 0}])
    with pytest.raises(ValueError, match="already has lane labels"):
        ctx.record_lanes("a", [{"seed": 1}])
    returns_lanes = dataclasses.replace(base, run=lambda cfg, ctx: ({"lanes": {"x": []}}, {}))
    with pytest.raises(ValueError, match="record lane labels with ctx.train or ctx.record_lanes"):
        returns_lanes.execute(cfg, base.run_dir(cfg, tmp_path / "b"), progress=False)


def test_refresh_derived_recomputes_the_summary_from_the_saved_run(tmp_path):
    experiment = toy_experiment.FAKE
    cfg = experiment.config("smoke")
    run_dir = experiment.execute(cfg, experiment.run_dir(cfg, tmp_path), progress=False)
    scalars, _ = results.load_results(run_dir)
    results.write_json(results.results_path(run_dir), {**scalars, "summary": ["stale"], "error": -1})
    experiment.refresh_derived(cfg, run_dir)
    assert results.load_results(run_dir)[0] == scalars


def test_experiment_packages_export_the_experiment_and_shadow_no_module():
    for name in registry.EXPERIMENTS:
        package = importlib.import_module(f"iclx.experiments.{name}")
        assert registry.load(name).name == name
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "__main__":
                continue
            attribute = getattr(package, module.name, None)
            assert attribute is None or isinstance(attribute, types.ModuleType), \
                f"iclx.experiments.{name}.{module.name} is a {type(attribute).__name__}, not the module"


def test_summarise_is_a_pure_function_of_the_saved_run(smoke_run):
    """``derive`` (summarise, then the claims) on two smoke runs' loaded results gives what results.json
    holds."""
    for name in ("linear_regression", "gd_vs_newton_width"):
        run = smoke_run(name)
        scalars, arrays = results.load_results(run.run_dir)
        derived = run.experiment.derive(run.cfg, scalars, arrays)
        for key, value in derived.items():
            assert scalars[key] == value, key
        assert np.isfinite(scalars["wall_s"])


def test_a_run_restricted_to_one_stage_runs_only_it_and_its_claims(tmp_path):
    experiment = toy_experiment.FAKE
    cfg = experiment.config("cpu", [("stages", "main"), ("slice", "main only")])
    run_dir = experiment.execute(cfg, experiment.run_dir(cfg, tmp_path), progress=False)
    scalars, arrays = results.load_results(run_dir)
    assert list(scalars["lanes"]) == ["main"] and "probe_error" not in arrays
    assert scalars["slice"] == {"label": "main only", "stages": ["main"], "left_out": ["probe"]}
    rows = {row["id"]: row for row in scalars["claims"]}
    assert rows["main-learns"]["verdict"] in ("holds", "undecided")
    assert rows["probe-learns"]["verdict"] == "not evaluable"
    assert rows["probe-learns"]["detail"] == "not evaluable: needs stage probe, which this run left out"


def test_a_run_of_the_stages_its_variant_chooses_is_no_slice():
    """A preset or variant may choose its stages (data_mixing's multilingual variant: the real one); a
    run of those is no slice, a run of others is, and its record lists what it left out of them."""
    def main_only(cfg):
        cfg.stages = ("main",)

    experiment = dataclasses.replace(toy_experiment.FAKE, variants={"main_only": main_only})
    own = experiment.config("cpu", variant="main_only")
    assert experiment.default_stages(own) == ("main",) and not experiment.is_slice(own)
    both = experiment.config("cpu", [("stages", "probe,main")], variant="main_only")
    assert experiment.is_slice(both)
    assert experiment.slice_record(both) == {"label": "slice: stages probe, main", "stages": ["probe", "main"],
                                             "left_out": []}
    plain = experiment.config("cpu", [("stages", "main,probe")])             # every stage, by name
    assert not experiment.is_slice(plain)
    main = experiment.config("cpu", [("stages", "main")])
    assert experiment.is_slice(main) and experiment.slice_record(main)["left_out"] == ["probe"]


def test_unknown_or_misplaced_stages_are_config_errors():
    with pytest.raises(config.ConfigError, match="probe"):
        toy_experiment.FAKE.config("cpu", [("stages", "main,nope")])
    with pytest.raises(config.ConfigError, match="runs as one stage"):
        registry.load("linear_regression").config("smoke", [("stages", "model")])

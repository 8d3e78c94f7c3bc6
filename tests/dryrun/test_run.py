"""The dry run (iclx.dryrun.run, python -m iclx.dryrun): config surgery on every paper preset, a
tiny experiment end to end with its compiled cost, the checks of finite numbers and drawn figures."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from iclx import config, experiments as registry
from iclx.dryrun import cost, run as dryrun
from tests import toy_experiment


@pytest.mark.parametrize("name", list(registry.EXPERIMENTS))
def test_every_paper_presets_dry_run_config_validates(name):
    """Every training group cut to 2 steps, plus the dry_run's shrink and --fast fields, is a valid config (an
    experiment without training, e.g. closed-form Monte Carlo, has no group to cut)."""
    experiment = registry.load(name)
    for variant in ("", *experiment.variants):
        groups = dryrun.training_groups(experiment.config("paper", variant=variant))
        shrink = [*experiment.dry_run.shrink, *experiment.dry_run.fast]
        cfg = experiment.config("paper", dryrun.shorten(groups, 2) + shrink, variant=variant)
        for path in dryrun.training_groups(cfg):
            assert config.get_field(cfg, f"{path}.steps") <= 2 + len(groups)


def test_dry_run_cuts_training_checks_results_and_records_compiled_cost(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "load", lambda name: toy_experiment.FAKE)
    record = dryrun.run_one("fake", "paper", 2, tmp_path)
    assert record["ok"], record
    assert record["figures"] == ["error.png"] and not record["figure_problems"]
    main, probe = record["stages"]["main"], record["stages"]["probe"]
    assert (main["config"], main["planned_steps"], main["lanes"]) == ("train", 500, 2)
    assert (probe["config"], probe["planned_steps"], probe["lanes"]) == ("probe.train", 300, 1)
    for stage in (main, probe):
        a = stage["analysis"]
        assert a["chunk_steps"] in (2, 3) and a["flops_per_step"] > 0 and a["peak_bytes"] > 0
    # 2 lanes cost about twice one lane's FLOPs per step
    assert 1.5 < main["analysis"]["flops_per_step"] / probe["analysis"]["flops_per_step"] < 2.5
    pred = cost.predict([json.loads(json.dumps(record))])["experiments"]["fake"]
    assert pred["total_hours_float32"] >= pred["total_hours_bfloat16"] > 0
    assert "| fake | main | 2 | 500 |" in cost.markdown_table(
        {"predicted": cost.predict([record])})


def test_dry_run_command_line_rejects_unknown_experiments(capsys):
    assert dryrun.main(["no_such_experiment"]) == 2
    assert "unknown experiment" in capsys.readouterr().err


def test_non_finite_paths_and_blank_figures(tmp_path):
    assert dryrun.non_finite({"a": [1.0, float("inf")], "b": {"c": float("nan"), "d": "x"}}) == ["a[1]", "b.c"]
    assert dryrun.bad_arrays({"x": np.array([1.0, np.nan]), "i": np.arange(3)}) == {"x": 1}
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.axis("off")
    fig.savefig(tmp_path / "blank.png")
    plt.close(fig)
    assert dryrun.figure_problems([tmp_path / "blank.png"]) == ["blank.png: blank"]


def test_documented_nans_are_set_apart_and_only_they():
    """``classify`` moves only the NaNs that the experiment's dry_run.non_finite names (scalars and arrays) out of the
    problems, and is idempotent (records are re-classified when they are merged)."""
    record = {"experiment": "gmm_classification", "figure_problems": [],
              "non_finite_scalars": ["tables.x"],
              "non_finite_arrays": {"conv/gd_d20_c2/rate_measured": 20, "tokens/tv/gpt2": 1}}
    out = dryrun.classify(json.loads(json.dumps(record)))
    assert out["non_finite_arrays"] == {"tokens/tv/gpt2": 1} and out["non_finite_scalars"] == ["tables.x"]
    assert out["allowed_non_finite"] == ["conv/gd_d20_c2/rate_measured"] and not out["ok"]
    again = dryrun.classify(json.loads(json.dumps(out)))
    assert again == out
    clean = dryrun.classify({**record, "non_finite_scalars": [],
                             "non_finite_arrays": {"conv/gd_d10_c2/r2": 20}})
    assert clean["ok"] and clean["allowed_non_finite"] == ["conv/gd_d10_c2/r2"]


def test_error_lines_keep_no_machine_paths():
    import sys
    from pathlib import Path

    from iclx.dryrun.run import portable_lines

    lines = [f'  File "{sys.prefix}/lib/site-packages/jax/x.py", line 3', f"  File \"{Path.cwd()}/src/a.py\"",
             "RuntimeError: out of memory"]
    assert portable_lines(lines) == ['  File "<python>/lib/site-packages/jax/x.py", line 3',
                                     '  File "./src/a.py"', "RuntimeError: out of memory"]

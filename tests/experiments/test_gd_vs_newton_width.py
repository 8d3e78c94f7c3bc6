"""The width ablation of Fu et al. 2023 (Fig. 6) end to end at smoke scale, and its config."""

import numpy as np
import pytest

from iclx import config
from iclx.engine import results
from iclx.experiments.gd_vs_newton_width import EXPERIMENT, config as width_config, plots as width_plots


def test_width_ablation_smoke(smoke_run):
    run = smoke_run("gd_vs_newton_width")     # the session's shared smoke run
    assert run.code == 0
    cfg, run_dir = run.cfg, run.run_dir
    scalars, arrays = results.load_results(run_dir)
    for width in cfg.widths:
        assert arrays[f"error/width_{width}"].shape == (cfg.seeds, cfg.task.n_points)
        assert scalars["lanes"][f"width_{width}"] == [{"seed": s} for s in range(cfg.seeds)]
        assert scalars["hidden_over_d"][f"width_{width}"] == width / cfg.task.n_dims
    assert scalars["error_after_d"]["least_squares"] < 1e-6
    assert len(scalars["tables"]["width"]["rows"]) == len(cfg.widths) + 1
    assert {row["id"] for row in scalars["claims"]} == {c.id for c in EXPERIMENT.claims}
    assert (run_dir / "figures" / "width_ablation.png").stat().st_size > 1000
    np.testing.assert_array_equal(width_plots.seed_rows([{"seed": 1}, {"seed": 0}]), [1, 0])


def test_width_config():
    cfg = EXPERIMENT.config("smoke")
    sub = width_config.width_config(cfg, 3)
    assert (sub.model.n_embd, sub.model.mlp_width, cfg.model.n_embd) == (3, 12, cfg.widths[-1])


@pytest.mark.parametrize("preset", ["cpu", "paper"])
def test_presets_validate(preset):
    cfg = EXPERIMENT.config(preset)
    assert cfg.model.n_head == 1 and len(cfg.widths) == 4


@pytest.mark.parametrize("field,value", [("widths", "8,8"), ("eval.n_prompts", "0"),
                                         ("model.name", "lstm")])
def test_bad_fields_are_named(field, value):
    with pytest.raises(config.ConfigError) as error:
        EXPERIMENT.config("smoke", [(field, value)])
    assert error.value.field == field

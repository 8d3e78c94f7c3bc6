"""The width ablation of Fu et al. 2023 (Fig. 6) end to end at smoke scale, and its config."""

import numpy as np
import pytest

from iclx import config as C
from iclx import results
from iclx.experiments import gd_vs_newton_width as W
from iclx.experiments.gd_vs_newton_width import config as WC
from iclx.experiments.gd_vs_newton_width import plots as WP


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
    assert {row["id"] for row in scalars["claims"]} == {c.id for c in W.EXPERIMENT.claims}
    assert (run_dir / "figures" / "width_ablation.png").stat().st_size > 1000
    np.testing.assert_array_equal(WP.seed_rows([{"seed": 1}, {"seed": 0}]), [1, 0])


def test_width_config():
    cfg = W.EXPERIMENT.config("smoke")
    sub = WC.width_config(cfg, 3)
    assert (sub.model.n_embd, sub.model.mlp_width, cfg.model.n_embd) == (3, 12, cfg.widths[-1])


@pytest.mark.parametrize("preset", ["cpu", "paper"])
def test_presets_validate(preset):
    cfg = W.EXPERIMENT.config(preset)
    assert cfg.model.n_head == 1 and len(cfg.widths) == 4


@pytest.mark.parametrize("field,value", [("widths", "8,8"), ("eval.n_prompts", "0"),
                                         ("model.name", "lstm")])
def test_bad_fields_are_named(field, value):
    with pytest.raises(C.ConfigError) as error:
        W.EXPERIMENT.config("smoke", [(field, value)])
    assert error.value.field == field

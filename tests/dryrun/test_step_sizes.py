"""The baselines' step-size rule (iclx.dryrun.step_sizes) on every preset's own prompts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iclx import config, experiments as registry
from iclx.dryrun import step_sizes


def _configs():
    """(experiment, preset, variant) of every registered experiment."""
    out = []
    for name in registry.EXPERIMENTS:
        experiment = registry.load(name)
        for preset in experiment.presets:
            for variant in ("", *experiment.variants):
                out.append((name, preset, variant))
    return out


CONFIGS = _configs()


@pytest.fixture(scope="module")
def lambda_cache():
    return {}


@pytest.mark.parametrize("name,preset,variant", CONFIGS)
def test_baseline_gd_step_sizes_are_stable_on_the_presets_prompts(name, preset, variant, lambda_cache):
    cfg = registry.load(name).config(preset, variant=variant)
    for field, lr in step_sizes.relative_step_fields(cfg).items():
        assert 0 < lr < 2.0, f"{name} --preset={preset} {variant}: {field}={lr} (a multiple of 1/L) is ≥ 2"
    fields = step_sizes.step_size_fields(cfg)
    if not fields:
        return
    key = json.dumps(config.to_jsonable(cfg.task), sort_keys=True)
    if key not in lambda_cache:
        lambda_cache[key] = step_sizes.least_squares_lambda_max(cfg.task)
    for field, eta in fields.items():
        product = eta * lambda_cache[key]
        assert product < 2.0, (f"{name} --preset={preset} {variant}: {field}={eta} times λ_max(XᵀX) ≈ "
                               f"{lambda_cache[key]:.1f} is {product:.2f} ≥ 2: GD diverges on these prompts")


def test_the_step_size_rule_catches_a_diverging_step_and_gd_really_diverges():
    """The paper preset's former eval.gd_lr = 0.02 at d = 20, n = 41 breaks the rule, and GD with it
    blows up on such prompts while 0.01 approaches least squares (100 steps, float64)."""
    cfg = registry.load("linear_regression").config("paper", [("eval.gd_lr", "0.02")])
    (check,) = step_sizes.checks(cfg, n_prompts=256)
    assert not check.stable and check.product > 2
    g = np.random.default_rng(1)
    xs = g.standard_normal((64, 40, 20))
    ys = np.einsum("bnd,bd->bn", xs, g.standard_normal((64, 20)))
    S, b = np.einsum("bnd,bne->bde", xs, xs), np.einsum("bnd,bn->bd", xs, ys)
    w_ls = np.linalg.solve(S, b[..., None])[..., 0]
    err = {}
    for eta in (0.01, 0.02):
        w = np.zeros_like(b)
        for _ in range(100):
            w = w - eta * (np.einsum("bde,be->bd", S, w) - b)
        err[eta] = float(np.max(np.abs(w - w_ls)))
    assert err[0.02] > 1e3 and err[0.01] < 1.0

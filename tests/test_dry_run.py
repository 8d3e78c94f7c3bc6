"""The dry run (python -m iclx.experiments dry-run), the baselines' step-size rule on every preset's own
prompts, and the Lipschitz label covariance's bounded memory. No experiment is trained here."""

from __future__ import annotations

import json

import jax
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import engine_problem as P  # noqa: E402
from iclx import config as C  # noqa: E402
from iclx import dryrun, dryrun_cost, step_sizes  # noqa: E402
from iclx import experiment as E  # noqa: E402
from iclx import experiments as X  # noqa: E402
from iclx.tasks import lipschitz as lip  # noqa: E402


def _configs():
    """(experiment, preset, variant) of every registered experiment."""
    out = []
    for name in X.EXPERIMENTS:
        experiment = X.load(name)
        for preset in experiment.presets:
            for variant in ("", *experiment.variants):
                out.append((name, preset, variant))
    return out


CONFIGS = _configs()


# --------------------------------------------------------------------------- step sizes


@pytest.fixture(scope="module")
def lambda_cache():
    return {}


@pytest.mark.parametrize("name,preset,variant", CONFIGS)
def test_baseline_gd_step_sizes_are_stable_on_the_presets_prompts(name, preset, variant, lambda_cache):
    cfg = X.load(name).config(preset, variant=variant)
    for field, lr in step_sizes.relative_step_fields(cfg).items():
        assert 0 < lr < 2.0, f"{name} --preset={preset} {variant}: {field}={lr} (a multiple of 1/L) is ≥ 2"
    fields = step_sizes.step_size_fields(cfg)
    if not fields:
        return
    key = json.dumps(C.to_jsonable(cfg.task), sort_keys=True)
    if key not in lambda_cache:
        lambda_cache[key] = step_sizes.least_squares_lambda_max(cfg.task)
    for field, eta in fields.items():
        product = eta * lambda_cache[key]
        assert product < 2.0, (f"{name} --preset={preset} {variant}: {field}={eta} times λ_max(XᵀX) ≈ "
                               f"{lambda_cache[key]:.1f} is {product:.2f} ≥ 2: GD diverges on these prompts")


def test_the_step_size_rule_catches_a_diverging_step_and_gd_really_diverges():
    """The paper preset's former eval.gd_lr = 0.02 at d = 20, n = 41 breaks the rule, and GD with it
    blows up on such prompts while 0.01 approaches least squares (100 steps, float64)."""
    cfg = X.load("linear_regression").config("paper", [("eval.gd_lr", "0.02")])
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


# --------------------------------------------------------------------------- the dry run's config surgery


@pytest.mark.parametrize("name", list(X.EXPERIMENTS))
def test_every_paper_presets_dry_run_config_validates(name):
    """Every training group cut to 2 steps, plus the SHRINK and --fast fields, is a valid config (an
    experiment without training, e.g. closed-form Monte Carlo, has no group to cut)."""
    experiment = X.load(name)
    for variant in ("", *experiment.variants):
        groups = dryrun.training_groups(experiment.config("paper", variant=variant))
        shrink = [*dryrun.SHRINK.get(name, ((), ""))[0], *dryrun.FAST.get(name, ((), ""))[0]]
        cfg = experiment.config("paper", dryrun.shorten(groups, 2) + shrink, variant=variant)
        for path in dryrun.training_groups(cfg):
            assert C.get_field(cfg, f"{path}.steps") <= 2 + len(groups)


# --------------------------------------------------------------------------- the dry run, on a tiny experiment


def _fake_config(preset: str) -> C.ConfigDict:
    cfg = E.common_config(preset, "fake")
    cfg.seeds = 2
    cfg.train = P.train_config(steps=500, chunk_steps=100, log_every=50, checkpoint_every=100)
    cfg.probe = C.ConfigDict(dict(train=P.train_config(steps=300, chunk_steps=100, log_every=100,
                                                       checkpoint_every=100, warmup_steps=10)))
    return cfg


def _fake_validate(cfg: C.ConfigDict) -> None:
    E.validate_common(cfg)
    import iclx.train as T
    T.validate_config(cfg)
    T.validate_config(cfg, "probe.train")


def _fake_run(cfg, ctx):
    import iclx.train as T
    state = ctx.train(P.problem(cfg.train), cfg.train, T.seed_lanes(cfg.seeds), name="main")
    ctx.train(P.problem(cfg.probe.train), cfg.probe.train, T.seed_lanes(1), name="probe")
    err = np.asarray(jax.vmap(P.test_error)(state.params))
    return {"summary": [f"error {err.mean():.3g}"], "error": float(err.mean())}, {"error": err}


def _fake_plot(cfg, scalars, arrays, fig_dir):
    fig_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(arrays["error"], "o-")
    path = fig_dir / "error.png"
    fig.savefig(path)
    plt.close(fig)
    return [path]


FAKE = E.Experiment(name="fake", get_config=_fake_config, validate=_fake_validate, run=_fake_run,
                    plot=_fake_plot)


def test_dry_run_cuts_training_checks_results_and_records_compiled_cost(monkeypatch, tmp_path):
    monkeypatch.setattr(X, "load", lambda name: FAKE)
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
    pred = dryrun_cost.predict([json.loads(json.dumps(record))])["experiments"]["fake"]
    assert pred["total_hours_float32"] >= pred["total_hours_bfloat16"] > 0
    assert "| fake | main | 2 | 500 |" in dryrun_cost.markdown_table(
        {"predicted": dryrun_cost.predict([record])})



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
    """``classify`` moves only the NaNs that ALLOWED_NON_FINITE names (scalars and arrays) out of the
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


# --------------------------------------------------------------------------- Lipschitz label covariance


def test_label_covariance_blocks_keep_draws_up_to_a_block_and_bound_memory():
    task = lip.LipschitzTask.from_config(lip.default_config(3, 10))
    key = jax.random.key(0)
    one = task.label_covariance(key, 256, 2.0, block=256)
    assert np.array_equal(one, task.label_covariance(key, 256, 2.0, block=1024))
    # four independent blocks estimate the same covariance as one draw of many more functions
    # (entries ≈ 1; Monte-Carlo standard error of 1024 functions ≈ 0.05)
    big = task.label_covariance(key, 8192, 2.0, block=8192)
    blocked = task.label_covariance(key, 1024, 2.0, block=256)
    assert np.max(np.abs(blocked - big)) < 0.25 and not np.array_equal(blocked, one)

    def temp_bytes(n):
        fn = jax.jit(lambda k: task.label_covariance(k, n, 2.0, block=256))
        return fn.lower(key).compile().memory_analysis().temp_size_in_bytes

    assert temp_bytes(16 * 256) < 2 * temp_bytes(256)


def test_error_lines_keep_no_machine_paths():
    import sys
    from pathlib import Path

    from iclx.dryrun import portable_lines

    lines = [f'  File "{sys.prefix}/lib/site-packages/jax/x.py", line 3', f"  File \"{Path.cwd()}/src/a.py\"",
             "RuntimeError: out of memory"]
    assert portable_lines(lines) == ['  File "<python>/lib/site-packages/jax/x.py", line 3',
                                     '  File "./src/a.py"', "RuntimeError: out of memory"]

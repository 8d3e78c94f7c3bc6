"""The training loop (iclx.engine.loop, .problem): vmapped seeds and sweeps vs single runs,
determinism, the metrics it returns, resume, NaN stop."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from iclx import engine
from iclx.engine import results, rng
from iclx.engine.checkpoints import Checkpoints
from tests.engine import problem_fixture as toy


class _Cfg:
    train = toy.train_config()


@pytest.fixture(scope="module")
def cfg():
    return _Cfg()


@pytest.fixture(scope="module")
def problem(cfg):
    return toy.problem(cfg.train)


def final_losses(workdir):
    return results.metrics_arrays(results.metrics_path(workdir))


def test_vmapped_seeds_equal_single_runs_and_lower_the_loss(cfg, problem):
    train = engine.make_train(problem, 100)
    keys = rng.seed_keys(0, [0, 1])
    state_v, metrics_v = jax.jit(jax.vmap(train))(keys)
    single = jax.jit(train)
    for lane in range(2):
        state_s, metrics_s = single(keys[lane])
        np.testing.assert_allclose(metrics_v["loss"][lane], metrics_s["loss"], rtol=2e-4, atol=1e-6)
        for a, b in zip(jax.tree.leaves(engine.lane_slice(state_v.params, lane)),
                        jax.tree.leaves(state_s.params)):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    assert not np.allclose(metrics_v["loss"][0], metrics_v["loss"][1])   # seeds are independent
    # and training works: on held-out inputs the error falls below half the initial one
    before = toy.test_error(engine.make_init(problem)(keys[0], {}).params)
    after = toy.test_error(engine.lane_slice(state_v.params, 0))
    assert np.isfinite(after) and after < 0.5 * before


def test_learning_rate_sweep_lanes_equal_separate_runs():
    """Each lane's traced lr goes through the schedule (warm-up, then cosine) like a fixed lr."""
    schedule = dict(schedule="cosine", warmup_steps=3, steps=10)
    lanes = engine.sweep_lanes(1, lr=[1e-3, 3e-3])
    keys, hps = lanes.keys(0), lanes.device_hparams()
    train = engine.make_train(toy.problem(toy.train_config(**schedule)), 10)
    _, metrics_v = jax.jit(jax.vmap(train))(keys, hps)
    for lane, lr in enumerate([1e-3, 3e-3]):
        single = toy.problem(toy.train_config(lr=lr, **schedule))
        _, metrics_s = jax.jit(engine.make_train(single, 10))(keys[lane])
        np.testing.assert_allclose(metrics_v["loss"][lane], metrics_s["loss"], rtol=1e-4, atol=1e-6)
    assert lanes.labels == ({"lr": 1e-3, "seed": 0}, {"lr": 3e-3, "seed": 0})


def test_same_seed_same_metrics(tmp_path, cfg, problem):
    lanes = engine.seed_lanes(2)
    engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path / "a", progress=False)
    engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path / "b", progress=False)
    a, b = final_losses(tmp_path / "a"), final_losses(tmp_path / "b")
    np.testing.assert_array_equal(a["loss"], b["loss"])
    assert list(a["step"]) == [10, 20, 30, 40, 50, 60]
    assert a["loss"].shape == (6, 2)


def test_returned_metrics_are_the_logged_ones_with_or_without_a_run_folder(tmp_path, cfg, problem):
    lanes = engine.seed_lanes(2)
    on_disk = engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path, progress=False)
    in_memory = engine.run_training(problem, cfg.train, lanes, 0, progress=False)
    logged = final_losses(tmp_path)
    for name in ("step", "loss", "grad_norm", "step_seen"):
        np.testing.assert_array_equal(on_disk.metrics[name], logged[name])
        np.testing.assert_array_equal(in_memory.metrics[name], logged[name])
    assert on_disk.metrics["loss"].shape == (6, 2)          # [logged steps, lanes]
    # each record is the mean over its log_every window: steps 1..10 see step indices 0..9
    np.testing.assert_allclose(on_disk.metrics["step_seen"][:, 0], np.arange(6) * 10 + 4.5)


def test_interrupt_then_resume_reaches_the_same_final_metrics(tmp_path, cfg, problem):
    lanes = engine.seed_lanes(2)
    full = engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path / "full", progress=False)
    part = engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path / "cut", progress=False,
                               stop_after_chunks=2)
    assert part.stats.end_step == 40
    # simulate metrics written after the last checkpoint by a killed process: they must be dropped
    results.append_jsonl(results.metrics_path(tmp_path / "cut"), [{"step": 50, "loss": [9.0, 9.0]}])
    resumed = engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path / "cut", progress=False)
    assert resumed.stats.start_step == 40 and resumed.stats.end_step == 60
    a, b = final_losses(tmp_path / "full"), final_losses(tmp_path / "cut")
    assert list(b["step"]) == list(a["step"])
    np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-6)
    # the engine returns what it logged: the records before the checkpoint read back, the rest new
    np.testing.assert_array_equal(resumed.metrics["step"], b["step"])
    np.testing.assert_array_equal(resumed.metrics["loss"], b["loss"])
    for x, y in zip(jax.tree.leaves(full.params), jax.tree.leaves(resumed.params)):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


def test_completed_run_is_not_retrained(tmp_path, cfg, problem):
    lanes = engine.seed_lanes(1)
    engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path, progress=False)
    stats = engine.run_training(problem, cfg.train, lanes, 0, workdir=tmp_path, progress=False).stats
    assert stats.start_step == stats.end_step == 60


def nan_problem(bad_from_step: int) -> engine.Problem:
    """Least squares on a fixed system whose loss turns NaN from a given step."""
    def init_params(key, hp):
        return {"w": jnp.zeros(3)}

    def loss(params, key, step, hp, fixed):
        x = jax.random.normal(key, (8, 3))
        value = jnp.mean((x @ params["w"] - x.sum(axis=1)) ** 2)
        return value + jnp.where(step >= bad_from_step, jnp.nan, 0.0), {}

    return engine.Problem(init_params, loss, lambda hp: optax.sgd(0.1))


def test_nan_stops_training_and_keeps_last_good_checkpoint(tmp_path, cfg):
    train_cfg = toy.train_config(steps=40, chunk_steps=10, log_every=10, checkpoint_every=10)
    with pytest.raises(engine.TrainingDiverged, match="step 24") as info:
        engine.run_training(nan_problem(23), train_cfg, engine.seed_lanes(2), 0, workdir=tmp_path,
                            progress=False)
    assert info.value.step == 24 and "checkpoint (step 20)" in str(info.value)
    assert Checkpoints(tmp_path).latest_step() == 20
    assert list(final_losses(tmp_path)["step"]) == [10, 20]


def test_prepared_fixed_data_is_drawn_once_per_seed_and_reused():
    """A population-loss problem: a fixed bank from ``prepare`` (stream "fixed"), no step data."""
    def prepare(key, hp):
        x = jax.random.normal(key, (64, 3))
        return x, x @ jnp.array([1.0, -2.0, 0.5])

    def loss(params, key, step, hp, fixed):
        x, y = fixed
        return jnp.mean((x @ params["w"] - y) ** 2), {}

    problem = engine.Problem(lambda key, hp: {"w": jnp.zeros(3)}, loss, lambda hp: optax.sgd(0.1),
                             prepare=prepare)
    keys = rng.seed_keys(0, [0, 1])
    state, metrics = jax.jit(jax.vmap(engine.make_train(problem, 200)))(keys)
    np.testing.assert_allclose(state.params["w"], [[1.0, -2.0, 0.5]] * 2, atol=1e-4)
    assert metrics["loss"][0, -1] < 1e-8
    x0 = problem.fixed_data(keys[0], {})[0]
    x1 = problem.fixed_data(keys[1], {})[0]
    assert not np.allclose(x0, x1)                                  # per-seed banks differ
    np.testing.assert_array_equal(x0, problem.fixed_data(keys[0], {})[0])

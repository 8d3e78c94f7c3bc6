"""Lanes placed over several devices (iclx.engine.placement) give the results of one device (4
forced CPU devices)."""

import os
import subprocess
import sys
import textwrap

from iclx import host

SCRIPT = textwrap.dedent("""
    import jax, numpy as np
    from iclx import engine
    from iclx.engine.placement import LaneLayout
    import problem_fixture as toy
    assert jax.device_count() == 4, jax.devices()
    train_cfg = toy.train_config(steps=20, chunk_steps=10, checkpoint_every=10)
    problem, lanes = toy.problem(train_cfg), engine.sweep_lanes(1, lr=[1e-3, 2e-3, 3e-3, 4e-3, 5e-3])  # 5 lanes -> pad to 8
    from iclx.engine import results
    sharded = engine.run_training(problem, train_cfg, lanes, 0, progress=False, workdir="sharded")
    leaf = jax.tree.leaves(sharded.params)[0]
    assert leaf.shape[0] == 5
    layout = LaneLayout.for_lanes(3)     # one device per lane, padded to the devices used
    assert layout.n_padded == 3 and len(layout.sharding.device_set) == 3
    assert LaneLayout.for_lanes(1).mesh is None          # one lane stays on one device (no padding)
    assert LaneLayout.for_lanes(5).n_padded == 8 and len(LaneLayout.for_lanes(5).sharding.device_set) == 4
    single = engine.run_training(problem, train_cfg, lanes, 0, progress=False, workdir="single",
                                 layout=LaneLayout.for_lanes(5, devices=jax.devices()[:1]))
    loss_sharded = results.metrics_arrays("sharded/metrics.jsonl")["loss"]
    loss_single = results.metrics_arrays("single/metrics.jsonl")["loss"]
    assert loss_sharded.shape == (2, 5)
    np.testing.assert_allclose(loss_sharded, loss_single, rtol=1e-4)
    # Adam divides by sqrt(v): float32 noise on near-zero gradients moves weights by up to ~lr
    for a, b in zip(jax.tree.leaves(sharded.params), jax.tree.leaves(single.params)):
        a, b = np.asarray(a), np.asarray(b)
        assert np.abs(a - b).max() <= 2e-2 * np.abs(b).max(), (np.abs(a - b).max(), np.abs(b).max())
    print("SHARDED_OK")
""")


def run_on_forced_devices(script: str, devices: int, cwd) -> str:
    """``script``'s stdout, run in a fresh process with ``devices`` forced CPU devices (it must exit 0)."""
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split()
                     if not f.startswith(host.FLAG))
    env = {**os.environ, "XLA_FLAGS": f"{flags} {host.FLAG}={devices}".strip(),
           "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join(filter(None, [tests_dir, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=300, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_sharded_lanes_equal_single_device(tmp_path):
    assert "SHARDED_OK" in run_on_forced_devices(SCRIPT, 4, tmp_path)


BATCH_SPLIT_SCRIPT = textwrap.dedent("""
    import dataclasses
    import jax, jax.numpy as jnp, numpy as np
    from iclx import engine
    from iclx.engine.placement import LaneLayout
    import problem_fixture as toy
    assert jax.device_count() == 2, jax.devices()

    def loss(params, key, step, hp, fixed):     # the fixture's loss with its batch split
        x = engine.constrain_batch(jax.random.normal(key, (toy.BATCH, toy.DIM)))
        return jnp.mean((toy.predict(params, x) - toy.teacher(x)) ** 2), {}

    train_cfg = toy.train_config(steps=40, chunk_steps=20, checkpoint_every=20)
    problem = dataclasses.replace(toy.problem(train_cfg), loss=loss, splits_batch=True)
    lanes = engine.seed_lanes(1)
    layout = LaneLayout.for_lanes(1, batch_size=toy.BATCH)
    assert layout.batch_devices == 2 and layout.mesh.shape == {"lanes": 1, "batch": 2}
    assert LaneLayout.for_lanes(2, batch_size=toy.BATCH).batch_devices == 1   # two lanes: one device each
    three = LaneLayout.for_lanes(3, batch_size=toy.BATCH)     # no padding: every batch split in two
    assert three.n_padded == 3 and three.batch_devices == 2
    assert LaneLayout.for_lanes(3, batch_size=33).n_padded == 4    # an odd batch: lanes padded instead
    split = engine.run_training(problem, train_cfg, lanes, 0, progress=False)
    single = engine.run_training(problem, train_cfg, lanes, 0, progress=False,
                                 layout=LaneLayout.for_lanes(1, devices=jax.devices()[:1]))
    np.testing.assert_allclose(split.metrics["loss"], single.metrics["loss"], rtol=1e-5)
    for a, b in zip(jax.tree.leaves(split.params), jax.tree.leaves(single.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    print("BATCH_SPLIT_OK")
""")


def test_one_lane_split_over_two_devices_equals_one_device(tmp_path):
    """Data parallel over the "batch" mesh axis: the same loss curve and parameters as one device,
    within float32 summation-order tolerance."""
    assert "BATCH_SPLIT_OK" in run_on_forced_devices(BATCH_SPLIT_SCRIPT, 2, tmp_path)

"""The L-Lipschitz in-context regression generator: the Lipschitz constant each function claims
(checked numerically), its scalings, features, prompts, label covariance and config validation."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import config, tasks
from iclx.tasks import lipschitz as lip

TASK = lip.LipschitzTask(n_features=4, n_dims=6, n_points=30, frequency=2.0, relu_units=6)


def test_functions_have_the_lipschitz_constant_they_claim():
    """sup ‖∇f‖ = L exactly, for every family and scaling: |f(x) − f(y)| ≤ L‖x − y‖ on random pairs,
    and ‖∇f‖ = L at the steepest points (the sine's zero crossings, every piece of the ReLU profile)."""
    L, n = 3.0, 32
    rs = np.random.default_rng(0)
    x = rs.normal(size=(n, 256, TASK.n_dims)).astype(np.float32)
    y = x + rs.normal(size=x.shape).astype(np.float32) * rs.uniform(1e-3, 1.0, (n, 256, 1))
    combos = [(family, scaling) for family in lip.FAMILIES for scaling in lip.SCALINGS]

    @jax.jit
    def check(key):
        out = []
        for family, scaling in combos:
            task = dataclasses.replace(TASK, family=family, scaling=scaling)
            fns = task.sample_function(key, (n,))
            breaks = jnp.sort(-fns.b * fns.s, axis=1)
            pieces = jnp.concatenate([breaks[:, :1] - 1, 0.5 * (breaks[:, 1:] + breaks[:, :-1]),
                                      breaks[:, -1:] + 1], axis=1)       # [F, m + 1], base units
            steep = {"linear": jnp.zeros((n, 1)), "sine": (-fns.phase / task.frequency)[:, None],
                     "relu": pieces}[family] / L ** (1 - task.alpha)
            f = lambda fn, z: task.evaluate(fn, z, L)
            ratio = jax.vmap(lambda fn, x, y: jnp.abs(f(fn, x) - f(fn, y))
                             / jnp.linalg.norm(x - y, axis=-1))(fns, x, y)
            grad = jax.vmap(lambda fn, t: jax.vmap(
                lambda ti: jnp.linalg.norm(jax.grad(lambda z: f(fn, z))(ti * fn.w)))(t))(fns, steep)
            out.append((ratio.max(), grad.max(axis=1)))
        return out

    for (family, scaling), (ratio, sup_grad) in zip(combos, check(jax.random.key(0))):
        assert ratio <= L * (1 + 1e-5), (family, scaling)
        np.testing.assert_allclose(sup_grad, L, rtol=2e-5, err_msg=f"{family} {scaling}")


def test_relu_profile_lipschitz_matches_brute_force_slopes():
    rs = np.random.default_rng(1)
    t = np.linspace(-4, 4, 400_001)
    for _ in range(5):
        a, s, b = rs.normal(size=7), rs.choice([-1.0, 1.0], 7), rs.uniform(-1, 1, 7)
        h = np.sum(a * np.maximum(s * t[:, None] + b, 0), axis=1)
        brute = np.max(np.abs(np.diff(h) / np.diff(t)))
        np.testing.assert_allclose(lip.relu_profile_lipschitz(jnp.asarray(a), jnp.asarray(s),
                                                              jnp.asarray(b)), brute, rtol=1e-4)


@pytest.mark.parametrize("family", ["sine", "relu"])
def test_scalings_rescale_values_or_inputs(family):
    task = dataclasses.replace(TASK, family=family)
    x = np.random.default_rng(4).normal(size=(5, task.n_dims)).astype(np.float32)

    @jax.jit
    def values(key):
        fn = task.sample_function(key)
        f = lambda z, L, a: task.evaluate(fn, z, L, a)
        return f(x, 1.0, 1.0), f(x, 4.0, 1.0), f(x, 4.0, 0.0), f(4.0 * x, 1.0, 1.0)

    one, amplitude, dilation, stretched = values(jax.random.key(3))
    np.testing.assert_allclose(amplitude, 4.0 * one, rtol=1e-5)
    np.testing.assert_allclose(dilation, stretched, rtol=1e-5)


def test_features():
    equi_task = dataclasses.replace(TASK, features="equicorrelated")
    rand = dataclasses.replace(TASK, features="random")
    ortho, equi, r1, r2 = jax.jit(lambda: (TASK.feature_matrix(), equi_task.feature_matrix(0.5),
                                           rand.feature_matrix(0.5), rand.feature_matrix(2.0)))()
    np.testing.assert_allclose(ortho @ ortho.T, np.eye(4, 4), atol=1e-7)
    gram = np.asarray(equi @ equi.T)
    np.testing.assert_allclose(np.diag(gram), 1.0, rtol=1e-6)
    off = gram[~np.eye(4, dtype=bool)]
    np.testing.assert_allclose(off, off[0], rtol=1e-6)
    assert 0 < off[0] < 1
    np.testing.assert_allclose(np.linalg.norm(r1, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(r1, jax.jit(lambda: rand.feature_matrix(0.5))())   # seeded
    assert np.linalg.matrix_rank(np.asarray(r2)) == 4                                  # distinct


def test_prompts_are_features_plus_noise_labelled_by_f():
    task = dataclasses.replace(TASK, family="relu", features="equicorrelated", noise_std=0.1)
    clean_task = dataclasses.replace(task, noise_std=0.0)

    @jax.jit
    def draw(key):
        p = task.sample_batch(key, 8, 2.5, 1.0, rho=0.3)
        xs = jnp.concatenate([p.xs, p.x_query[:, None]], 1)
        ys = jax.vmap(lambda fn, x: task.evaluate(fn, x, 2.5, 1.0))(p.function, xs)
        return p, xs, ys, task.feature_matrix(0.3), clean_task.sample(key)

    p, xs, ys, V, clean = draw(jax.random.key(5))
    ids = np.concatenate([p.features, p.query_feature[:, None]], 1)
    assert p.xs.shape == (8, 30, 6) and p.ys.shape == (8, 30) and p.x_query.shape == (8, 6)
    resid = np.asarray(xs) - np.asarray(V)[ids]
    assert 0.02 < resid.std() < 0.1                        # σ ξ with ξ ~ N(0, I/d): std σ/√d
    np.testing.assert_allclose(np.concatenate([p.ys, p.y_query[:, None]], 1), ys, rtol=1e-5)
    np.testing.assert_allclose(clean.xs, np.eye(4, 6)[clean.features], atol=1e-7)   # ρ = 0: e_k


def test_label_covariance_and_non_degeneracy():
    lin = dataclasses.replace(TASK, family="linear")
    sine, relu = (dataclasses.replace(TASK, family=f) for f in ("sine", "relu"))

    @jax.jit
    def covariances(key):
        fns = lin.sample_function(key, (8192,))
        values = jax.vmap(lambda fn: lin.evaluate(fn, lin.feature_matrix(), 2.0))(fns)
        return (lin.label_covariance(key, 1, 2.0), values.T @ values / values.shape[0],
                sine.label_covariance(key, 4096, 2.0), relu.label_covariance(key, 4096, 2.0))

    closed, monte_carlo, *nonlinear = covariances(jax.random.key(7))
    np.testing.assert_allclose(closed, 4.0 / 6 * np.eye(4), rtol=1e-6)
    np.testing.assert_allclose(monte_carlo, closed, atol=0.04)
    for cov in nonlinear:
        gaps = np.diag(cov)[:, None] + np.diag(cov)[None] - 2 * np.asarray(cov)
        assert np.all(gaps[~np.eye(4, dtype=bool)] > 0.05)           # distinct features, distinct labels
        assert np.all(gaps <= 4.0 * 2 + 1e-4)                         # ≤ L² ‖v_k − v_j‖² = 8


def test_counts_and_missing_feature_probability():
    task = lip.LipschitzTask(n_features=5, n_dims=5, n_points=6)
    counts = np.asarray(jax.jit(lambda k: task.sample_counts(k, 20_000))(jax.random.key(10)))
    assert counts.shape == (20_000, 5) and np.all(counts.sum(1) == 6)
    np.testing.assert_allclose((counts[:, 0] == 0).mean(), lip.missing_feature_probability(5, 6),
                               atol=0.01)


def test_registry_and_validation():
    cfg = config.ConfigDict(dict(task=lip.default_config(4, 20)))
    assert tasks.build(cfg.task).n_features == 4
    tasks.TASKS["lipschitz_regression"][1](cfg)
    for field, value in [("n_dims", 3), ("family", "cubic"), ("lipschitz", 0.0), ("noise_std", -1.0),
                         ("scaling", "log"), ("n_features", 1)]:
        bad = config.ConfigDict(cfg.to_dict())
        bad.task[field] = value
        with pytest.raises(config.ConfigError, match=f"task.{field}"):
            lip.validate_config(bad)
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

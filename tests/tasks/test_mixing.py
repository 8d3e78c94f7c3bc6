"""The spiked two-source mixture and real-data pools (iclx.tasks.mixing)."""

import jax
import jax.numpy as jnp
import numpy as np

from iclx.tasks import mixing


def test_spiked_sources_and_labels(x64):
    d = 6
    src = mixing.make_sources(jax.random.key(0), d, [0.0, 4.0], [0.0, 9.0], [0.1, 0.0], jnp.float64)
    z = jax.jit(lambda k: mixing.spiked_normal(k, (60_000,), src.x_theta[1], src.x_dir[1]))(jax.random.key(1))
    cov = np.cov(np.asarray(z).T)
    ref = np.eye(d) + 4.0 * np.outer(src.x_dir[1], src.x_dir[1])
    np.testing.assert_allclose(cov, ref, atol=0.1)
    ctx = jax.jit(lambda k: mixing.sample_contexts(k, src, mixing.two_source_probs(0.25), 4000, 4))(jax.random.key(2))
    assert abs(float(ctx.source.mean()) - 0.25) < 0.03
    # noise-free source 1: labels are ReLU of the normalised projection on the context's ξ
    xs, ys = mixing.one_context(jax.random.key(3), src, 1, 50)
    assert float(jnp.min(ys)) >= 0.0 and float(jnp.mean(ys == 0)) > 0.2
    ctx0 = mixing.source_contexts(jax.random.key(4), src, 0, 3, 2)
    assert ctx0.xs.shape == (3, 3, d) and bool(jnp.all(ctx0.source == 0))


def test_pool_contexts_draw_within_each_source():
    px = jnp.stack([jnp.full((5, 2), 1.0), jnp.full((5, 2), 2.0)])
    py = jnp.stack([jnp.arange(5.0), 10 + jnp.arange(5.0)])
    ctx = mixing.pool_contexts(jax.random.key(0), px, py, jnp.array([3, 5]), jnp.array([0, 1, 0, 1]), 6)
    assert bool(jnp.all(ctx.xs[0] == 1.0)) and bool(jnp.all(ctx.xs[1] == 2.0))
    assert float(ctx.ys[0].max()) <= 2.0 and float(ctx.ys[1].min()) >= 10.0

"""The linear-attention features and the MLP head's one gradient step (iclx.models.mlp_head)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import hermite
from iclx.models import mlp_head


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_one_step_gradient_matches_autodiff(x64, name):
    sigma, sigma_prime = hermite.activation(name)
    k, D, n = 7, 12, 9
    F, w = mlp_head.init_head(jax.random.key(0), k, D, jnp.asarray(float(D)), jnp.float64)
    H = jax.random.normal(jax.random.key(1), (n, D), jnp.float64)
    y = jax.random.normal(jax.random.key(2), (n,), jnp.float64)
    G = mlp_head.gradient_step(F, w, H, y, sigma, sigma_prime)
    auto = -jax.grad(mlp_head.half_mse)(F, w, H, y, sigma)
    np.testing.assert_allclose(G, auto, rtol=1e-10, atol=1e-12)
    # masks: the first n' rows and k' neurons give the gradient of the smaller problem
    Gm = mlp_head.gradient_step(F, w, H, y, sigma, sigma_prime, n=5, k=4)
    small = -jax.grad(mlp_head.half_mse)(F[:4], w[:4], H[:5], y[:5], sigma)
    np.testing.assert_allclose(Gm[:4], small, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Gm[4:], 0.0)


def test_attention_features_and_ell_mask(x64):
    d, L = 3, 5
    xs = jax.random.normal(jax.random.key(0), (L + 1, d), jnp.float64)
    ys = jax.random.normal(jax.random.key(1), (L + 1,), jnp.float64)
    b = np.concatenate([(np.asarray(ys[:L])[:, None] * np.asarray(xs[:L])).mean(0),
                        [np.mean(np.asarray(ys[:L]) ** 2)]])
    np.testing.assert_allclose(mlp_head.attention_features(xs, ys), np.outer(xs[L], b).ravel(), rtol=1e-12)
    short = jnp.concatenate([xs[:3], xs[L:]]), jnp.concatenate([ys[:3], ys[L:]])
    np.testing.assert_allclose(mlp_head.attention_features(xs, ys, ell=3), mlp_head.attention_features(*short),
                               rtol=1e-12)


def test_preactivation_scale_is_the_conditional_std_and_pools_per_source(x64):
    D, k = 30, 20_000
    source, t = jnp.array([0, 1, 0, 1]), jnp.asarray(float(D))

    @jax.jit
    def measure(key):                                  # one compiled program
        H = jax.random.normal(key, (4, D), jnp.float64) * jnp.array([[0.5], [1.0], [2.0], [3.0]])
        F, _ = mlp_head.init_head(jax.random.key(1), k, D, t, jnp.float64)
        return (jnp.std(H @ F.T, axis=1), mlp_head.preactivation_scale(H, t),
                mlp_head.source_scale(H, t, source, 3),
                mlp_head.source_scale(H, t, source, 2, rows=jnp.array([1, 1, 0, 1])))

    std, s, pooled, only = (np.asarray(a) for a in measure(jax.random.key(0)))
    np.testing.assert_allclose(std, s, rtol=2e-2)          # F vec H_Z given H_Z: N(0, s²) per neuron
    rms = lambda a, b: np.sqrt((s[a] ** 2 + s[b] ** 2) / 2)
    np.testing.assert_allclose(pooled, [rms(0, 2), rms(1, 3), rms(0, 2), rms(1, 3)], rtol=1e-12)
    # rows that do not count (beyond a traced n) leave their source's scale alone
    np.testing.assert_allclose(only[0], s[0], rtol=1e-12)

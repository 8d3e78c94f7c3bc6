"""Shared layers of the data-mixing experiment: Hermite expansions, ridge, the one-step gradient,
attention features and the multi-source generator (float64 where it matters)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import hermite
from iclx.algorithms.ridge import ridge_fit
from iclx.models import mlp_head as M
from iclx.tasks import mixing as X


def test_hermite_coefficients_known_values():
    relu = hermite.coefficients("relu", 5)
    s2pi = math.sqrt(2 * math.pi)
    np.testing.assert_allclose(relu, [1 / s2pi, 0.5, 1 / (2 * s2pi), 0, -1 / (24 * s2pi), 0], atol=1e-12)
    np.testing.assert_allclose(hermite.residual_std("relu", 4), 0.0681, atol=5e-5)
    tanh = hermite.coefficients("tanh", 5)
    np.testing.assert_allclose(tanh[[0, 2, 4]], 0, atol=1e-12)
    np.testing.assert_allclose(tanh[[1, 3, 5]], [0.60571, -0.0606, 0.00571], atol=5e-5)
    np.testing.assert_allclose(hermite.second_moment("tanh"), 0.39429, atol=5e-5)
    np.testing.assert_allclose([hermite.residual_std("tanh", 4), hermite.residual_std("tanh", 5)],
                               [0.0734, 0.0383], atol=5e-5)


def test_relu_closed_form_matches_monte_carlo(x64):
    z = jax.random.normal(jax.random.key(0), (400_000,), jnp.float64)
    He = hermite.hermite_values(np.asarray(z), 4)
    mc = (He * np.maximum(np.asarray(z), 0)).mean(1) / [1, 1, 2, 6, 24]
    np.testing.assert_allclose(mc, hermite.coefficients("relu", 4), atol=8e-3)


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_equivalent_activation_matches_moments(x64, name):
    p = 4
    c, c_star = hermite.coefficients(name, p), hermite.residual_std(name, p)
    # polynomial part: E[σ̂_p He_i] = i! c_i exactly (quadrature), noise independent of z
    x, w = np.polynomial.hermite_e.hermegauss(60)
    poly = np.asarray(hermite.hermite_series(jnp.asarray(c), jnp.asarray(x)))
    He = hermite.hermite_values(x, p)
    lhs = He @ (w * poly) / math.sqrt(2 * math.pi)
    rhs = c * np.array([math.factorial(i) for i in range(p + 1)])   # i! c_i = E[σ He_i]
    np.testing.assert_allclose(lhs, rhs, atol=1e-10)
    # second moment including the noise, by Monte Carlo
    z = jax.random.normal(jax.random.key(1), (400_000,), jnp.float64)
    eq = hermite.equivalent_activation(jnp.asarray(c), c_star, z, jax.random.key(2))
    np.testing.assert_allclose(float(jnp.mean(eq ** 2)), hermite.second_moment(name), rtol=1e-2)


@pytest.mark.parametrize("n,p", [(30, 8), (8, 30)])
def test_ridge_against_numpy(x64, n, p):
    X_ = np.random.default_rng(0).normal(size=(n, p))
    y = np.random.default_rng(1).normal(size=n)
    lam = 0.3
    ref = np.linalg.solve(X_.T @ X_ + n * lam * np.eye(p), X_.T @ y)
    np.testing.assert_allclose(ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam), ref, rtol=1e-9)
    # masked rows: the same as fitting on the first m rows
    m = n // 2
    ref_m = np.linalg.solve(X_[:m].T @ X_[:m] + m * lam * np.eye(p), X_[:m].T @ y[:m])
    np.testing.assert_allclose(ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam, n=m), ref_m, rtol=1e-9)


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_one_step_gradient_matches_autodiff(x64, name):
    sigma, sigma_prime = hermite.activation(name)
    k, D, n = 7, 12, 9
    F, w = M.init_head(jax.random.key(0), k, D, jnp.asarray(float(D)), jnp.float64)
    H = jax.random.normal(jax.random.key(1), (n, D), jnp.float64)
    y = jax.random.normal(jax.random.key(2), (n,), jnp.float64)
    G = M.gradient_step(F, w, H, y, sigma, sigma_prime)
    auto = -jax.grad(M.half_mse)(F, w, H, y, sigma)
    np.testing.assert_allclose(G, auto, rtol=1e-10, atol=1e-12)
    # masks: the first n' rows and k' neurons give the gradient of the smaller problem
    Gm = M.gradient_step(F, w, H, y, sigma, sigma_prime, n=5, k=4)
    small = -jax.grad(M.half_mse)(F[:4], w[:4], H[:5], y[:5], sigma)
    np.testing.assert_allclose(Gm[:4], small, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Gm[4:], 0.0)


def test_attention_features_and_ell_mask(x64):
    d, L = 3, 5
    xs = jax.random.normal(jax.random.key(0), (L + 1, d), jnp.float64)
    ys = jax.random.normal(jax.random.key(1), (L + 1,), jnp.float64)
    b = np.concatenate([(np.asarray(ys[:L])[:, None] * np.asarray(xs[:L])).mean(0),
                        [np.mean(np.asarray(ys[:L]) ** 2)]])
    np.testing.assert_allclose(M.attention_features(xs, ys), np.outer(xs[L], b).ravel(), rtol=1e-12)
    short = jnp.concatenate([xs[:3], xs[L:]]), jnp.concatenate([ys[:3], ys[L:]])
    np.testing.assert_allclose(M.attention_features(xs, ys, ell=3), M.attention_features(*short),
                               rtol=1e-12)


def test_spiked_sources_and_labels(x64):
    d = 6
    src = X.make_sources(jax.random.key(0), d, [0.0, 4.0], [0.0, 9.0], [0.1, 0.0], jnp.float64)
    z = jax.jit(lambda k: X.spiked_normal(k, (60_000,), src.x_theta[1], src.x_dir[1]))(jax.random.key(1))
    cov = np.cov(np.asarray(z).T)
    ref = np.eye(d) + 4.0 * np.outer(src.x_dir[1], src.x_dir[1])
    np.testing.assert_allclose(cov, ref, atol=0.1)
    ctx = jax.jit(lambda k: X.sample_contexts(k, src, X.two_source_probs(0.25), 4000, 4))(jax.random.key(2))
    assert abs(float(ctx.source.mean()) - 0.25) < 0.03
    # noise-free source 1: labels are ReLU of the normalised projection on the context's ξ
    xs, ys = X.one_context(jax.random.key(3), src, 1, 50)
    assert float(jnp.min(ys)) >= 0.0 and float(jnp.mean(ys == 0)) > 0.2
    ctx0 = X.source_contexts(jax.random.key(4), src, 0, 3, 2)
    assert ctx0.xs.shape == (3, 3, d) and bool(jnp.all(ctx0.source == 0))


def test_pool_contexts_draw_within_each_source():
    px = jnp.stack([jnp.full((5, 2), 1.0), jnp.full((5, 2), 2.0)])
    py = jnp.stack([jnp.arange(5.0), 10 + jnp.arange(5.0)])
    ctx = X.pool_contexts(jax.random.key(0), px, py, jnp.array([3, 5]), jnp.array([0, 1, 0, 1]), 6)
    assert bool(jnp.all(ctx.xs[0] == 1.0)) and bool(jnp.all(ctx.xs[1] == 2.0))
    assert float(ctx.ys[0].max()) <= 2.0 and float(ctx.ys[1].min()) >= 10.0

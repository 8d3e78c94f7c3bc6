"""Hermite expansions and the equivalent activation (iclx.algorithms.hermite)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import hermite


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

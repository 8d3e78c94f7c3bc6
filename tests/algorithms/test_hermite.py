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


SCALES = (0.5, 1.0, 2.0, 3.0)


def _reference_second_moment(name: str, s: float) -> float:
    """E[σ(s u)²] independently of the module: closed form for ReLU, a fine trapezoid for tanh."""
    if name == "relu":
        return s * s / 2
    u = np.linspace(-12, 12, 200_001)
    return float(np.trapezoid(np.tanh(s * u) ** 2 * np.exp(-u * u / 2), u) / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_equivalent_at_scale_matches_sigma_second_moments(x64, name):
    # at every pre-activation scale s, σ̂_{p,s}(z) = Σ c_i(s) He_i(z/s) + c*(s) g has, for z ~ N(0, s²),
    # σ's second moment and σ's projections on He_i(z/s), i ≤ p
    p, x, w = 5, *np.polynomial.hermite_e.hermegauss(120)            # u = z / s nodes
    sigma = (lambda v: jnp.maximum(v, 0)) if name == "relu" else jnp.tanh

    @jax.jit
    def measure(scale, key):                           # one compiled program
        c = hermite.scaled_coefficients(name, scale, p)                    # [p + 1, 4]
        c_star = hermite.scaled_residual_std(name, scale, c)
        poly = jax.vmap(lambda cj: hermite.hermite_series(cj, jnp.asarray(x)), in_axes=1)(c)   # [4, Q]
        rows = jnp.repeat(scale, 5_000)[:, None]       # with its noise, one scale per row of z
        z = rows * jax.random.normal(key, (rows.shape[0], 40), jnp.float64)
        cr = hermite.scaled_coefficients(name, rows[:, 0], p)
        c_star_rows = hermite.scaled_residual_std(name, rows[:, 0], cr)
        eq = hermite.equivalent_at_scale(cr[..., None], c_star_rows[:, None], rows, z, jax.random.key(4))
        blocks = lambda a: jnp.mean(a.reshape(len(SCALES), -1) ** 2, axis=1)
        return c, c_star, poly, blocks(eq), blocks(sigma(z))

    c, c_star, poly, eq2, sigma2 = (np.asarray(a) for a in measure(jnp.asarray(SCALES), jax.random.key(3)))
    u = np.linspace(-12, 12, 200_001)
    He, gauss = hermite.hermite_values(u, p), np.exp(-u * u / 2) / math.sqrt(2 * math.pi)
    for j, s in enumerate(SCALES):
        second = float(w @ poly[j] ** 2 / math.sqrt(2 * math.pi)) + float(c_star[j]) ** 2
        # (200-node quadrature of tanh(s u): 9e-6 relative at s = 3)
        np.testing.assert_allclose(second, _reference_second_moment(name, s), rtol=3e-5)
        act = np.maximum(s * u, 0) if name == "relu" else np.tanh(s * u)
        proj = np.trapezoid(He * act * gauss, u, axis=-1)
        np.testing.assert_allclose(c[:, j] * [math.factorial(i) for i in range(p + 1)], proj,
                                   rtol=2e-5, atol=1e-9)
    np.testing.assert_allclose(eq2, sigma2, rtol=3e-2)        # Monte Carlo, with the noise
    # at s = 1 the unit-scale coefficients; ReLU is homogeneous (every coefficient scales by s)
    np.testing.assert_allclose(c[:, 1], hermite.coefficients(name, p), atol=1e-10)
    if name == "relu":
        np.testing.assert_allclose(c, np.outer(hermite.coefficients("relu", p), SCALES))

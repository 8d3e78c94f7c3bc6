"""Hermite expansions of activations and the equivalent (Hermite-truncated) activation.

For z ~ N(0, 1) an activation σ with E[σ(z)²] < ∞ expands in the probabilists' Hermite polynomials
He_i (He_0 = 1, He_1 = z, He_{i+1} = z He_i − i He_{i−1}; E[He_i He_j] = i! δ_ij):

    σ(z) = Σ_i c_i He_i(z),    c_i = E[σ(z) He_i(z)] / i!.

The degree-p *equivalent* activation keeps c_0 … c_p and replaces the rest by independent Gaussian
noise of the same variance: σ̂_p(z) = Σ_{i≤p} c_i He_i(z) + c*_p g, g ~ N(0, 1) independent,
c*_p = sqrt(E[σ²] − Σ_{i≤p} i! c_i²), so that E[σ̂_p²] = E[σ²] (and every moment E[σ̂_p He_i], i ≤ p,
equals σ's).

Coefficients come from Gauss–Hermite quadrature (``numpy.polynomial.hermite_e``) except for ReLU,
whose kink makes quadrature converge slowly: it uses the closed forms
c_0 = 1/√(2π), c_1 = 1/2, c_i = He_{i−2}(0) / (i! √(2π)) for i ≥ 2 (zero for odd i).

**At a scale.** A pre-activation z of standard deviation s ≠ 1 is z = s·u with u ~ N(0, 1), and the
expansion that matches it is that of u ↦ σ(s·u):

    σ(s u) = Σ_i c_i(s) He_i(u),   c_i(s) = E[σ(s u) He_i(u)] / i!,
    c*_p(s)² = E[σ(s u)²] − Σ_{i≤p} i! c_i(s)²,

so σ̂_{p,s}(z) = Σ_{i≤p} c_i(s) He_i(z / s) + c*_p(s) g has E[σ̂_{p,s}(z)²] = E[σ(z)²] at
z ~ N(0, s²).
ReLU is homogeneous (σ(s u) = s σ(u): every coefficient scales by s); other activations take
Gauss–Hermite quadrature per scale (``scaled_coefficients``, jnp, any shape of scales, traceable).
For tanh, 200 nodes give E[tanh(s u)²] to 1e-5 (relative) at s ≤ 3 and 0.4% at s = 6: tanh(s u)
nears a step as s grows, which a polynomial quadrature resolves ever more slowly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from numpy.polynomial import hermite_e

Array = jax.Array

ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "relu": (jax.nn.relu, lambda z: (z > 0).astype(z.dtype)),
    "tanh": (jnp.tanh, lambda z: 1.0 - jnp.tanh(z) ** 2),
    "sigmoid": (jax.nn.sigmoid, lambda z: jax.nn.sigmoid(z) * (1.0 - jax.nn.sigmoid(z))),
}


def activation(name: str) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    """``(σ, σ′)`` of a named activation (``relu``, ``tanh``, ``sigmoid``)."""
    if name not in ACTIVATIONS:
        raise KeyError(f"unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})")
    return ACTIVATIONS[name]


def gauss_expectation(fn: Callable[[np.ndarray], np.ndarray], nodes: int = 200) -> float:
    """E[fn(z)], z ~ N(0, 1), by ``nodes``-point Gauss–Hermite (probabilists') quadrature."""
    x, w = hermite_e.hermegauss(nodes)
    return float(np.sum(w * fn(x)) / math.sqrt(2.0 * math.pi))


def hermite_values(z: np.ndarray, p: int) -> np.ndarray:
    """He_0(z) … He_p(z): ``[p + 1, *z.shape]`` (numpy, float64)."""
    z = np.asarray(z, dtype=np.float64)
    out = [np.ones_like(z), z]
    for i in range(1, p):
        out.append(z * out[i] - i * out[i - 1])
    return np.stack(out[: p + 1])


def relu_coefficients(p: int) -> np.ndarray:
    """Closed-form Hermite coefficients c_0 … c_p of ReLU."""
    c = np.zeros(p + 1)
    c[0] = 1.0 / math.sqrt(2.0 * math.pi)
    if p >= 1:
        c[1] = 0.5
    he0 = hermite_values(np.zeros(()), max(p, 2))      # He_i(0)
    for i in range(2, p + 1):       # E[ReLU(z) He_i(z)] = φ(0) He_{i−2}(0) for i ≥ 2
        c[i] = he0[i - 2] / (math.factorial(i) * math.sqrt(2.0 * math.pi))
    return c


def coefficients(name: str, p: int, nodes: int = 200) -> np.ndarray:
    """Hermite coefficients c_0 … c_p of a named activation (closed form for ReLU)."""
    if name == "relu":
        return relu_coefficients(p)
    fn = _numpy_activation(name)
    He = lambda z: hermite_values(z, p)
    x, w = hermite_e.hermegauss(nodes)
    moments = (He(x) * fn(x)) @ w / math.sqrt(2.0 * math.pi)
    return moments / np.array([math.factorial(i) for i in range(p + 1)], dtype=np.float64)


def second_moment(name: str, nodes: int = 200) -> float:
    """E[σ(z)²], z ~ N(0, 1) (exactly ½ for ReLU)."""
    if name == "relu":
        return 0.5
    fn = _numpy_activation(name)
    return gauss_expectation(lambda z: fn(z) ** 2, nodes)


def residual_std(name: str, p: int, nodes: int = 200) -> float:
    """c*_p = sqrt(E[σ²] − Σ_{i≤p} i! c_i²): the standard deviation of σ's Hermite tail beyond p."""
    c = coefficients(name, p, nodes)
    captured = sum(math.factorial(i) * c[i] ** 2 for i in range(p + 1))
    return math.sqrt(max(second_moment(name, nodes) - captured, 0.0))


def hermite_series(c: Array, z: Array) -> Array:
    """Σ_i c_i He_i(z) for coefficients ``c [p + 1]`` (jnp, any shape of ``z``; three-term recursion)."""
    p = c.shape[0] - 1
    prev, cur = jnp.ones_like(z), z
    out = c[0] * prev
    if p >= 1:
        out = out + c[1] * cur
    for i in range(1, p):
        prev, cur = cur, z * cur - i * prev
        out = out + c[i + 1] * cur
    return out


def equivalent_activation(c: Array, c_star: float | Array, z: Array, key: Array) -> Array:
    """σ̂_p(z) = Σ_{i≤p} c_i He_i(z) + c*_p g, with g ~ N(0, 1) fresh for every entry of ``z``."""
    return hermite_series(c, z) + c_star * jax.random.normal(key, z.shape, z.dtype)


def _numpy_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    table = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
             "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}
    if name not in table:
        raise KeyError(f"unknown activation {name!r} (known: {', '.join(table)})")
    return table[name]


# --------------------------------------------------------------------------- expansions at a scale


def scaled_coefficients(name: str, scale: Array, p: int, nodes: int = 200) -> Array:
    """c_0(s) … c_p(s) of u ↦ σ(s·u), u ~ N(0, 1): ``scale [...]`` → ``[p + 1, ...]`` (jnp, in the
    dtype of ``scale``). ReLU: s·c_i(1) in closed form; others: ``nodes``-point quadrature per scale."""
    scale = jnp.asarray(scale)
    if name == "relu":
        unit = jnp.asarray(relu_coefficients(p), scale.dtype)
        return unit.reshape(-1, *([1] * scale.ndim)) * scale
    values = _quadrature_values(name, scale, nodes)                  # [..., Q]: w_q σ(s x_q)
    x, _ = hermite_e.hermegauss(nodes)
    He = jnp.asarray(hermite_values(x, p), scale.dtype)              # [p + 1, Q]
    norm = jnp.asarray([math.sqrt(2.0 * math.pi) * math.factorial(i) for i in range(p + 1)], scale.dtype)
    return jnp.moveaxis(values @ He.T, -1, 0) / norm.reshape(-1, *([1] * scale.ndim))


def scaled_second_moment(name: str, scale: Array, nodes: int = 200) -> Array:
    """E[σ(s u)²], u ~ N(0, 1): ``scale [...]`` → ``[...]`` (ReLU: s²/2 exactly)."""
    scale = jnp.asarray(scale)
    if name == "relu":
        return 0.5 * scale ** 2
    fn = ACTIVATIONS[name][0]
    x, w = (jnp.asarray(v, scale.dtype) for v in hermite_e.hermegauss(nodes))
    return fn(scale[..., None] * x) ** 2 @ w / math.sqrt(2.0 * math.pi)


def scaled_residual_std(name: str, scale: Array, coefficients: Array, nodes: int = 200) -> Array:
    """c*(s) = sqrt(E[σ(s u)²] − Σ_i i! c_i(s)²) for the kept ``coefficients [p + 1, ...]`` (zeros
    beyond the degree count for nothing): ``[...]``."""
    p = coefficients.shape[0] - 1
    fact = jnp.asarray([math.factorial(i) for i in range(p + 1)], coefficients.dtype)
    captured = jnp.tensordot(fact, coefficients ** 2, axes=1)
    return jnp.sqrt(jnp.maximum(scaled_second_moment(name, scale, nodes) - captured, 0.0))


def equivalent_at_scale(c: Array, c_star: Array, scale: Array, z: Array, key: Array) -> Array:
    """σ̂_{p,s}(z) = Σ_i c_i(s) He_i(z / s) + c*(s) g, g ~ N(0, 1) fresh per entry of ``z``. ``c
    [p + 1, ...]``, ``c_star`` and ``scale`` broadcast against ``z`` (e.g. ``[n, 1]`` for one scale
    per row of ``z [n, k]``)."""
    return hermite_series(c, z / scale) + c_star * jax.random.normal(key, z.shape, z.dtype)


def _quadrature_values(name: str, scale: Array, nodes: int) -> Array:
    """w_q σ(s x_q) on the probabilists' Gauss–Hermite nodes: ``[..., nodes]``."""
    fn = ACTIVATIONS[name][0]
    x, w = (jnp.asarray(v, scale.dtype) for v in hermite_e.hermegauss(nodes))
    return fn(scale[..., None] * x) * w

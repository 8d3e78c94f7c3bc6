"""Multi-source in-context regression: each prompt comes from one of S sources.

A context draws its source s with probability ρ_s, then a task vector ξ ~ N(0, Σ_{ξ,s}) (fixed within
the context) and inputs x_1 … x_{ℓ+1} ~ N(0, Σ_{x,s}) i.i.d.; labels are

    y_i = φ(ξᵀx_i / (‖ξ‖₂ ‖Σ_{x,s}‖₂^{1/2})) + ε_i,    ε_i ~ N(0, Δ_s²),   φ = ReLU,

so only ξ's direction matters and the argument has unit variance along isotropic inputs. Covariances
are rank-one spikes Σ = I_d + θγγᵀ (‖γ‖ = 1; θ = 0 is the identity, ‖Σ‖₂ = 1 + θ).

A context is ``xs [ℓ+1, d]``, ``ys [ℓ+1]`` (the last pair is the query and its target). Everything is
a pure function of a key and vmappable; a source table ``Sources`` holds per-source arrays, so the
mixing ratio and the spike strengths can be traced sweep values.

``pool_contexts`` builds the same prompts from fixed pools of real (embedding, label) pairs, one pool
per source (language), for the real-data variant.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array


class Sources(NamedTuple):
    """Per-source parameters, each with a leading source axis ``S``."""

    x_theta: Array     # [S] input-covariance spike strength θ_x
    x_dir: Array       # [S, d] unit spike direction γ_x
    xi_theta: Array    # [S] task-covariance spike strength θ_ξ
    xi_dir: Array      # [S, d] unit spike direction γ_ξ
    noise: Array       # [S] label-noise standard deviation Δ_s


class Contexts(NamedTuple):
    xs: Array          # [n, ℓ+1, d]
    ys: Array          # [n, ℓ+1]
    source: Array      # [n] int32


def random_directions(key: Array, n: int, d: int, dtype=jnp.float32) -> Array:
    """``[n, d]`` independent uniformly random unit vectors."""
    g = jax.random.normal(key, (n, d), dtype)
    return g / jnp.linalg.norm(g, axis=-1, keepdims=True)


def make_sources(key: Array, d: int, x_theta, xi_theta, noise, dtype=jnp.float32) -> Sources:
    """A source table with random spike directions (stream ``key``); the other arguments are ``[S]``."""
    x_theta, xi_theta, noise = (jnp.asarray(v, dtype) for v in (x_theta, xi_theta, noise))
    S = x_theta.shape[0]
    kx, kxi = jax.random.split(key)
    return Sources(x_theta, random_directions(kx, S, d, dtype), xi_theta,
                   random_directions(kxi, S, d, dtype), noise)


def spiked_normal(key: Array, shape: tuple[int, ...], theta: Array, direction: Array) -> Array:
    """Samples ``[*shape, d]`` of N(0, I + θγγᵀ): z + (√(1+θ) − 1)(γᵀz)γ."""
    z = jax.random.normal(key, (*shape, direction.shape[-1]), direction.dtype)
    return z + (jnp.sqrt(1.0 + theta) - 1.0) * (z @ direction)[..., None] * direction


def relu_labels(xs: Array, xi: Array, x_theta: Array) -> Array:
    """φ(ξᵀx / (‖ξ‖ ‖Σ_x‖^{1/2})) with φ = ReLU: ``xs [..., d]`` → ``[...]``."""
    scale = jnp.linalg.norm(xi) * jnp.sqrt(1.0 + x_theta)
    return jax.nn.relu(xs @ xi / scale)


def one_context(key: Array, sources: Sources, s: Array, ell: int) -> tuple[Array, Array]:
    """One context of source ``s`` (a traced int): ``xs [ℓ+1, d]``, ``ys [ℓ+1]``."""
    k_xi, k_x, k_eps = jax.random.split(key, 3)
    xi = spiked_normal(k_xi, (), sources.xi_theta[s], sources.xi_dir[s])
    xs = spiked_normal(k_x, (ell + 1,), sources.x_theta[s], sources.x_dir[s])
    eps = jax.random.normal(k_eps, (ell + 1,), xs.dtype)
    return xs, relu_labels(xs, xi, sources.x_theta[s]) + sources.noise[s] * eps


def draw_sources(key: Array, probs: Array, n: int) -> Array:
    """``[n]`` source indices with P(s = i) = ``probs[i]``."""
    return jax.random.categorical(key, jnp.log(jnp.maximum(probs, 1e-30)), shape=(n,)).astype(jnp.int32)


def two_source_probs(rho: Array) -> Array:
    """(1 − ρ, ρ): the paper's two-source mixture, ρ = P(s = 1)."""
    rho = jnp.asarray(rho)
    return jnp.stack([1.0 - rho, rho])


def contexts_of(key: Array, sources: Sources, source: Array, ell: int) -> Contexts:
    """Contexts of the given sources ``source [n]``."""
    keys = jax.random.split(key, source.shape[0])
    xs, ys = jax.vmap(lambda k, s: one_context(k, sources, s, ell))(keys, source)
    return Contexts(xs, ys, source)


def sample_contexts(key: Array, sources: Sources, probs: Array, n: int, ell: int) -> Contexts:
    """``n`` contexts of the mixture ``probs [S]``."""
    k_s, k_c = jax.random.split(key)
    return contexts_of(k_c, sources, draw_sources(k_s, probs, n), ell)


def source_contexts(key: Array, sources: Sources, s: int | Array, n: int, ell: int) -> Contexts:
    """``n`` contexts all of source ``s`` (per-source test sets)."""
    return contexts_of(key, sources, jnp.full((n,), s, jnp.int32), ell)


# --------------------------------------------------------------------------- pools of real data


def pool_contexts(key: Array, pool_x: Array, pool_y: Array, pool_size: Array, source: Array,
                  ell: int) -> Contexts:
    """Contexts from fixed pools: ``pool_x [S, N, d]``, ``pool_y [S, N]`` (rows ≥ ``pool_size[s]``
    are padding); each context takes ℓ+1 pairs of its source, drawn uniformly with replacement."""
    u = jax.random.uniform(key, (source.shape[0], ell + 1))
    idx = jnp.minimum((u * pool_size[source][:, None]).astype(jnp.int32),
                      pool_size[source][:, None] - 1)
    xs = pool_x[source[:, None], idx]
    ys = pool_y[source[:, None], idx]
    return Contexts(xs, ys, source)

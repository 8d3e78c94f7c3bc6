"""Linear attention followed by a two-layer MLP head, trained in closed form.

Prompt Z = [[x_1 … x_ℓ x_q], [y_1 … y_ℓ 0]]. Linear attention reads the query's label from the
feature matrix (Zhang et al.; Lu et al.)

    H_Z = x_q bᵀ ∈ R^{d×(d+1)},   b = [(1/ℓ) Σ_i y_i x_i ; (1/ℓ) Σ_i y_i²],

so the linear transformer predicts ⟨Γ, H_Z⟩ and the MLP head predicts (1/√k) wᵀσ(F vec H_Z) with
F ∈ R^{k×d(d+1)}, w ∈ R^k. Training (Demir & Doğan 2025, arXiv 2510.25753; Ba et al. 2022):
F ~ N(0, 1/t) entrywise with t = Tr Cov(vec H_Z), w ~ N(0, I/k); one full-batch gradient step on F
with w fixed, F̂ = F + ηG, G = −∇_F ½ mean_j (y_j − ŷ_j)²; then ridge on w over fresh contexts.

Shapes: ``xs [..., ℓ+1, d]``, ``ys [..., ℓ+1]``, features ``H [n, D]`` with D = d(d+1), ``F [k, D]``,
``w [k]``. The ordering of vec H_Z is row-major of x_q bᵀ; any fixed order works since F is isotropic.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from iclx.algorithms.ridge import ridge_fit

Array = jax.Array
Activation = Callable[[Array], Array]


def attention_features(xs: Array, ys: Array, ell: Array | None = None) -> Array:
    """vec(H_Z) ``[..., d(d+1)]`` of prompts ``xs [..., L+1, d]``, ``ys [..., L+1]`` (the query's label,
    the last entry of ``ys``, is ignored). With ``ell`` (may be traced) only the first ℓ ≤ L pairs
    are the context, so one compiled program serves every ℓ."""
    L = xs.shape[-2] - 1
    x_ctx, y_ctx, x_q = xs[..., :-1, :], ys[..., :-1], xs[..., -1, :]
    if ell is None:
        ell = L
    else:
        y_ctx = y_ctx * (jnp.arange(L) < ell).astype(ys.dtype)
    b = jnp.concatenate([jnp.einsum("...i,...id->...d", y_ctx, x_ctx) / ell,
                         jnp.sum(y_ctx ** 2, axis=-1, keepdims=True) / ell], axis=-1)
    H = x_q[..., :, None] * b[..., None, :]
    return H.reshape(*H.shape[:-2], -1)


def feature_trace(H: Array) -> Array:
    """Estimate of t = Tr Cov(vec H_Z) from a batch ``H [n, D]`` (E[H_Z] = 0 for zero-mean inputs,
    so the mean squared norm)."""
    return jnp.mean(jnp.sum(H ** 2, axis=-1))


def preactivation_scale(H: Array, t: Array) -> Array:
    """s = ‖vec H_Z‖ / √t per context: ``H [n, D]`` → ``[n]``. With F ~ N(0, 1/t) entrywise, F vec H_Z
    given H_Z is N(0, s² I): s is the conditional standard deviation of each neuron's pre-activation
    (1 on average only over contexts like the ones t was estimated on)."""
    return jnp.sqrt(jnp.sum(H ** 2, axis=-1) / t)


def source_scale(H: Array, t: Array, source: Array, n_sources: int, rows: Array | None = None) -> Array:
    """One scale per source, s_σ = sqrt(mean over the source's contexts of ‖vec H_Z‖² / t), given to
    each context of that source: ``H [n, D]``, ``source [n]`` ints, ``rows [n]`` 0/1 weights (the
    contexts that count; all by default) → ``[n]``. A source without contexts gets 1."""
    rows = jnp.ones(H.shape[:1], H.dtype) if rows is None else rows.astype(H.dtype)
    sq = jnp.sum(H ** 2, axis=-1) / t
    onehot = (source[:, None] == jnp.arange(n_sources)).astype(H.dtype) * rows[:, None]   # [n, S]
    count = onehot.sum(axis=0)
    per_source = jnp.where(count > 0, (onehot * sq[:, None]).sum(axis=0) / jnp.maximum(count, 1.0), 1.0)
    return jnp.sqrt(per_source)[source]


def init_head(key: Array, k: int, D: int, t: Array, dtype=jnp.float32) -> tuple[Array, Array]:
    """``F [k, D]`` with N(0, 1/t) entries and ``w [k]`` with N(0, 1/k) entries."""
    kf, kw = jax.random.split(key)
    F = jax.random.normal(kf, (k, D), dtype) / jnp.sqrt(t).astype(dtype)
    w = jax.random.normal(kw, (k,), dtype) / jnp.sqrt(k)
    return F, w


def neuron_mask(F: Array, k: Array | None) -> tuple[Array, Array]:
    """(mask ``[K]`` of the first k neurons, k) — all K when ``k`` is None (k may be traced)."""
    K = F.shape[0]
    if k is None:
        return jnp.ones((K,), F.dtype), jnp.asarray(K, F.dtype)
    return (jnp.arange(K) < k).astype(F.dtype), jnp.asarray(k, F.dtype)


def head_features(F: Array, H: Array, sigma: Activation, k: Array | None = None) -> Array:
    """Second-layer features Φ = σ(H Fᵀ)/√k: ``[n, K]``; with ``k`` only the first k neurons (the
    rest of the columns are zero)."""
    mask, k = neuron_mask(F, k)
    return sigma(H @ F.T) * mask / jnp.sqrt(k)


def head_predict(F: Array, w: Array, H: Array, sigma: Activation, k: Array | None = None) -> Array:
    """ŷ = (1/√k) wᵀσ(F vec H_Z): ``[n]``."""
    return head_features(F, H, sigma, k) @ w


def half_mse(F: Array, w: Array, H: Array, y: Array, sigma: Activation) -> Array:
    """½ mean_j (y_j − ŷ_j)²: the stage-1 loss whose negative gradient in F is ``gradient_step``'s G."""
    return 0.5 * jnp.mean((y - head_predict(F, w, H, sigma)) ** 2)


def gradient_step(F: Array, w: Array, H: Array, y: Array, sigma: Activation,
                  sigma_prime: Activation, n: Array | None = None, k: Array | None = None) -> Array:
    """G = −∇_F ½ mean (y − ŷ)² = (1/n) [((1/√k) w (y − ŷ)ᵀ) ⊙ σ′(F Hᵀ)] H: ``[K, D]``. With ``n``
    / ``k`` (may be traced) only the first n rows of ``H`` and the first k neurons count."""
    mask, k = neuron_mask(F, k)
    rows = jnp.ones((H.shape[0],), H.dtype) if n is None else (jnp.arange(H.shape[0]) < n).astype(H.dtype)
    n = jnp.sum(rows)
    pre = F @ H.T                                       # [K, n]
    resid = (y - (sigma(pre).T @ (w * mask)) / jnp.sqrt(k)) * rows   # [n]
    back = ((w * mask)[:, None] * resid[None, :]) * sigma_prime(pre) / jnp.sqrt(k)
    return back @ H / n


def one_step(F: Array, w: Array, H: Array, y: Array, eta: Array, sigma: Activation,
             sigma_prime: Activation, n: Array | None = None, k: Array | None = None) -> Array:
    """F̂ = F + ηG after one full-batch gradient step with learning rate η."""
    return F + eta * gradient_step(F, w, H, y, sigma, sigma_prime, n, k)


def fit_readout(F: Array, H: Array, y: Array, lam: Array, sigma: Activation) -> Array:
    """Ridge readout ŵ = argmin (1/n)‖y − Φw‖² + λ‖w‖² on Φ = σ(H Fᵀ)/√k: ``[k]``."""
    return ridge_fit(head_features(F, H, sigma), y, lam)


def fit_linear(H: Array, y: Array, lam: Array) -> Array:
    """The linear-attention transformer: vec Γ by ridge on ⟨Γ, H_Z⟩ ≈ y: ``[D]``."""
    return ridge_fit(H, y, lam)

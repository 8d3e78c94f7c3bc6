"""The one-layer linear-attention transformer for in-context classification (Shen, Zhou, Yang, Shen
2024, arXiv 2410.11778), with only the d×d block W trained.

Embedding of a prompt with N examples and labels one-hot in R^c (c = 2 for binary):
E = [[x_1 … x_N x_q], [y_1 … y_N 0]] ∈ R^{(d+c)×(N+1)}; layer F(E) = E + W^V E (Eᵀ W^{KQ} E) / ρ with
ρ = N, W^V = [[0, 0], [0, I_c]], W^{KQ} = [[W, 0], [0, 0]]; output the label slot of the query column,
ŷ = (1/N) Σ_i y_i x_iᵀ W x_q = S W x_q ∈ R^c with S = (1/N) Σ_i y_i x_iᵀ, and the prediction
softmax(ŷ). For c = 2 the softmax of the two logits is σ(b̄ᵀ W x_q) with b̄ = S_1 − S_0 =
(1/N) Σ_i ỹ_i x_i, ỹ_i = ±1: the binary model with ±1 labels and a sigmoid read-out is this one.

Shapes: ``W [d, d]``, ``stat [..., c, d]``, ``xq [..., Q, d]`` → logits ``[..., Q, c]``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def embedding(xs: Array, onehot: Array, xq: Array) -> Array:
    """E ``[d + c, N + 1]`` of one prompt: ``xs [N, d]``, ``onehot [N, c]``, ``xq [d]``."""
    tokens = jnp.concatenate([xs, xq[None]], axis=0)
    labels = jnp.concatenate([onehot, jnp.zeros((1, onehot.shape[1]), onehot.dtype)], axis=0)
    return jnp.concatenate([tokens, labels], axis=1).T


def layer(W: Array, E: Array, n_classes: int) -> Array:
    """F(E) = E + W^V E (Eᵀ W^{KQ} E) / N with the sparse W^V, W^{KQ} above, literally (the model's
    output is ``layer(...)[d:, -1]``; the query column's label slot is 0, so it adds nothing)."""
    d = W.shape[0]
    n = E.shape[1] - 1
    WV = jnp.zeros((d + n_classes, d + n_classes)).at[d:, d:].set(jnp.eye(n_classes))
    WKQ = jnp.zeros((d + n_classes, d + n_classes)).at[:d, :d].set(W)
    return E + (WV @ E) @ (E.T @ WKQ @ E) / n


def statistic(xs: Array, onehot: Array) -> Array:
    """S = (1/N) Σ_i y_i x_iᵀ ``[..., c, d]`` from ``xs [..., N, d]`` and ``onehot [..., N, c]``."""
    return jnp.einsum("...nk,...nd->...kd", onehot, xs) / xs.shape[-2]


def prefix_statistics(xs: Array, onehot: Array) -> Array:
    """S_t = (1/t) Σ_{i<t} y_i x_iᵀ at every prefix t = 0..N−1 ``[..., N, c, d]`` (0 at t = 0)."""
    outer = jnp.einsum("...nk,...nd->...nkd", onehot, xs)
    sums = jnp.cumsum(outer, axis=-3) - outer
    counts = jnp.arange(xs.shape[-2], dtype=xs.dtype)
    return sums / jnp.maximum(counts, 1.0)[:, None, None]


def logits(W: Array, stat: Array, xq: Array) -> Array:
    """ŷ = S W x_q: ``stat [..., c, d]``, ``xq [..., Q, d]`` → ``[..., Q, c]``."""
    return jnp.einsum("...kd,de,...qe->...qk", stat, W, xq)


def prefix_logits(W: Array, xs: Array, onehot: Array) -> Array:
    """The model's logits at every position t with the first t examples as the prompt and x_t as the
    query, ``[..., N, c]`` (ρ = t: the test prompt length)."""
    return jnp.einsum("...nkd,de,...ne->...nk", prefix_statistics(xs, onehot), W, xs)


def cross_entropy(W: Array, stat: Array, xq: Array, targets: Array) -> Array:
    """Mean cross-entropy of softmax(ŷ) against ``targets [..., Q, c]`` (one-hot labels, or the Bayes
    law p*(x_q): the same population loss with the query label integrated out)."""
    logp = jax.nn.log_softmax(logits(W, stat, xq), axis=-1)
    return -jnp.mean(jnp.sum(targets * logp, axis=-1))


def total_variation(W: Array, stat: Array, xq: Array, probs: Array) -> Array:
    """½‖softmax(ŷ) − p*(x_q)‖₁ per query ``[..., Q]`` (= |σ(ŷ) − p*| for c = 2)."""
    return 0.5 * jnp.sum(jnp.abs(jax.nn.softmax(logits(W, stat, xq), -1) - probs), axis=-1)


def grad_and_hessian(W: Array, stat: Array, xq: Array, targets: Array,
                     chunk: int = 512) -> tuple[Array, Array]:
    """Closed-form gradient ``[d, d]`` and Hessian ``[d², d²]`` (in vec(W), row-major) of
    ``cross_entropy``: with p = softmax(ŷ) and φ_k = vec(S_kᵀ x_qᵀ), ∇ = E[Σ_k (p_k − t_k) S_kᵀ x_qᵀ] and
    H = E[Σ_k p_k φ_k φ_kᵀ − (Σ_k p_k φ_k)(Σ_k p_k φ_k)ᵀ] (means over prompts and queries), summed
    over chunks of ``chunk`` prompts to bound memory. ``stat [B, c, d]``, ``xq [B, Q, d]``,
    ``targets [B, Q, c]``; B must be a multiple of ``chunk`` (or smaller than it)."""
    B, Q, c = targets.shape
    p = jax.nn.softmax(logits(W, stat, xq), -1)                    # [B, Q, c]
    grad = jnp.einsum("bqk,bkd,bqe->de", p - targets, stat, xq) / (B * Q)
    chunk = min(chunk, B)

    def part(args):
        s, x, pp = args
        phi = jnp.einsum("bkd,bqe->bqkde", s, x).reshape(*pp.shape, -1)   # [b, Q, c, d²]
        mean_phi = jnp.einsum("bqk,bqkf->bqf", pp, phi)
        return (jnp.einsum("bqk,bqkf,bqkg->fg", pp, phi, phi)
                - jnp.einsum("bqf,bqg->fg", mean_phi, mean_phi))

    split = lambda a: a.reshape(B // chunk, chunk, *a.shape[1:])
    hess = jnp.sum(jax.lax.map(part, (split(stat), split(xq), split(p))), axis=0) / (B * Q)
    return grad, hess

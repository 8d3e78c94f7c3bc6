"""In-context classification baselines: each reads one prompt's M labelled examples and returns class
probabilities at a query. Pure ``jnp``; written for one prompt and batched with ``jax.vmap``
(``batched``).

Shapes: ``xs [M, d]``, ``onehot [M, c]``, ``xq [d]`` → ``probs [c]``. Means are class averages over
the prompt (a class absent from the prompt gets mean 0). Every method takes an optional ``mask [M]``
(1: use the example, 0: ignore it), so one compiled program serves every prompt length. Only ``lda_estimated`` calls LAPACK (a
solve): keep it in its own jitted program (see ``iclx.algorithms.regression`` on XLA:CPU).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def bayes(xq: Array, means: Array, cov_diag: Array) -> Array:
    """The Bayes law p*(x_q) of a Gaussian mixture with equal priors, ``means [c, d]`` and diagonal
    covariance ``cov_diag [d]``."""
    prec = 1.0 / cov_diag
    return jax.nn.softmax(means @ (prec * xq) - 0.5 * jnp.sum(means ** 2 * prec, -1))


def _masked(onehot: Array, mask: Array | None) -> Array:
    return onehot if mask is None else onehot * mask[:, None]


def class_means(xs: Array, onehot: Array, mask: Array | None = None) -> Array:
    """``[c, d]`` per-class averages (0 for an empty class)."""
    onehot = _masked(onehot, mask)
    counts = onehot.sum(0)
    return (onehot.T @ xs) / jnp.maximum(counts, 1.0)[:, None]


def lda_known(xs: Array, onehot: Array, xq: Array, precision: Array,
              mask: Array | None = None) -> Array:
    """Plug-in LDA with the known precision Λ⁻¹ ``[d, d]`` and equal priors:
    softmax_k(m̂_kᵀΛ⁻¹x_q − ½ m̂_kᵀΛ⁻¹m̂_k)."""
    m = class_means(xs, onehot, mask)
    pm = m @ precision
    return jax.nn.softmax(pm @ xq - 0.5 * jnp.sum(pm * m, -1))


def lda_estimated(xs: Array, onehot: Array, xq: Array, ridge: float,
                  mask: Array | None = None) -> Array:
    """Plug-in LDA with the pooled within-class covariance Λ̂ + ridge·I estimated from the prompt."""
    m = class_means(xs, onehot, mask)
    w = jnp.ones(xs.shape[0], xs.dtype) if mask is None else mask
    resid = (xs - onehot @ m) * w[:, None]
    cov = resid.T @ resid / jnp.maximum(w.sum(), 1.0) + ridge * jnp.eye(xs.shape[1])
    pm = jnp.linalg.solve(cov, m.T).T
    return jax.nn.softmax(pm @ xq - 0.5 * jnp.sum(pm * m, -1))


def logistic(xs: Array, onehot: Array, xq: Array, steps: int, lr: float, l2: float,
             mask: Array | None = None) -> Array:
    """Multinomial logistic regression with intercept fitted on the prompt by ``steps`` steps of
    gradient descent from 0 on the mean cross-entropy + ``l2``/2 ‖weights‖² (c = 2: binary logistic
    regression). No LAPACK."""
    feats = jnp.concatenate([xs, jnp.ones((xs.shape[0], 1), xs.dtype)], axis=1)
    c = onehot.shape[1]
    w = jnp.ones(xs.shape[0], xs.dtype) if mask is None else mask

    def loss(theta):
        logp = jax.nn.log_softmax(feats @ theta, -1)
        return (-jnp.sum(w * jnp.sum(onehot * logp, -1)) / jnp.maximum(w.sum(), 1.0)
                + 0.5 * l2 * jnp.sum(theta[:-1] ** 2))

    grad = jax.grad(loss)
    theta = jax.lax.fori_loop(0, steps, lambda _, t: t - lr * grad(t),
                              jnp.zeros((feats.shape[1], c), xs.dtype))
    return jax.nn.softmax(jnp.append(xq, 1.0) @ theta)


def knn(xs: Array, onehot: Array, xq: Array, k: int, mask: Array | None = None) -> Array:
    """The label frequencies of the ``min(k, number of used examples)`` nearest examples
    (Euclidean)."""
    k = min(k, xs.shape[0])
    dist = jnp.sum((xs - xq) ** 2, -1)
    if mask is not None:
        dist = jnp.where(mask > 0, dist, jnp.inf)
    neg, idx = jax.lax.top_k(-dist, k)
    use = jnp.isfinite(neg).astype(onehot.dtype)
    return jnp.sum(onehot[idx] * use[:, None], 0) / jnp.maximum(use.sum(), 1.0)


def batched(fn, *static):
    """``fn`` over a batch of prompts: ``(xs [B, M, d], onehot [B, M, c], xq [B, d], mask [M] or
    None) -> [B, c]``, with the arguments ``static`` shared (a precision matrix, a step count …)."""
    def run(xs, onehot, xq, mask=None):
        return jax.vmap(lambda a, b, q: fn(a, b, q, *static, mask=mask))(xs, onehot, xq)

    return run


def accuracy(probs: Array, labels: Array) -> Array:
    """Mean of argmax(probs) == label, ``probs [..., c]``, ``labels [...]``."""
    return jnp.mean(jnp.argmax(probs, -1) == labels)


def total_variation(probs: Array, target: Array) -> Array:
    """½‖probs − target‖₁ over the last axis."""
    return 0.5 * jnp.sum(jnp.abs(probs - target), -1)

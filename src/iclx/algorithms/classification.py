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


def _max_eigenvalue_bound(gram: Array, squarings: int = 4) -> Array:
    """An upper bound on λ_max of a PSD ``gram [p, p]`` without LAPACK: tr(G^k)^{1/k} with k = 2^squarings
    (≥ λ_max, and ≤ p^{1/k}·λ_max: 1.21× at p = 21, k = 16). Each square is rescaled to trace 1, so
    tr(G^k)^{1/k} = tr(G) · Π_j t_j^{1/2^j}, t_j the trace of the j-th square before rescaling."""
    tiny = jnp.finfo(gram.dtype).tiny
    bound = jnp.maximum(jnp.trace(gram), tiny)
    h = gram / bound
    for j in range(1, squarings + 1):
        h = h @ h
        t = jnp.maximum(jnp.trace(h), tiny)
        h = h / t
        bound = bound * t ** (1.0 / 2 ** j)
    return bound


def logistic_smoothness(feats: Array, weights: Array, l2: float) -> Array:
    """A smoothness constant L of the mean cross-entropy + ``l2``/2‖θ‖² over ``feats [M, p]`` with example
    ``weights [M]``, valid for every θ: the softmax Hessian diag(p) − ppᵀ ⪯ ½ I (Böhning 1992), so
    ∇² ⪯ ½ λ_max(FᵀWF / ΣW) + l2. Gradient descent with step ``lr / L`` decreases the loss at every step
    for any ``lr`` < 2."""
    gram = (feats * weights[:, None]).T @ feats / jnp.maximum(weights.sum(), 1.0)
    return 0.5 * _max_eigenvalue_bound(gram) + l2


def logistic_objective(xs: Array, onehot: Array, l2: float, mask: Array | None = None):
    """``(θ [d + 1, c] -> objective, feats [M, d + 1], weights [M])``: the mean cross-entropy of a softmax
    model with intercept over the (``mask``-weighted) examples + ``l2``/2 ‖weights‖² (intercept free)."""
    feats = jnp.concatenate([xs, jnp.ones((xs.shape[0], 1), xs.dtype)], axis=1)
    w = jnp.ones(xs.shape[0], xs.dtype) if mask is None else mask

    def loss(theta):
        logp = jax.nn.log_softmax(feats @ theta, -1)
        return (-jnp.sum(w * jnp.sum(onehot * logp, -1)) / jnp.maximum(w.sum(), 1.0)
                + 0.5 * l2 * jnp.sum(theta[:-1] ** 2))

    return loss, feats, w


def logistic_path(xs: Array, onehot: Array, steps: int, lr: float, l2: float,
                  mask: Array | None = None) -> tuple[Array, Array]:
    """Gradient descent from 0 on the mean cross-entropy + ``l2``/2 ‖weights‖² of a softmax model with
    intercept over ``xs [M, d]``, step ``lr / L`` (L: ``logistic_smoothness`` of this prompt, so any
    ``lr`` in (0, 2) is stable). Returns θ ``[d + 1, c]`` after ``steps`` steps and the objective
    ``[steps]`` at the start of each step."""
    loss, feats, w = logistic_objective(xs, onehot, l2, mask)
    step = lr / logistic_smoothness(feats, w, l2)

    def update(theta, _):
        value, grad = jax.value_and_grad(loss)(theta)
        return theta - step * grad, value

    theta0 = jnp.zeros((feats.shape[1], onehot.shape[1]), xs.dtype)
    return jax.lax.scan(update, theta0, None, length=steps)


def logistic(xs: Array, onehot: Array, xq: Array, steps: int, lr: float, l2: float,
             mask: Array | None = None) -> Array:
    """Multinomial logistic regression with intercept fitted on the prompt (``logistic_path``; c = 2:
    binary logistic regression), its probabilities at ``xq``. No LAPACK."""
    theta, _ = logistic_path(xs, onehot, steps, lr, l2, mask)
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


def label_frequencies(xs: Array, onehot: Array, xq: Array, mask: Array | None = None) -> Array:
    """Label averaging, the trivial baseline: the prompt's label frequencies, whatever ``xq`` (uniform
    for an empty prompt)."""
    counts = _masked(onehot, mask).sum(0)
    total = counts.sum()
    return jnp.where(total > 0, counts / jnp.maximum(total, 1.0), 1.0 / onehot.shape[1])


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

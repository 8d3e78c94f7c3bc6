"""In-context regression algorithms, batched over prompts, predicting at every prefix.

Convention (Garg et al., Fu et al.): the prediction at position t uses the first t pairs
(x_1, y_1) … (x_t, y_t) (0-based: pairs 0..t-1) to predict y at x_t; with no pair yet every method
predicts 0. Linear methods go through ``prefix_systems`` → ``(S_t = X_tᵀX_t, b_t = X_tᵀy_t)`` and a
weight vector w_t per prefix; ``predict_with_weights`` reads out x_tᵀ w_t.

Shapes: ``xs [B, n, d]``, ``ys [B, n]`` → ``preds [B, n]``; weights ``[B, n, d]``; methods with several
iteration counts return a leading axis ``[K, B, n]``. All of it is ``jnp`` and jit/vmap friendly; pass
float64 inputs (with x64 enabled) where many Newton steps need it.

Pitfall (jaxlib 0.10.2, XLA:CPU): two LAPACK-backed calls (``pinv``/SVD, ``eigh``, ``solve``, ``qr``)
that can run concurrently inside one jitted program can deadlock on a machine with few cores (each
blocks an intra-op pool thread waiting for its own sub-tasks). Put each LAPACK-based method in its
own ``jit`` (as the experiments' ``evaluate`` do); one batched call under ``vmap`` is fine.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

Array = jax.Array


# --------------------------------------------------------------------------- prefix machinery


def prefix_mask(n: int, dtype=jnp.float32) -> Array:
    """``mask [n, n]``: mask[t, i] = 1 if pair i is in the prefix that predicts position t (i < t)."""
    return jnp.tril(jnp.ones((n, n), dtype=dtype), k=-1)


def prefix_designs(xs: Array, ys: Array) -> tuple[Array, Array]:
    """Zero-padded prefix data: ``X [B, n(t), n(i), d]`` and ``Y [B, n(t), n(i)]`` with rows i ≥ t zero."""
    mask = prefix_mask(xs.shape[-2], xs.dtype)
    return mask[None, :, :, None] * xs[:, None], mask[None] * ys[:, None, :]


def prefix_systems(xs: Array, ys: Array) -> tuple[Array, Array]:
    """Normal equations per prefix: ``S [B, n, d, d]`` (XᵀX) and ``b [B, n, d]`` (Xᵀy)."""
    X, Y = prefix_designs(xs, ys)
    return jnp.einsum("btid,btie->btde", X, X), jnp.einsum("btid,bti->btd", X, Y)


def predict_with_weights(xs: Array, weights: Array) -> Array:
    """``preds [..., B, n]`` = x_t · w_t for weights ``[..., B, n, d]``."""
    return jnp.einsum("btd,...btd->...bt", xs, weights)


# --------------------------------------------------------------------------- closed forms


def least_squares_weights(xs: Array, ys: Array) -> Array:
    """Minimum-norm least squares w_t = X_t⁺ y_t per prefix: ``[B, n, d]``."""
    X, Y = prefix_designs(xs, ys)
    return jnp.einsum("btdi,bti->btd", jnp.linalg.pinv(X), Y)


def ridge_weights(xs: Array, ys: Array, lam: float) -> Array:
    """Ridge w_t = (X_tᵀX_t + λI)⁻¹ X_tᵀy_t per prefix: ``[B, n, d]``."""
    S, b = prefix_systems(xs, ys)
    eye = jnp.eye(xs.shape[-1], dtype=xs.dtype)
    return jnp.linalg.solve(S + lam * eye, b[..., None])[..., 0]


def gd_weights(S: Array, b: Array, eta: float, steps: Sequence[int]) -> Array:
    """Gradient descent on ½‖Xw − y‖² from w₀ = 0 with the unnormalised gradient Sw − b (Fu et al.'s
    code), in closed form: w_k = Σ_i (1 − (1 − ηλ_i)^k)/λ_i · u_i u_iᵀ b over S's eigenpairs.

    ``S [..., d, d]``, ``b [..., d]`` → ``[K, ..., d]`` for ``K = len(steps)`` step counts.
    """
    lam, vecs = jnp.linalg.eigh(S)
    coef = jnp.einsum("...de,...d->...e", vecs, b)              # u_iᵀ b
    k = jnp.asarray(steps, dtype=S.dtype).reshape((-1,) + (1,) * lam.ndim)
    scale = jnp.max(jnp.abs(lam), axis=-1, keepdims=True)
    tiny = jnp.abs(lam) <= 1e-6 * scale + jnp.finfo(S.dtype).tiny
    safe_lam = jnp.where(tiny, 1.0, lam)
    gain = jnp.where(tiny, eta * k, (1.0 - (1.0 - eta * safe_lam) ** k) / safe_lam)
    return jnp.einsum("...de,k...e->k...d", vecs, gain * coef)


def gd_iterates(S: Array, b: Array, eta: float, num_steps: int) -> Array:
    """GD iterates w_1..w_K by explicit iteration (reference for ``gd_weights``): ``[K, ..., d]``."""

    def step(w, _):
        w = w - eta * (jnp.einsum("...de,...e->...d", S, w) - b)
        return w, w

    _, ws = jax.lax.scan(step, jnp.zeros_like(b), None, length=num_steps)
    return ws


# Fu et al.'s code starts Iterative Newton at M₀ = αS with α = 2/‖SSᵀ‖_F (DeqingFu/transformers-icl-
# higher-order, src/models.py, ``LeastSquaresModelNewtonMethod.newton_inv``: ``alpha = 2/lam`` with
# ``lam = torch.linalg.norm(A @ A.T)``, Frobenius); the paper's eq. 5 writes 2/‖SSᵀ‖₂, which does not
# contract in S's top direction. 1 is this suite's choice before issue 38 (every best-matching step
# one later).
NEWTON_ALPHA_SCALE = 2.0


def newton_alpha(S: Array, scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """α = ``scale``/‖SSᵀ‖_F (``scale`` = 2: Fu et al.'s code). Zero where S = 0, so an empty prefix
    predicts 0. ``S [..., d, d]`` → ``[...]``.

    On S's eigenvector with eigenvalue λ, M_kS has eigenvalue m_k with 1 − m_k = (1 − αλ²)^(2^k), so
    the iteration converges to S⁺ when 0 < αλ² < 2 on every nonzero λ: true for ``scale`` ≤ 2 and
    rank(S) ≥ 2 (‖SSᵀ‖_F > λ²). At rank 1 (a one-example prefix) ``scale`` = 2 gives αλ² = 2 exactly,
    so M₁ = M₂ = … = 0 and the prefix predicts 0, as in the authors' code (in float64 up to the
    rounding of αλ² = 2(1 ± ε), which (1 − m_k) squares each iteration: ≈ 2^k·ε, 2e-7 at k = 30)."""
    norm = jnp.linalg.norm(S @ jnp.swapaxes(S, -1, -2), axis=(-2, -1))
    return jnp.where(norm > 0, scale / jnp.where(norm > 0, norm, 1.0), 0.0)


def newton_inverses(S: Array, num_steps: int, alpha_scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """Iterative Newton (Newton–Schulz) estimates M_1..M_K of S⁺ with M₀ = αS (``newton_alpha``) and
    M_{k+1} = 2M_k − M_k S M_k. ``S [..., d, d]`` → ``[K, ..., d, d]``."""
    m0 = newton_alpha(S, alpha_scale)[..., None, None] * S

    def step(m, _):
        m = 2.0 * m - m @ S @ m
        return m, m

    _, ms = jax.lax.scan(step, m0, None, length=num_steps)
    return ms


def newton_weights(S: Array, b: Array, num_steps: int, alpha_scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """Newton iterates w_k = M_k b for k = 1..K: ``[K, ..., d]``."""
    return jnp.einsum("k...de,...e->k...d", newton_inverses(S, num_steps, alpha_scale), b)


# --------------------------------------------------------------------------- prompt-level methods


def least_squares(xs: Array, ys: Array) -> Array:
    """Min-norm least-squares predictions ``[B, n]``."""
    return predict_with_weights(xs, least_squares_weights(xs, ys))


def ridge(xs: Array, ys: Array, lam: float) -> Array:
    """Ridge predictions ``[B, n]``."""
    return predict_with_weights(xs, ridge_weights(xs, ys, lam))


def gradient_descent(xs: Array, ys: Array, eta: float, steps: Sequence[int]) -> Array:
    """GD predictions ``[K, B, n]`` after each of ``steps`` iterations (closed form)."""
    S, b = prefix_systems(xs, ys)
    return predict_with_weights(xs, gd_weights(S, b, eta, steps))


def iterative_newton(xs: Array, ys: Array, steps: Sequence[int],
                     alpha_scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """Iterative Newton predictions ``[K, B, n]`` after each of ``steps`` iterations."""
    S, b = prefix_systems(xs, ys)
    weights = newton_weights(S, b, max(steps), alpha_scale)
    return predict_with_weights(xs, weights[jnp.asarray(steps) - 1])


def online_gd(xs: Array, ys: Array, eta: float | None = None) -> Array:
    """One pass of online GD from w = 0: w ← w − η_i (x_i x_iᵀ w − y_i x_i); η_i = 1/‖x_i‖² when
    ``eta`` is None (Fu et al.'s adaptive OGD). Prediction at t uses w after t updates. ``[B, n]``."""

    def one_prompt(x, y):
        def step(w, pair):
            xi, yi = pair
            pred = xi @ w
            sq = xi @ xi
            rate = jnp.where(sq > 0, 1.0 / jnp.where(sq > 0, sq, 1.0), 0.0) if eta is None else eta
            return w - rate * (pred - yi) * xi, pred

        _, preds = jax.lax.scan(step, jnp.zeros(x.shape[-1], x.dtype), (x, y))
        return preds

    return jax.vmap(one_prompt)(xs, ys)


def averaging(xs: Array, ys: Array) -> Array:
    """Garg et al.'s averaging estimator w_t = (1/t) Σ_{i<t} y_i x_i. ``[B, n]``."""
    n = xs.shape[-2]
    mask = prefix_mask(n, xs.dtype)
    counts = jnp.maximum(jnp.arange(n, dtype=xs.dtype), 1.0)
    weights = jnp.einsum("ti,bi,bid->btd", mask, ys, xs) / counts[None, :, None]
    return predict_with_weights(xs, weights)


def nearest_neighbours(xs: Array, ys: Array, k: int = 3) -> Array:
    """k-NN: mean label of the k nearest earlier inputs (all of them while t < k; 0 at t = 0). ``[B, n]``."""
    n = xs.shape[-2]
    dist = jnp.sum((xs[:, :, None, :] - xs[:, None, :, :]) ** 2, axis=-1)   # [B, t, i]
    earlier = prefix_mask(n, bool)
    dist = jnp.where(earlier[None], dist, jnp.inf)
    k_eff = min(k, max(n - 1, 1))
    neg_top, idx = jax.lax.top_k(-dist, k_eff)                                 # [B, t, k]
    valid = jnp.isfinite(neg_top)
    labels = jnp.take_along_axis(ys[:, None, :].repeat(n, axis=1), idx, axis=-1)
    total = jnp.sum(jnp.where(valid, labels, 0.0), axis=-1)
    count = jnp.sum(valid, axis=-1)
    return jnp.where(count > 0, total / jnp.maximum(count, 1), 0.0)


def squared_error_per_position(preds: Array, ys: Array, n_dims: int) -> Array:
    """Mean over prompts of (pred − y)² / d: ``[..., B, n]`` → ``[..., n]`` (Garg's normalised error)."""
    return jnp.mean((preds - ys) ** 2, axis=-2) / n_dims


# --------------------------------------------------------------------------- memory-light Newton


def newton_weights_scan(S: Array, b: Array, num_steps: int,
                        alpha_scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """``newton_weights`` without storing every M_k (memory of one M per prefix instead of K):
    w_k = M_k b for k = 1..K. ``S [..., d, d]``, ``b [..., d]`` → ``[K, ..., d]``."""
    m0 = newton_alpha(S, alpha_scale)[..., None, None] * S

    def step(m, _):
        m = 2.0 * m - m @ S @ m
        return m, jnp.einsum("...de,...e->...d", m, b)

    _, ws = jax.lax.scan(step, m0, None, length=num_steps)
    return ws


def newton_predictions(xs: Array, ys: Array, num_steps: int,
                       alpha_scale: float = NEWTON_ALPHA_SCALE) -> Array:
    """Iterative Newton predictions ``[K, B, n]`` after 1..K iterations (memory-light)."""
    S, b = prefix_systems(xs, ys)
    return predict_with_weights(xs, newton_weights_scan(S, b, num_steps, alpha_scale))

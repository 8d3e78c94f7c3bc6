"""Theory of the one-layer linear-attention classifier on Gaussian mixtures (Shen, Zhou, Yang, Shen
2024, arXiv 2410.11778): the global minimiser W*_N of the population cross-entropy, its N → ∞ limit
c Λ⁻¹, the curvature that sets GD's linear rate, and the rate itself.

W*_N is found independently of the training run: Newton's method on the first-order condition
∇L(W) = 0 with the gradient and Hessian in closed form (the loss is convex in W: logits linear in
W, cross-entropy convex in the logits), either on a bank of random queries
(``linear_attention.grad_and_hessian``) or with the query integrated out exactly by Gauss–Hermite
quadrature over the logits (``integrated_grad_and_hessian``). Run it in float64
(``jax.enable_x64``) where ‖G‖ = O(1/N) is small. The Newton solve and the Hessian's spectrum each
call LAPACK: jit them separately (the integrated path's basis is Gram–Schmidt, not LAPACK).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array


def limit_minimizer(cov_diag: Array, n_classes: int) -> Array:
    """W*_∞ = c Λ⁻¹ ``[d, d]`` (binary: 2Λ⁻¹): with S → rows μ_kᵀ/c the logits S W x_q equal the Bayes
    logits μ_kᵀΛ⁻¹x_q exactly."""
    return n_classes * jnp.diag(1.0 / cov_diag)


def correction_max(W: Array, cov_diag: Array, n_classes: int) -> Array:
    """‖G‖_max with W = c(Λ⁻¹ + G): the largest entry of |W/c − Λ⁻¹|."""
    return jnp.max(jnp.abs(W / n_classes - jnp.diag(1.0 / cov_diag)))


def newton_minimizer(grad_hess: Callable[[Array], tuple[Array, Array]], W0: Array,
                     steps: int = 12, tol: float = 0.0) -> tuple[Array, Array]:
    """At most ``steps`` Newton steps from ``W0 [d, d]`` with ``grad_hess(W) -> (∇L [d, d],
    H [d², d²])`` (vec row-major), stopping once a step's largest entry is ≤ ``tol`` (0: never before
    ``steps``): ``(W*, the last step's largest entry)`` (near W* the error before that step; the
    error after it is quadratically smaller). One solve inside a ``while_loop`` (one LAPACK call)."""
    shape = W0.shape

    def body(state):
        i, w, _ = state
        g, h = grad_hess(w.reshape(shape))
        step = jnp.linalg.solve(h, g.reshape(-1))
        return i + 1, w - step, jnp.max(jnp.abs(step))

    def more(state):
        return (state[0] < steps) & (state[2] > tol)

    init = (jnp.asarray(0), W0.reshape(-1), jnp.asarray(jnp.inf, W0.dtype))
    _, w, last = jax.lax.while_loop(more, body, init)
    return w.reshape(shape), last


@functools.partial(jax.jit, static_argnames=("steps", "chunk"))
def integrated_minimizer(stat: Array, means: Array, cov_diag: Array, nodes: Array, weights: Array,
                         W0: Array, steps: int = 12, tol: float = 1e-8,
                         chunk: int = 256) -> tuple[Array, Array]:
    """W*_N ``[d, d]`` of a bank (``stat``, ``means [B, c, d]``) with the query integrated out
    (``integrated_grad_and_hessian``): Newton from ``W0 [d, d]`` (``newton_minimizer``; W0 = 0 is safe:
    from the limit cΛ⁻¹ at N = 10, c = 3, saturated logits sent it astray), stopping after a step
    ≤ ``tol`` (convergence is quadratic: the error after it is of order tol²). Returns (W*, the last
    step's largest entry). Run in float64."""
    gh = lambda W: integrated_grad_and_hessian(W, stat, means, cov_diag, nodes, weights, chunk)[1:]
    return newton_minimizer(gh, W0, steps, tol)


def gauss_hermite(order: int, dims: int, prune: float = 1e-16) -> tuple[np.ndarray, np.ndarray]:
    """Product Gauss–Hermite rule for E f(u), u ~ N(0, I_dims): nodes ``[J, dims]`` and weights
    ``[J]`` summing to 1 (float64 numpy), J ≤ order^dims: the nodes whose weight is below ``prune``
    times the largest are left out (about half of a 2-D grid; the mass they carry is < 1e-15)."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    nodes = np.stack([g.reshape(-1) for g in np.meshgrid(*([x] * dims), indexing="ij")], axis=1)
    weights = np.prod(np.meshgrid(*([w] * dims), indexing="ij"), axis=0).reshape(-1)
    keep = weights >= prune * weights.max()
    return nodes[keep], weights[keep] / weights[keep].sum()


def logit_basis(A: Array) -> Array:
    """``[d, min(m, d)]`` orthonormal columns whose span holds the rows of ``A [m, d]``: for m ≤ d
    twice-applied Gram–Schmidt (pure jnp, no LAPACK; a (near-)zero row gives a zero column), else
    I_d."""
    m, d = A.shape
    if m > d:
        return jnp.eye(d, dtype=A.dtype)
    cols: list[Array] = []
    tiny = 1e-12 * (jnp.max(jnp.abs(A)) + 1e-300)
    for i in range(m):
        v = A[i]
        for _ in range(2):
            for q in cols:
                v = v - jnp.dot(q, v) * q
        n = jnp.linalg.norm(v)
        cols.append(jnp.where(n > tiny, v / jnp.where(n > tiny, n, 1.0), 0.0))
    return jnp.stack(cols, axis=1)


def _prompt_moments(W: Array, stat: Array, means: Array, sd: Array, nodes: Array,
                    weights: Array) -> tuple[Array, Array, Array, Array]:
    """One prompt's query-integrated loss and moments. A query of class k is x = μ_k + Λ^{1/2} z; its
    logits relative to class 0, δ = D S W x, see z only through u = Bᵀz (B: ``logit_basis`` of
    D S W Λ^{1/2}), so x may be replaced by the pseudo-queries x_kj = Y_k U_j with Y_k = [μ_k, V]
    ``[d, 1+r]``, V = Λ^{1/2} B, U_j = (1, u_j), while z's part orthogonal to B integrates in closed
    form. With ρ = p − e_k and Hp = diag p − ppᵀ (p = softmax at the node): returns (loss,
    g = E[ρ ⊗ U] ``[k, c, 1+r]``, M = E[Hp ⊗ U Uᵀ] ``[k, c, 1+r, c, 1+r]``, Y ``[k, d, 1+r]``)."""
    c = stat.shape[0]
    A = (stat[1:] - stat[0]) @ W                                   # [c-1, d]
    V = sd[:, None] * logit_basis(A * sd)                          # [d, r]
    delta = (means @ A.T)[:, None, :] + (nodes @ (A @ V).T)[None]  # [k, J, c-1]
    logp = jax.nn.log_softmax(jnp.concatenate([jnp.zeros_like(delta[..., :1]), delta], -1), -1)
    p = jnp.exp(logp)                                              # [k, J, c]
    eye = jnp.eye(c, dtype=p.dtype)
    U = jnp.concatenate([jnp.ones_like(nodes[:, :1]), nodes], -1)  # [J, R], R = 1 + r
    J, R = U.shape
    loss = -jnp.einsum("j,kjk->", weights, logp) / c
    wp = weights[:, None] * p                                      # [k, J, c]
    g = jnp.einsum("kja,js->kas", wp, U) - weights @ U * eye[:, :, None]
    diag = jnp.einsum("kja,jf->kaf", wp, (U[:, :, None] * U[:, None, :]).reshape(J, R * R))
    pU = (p[..., None] * U[:, None, :]).reshape(c, J, c * R)       # [k, J, c·R]
    M = (diag.reshape(c, c, R, 1, R) * eye[None, :, None, :, None]
         - jnp.einsum("kjf,kjg->kfg", weights[:, None] * pU, pU).reshape(c, c, R, c, R))
    Y = jnp.concatenate([means[:, :, None], jnp.broadcast_to(V, (c,) + V.shape)], -1)
    return loss, g, M, Y


def _prompt_grad_hess(W: Array, stat: Array, means: Array, sd: Array, nodes: Array,
                      weights: Array) -> tuple[Array, Array, Array]:
    """One prompt's (loss, ∇ ``[d, d]``, X ``[c, c, d, d]``) with ∇ = Sᵀ E[ρ xᵀ] and
    X_ab = E[Hp_ab x xᵀ]: the pseudo-queries' sum plus E[Hp_ab] Λ^{1/2}(I − BBᵀ)Λ^{1/2} (z's
    orthogonal part). The Hessian is H[i, m, j, n] = ∂²/∂W_im ∂W_jn = Σ_ab S_ai S_bj X_ab[m, n]."""
    c = stat.shape[0]
    loss, g, M, Y = _prompt_moments(W, stat, means, sd, nodes, weights)
    V = Y[0, :, 1:]
    grad = stat.T @ jnp.einsum("kas,kds->ad", g, Y) / c
    rest = jnp.diag(sd ** 2) - V @ V.T                              # Λ^{1/2}(I − BBᵀ)Λ^{1/2}
    N = (jnp.einsum("kab,mn->abmn", M[:, :, 0, :, 0], rest)
         + jnp.einsum("kms,kasbt,knt->abmn", Y, M, Y)) / c         # [c, c, d, d]
    return loss, grad, N


def integrated_grad_and_hessian(W: Array, stat: Array, means: Array, cov_diag: Array, nodes: Array,
                                weights: Array, chunk: int = 256) -> tuple[Array, Array, Array]:
    """Bank-mean cross-entropy of the one-layer model with the query integrated out exactly (to the
    quadrature's precision): E over the query's class k (uniform) and x_q | k ~ N(μ_k, Λ) of
    −log softmax_k(S W x_q) (= the soft-target loss, E[1{k_q = k} | x_q] = p*_k(x_q)). ``stat``,
    ``means [B, c, d]``, ``cov_diag [d]``; ``nodes [J, r]``, ``weights [J]`` a rule for E over
    u ~ N(0, I_r) with r = min(c − 1, d) (``gauss_hermite``: exact to quadrature). Returns (loss,
    ∇ ``[d, d]``, H ``[d², d²]`` in vec(W) row-major), summed over chunks of ``chunk`` prompts."""
    B, d = stat.shape[0], W.shape[0]
    sd = jnp.sqrt(cov_diag)
    one = jax.vmap(lambda s, m: _prompt_grad_hess(W, s, m, sd, nodes, weights))

    def part(args):
        stat_b = args[0]
        loss, grad, X = one(*args)
        T = jnp.einsum("bai,bacmn->bcimn", stat_b, X)               # [b, c, d, d, d]
        return jnp.sum(loss), jnp.sum(grad, 0), jnp.einsum("bcimn,bcj->imjn", T, stat_b)

    chunk = min(chunk, B)
    full = B - B % chunk
    split = lambda a: a[:full].reshape(full // chunk, chunk, *a.shape[1:])
    total = jax.tree.map(lambda a: jnp.sum(a, 0), jax.lax.map(part, (split(stat), split(means))))
    if full < B:
        total = jax.tree.map(jnp.add, total, part((stat[full:], means[full:])))
    loss, grad, hess = (a / B for a in total)
    return loss, grad, hess.reshape(d * d, d * d)


def hessian_extremes(hess: Array) -> tuple[Array, Array]:
    """(smallest, largest) eigenvalue of a symmetric Hessian ``[d², d²]``."""
    eigs = jnp.linalg.eigvalsh(0.5 * (hess + hess.T))
    return eigs[0], eigs[-1]


def gd_contraction(eta: float, mu: float, L: float) -> float:
    """Per-step contraction of GD with step ``eta`` on a quadratic with curvatures in [μ, L]:
    max(|1 − ημ|, |1 − ηL|); ‖W_t − W*‖ ≈ (this)^t ‖W_0 − W*‖ near W*."""
    return float(max(abs(1.0 - eta * mu), abs(1.0 - eta * L)))


def measured_rate(dist: np.ndarray, steps: np.ndarray, hi: float = 1e-1,
                  lo: float = 1e-4) -> tuple[float, float]:
    """Per-step contraction and R² of a least-squares line through log dist against the step, where
    lo < dist < hi (``dist [T]`` as logged at ``steps [T]``: a slope per step whatever the logging
    interval); (nan, nan) with fewer than 3 such points."""
    t, dist = np.asarray(steps, dtype=float), np.asarray(dist, dtype=float)
    sel = (dist < hi) & (dist > lo)
    if sel.sum() < 3:
        return float("nan"), float("nan")
    y = np.log(dist[sel])
    slope, intercept = np.polyfit(t[sel], y, 1)
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - float(np.sum((y - slope * t[sel] - intercept) ** 2) / total) if total > 0 else 1.0
    return float(np.exp(slope)), r2


def sublinear_reference(dist: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The O(1/t) curve of GD on a convex but not strongly convex loss through a run's first and last
    logged distances: d₀ / (1 + (d₀/d_T − 1)(t − t₀)/(t_T − t₀)), ``dist [T, ...]`` at ``steps [T]``
    (a curve that must not pass a test of linear convergence)."""
    dist, t = np.asarray(dist, dtype=float), np.asarray(steps, dtype=float)
    frac = ((t - t[0]) / (t[-1] - t[0])).reshape((-1,) + (1,) * (dist.ndim - 1))
    return dist[0] / (1.0 + (dist[0] / dist[-1] - 1.0) * frac)


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def fit_error_model(N: np.ndarray, M: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Non-negative least squares fit err ≈ a/N + b/√M over a grid; returns (a, b)."""
    A = np.stack([1.0 / np.asarray(N, float), 1.0 / np.sqrt(np.asarray(M, float))], axis=1)
    coef, *_ = np.linalg.lstsq(A, np.asarray(err, float), rcond=None)
    return float(max(coef[0], 0.0)), float(max(coef[1], 0.0))

"""Theory of the one-layer linear-attention classifier on Gaussian mixtures (Shen, Zhou, Yang, Shen
2024, arXiv 2410.11778): the global minimiser W*_N of the (Monte-Carlo) population cross-entropy,
its N → ∞ limit c Λ⁻¹, the curvature that sets GD's linear rate, and the rate itself.

W*_N is found independently of the training run: Newton's method on the first-order condition
∇L(W) = 0 (closed-form gradient and Hessian) (the loss is convex in W: logits linear in W, cross-entropy convex in the logits). Run it
in float64 (``jax.enable_x64``) where ‖G‖ = O(1/N) is small. The Newton solve and the Hessian's
spectrum each call LAPACK: jit them separately.
"""

from __future__ import annotations

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
                     steps: int = 12) -> tuple[Array, Array]:
    """``steps`` Newton steps from ``W0 [d, d]`` with ``grad_hess(W) -> (∇L [d, d], H [d², d²])``
    (vec row-major): ``(W*, ‖∇L(W*)‖)``. One solve inside a ``fori_loop`` (one LAPACK call site)."""
    shape = W0.shape

    def body(_, w):
        g, h = grad_hess(w.reshape(shape))
        return w - jnp.linalg.solve(h, g.reshape(-1))

    w = jax.lax.fori_loop(0, steps, body, W0.reshape(-1)).reshape(shape)
    return w, jnp.linalg.norm(grad_hess(w)[0])


def hessian_extremes(hess: Array) -> tuple[Array, Array]:
    """(smallest, largest) eigenvalue of a symmetric Hessian ``[d², d²]``."""
    eigs = jnp.linalg.eigvalsh(0.5 * (hess + hess.T))
    return eigs[0], eigs[-1]


def gd_contraction(eta: float, mu: float, L: float) -> float:
    """Per-step contraction of GD with step ``eta`` on a quadratic with curvatures in [μ, L]:
    max(|1 − ημ|, |1 − ηL|); ‖W_t − W*‖ ≈ (this)^t ‖W_0 − W*‖ near W*."""
    return float(max(abs(1.0 - eta * mu), abs(1.0 - eta * L)))


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def fit_error_model(N: np.ndarray, M: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Non-negative least squares fit err ≈ a/N + b/√M over a grid; returns (a, b)."""
    A = np.stack([1.0 / np.asarray(N, float), 1.0 / np.sqrt(np.asarray(M, float))], axis=1)
    coef, *_ = np.linalg.lstsq(A, np.asarray(err, float), rcond=None)
    return float(max(coef[0], 0.0)), float(max(coef[1], 0.0))

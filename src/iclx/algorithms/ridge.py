"""Ridge regression on a design matrix (one fit, vmappable over Monte Carlo runs).

``ridge_fit(X [n, p], y [n], lam)`` minimises (1/n)‖y − Xw‖² + λ‖w‖², i.e.
w = (XᵀX + nλI)⁻¹ Xᵀy = Xᵀ(XXᵀ + nλI)⁻¹ y; it solves the smaller of the two p×p / n×n systems (the
choice is static: shapes are known at trace time). ``iclx.algorithms.regression.ridge_weights`` is the
per-prefix variant for in-context prompts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def ridge_fit(X: Array, y: Array, lam: float | Array, n: Array | None = None) -> Array:
    """Weights ``[p]`` of (1/n)‖y − Xw‖² + λ‖w‖² for ``X [N, p]``, ``y [N]`` (λ > 0). With ``n`` (may be
    traced) only the first n rows count (the others are zeroed), so one program serves every n."""
    N, p = X.shape
    if n is not None:
        rows = (jnp.arange(N) < n).astype(X.dtype)
        X, y = X * rows[:, None], y * rows
    n = N if n is None else n
    reg = n * lam
    if p <= N:
        A = X.T @ X + reg * jnp.eye(p, dtype=X.dtype)
        return jax.scipy.linalg.solve(A, X.T @ y, assume_a="pos")
    K = X @ X.T + reg * jnp.eye(N, dtype=X.dtype)
    return X.T @ jax.scipy.linalg.solve(K, y, assume_a="pos")


def ridge_predict(X_train: Array, y_train: Array, X_test: Array, lam: float | Array) -> Array:
    """Predictions ``[m]`` on ``X_test [m, p]`` of the ridge fit on (``X_train``, ``y_train``)."""
    return X_test @ ridge_fit(X_train, y_train, lam)

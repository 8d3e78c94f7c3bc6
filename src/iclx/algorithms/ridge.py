"""Ridge regression on a design matrix (one fit, vmappable over Monte Carlo runs).

Two normalisations of the same penalty λ (``convention``):

- ``"mean"`` (default): minimise (1/n)‖y − Xw‖² + λ‖w‖², i.e. w = (XᵀX + nλI)⁻¹ Xᵀy. This is the
  objective of Demir & Doğan's second-layer fit as our spec records it (arXiv 2510.25753, §3: the
  readout minimises the *mean* squared error plus λ‖w‖²) and of the authors' earlier code (ICLR 2025
  repository: ``solve(RF RFᵀ + λ·m·I, RF y)`` for the loss ½ mean(res²) + ½λ‖w‖²).
- ``"sum"``: minimise ‖y − Xw‖² + λ‖w‖², i.e. w = (XᵀX + λI)⁻¹ Xᵀy: the penalty does not grow with n.

The two agree at n = 1 and differ by the factor n (n = d²/2 contexts: 128 at d = 16, 3 200 at d = 80).
It solves the smaller of the two p×p / n×n systems (the choice is static: shapes are known at trace
time). ``iclx.algorithms.regression.ridge_weights`` is the per-prefix variant for in-context prompts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array
CONVENTIONS = ("mean", "sum")


def ridge_fit(X: Array, y: Array, lam: float | Array, n: Array | None = None,
              convention: str = "mean") -> Array:
    """Weights ``[p]`` of (1/n)‖y − Xw‖² + λ‖w‖² (``convention="mean"``) or ‖y − Xw‖² + λ‖w‖²
    (``"sum"``) for ``X [N, p]``, ``y [N]`` (λ > 0). With ``n`` (may be traced) only the first n rows
    count (the others are zeroed), so one program serves every n."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown ridge convention {convention!r} (known: {', '.join(CONVENTIONS)})")
    N, p = X.shape
    if n is not None:
        rows = (jnp.arange(N) < n).astype(X.dtype)
        X, y = X * rows[:, None], y * rows
    n = N if n is None else n
    reg = n * lam if convention == "mean" else lam
    if p <= N:
        A = X.T @ X + reg * jnp.eye(p, dtype=X.dtype)
        return jax.scipy.linalg.solve(A, X.T @ y, assume_a="pos")
    K = X @ X.T + reg * jnp.eye(N, dtype=X.dtype)
    return X.T @ jax.scipy.linalg.solve(K, y, assume_a="pos")


def ridge_predict(X_train: Array, y_train: Array, X_test: Array, lam: float | Array,
                  convention: str = "mean") -> Array:
    """Predictions ``[m]`` on ``X_test [m, p]`` of the ridge fit on (``X_train``, ``y_train``)."""
    return X_test @ ridge_fit(X_train, y_train, lam, convention=convention)

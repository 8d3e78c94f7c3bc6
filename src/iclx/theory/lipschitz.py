"""Theory quantities for softmax attention learning L-Lipschitz regression in context (Li, Duan,
Liang 2025), as reconstructed here: the paper's constants are not public, so every quantity below is
defined explicitly and is ours, not theirs.

Notation: features ``V [K, d]`` (unit norm), label covariance C_kj = E_f[f(v_k) f(v_j)] ``[K, K]``,
score matrix S = V Q Vᵀ, balanced prompts (n_k = N/K tokens of every feature).

- Δ (feature margin) = min_{k≠j} ‖v_k‖² − v_kᵀv_j; 1 for orthonormal features.
- δ (non-degeneracy) = min_{k≠j} √E(f(v_k) − f(v_j))² / (L ‖v_k − v_j‖): the fraction of the
  Lipschitz budget the task family uses on the features (RMS).
- σ² (gap variance) = ½ mean_{k≠j} E(f(v_k) − f(v_j))².
- β (smoothness) = max over the training path Q_z (S = z I) of the largest Hessian eigenvalue of the
  balanced population loss in Q; for a family scaled in amplitude β ∝ L².
- Step-size rule η(L) = min(η_flat, 1/β(L)): a constant step in the flat regime, the smoothness step
  1/β ∝ 1/L² in the sharp regime. The threshold L* solves η_flat β(L*) = 1; for an amplitude family
  L* = 1/√(η_flat β(1)), which we write as c/(Δδ) and report c.
- Time to ε (continuous time, balanced counts, exchangeable features and labels): along the path the
  loss is ℓ(z) = ½ σ² K(K−1) / (e^z + K − 1)² and dz/dt = η g σ² K e^z / (e^z + K − 1)³, g the Gram
  factor of the features (1 if orthonormal), so with S = e^z and a = K − 1
  T(ε) = F(S_ε) / (η g σ² K),  F(S) = (S² − 1)/2 + 3a(S − 1) + 3a² ln S + a³(1 − 1/S).
  Phase 1 (the target attention reaches ½) ends at S = K − 1. For small ε, T ≈ (K − 1)/(4 η g ε)
  whatever L: polynomial in 1/ε.

``theory_for`` puts these together on a grid of L for one task (label covariances by Monte Carlo,
smoothness, step sizes, threshold); ``step_for`` reads the step-size rule off such a table.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx.models import attention

if TYPE_CHECKING:
    from iclx.tasks.lipschitz import LipschitzTask


# --------------------------------------------------------------------------- features and labels


def feature_margin(features: jax.Array) -> float:
    """Δ = min_{k≠j} ‖v_k‖² − v_kᵀ v_j for ``features [K, d]``."""
    gram = np.asarray(features @ features.T, dtype=np.float64)
    K = gram.shape[0]
    off = ~np.eye(K, dtype=bool)
    return float(np.min((np.diag(gram)[:, None] - gram)[off]))


def label_gaps(cov: jax.Array) -> np.ndarray:
    """E(f(v_k) − f(v_j))² ``[K, K]`` from the label covariance ``[K, K]``."""
    cov = np.asarray(cov, dtype=np.float64)
    diag = np.diag(cov)
    return diag[:, None] + diag[None, :] - 2.0 * cov


def gap_variance(cov: jax.Array) -> float:
    """σ² = ½ mean_{k≠j} E(f(v_k) − f(v_j))²."""
    gaps = label_gaps(cov)
    off = ~np.eye(gaps.shape[0], dtype=bool)
    return float(0.5 * gaps[off].mean())


def nondegeneracy(cov: jax.Array, features: jax.Array, lipschitz: float) -> float:
    """δ = min_{k≠j} √E(f(v_k) − f(v_j))² / (L ‖v_k − v_j‖)."""
    V = np.asarray(features, dtype=np.float64)
    dist = np.linalg.norm(V[:, None] - V[None, :], axis=-1)
    off = ~np.eye(V.shape[0], dtype=bool)
    return float(np.min(np.sqrt(np.maximum(label_gaps(cov)[off], 0.0)) / (lipschitz * dist[off])))


def gram_factor(features: jax.Array) -> float:
    """g: the squared mean eigenvalue of the features' Gram matrix on zero-sum directions, by which
    GD on Q slows the scores S = VQVᵀ ((1 − c)² for equicorrelated features, 1 for orthonormal)."""
    V = np.asarray(features, dtype=np.float64)
    K = V.shape[0]
    P = np.eye(K) - np.ones((K, K)) / K
    eig = np.linalg.eigvalsh(P @ (V @ V.T) @ P)[1:]      # drop the 1-direction's zero
    return float(np.mean(eig) ** 2)


# --------------------------------------------------------------------------- balanced loss, smoothness


def balanced_loss(q: jax.Array, features: jax.Array, cov: jax.Array, n_points: int) -> jax.Array:
    """½ mean_j (a_j − e_j)ᵀ C (a_j − e_j) with a_j the attention of a feature-j query when every
    feature holds N/K tokens; ``q [d, d]``."""
    K = features.shape[0]
    counts = jnp.full((K,), n_points / K)
    err = attention.feature_attention(attention.score_matrix(q, features), counts) - jnp.eye(K)
    return 0.5 * jnp.mean(jnp.einsum("jk,kl,jl->j", err, cov, err))


def path_params(features: jax.Array, z: float) -> jax.Array:
    """Q with V Q Vᵀ = z I (the symmetric training path from Q = 0), ``[d, d]``."""
    pinv = jnp.linalg.pinv(features)          # [d, K]
    return z * pinv @ pinv.T


def smoothness(features: jax.Array, cov: jax.Array, n_points: int,
               z_grid: np.ndarray = np.linspace(0.0, 8.0, 33)) -> jax.Array:
    """β = max_z λ_max(∇²_Q balanced_loss(Q_z)) over ``z_grid`` (a traceable scalar: jit or vmap it
    over label covariances). The default grid is numpy's: a jax array made at import would start the
    backend before a distributed run could join its cluster."""
    d = features.shape[1]
    hess = jax.hessian(lambda flat: balanced_loss(flat.reshape(d, d), features, cov, n_points))
    top = jax.vmap(lambda z: jnp.linalg.eigvalsh(hess(path_params(features, z).ravel()))[-1])
    return jnp.max(top(jnp.asarray(z_grid, dtype=features.dtype)))


def step_size(beta: np.ndarray | float, eta_flat: float) -> np.ndarray:
    """η = min(η_flat, 1/β): the flat regime's constant step or the sharp regime's 1/β."""
    return np.minimum(eta_flat, 1.0 / np.asarray(beta, dtype=np.float64))


def threshold(lipschitz: np.ndarray, beta: np.ndarray, eta_flat: float) -> float:
    """The first L where η_flat β(L) reaches 1 (log-log interpolation on the grid), or NaN if none."""
    L, r = np.asarray(lipschitz, np.float64), eta_flat * np.asarray(beta, np.float64)
    above = np.nonzero(r >= 1.0)[0]
    if len(above) == 0:
        return float("nan")
    i = int(above[0])
    if i == 0:
        return float(L[0]) if r[0] == 1.0 else float("nan")
    t = np.log(r[i - 1]) / (np.log(r[i - 1]) - np.log(r[i]))
    return float(np.exp(np.log(L[i - 1]) + t * (np.log(L[i]) - np.log(L[i - 1]))))


# --------------------------------------------------------------------------- time to ε


def path_loss(z: np.ndarray, sigma2: float, n_features: int) -> np.ndarray:
    """ℓ(z) = ½ σ² K(K−1) / (e^z + K − 1)² along the path, balanced counts."""
    K = n_features
    return 0.5 * sigma2 * K * (K - 1) / (np.exp(z) + K - 1) ** 2


def _F(S: np.ndarray, a: float) -> np.ndarray:
    return (S ** 2 - 1) / 2 + 3 * a * (S - 1) + 3 * a ** 2 * np.log(S) + a ** 3 * (1 - 1 / S)


def time_to_eps(eps: np.ndarray | float, sigma2: np.ndarray | float, eta: np.ndarray | float,
                n_features: int, gram: float = 1.0, relative: bool = False) -> np.ndarray:
    """Continuous-time steps until the balanced path loss is ≤ ε (absolute) or ≤ ε ℓ(0) (relative);
    0 if it already is. Broadcasts over ``eps``, ``sigma2``, ``eta``."""
    K, a = n_features, n_features - 1.0
    eps, sigma2, eta = (np.asarray(v, dtype=np.float64) for v in (eps, sigma2, eta))
    if relative:
        S = K / np.sqrt(eps) - a + 0.0 * sigma2
    else:
        S = np.sqrt(sigma2 * K * (K - 1) / (2.0 * eps)) - a
    S = np.maximum(S, 1.0)
    return _F(S, a) / (eta * gram * sigma2 * K)


def phase1_time(sigma2: np.ndarray | float, eta: np.ndarray | float, n_features: int,
                gram: float = 1.0) -> np.ndarray:
    """Continuous-time steps until the target attention reaches ½ (e^z = K − 1)."""
    a = n_features - 1.0
    S = np.maximum(a, 1.0)
    return _F(np.asarray(S), a) / (np.asarray(eta) * gram * np.asarray(sigma2) * n_features)


# --------------------------------------------------------------------------- tables on an L grid


@functools.lru_cache(maxsize=8)
def _covariances_and_smoothness(task: "LipschitzTask", n_functions: int, z_max: float, n_z: int):
    """A compiled ``(key, Ls [G], alpha, rho) -> (C [G, K, K], β [G])`` (one compile per task)."""
    z_grid = jnp.linspace(0.0, z_max, n_z)

    @jax.jit
    def tables(key, Ls, alpha, rho):
        V = task.feature_matrix(rho)
        covs = jax.vmap(lambda L: task.label_covariance(key, n_functions, L, alpha, rho))(Ls)
        return covs, jax.lax.map(lambda c: smoothness(V, c, task.n_points, z_grid), covs)

    return tables


def theory_for(task: "LipschitzTask", alpha: float, rho: float, lipschitz: np.ndarray,
               key: jax.Array, *, n_functions: int, eta_flat: float, z_max: float = 8.0,
               n_z: int = 33) -> dict[str, Any]:
    """β(L), σ²(L), η(L) on the grid ``lipschitz [G]`` and the scalars Δ, δ (at L = 1), g, L*,
    c = L*Δδ and the gap-saturation scale L_sat (σ²(L_sat) = ½ σ²(1) L_sat²) of ``task`` with
    scaling exponent ``alpha`` and feature correlation ``rho``; label covariances from
    ``n_functions`` functions of ``key``, β maximised over ``n_z`` path points z ∈ [0, z_max]."""
    tables = _covariances_and_smoothness(task, n_functions, float(z_max), n_z)
    grid = np.concatenate([[1.0], lipschitz])
    covs, beta = (np.asarray(x, dtype=np.float64)
                  for x in tables(key, jnp.asarray(grid, jnp.float32), alpha, rho))
    cov1, covs, beta = covs[0], covs[1:], beta[1:]
    V = task.feature_matrix(rho)
    sigma2 = np.array([gap_variance(c) for c in covs])
    L_star = threshold(lipschitz, beta, eta_flat)
    margin, delta = feature_margin(V), nondegeneracy(cov1, V, 1.0)
    quadratic = gap_variance(cov1) * lipschitz ** 2
    saturated = np.nonzero(sigma2 <= 0.5 * quadratic)[0]
    L_sat = float(lipschitz[saturated[0]]) if len(saturated) else float("nan")
    return {"beta": beta, "sigma2": sigma2, "eta": step_size(beta, eta_flat),
            "gram": gram_factor(V), "margin": margin, "delta": delta, "L_star": L_star,
            "c": L_star * margin * delta, "L_sat": L_sat}


def interp_log(x: np.ndarray, grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Log-log interpolation of positive ``values`` on ``grid`` at ``x``."""
    return np.exp(np.interp(np.log(x), np.log(grid), np.log(values)))


def step_for(L: float, grid: np.ndarray, beta: np.ndarray, eta_flat: float) -> float:
    """The step-size rule's η(L) = min(η_flat, 1/β(L)), β interpolated (log-log) on ``grid``."""
    b = interp_log(np.array([L]), grid, beta)
    return float(step_size(b, eta_flat)[0])


# --------------------------------------------------------------------------- the threshold across feature sets


@functools.lru_cache(maxsize=8)
def _amplitude_threshold_program(task: "LipschitzTask", n_functions: int, z_max: float, n_z: int):
    """A compiled ``(key, V [K, d]) -> (C [K, K], β)`` at L = 1, amplitude scaling (one compile per
    feature shape: the features are traced)."""
    z_grid = jnp.linspace(0.0, z_max, n_z)

    @jax.jit
    def program(key, V):
        cov = task.label_covariance_at(key, n_functions, V, 1.0, 1.0)
        return cov, smoothness(V, cov, task.n_points, z_grid)

    return program


def threshold_family(task: "LipschitzTask", members: list[tuple[int, float]], key: jax.Array, *,
                     n_functions: int, eta_flat: float, z_max: float = 8.0,
                     n_z: int = 33) -> dict[str, np.ndarray]:
    """L*, Δ, δ (at L = 1) and the Gram factor g of every member ``(feature_seed, ρ)`` of ``task``'s
    feature kind, amplitude scaling: ``{"seed", "rho", "L_star", "margin", "delta", "gram"}``, each
    ``[members]``. For an amplitude family β(L) = L² β(1), so the step rule's threshold is exactly
    L* = 1/√(η_flat β(1)) (what ``theory_for`` interpolates on its grid)."""
    program = _amplitude_threshold_program(task, n_functions, float(z_max), n_z)
    rows = []
    for seed, rho in members:
        V = dataclasses.replace(task, feature_seed=int(seed)).feature_matrix(float(rho))
        cov, beta = program(key, V)
        cov = np.asarray(cov, dtype=np.float64)
        rows.append((seed, rho, 1.0 / np.sqrt(eta_flat * float(beta)), feature_margin(V),
                     nondegeneracy(cov, V, 1.0), gram_factor(V)))
    names = ("seed", "rho", "L_star", "margin", "delta", "gram")
    return {name: np.array([row[i] for row in rows], dtype=np.float64) for i, name in enumerate(names)}

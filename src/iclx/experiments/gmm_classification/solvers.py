"""The float64 W* solvers every stage shares: the Newton solve on a bank of random queries
(``reference``, the lane's own bank) and on a bank with the query integrated out
(``integrated_reference``, the population W*_N), each LAPACK call its own jitted program."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config
from iclx.models import linear_attention
from iclx.tasks.gmm import GMMTask
from iclx.theory import gmm as gmm_theory

INTEGRATED_MAX_CLASSES = 3   # the query integral's product rule has quad_order^(c−1) nodes


def task_of(cfg: config.ConfigDict, d: int | None = None, c: int | None = None) -> GMMTask:
    t = GMMTask.from_config(cfg.task)
    return GMMTask(d or t.n_dims, t.n_points, c or t.n_classes, t.radius, t.cov_min, t.cov_max)


def float64(tree):
    return jax.tree.map(lambda a: jnp.asarray(np.asarray(a, np.float64)), tree)


@functools.partial(jax.jit, static_argnames="steps")
def newton64(stat, xq, targets, W0, steps: int = 12):
    """W* ``[d, d]`` of a bank (``stat [B, c, d]``, ``xq [B, Q, d]``, ``targets [B, Q, c]``)."""
    grad_and_hessian = lambda W: linear_attention.grad_and_hessian(W, stat, xq, targets)
    return gmm_theory.newton_minimizer(grad_and_hessian, W0, steps)[0]


@jax.jit
def extremes64(stat, xq, targets, W):
    return gmm_theory.hessian_extremes(linear_attention.grad_and_hessian(W, stat, xq, targets)[1])


def reference(fixed_data, seed_key, hp, newton_steps: int = 12) -> dict[str, float | np.ndarray]:
    """The lane's bank (``fixed_data``: the problem's jitted ``fixed_data``, as the engine draws it),
    its float64 W* (``newton_steps`` Newton steps), the Hessian's extremes at W* (μ, L) and at the
    start W = 0 (μ₀, L₀)."""
    fixed = fixed_data(seed_key, {k: jnp.float32(v) for k, v in hp.items()})
    with jax.enable_x64(True):
        s, x, t = float64((fixed["stat"], fixed["xq"], fixed["targets"]))
        W0 = jnp.zeros((s.shape[-1],) * 2)
        W = newton64(s, x, t, W0, steps=newton_steps)
        mu, L = (float(v) for v in extremes64(s, x, t, W))
        mu0, L0 = (float(v) for v in extremes64(s, x, t, W0))
        return {"W": np.asarray(W), "mu": mu, "L": L, "mu0": mu0, "L0": L0}


@functools.partial(jax.jit, static_argnames=("task", "n_tasks", "n_max"))
def bank64(task: GMMTask, key, N, n_tasks: int, n_max: int):
    return task.statistics_bank(key, n_tasks, N, n_max)


def integrated_reference(task: GMMTask, key, N: int, n_tasks: int, n_max: int, quad_order: int,
                         steps: int, W0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """W*_N ``[d, d]`` of the population loss with the query integrated out (float64 Newton from
    ``W0``, default 0, ``gmm_theory.integrated_minimizer``) on a bank of ``n_tasks`` tasks × 2c
    antithetic statistics (``GMMTask.statistics_bank``: one ``key`` gives every N the same tasks,
    quantiles and noise), and the last Newton step's largest entry."""
    c, d = task.n_classes, task.n_dims
    nodes, weights = gmm_theory.gauss_hermite(quad_order, min(c - 1, d))
    with jax.enable_x64(True):
        stat, means = bank64(task, key, jnp.float64(N), n_tasks, n_max)
        W0 = jnp.zeros((d, d)) if W0 is None else jnp.asarray(W0)
        W, last = gmm_theory.integrated_minimizer(stat, means, task.cov_diag(), jnp.asarray(nodes),
                                                  jnp.asarray(weights), W0, steps=steps)
        return np.asarray(W), float(last)


def class_reference(cfg, task: GMMTask, key) -> np.ndarray:
    """W*_N at N = eval.class_N for the error against c: for c ≤ INTEGRATED_MAX_CLASSES the query
    integrated out (``integrated_reference`` on class_bank / 2c tasks, class_bank prompts); beyond,
    the float64 Newton on a bank of class_bank prompts × eval.queries queries (soft targets)."""
    c, N = task.n_classes, cfg.eval.class_N
    if c <= INTEGRATED_MAX_CLASSES:
        return integrated_reference(task, key, N, max(1, cfg.eval.class_bank // (2 * c)), N,
                                    cfg.minimizer.quad_order, cfg.minimizer.newton_steps)[0]
    b = jax.jit(task.statistics_batch, static_argnums=(1, 2, 3))(key, cfg.eval.class_bank, N,
                                                                  cfg.eval.queries)
    with jax.enable_x64(True):
        return np.asarray(newton64(*float64((b.stat, b.xq, b.probs)), jnp.zeros((task.n_dims,) * 2),
                                   steps=cfg.minimizer.newton_steps))

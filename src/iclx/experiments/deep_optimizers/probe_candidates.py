"""The candidate algorithms a probed layer is compared with, each over its own grid (rows of a
heatmap), as predictions ``[K, B, n]`` at every position t from the examples 0..t−1 of prompts
``xs [B, n, d]``, ``ys [B, n]``:

- ``relu_gd``: plain GD on an N-layer ReLU network of the target's shape fitted in context
  (``iclx.algorithms.relu_gd.gd_step_predictions``), one row per step count (the theory's algorithm:
  Wu et al. 2024, arXiv 2411.16549, Thm 1 runs L GD steps in (2N + 4)L layers, Thm 2 in 4L);
- ``ridge``: ridge regression on the inputs with a free intercept, one row per penalty λ (largest
  first; the smallest is least squares up to rounding);
- ``kernel``: Nadaraya–Watson regression with a Gaussian kernel, one row per bandwidth (widest
  first: label averaging at the wide end, 1-NN at the narrow end);
- ``nn1``: 1-NN, one row.

At position 0 (no example) every candidate predicts the initial network's value (``relu_gd``) or 0.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from iclx.algorithms import regression, relu_gd
from iclx.engine import rng
from iclx.tasks import relu_net

FAMILIES = ("relu_gd", "ridge", "kernel", "nn1")


def ridge_intercept(xs: np.ndarray, ys: np.ndarray, lams) -> np.ndarray:
    """Ridge on [x, 1] with the intercept unpenalised, per prefix: ``[len(lams), B, n]`` (float64;
    translation-equivariant in x, so the inputs' mean −2·1 does not matter)."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    b, n, d = xs.shape
    design = np.concatenate([xs, np.ones((b, n, 1))], axis=-1)
    out = np.zeros((len(lams), b, n))
    for k, lam in enumerate(lams):
        penalty = np.diag([float(lam)] * d + [1e-9])
        for t in range(1, n):
            a = design[:, :t]
            gram = np.einsum("btd,bte->bde", a, a) + penalty
            w = np.linalg.solve(gram, np.einsum("btd,bt->bd", a, ys[:, :t])[..., None])[..., 0]
            out[k, :, t] = np.einsum("bd,bd->b", w, design[:, t])
    return out


def kernel_regression(xs: np.ndarray, ys: np.ndarray, bandwidths) -> np.ndarray:
    """Nadaraya–Watson with weights exp(−‖x_t − x_i‖² / 2h²) over the earlier examples, per
    bandwidth h: ``[len(bandwidths), B, n]`` (float64, log-sum-exp stabilised)."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    n = xs.shape[1]
    dist2 = np.sum((xs[:, :, None] - xs[:, None, :]) ** 2, axis=-1)               # [B, n, n]
    earlier = np.tril(np.ones((n, n), bool), k=-1)                                   # i < t
    out = np.zeros((len(bandwidths), xs.shape[0], n))
    for k, h in enumerate(bandwidths):
        logits = np.where(earlier, -dist2 / (2.0 * float(h) ** 2), -np.inf)
        top = np.max(logits[:, 1:], axis=-1, keepdims=True)
        weights = np.exp(logits[:, 1:] - top)
        out[k, :, 1:] = np.sum(weights * ys[:, None, :], -1) / np.sum(weights, -1)
    return out


_nn1 = jax.jit(functools.partial(regression.nearest_neighbours, k=1))


@functools.lru_cache(maxsize=None)
def _gd_program(task: relu_net.ReluNetTask, steps: tuple[int, ...], lr: float):
    """One jitted GD-on-the-network program per target shape, grid and rate."""

    @jax.jit
    def run(key, xs, ys):
        keys = jax.random.split(key, xs.shape[0])
        init = jax.vmap(task.sample_weights)(keys)        # the target's own law, μ = 0
        fit = lambda w, x, y: relu_gd.gd_step_predictions(w, x, y, steps, lr)
        return jnp.moveaxis(jax.vmap(fit)(init, xs, ys), 0, 1)                       # [K, B, n]

    return run


def gd_rate(probe_cfg, task: relu_net.ReluNetTask) -> float:
    """GD's step size η = ``gd_scale`` ÷ E‖x‖² = gd_scale / (d (m² + 1)) for inputs N(±m·1, I_d): the
    first layer's gradient scales with ‖x‖², so a fixed η that is stable at d = 3 diverges at d = 10."""
    return float(probe_cfg.gd_scale) / (task.n_dims * (task.input_mean ** 2 + 1.0))


def predictions(probe_cfg, task: relu_net.ReluNetTask, xs: np.ndarray, ys: np.ndarray,
                seed: int) -> dict[str, np.ndarray]:
    """Every family's predictions ``[K, B, n]`` on the probe prompts (the GD network's initial
    weights drawn from stream "probe-gd-init" of ``seed``, the same for every model)."""
    law = relu_net.ReluNetTask(n_dims=task.n_dims, n_points=task.n_points, depth=task.depth,
                                    width=task.width)
    key = rng.stream(rng.root_key(seed), "probe-gd-init", task.depth)
    gd = _gd_program(law, tuple(probe_cfg.gd_steps), gd_rate(probe_cfg, task))(key, xs, ys)
    scale = np.sqrt(task.n_dims)
    return {"relu_gd": np.asarray(gd, np.float64),
            "ridge": ridge_intercept(xs, ys, probe_cfg.ridge_lams),
            "kernel": kernel_regression(xs, ys, [h * scale for h in probe_cfg.kernel_widths]),
            "nn1": np.asarray(_nn1(xs, ys), np.float64)[None]}


def grids(probe_cfg) -> dict[str, np.ndarray]:
    """Each family's row labels: GD steps, ridge λ, kernel bandwidth ÷ √d, 1-NN's single row."""
    return {"relu_gd": np.asarray(probe_cfg.gd_steps, np.float64),
            "ridge": np.asarray(probe_cfg.ridge_lams, np.float64),
            "kernel": np.asarray(probe_cfg.kernel_widths, np.float64), "nn1": np.zeros(1)}

"""The regression baselines in float64, each its own compiled program, for comparisons with a network.

``x64(fn, *arrays, **static)`` runs ``fn`` on float64 copies of ``arrays`` with ``jax.enable_x64``
switched on locally and returns numpy arrays; ``predictions`` and ``weights`` compute Iterative
Newton (steps 1..K), gradient descent (on step grids), least squares and online GD for prompts
``xs [B, n, d]``, ``ys [B, n]``.

One jit per algorithm family: two LAPACK call sites (eigh, SVD) in one XLA:CPU program can deadlock
on 2 cores (see ``iclx.algorithms.regression``); each is compiled once and reused for every seed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx.algorithms import regression

newton_predictions = jax.jit(regression.newton_predictions, static_argnames="num_steps")
gradient_descent = jax.jit(regression.gradient_descent, static_argnames="steps")
least_squares = jax.jit(regression.least_squares)
online_gd = jax.jit(regression.online_gd)
error_per_position = jax.jit(regression.squared_error_per_position, static_argnames="n_dims")


@functools.partial(jax.jit, static_argnames="num_steps")
def newton_weights(xs, ys, num_steps: int):
    """Newton iterates w_1..w_K per prefix: ``[K, B, n, d]``."""
    return regression.newton_weights_scan(*regression.prefix_systems(xs, ys), num_steps)


@functools.partial(jax.jit, static_argnames="steps")
def gd_weights(xs, ys, eta, steps: tuple[int, ...]):
    """GD weights after each of ``steps`` iterations per prefix: ``[G, B, n, d]``."""
    return regression.gd_weights(*regression.prefix_systems(xs, ys), eta, steps)


def x64(fn: Callable[..., Any], *arrays, **static) -> Any:
    """``fn(*arrays, **static)`` on float64 copies of ``arrays`` (``jax.enable_x64`` locally), as numpy."""
    with jax.enable_x64(True):
        out = fn(*(jnp.asarray(a, jnp.float64) for a in arrays), **static)
        return jax.tree.map(np.asarray, out)


def predictions(xs: np.ndarray, ys: np.ndarray, *, newton_steps: int, gd_lr: float,
                gd_grids: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """``{"newton" [K, B, n], <grid> [G, B, n] for each GD grid, "least_squares", "online_gd" [B, n]}``
    in float64: Newton steps 1..``newton_steps``, GD with step size ``gd_lr`` at each grid's steps."""
    gd = lambda x, y, steps: gradient_descent(x, y, gd_lr, steps=steps)
    out = {"newton": x64(newton_predictions, xs, ys, num_steps=newton_steps)}
    out.update({name: x64(gd, xs, ys, steps=steps) for name, steps in gd_grids.items()})
    out["least_squares"] = x64(least_squares, xs, ys)
    out["online_gd"] = x64(online_gd, xs, ys)
    return out


def weights(xs: np.ndarray, ys: np.ndarray, *, newton_steps: int, gd_lr: float,
            gd_grids: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """The weight vectors behind ``predictions``: ``{"newton" [K, B, n, d], <grid> [G, B, n, d]}``."""
    gd = lambda x, y, steps: gd_weights(x, y, gd_lr, steps=steps)
    out = {"newton": x64(newton_weights, xs, ys, num_steps=newton_steps)}
    out.update({name: x64(gd, xs, ys, steps=steps) for name, steps in gd_grids.items()})
    return out

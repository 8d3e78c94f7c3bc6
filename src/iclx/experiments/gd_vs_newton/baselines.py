"""The algorithms beside the networks, in float64 (``iclx.algorithms.baselines64``): Iterative Newton
at the config's α (``sim.newton_alpha_scale``), GD on a group's step grids, least squares, online GD
and label averaging; Table 1's rows; the prompts of the forgetting test (Fu et al. Fig. 5 right).

Shapes: prompts ``xs [B, n, d]``, ``ys [B, n]``; predictions ``[K, B, n]`` per step grid, ``[B, n]``
for the one-shot methods.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from iclx import config, probes, problems
from iclx.algorithms import baselines64 as B
from iclx.algorithms import regression
from iclx.experiments.gd_vs_newton.config import TABLE_COLUMNS, static_grids
from iclx.experiments.gd_vs_newton.summary import position_windows
from iclx.tasks import linear

GD_GRIDS = ("gd", "gd_log")
_newton = jax.jit(regression.newton_predictions, static_argnames="num_steps")
_averaging = jax.jit(regression.averaging)
_sime_fn = jax.jit(probes.similarity_of_errors, static_argnames="first_position")


@functools.partial(jax.jit, static_argnames="num_steps")
def _newton_weights(xs, ys, alpha_scale, num_steps: int):
    return regression.newton_weights_scan(*regression.prefix_systems(xs, ys), num_steps, alpha_scale)


def newton(cfg: config.ConfigDict, xs, ys, num_steps: int) -> np.ndarray:
    """Newton predictions ``[K, B, n]`` after 1..``num_steps`` iterations, α of ``sim``."""
    return B.x64(lambda x, y: _newton(x, y, num_steps=num_steps, alpha_scale=cfg.sim.newton_alpha_scale),
                 xs, ys)


def gd(cfg: config.ConfigDict, xs, ys, steps: tuple[int, ...]) -> np.ndarray:
    """GD predictions ``[len(steps), B, n]`` at step size ``sim.gd_lr``."""
    return B.x64(lambda x, y: B.gradient_descent(x, y, cfg.sim.gd_lr, steps=steps), xs, ys)


def predictions(cfg: config.ConfigDict, xs, ys) -> dict[str, np.ndarray]:
    """``{"newton" [K, B, n], "gd", "gd_log" [G, B, n], "least_squares", "online_gd", "averaging"
    [B, n]}`` on the heatmaps' grids (``sim``)."""
    grids = static_grids(cfg)
    out = {"newton": newton(cfg, xs, ys, cfg.sim.newton_max)}
    out.update({g: gd(cfg, xs, ys, grids[g]) for g in GD_GRIDS})
    out["least_squares"] = B.x64(B.least_squares, xs, ys)
    out["online_gd"] = B.x64(B.online_gd, xs, ys)
    out["averaging"] = B.x64(_averaging, xs, ys)
    return out


def weights(cfg: config.ConfigDict, xs, ys) -> dict[str, np.ndarray]:
    """The weight vectors behind ``predictions``' grids: ``{"newton" [K, B, n, d], <grid> [G, B, n, d]}``."""
    grids = static_grids(cfg)
    out = {"newton": B.x64(lambda x, y: _newton_weights(x, y, cfg.sim.newton_alpha_scale,
                                                        num_steps=cfg.sim.newton_max), xs, ys)}
    out.update({g: B.x64(lambda x, y, s=grids[g]: B.gd_weights(x, y, cfg.sim.gd_lr, steps=s), xs, ys)
                for g in GD_GRIDS})
    return out


# --------------------------------------------------------------------------- Table 1


def table_rows(cfg: config.ConfigDict, xs, ys, online_gd: np.ndarray) -> dict[str, np.ndarray]:
    """Table 1's algorithm rows on the authors' grids (``table1``): ``{"newton" [23, B, n], "gd"
    [G, B, n] (the linear then the log₂ grid), "online_gd" [1, B, n]}``."""
    grids = static_grids(cfg, "table1")
    return {"newton": newton(cfg, xs, ys, cfg.table1.newton_max),
            "gd": np.concatenate([gd(cfg, xs, ys, grids[g]) for g in GD_GRIDS]),
            "online_gd": online_gd[None]}


def table_grids(cfg: config.ConfigDict) -> dict[str, np.ndarray]:
    """The step of every Table-1 row: ``{"table_newton" [23], "table_gd" [G]}``."""
    grids = static_grids(cfg, "table1")
    return {"table_newton": np.array(grids["newton"]),
            "table_gd": np.array(grids["gd"] + grids["gd_log"])}


def score_table(cfg: config.ConfigDict, rows: dict[str, np.ndarray], preds: np.ndarray, ys: np.ndarray,
                prefix: str) -> dict[str, np.ndarray]:
    """Table 1 for one predictor ``preds [B, n]``: its SimE with every row (``table_sime_newton``,
    ``table_sime_gd``), the best of each column (``table [C]``) and the best within each of
    ``position_windows`` (``table_windows [W, C]``)."""
    first = cfg.sim.first_position
    sime = lambda a, lo, hi, f: B.x64(_sime_fn, a[..., lo:hi], preds[None, :, lo:hi], ys[:, lo:hi],
                                      first_position=f)[:, 0]
    n = ys.shape[1]
    per_row = {c: sime(rows[c], 0, n, first) for c in TABLE_COLUMNS}
    return {f"{prefix}/table_sime_newton": per_row["newton"], f"{prefix}/table_sime_gd": per_row["gd"],
            f"{prefix}/table": np.array([per_row[c].max() for c in TABLE_COLUMNS]),
            f"{prefix}/table_windows": np.array([[sime(rows[c], lo, hi, 0).max() for c in TABLE_COLUMNS]
                                                 for lo, hi in position_windows(cfg)])}


# --------------------------------------------------------------------------- forgetting (Fig. 5 right)


def forgetting_prompts(cfg: config.ConfigDict, seed_key: jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """Prompts of m = ``forget.n_examples`` examples and a query that re-uses the example g back,
    x_m = x_{m−g} and y_m = y_{m−g}, for g = 1..m (stream "forget"): ``xs [m·B, m + 1, d]``,
    ``ys [m·B, m + 1]``, gap-major (the prompts of gap g are rows (g − 1)·B … g·B − 1)."""
    m = cfg.forget.n_examples
    task = linear.LinearRegressionTask.from_config(cfg.task)
    prompt = problems.eval_prompts(task, cfg.sim.n_prompts, seed_key, "forget")
    xs, ys = np.asarray(prompt.xs)[:, :m + 1], np.asarray(prompt.ys)[:, :m + 1]
    gaps = np.arange(1, m + 1)
    xs = np.stack([np.concatenate([xs[:, :m], xs[:, m - g, None]], axis=1) for g in gaps])
    ys = np.stack([np.concatenate([ys[:, :m], ys[:, m - g, None]], axis=1) for g in gaps])
    return xs.reshape(-1, m + 1, xs.shape[-1]), ys.reshape(-1, m + 1)


def forgetting_errors(preds: np.ndarray, ys: np.ndarray, n_dims: int, num_gaps: int) -> np.ndarray:
    """Squared error ÷ d at the re-used query per gap: ``preds``, ``ys [m·B, m + 1]`` → ``[m]``."""
    err = (np.asarray(preds, np.float64)[:, -1] - np.asarray(ys, np.float64)[:, -1]) ** 2 / n_dims
    return err.reshape(num_gaps, -1).mean(axis=1)


def forgetting_baselines(cfg: config.ConfigDict, xs, ys) -> dict[str, np.ndarray]:
    """``alg/forget_<method> [m]`` for least squares, online GD and Newton with ``sim.newton_fixed``
    iterations on ``forgetting_prompts``."""
    m, d = cfg.forget.n_examples, cfg.task.n_dims
    preds = {"least_squares": B.x64(B.least_squares, xs, ys), "online_gd": B.x64(B.online_gd, xs, ys),
             "newton_fixed": newton(cfg, xs, ys, cfg.sim.newton_fixed)[-1]}
    return {f"alg/forget_{k}": forgetting_errors(p, ys, d, m) for k, p in preds.items()}

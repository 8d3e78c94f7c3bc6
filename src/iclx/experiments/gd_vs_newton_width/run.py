"""Fu et al. 2023, Fig. 6: how wide must a one-head transformer be to solve in-context linear
regression? One training stage per hidden size (stage ``width_<hidden>``), seeds as lanes; the error
of each model and of least squares on each seed's evaluation prompts."""

from __future__ import annotations

import jax
import numpy as np

from iclx import config, engine, models, problems
from iclx.algorithms import regression
from iclx.framework.experiment import RunContext
from iclx.experiments.gd_vs_newton_width.config import width_config
from iclx.tasks import linear


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict, dict[str, np.ndarray]]:
    """One stage per hidden size; ``error/width_<hidden>`` and ``error/least_squares`` ``[seeds, n]``."""
    lanes = engine.seed_lanes(cfg.seeds)
    d = cfg.task.n_dims
    task = linear.LinearRegressionTask.from_config(cfg.task)
    arrays: dict[str, np.ndarray] = {}
    prompts = [problems.eval_prompts(task, cfg.eval.n_prompts, key) for key in lanes.keys(cfg.seed)]
    arrays["error/least_squares"] = np.stack([np.asarray(regression.squared_error_per_position(
        regression.least_squares(p.xs, p.ys), p.ys, d)) for p in prompts])
    for width in cfg.widths:
        sub = width_config(cfg, width)
        problem = problems.prompt_problem(task, sub.model, sub.train, sub.curriculum)
        trained = ctx.train(problem, sub.train, lanes, name=f"width_{width}")
        model = models.build(sub.model, d)
        apply = jax.jit(lambda p, x, y: model.apply({"params": p}, x, y))
        arrays[f"error/width_{width}"] = np.stack([np.asarray(regression.squared_error_per_position(
            apply(engine.lane_slice(trained.params, lane), p.xs, p.ys), p.ys, d))
            for lane, p in enumerate(prompts)])
        ctx.log(f"hidden {width}: error/d after d examples "
                f"{arrays[f'error/width_{width}'][:, d:].mean():.4f}")
    return {}, arrays

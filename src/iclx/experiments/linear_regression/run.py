"""Train GPT-2 on in-context linear regression (all seeds in one vmapped program) and evaluate it
beside least squares, Iterative Newton, GD, averaging, k-NN and its own initial (untrained)
parameters on each seed's held-out prompts."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from iclx import config, engine, models, problems
from iclx.algorithms import regression
from iclx.framework.experiment import RunContext
from iclx.engine import rng
from iclx.experiments.linear_regression.config import method_names
from iclx.tasks import linear


def build_problem(cfg: config.ConfigDict) -> engine.Problem:
    """MSE of the GPT-2 on fresh prompts over the curriculum's active positions."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    return problems.prompt_problem(task, cfg.model, cfg.train, cfg.curriculum)


def predictors(cfg: config.ConfigDict) -> dict[str, Any]:
    """``{family: predict(params, xs, ys) -> preds [K, B, n]}``, one entry per algorithm family
    (``"untrained"`` gets the initial parameters)."""
    model = models.build(cfg.model, cfg.task.n_dims)
    ev = cfg.eval
    network = lambda p, xs, ys: model.apply({"params": p}, xs, ys)[None]
    return {
        "transformer": network,
        "untrained": network,
        "least_squares": lambda p, xs, ys: regression.least_squares(xs, ys)[None],
        "newton": lambda p, xs, ys: regression.iterative_newton(xs, ys, ev.newton_steps,
                                                                ev.newton_alpha_scale),
        "gd": lambda p, xs, ys: regression.gradient_descent(xs, ys, ev.gd_lr, ev.gd_steps),
        "averaging": lambda p, xs, ys: regression.averaging(xs, ys)[None],
        "knn": lambda p, xs, ys: regression.nearest_neighbours(xs, ys, ev.knn_k)[None],
    }


def initial_params(cfg: config.ConfigDict, seed_key: jax.Array):
    """One seed's parameters before training: the training's own initialisation (stream "init")."""
    return build_problem(cfg).init_params(rng.stream(seed_key, "init"), {})


def evaluate(cfg: config.ConfigDict, params, lanes: engine.Lanes) -> dict[str, np.ndarray]:
    """``{method: [seeds, n]}``: squared error ÷ d per position for the trained model, its initial
    parameters and every baseline on each seed's eval prompts.

    Each algorithm family is its own jitted program, run one seed at a time: see
    ``algorithms.regression`` on why two LAPACK calls must not share one XLA:CPU program.
    """
    task = linear.LinearRegressionTask.from_config(cfg.task)
    keys, d = lanes.keys(cfg.seed), cfg.task.n_dims
    names = {"transformer": ["transformer"], "untrained": ["untrained"], "least_squares": ["least_squares"],
             "newton": [f"newton_{k}" for k in cfg.eval.newton_steps],
             "gd": [f"gd_{k}" for k in cfg.eval.gd_steps], "averaging": ["averaging"],
             "knn": [f"knn_{cfg.eval.knn_k}"]}
    curves: dict[str, list[np.ndarray]] = {m: [] for m in method_names(cfg)}
    for family, predict in predictors(cfg).items():

        @jax.jit
        def error(params_one, key, predict=predict):
            prompt = problems.eval_prompts(task, cfg.eval.n_prompts, key)
            return regression.squared_error_per_position(predict(params_one, prompt.xs, prompt.ys),
                                                         prompt.ys, d)

        for lane in range(len(lanes)):
            lane_params = (initial_params(cfg, keys[lane]) if family == "untrained"
                           else engine.lane_slice(params, lane))
            values = np.asarray(error(lane_params, keys[lane]))
            for name, row in zip(names[family], values):
                curves[name].append(row)
    return {name: np.stack(rows) for name, rows in curves.items()}


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Train every seed's model together, then evaluate it and the baselines: ``error/<method> [seeds, n]``."""
    lanes = engine.seed_lanes(cfg.seeds)
    trained = ctx.train(build_problem(cfg), cfg.train, lanes)
    ctx.log("evaluating the transformer and the baselines …")
    curves = evaluate(cfg, trained.params, lanes)
    return {}, {f"error/{m}": v for m, v in curves.items()}

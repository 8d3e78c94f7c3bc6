"""Train GPT-2 on in-context linear regression (all seeds in one vmapped program) and evaluate it
beside least squares, Iterative Newton, GD, averaging and k-NN on each seed's held-out prompts."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from iclx import config as C
from iclx import experiment as E
from iclx import models, problems
from iclx import train as T
from iclx.algorithms import regression as R
from iclx.experiments.linear_regression.config import method_names
from iclx.tasks import linear


def build_problem(cfg: C.ConfigDict) -> T.Problem:
    """MSE of the GPT-2 on fresh prompts over the curriculum's active positions."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    return problems.prompt_problem(task, cfg.model, cfg.train, cfg.curriculum)


def predictors(cfg: C.ConfigDict) -> dict[str, Any]:
    """``{family: predict(params, xs, ys) -> preds [K, B, n]}``, one entry per algorithm family."""
    model = models.build(cfg.model, cfg.task.n_dims)
    ev = cfg.eval
    return {
        "transformer": lambda p, xs, ys: model.apply({"params": p}, xs, ys)[None],
        "least_squares": lambda p, xs, ys: R.least_squares(xs, ys)[None],
        "newton": lambda p, xs, ys: R.iterative_newton(xs, ys, ev.newton_steps),
        "gd": lambda p, xs, ys: R.gradient_descent(xs, ys, ev.gd_lr, ev.gd_steps),
        "averaging": lambda p, xs, ys: R.averaging(xs, ys)[None],
        "knn": lambda p, xs, ys: R.nearest_neighbours(xs, ys, ev.knn_k)[None],
    }


def evaluate(cfg: C.ConfigDict, params, lanes: T.Lanes) -> dict[str, np.ndarray]:
    """``{method: [seeds, n]}``: squared error ÷ d per position for the trained model and every
    baseline on each seed's eval prompts.

    Each algorithm family is its own jitted program, run one seed at a time: see
    ``algorithms.regression`` on why two LAPACK calls must not share one XLA:CPU program.
    """
    task = linear.LinearRegressionTask.from_config(cfg.task)
    keys, d = lanes.keys(cfg.seed), cfg.task.n_dims
    names = {"transformer": ["transformer"], "least_squares": ["least_squares"],
             "newton": [f"newton_{k}" for k in cfg.eval.newton_steps],
             "gd": [f"gd_{k}" for k in cfg.eval.gd_steps], "averaging": ["averaging"],
             "knn": [f"knn_{cfg.eval.knn_k}"]}
    curves: dict[str, list[np.ndarray]] = {m: [] for m in method_names(cfg)}
    for family, predict in predictors(cfg).items():

        @jax.jit
        def error(params_one, key, predict=predict):
            prompt = problems.eval_prompts(task, cfg.eval.n_prompts, key)
            return R.squared_error_per_position(predict(params_one, prompt.xs, prompt.ys),
                                                prompt.ys, d)

        for lane in range(len(lanes)):
            values = np.asarray(error(T.lane_slice(params, lane), keys[lane]))
            for name, row in zip(names[family], values):
                curves[name].append(row)
    return {name: np.stack(rows) for name, rows in curves.items()}


def summarise(cfg: C.ConfigDict, curves: dict[str, np.ndarray]) -> dict[str, Any]:
    d, n = cfg.task.n_dims, cfg.task.n_points
    late = slice(d, n)   # positions with at least d examples
    mean_late = {m: float(np.mean(curves[m][:, late])) for m in curves}
    at_d = {m: float(np.mean(curves[m][:, d])) for m in curves} if d < n else {}
    summary = [f"mean error ÷ d over prompts with ≥ d={d} examples (positions {d}..{n - 1}):"]
    summary += [f"  {m:<15} {v:.4g}" for m, v in mean_late.items()]
    table = {"columns": ["method", f"error ÷ d, n ≥ d (mean of {cfg.seeds} seeds)",
                         "error ÷ d at n = d"],
             "rows": [[m, f"{v:.4g}", f"{at_d[m]:.4g}" if m in at_d else "—"]
                      for m, v in mean_late.items()]}
    per_position = {"columns": ["examples", *[str(i) for i in range(n)]],
                    "rows": [[m, *[f"{v:.3f}" for v in curves[m].mean(axis=0)]] for m in curves]}
    per_seed = {m: [float(v) for v in curves[m][:, late].mean(axis=1)] for m in curves}
    summary.append("transformer per seed: " + ", ".join(f"{v:.3g}" for v in per_seed["transformer"]))
    return {"error_after_d": mean_late, "error_at_d": at_d, "error_after_d_per_seed": per_seed,
            "summary": summary, "tables": {"errors": table, "per_position": per_position}}


def run(cfg: C.ConfigDict, ctx: E.RunContext):
    lanes = T.seed_lanes(cfg.seeds)
    state = ctx.train(build_problem(cfg), cfg.train, lanes)
    ctx.log("evaluating the transformer and the baselines …")
    curves = evaluate(cfg, state.params, lanes)
    arrays = {f"error/{m}": v for m, v in curves.items()}
    return summarise(cfg, curves), arrays

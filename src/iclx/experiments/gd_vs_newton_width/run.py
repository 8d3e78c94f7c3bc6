"""Fu et al. 2023, Fig. 6: how wide must a one-head transformer be to solve in-context linear
regression? One training stage per hidden size (stage ``width_<hidden>``), seeds as lanes; the error
of each model and of least squares on each seed's evaluation prompts."""

from __future__ import annotations

import jax
import numpy as np

from iclx import config as C
from iclx import experiment as E
from iclx import models, problems
from iclx import train as T
from iclx.algorithms import regression as R
from iclx.experiments.gd_vs_newton_width.config import width_config
from iclx.tasks import linear


def width_table(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict:
    d = cfg.task.n_dims
    rows = []
    for width in cfg.widths:
        late = arrays[f"error/width_{width}"][:, d:].mean(axis=1)
        rows.append([width, f"{width / d:.2g}", f"{late.mean():.3g} ± {late.std():.2g}",
                     " / ".join(f"{x:.3f}" for x in late)])
    ols = arrays["error/least_squares"][:, d:].mean()
    rows.append(["least squares", "—", f"{ols:.2g}", ""])
    return {"columns": ["hidden", "hidden / d", f"error / d with ≥ d = {d} examples (mean ± sd)",
                        "per seed"], "rows": rows}


def run(cfg: C.ConfigDict, ctx: E.RunContext):
    lanes = T.seed_lanes(cfg.seeds)
    d = cfg.task.n_dims
    task = linear.LinearRegressionTask.from_config(cfg.task)
    arrays: dict[str, np.ndarray] = {}
    prompts = [problems.eval_prompts(task, cfg.eval.n_prompts, key) for key in lanes.keys(cfg.seed)]
    arrays["error/least_squares"] = np.stack([np.asarray(R.squared_error_per_position(
        R.least_squares(p.xs, p.ys), p.ys, d)) for p in prompts])
    for width in cfg.widths:
        sub = width_config(cfg, width)
        problem = problems.prompt_problem(task, sub.model, sub.train, sub.curriculum)
        state = ctx.train(problem, sub.train, lanes, name=f"width_{width}")
        model = models.build(sub.model, d)
        apply = jax.jit(lambda p, x, y: model.apply({"params": p}, x, y))
        arrays[f"error/width_{width}"] = np.stack([np.asarray(R.squared_error_per_position(
            apply(T.lane_slice(state.params, lane), p.xs, p.ys), p.ys, d))
            for lane, p in enumerate(prompts)])
        ctx.log(f"hidden {width}: error/d after d examples "
                f"{arrays[f'error/width_{width}'][:, d:].mean():.4f}")
    late = {k.split("/")[1]: float(v[:, d:].mean()) for k, v in arrays.items()}
    summary = [f"mean error ÷ d with ≥ d={d} examples ({cfg.model.n_layer}L-{cfg.model.n_head}H):"]
    summary += [f"  {k:<15} {v:.4g}" for k, v in late.items()]
    hidden_over_d = {f"width_{w}": w / d for w in cfg.widths}
    return {"error_after_d": late, "hidden_over_d": hidden_over_d, "summary": summary,
            "tables": {"width": width_table(cfg, arrays)}}, arrays

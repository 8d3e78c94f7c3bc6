"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): the GPT-2's training
(every seed one lane) and each seed's evaluation of it and the baselines on ``eval.n_prompts`` prompts
at once."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost


def regression_baselines(n_prompts: int, n: int, d: int, steps: int) -> cost.Cost:
    """Least squares / Newton / GD at every prefix of ``n_prompts`` prompts: a d × d system per
    prompt and position (``steps`` iterations in all)."""
    return cost.Cost(cost.FLOAT * n_prompts * n * (2 * d * d + n * d),
                     n_prompts * n * (steps + 2) * 2 * d ** 3, 4)


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    d, n, seeds = cfg.task.n_dims, cfg.task.n_points, cfg.seeds
    ev = cfg.eval
    train = cost.gpt2_training(cfg.model, d, batch=cfg.train.batch_size, tokens=2 * n, lanes=seeds,
                               steps=cfg.train.steps)
    steps = sum(ev.newton_steps) + sum(ev.gd_steps)
    evaluation = cost.sequence([cost.random_numbers(ev.n_prompts * n * (d + 1)),
                                cost.gpt2_forward(cfg.model, d, batch=ev.n_prompts, tokens=2 * n),
                                regression_baselines(ev.n_prompts, n, d, steps)])
    return cost.sequence([train, cost.scaled(evaluation, seeds)])

"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): one training stage per
width (every seed one lane), then each seed's evaluation on ``eval.n_prompts`` prompts at once."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.experiments.gd_vs_newton_width.config import width_config


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    d, n, stages = cfg.task.n_dims, cfg.task.n_points, []
    for width in cfg.widths:
        model = width_config(cfg, width).model
        stages.append(cost.gpt2_training(model, d, batch=cfg.train.batch_size, tokens=2 * n,
                                         lanes=cfg.seeds, steps=cfg.train.steps))
        forward = cost.gpt2_forward(model, d, batch=cfg.eval.n_prompts, tokens=2 * n)
        stages.append(cost.scaled(forward, cfg.seeds))
    return cost.sequence([cost.random_numbers(cfg.eval.n_prompts * n * (d + 1) * cfg.seeds), *stages])

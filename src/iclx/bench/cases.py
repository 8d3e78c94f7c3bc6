"""The cases the benchmarks time (``iclx.bench.timing``, ``iclx.bench.processes``): GPT-2 on in-context
linear regression at several sizes, and the Lipschitz experiment's one-layer attention sweep."""

from __future__ import annotations

import dataclasses
from typing import Any

from iclx import config, engine


@dataclasses.dataclass(frozen=True)
class Case:
    """A GPT-2 ICL training configuration to time."""

    name: str
    n_dims: int
    n_points: int
    n_layer: int
    n_head: int
    n_embd: int
    batch_size: int = 64


@dataclasses.dataclass(frozen=True)
class AttentionCase:
    """The one-layer softmax attention of ``lipschitz_threshold`` (GD on Q, population loss over a
    bank of ``batch_size`` feature-count draws per seed), timed as its sweep trains it: lanes are
    sweep points, ``chunk_steps`` steps per dispatch (the bank is drawn once per chunk)."""

    name: str
    n_features: int
    n_points: int
    batch_size: int
    chunk_steps: int


CASES = {
    "smoke": [Case("gpt2-tiny", 3, 5, 1, 1, 16, 8)],
    "cpu": [Case("gpt2-cpu", 5, 11, 4, 2, 64), Case("gpt2-paper", 20, 41, 12, 8, 256),
            AttentionCase("lipschitz-attn", 5, 50, 256, 500)],
    "paper": [Case("gpt2-cpu", 5, 11, 4, 2, 64), Case("gpt2-paper", 20, 41, 12, 8, 256),
              AttentionCase("lipschitz-attn", 10, 100, 4096, 1000)],
}

def case_config(case: Case, dtype: str = "float32") -> config.ConfigDict:
    """A GPT-2-on-linear-regression-prompts config of ``case``'s sizes (no curriculum)."""
    from iclx import models, problems
    from iclx.tasks import linear

    cfg = config.ConfigDict(dict(task=linear.default_config(case.n_dims, case.n_points)))
    cfg.model = models.gpt2.default_config(n_layer=case.n_layer, n_head=case.n_head,
                                           n_embd=case.n_embd, n_positions=2 * case.n_points)
    cfg.model.update(mlp_width=4 * case.n_embd, dtype=dtype)
    cfg.train = problems.training_preset("smoke")
    cfg.train.update(batch_size=case.batch_size, lr=1e-4)
    cfg.curriculum = problems.curriculum_preset("smoke", case.n_dims, case.n_points)
    linear.validate_config(cfg)
    problems.validate_prompt_training(cfg)
    return cfg


def case_problem(case: Case, dtype: str = "float32") -> engine.Problem:
    from iclx import problems
    from iclx.tasks import linear

    cfg = case_config(case, dtype)
    return problems.prompt_problem(linear.LinearRegressionTask.from_config(cfg.task), cfg.model,
                                   cfg.train, cfg.curriculum)


def attention_problem(case: AttentionCase) -> tuple[engine.Problem, Any]:
    """The Lipschitz sweep's problem and ``lanes(n)``: n sweep points (seeds of one L = 1 point)."""
    from iclx.experiments.lipschitz_threshold import config as LT
    from iclx.experiments.lipschitz_threshold.task import HP_KEYS, build_problem

    cfg = LT.get_config("cpu")
    cfg.task.update(n_features=case.n_features, n_dims=case.n_features, n_points=case.n_points)
    cfg.sweep.train.update(batch_size=case.batch_size, chunk_steps=case.chunk_steps,
                           log_every=case.chunk_steps, checkpoint_every=case.chunk_steps)
    LT.validate(cfg)
    point = {"L": 1.0, "alpha": 1.0, "rho": 0.0, "lr": 1.0}
    return build_problem(cfg, cfg.sweep.train), lambda n: engine.point_lanes([point], n, HP_KEYS)

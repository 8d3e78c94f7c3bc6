"""Training problems shared by several experiments: a sequence model trained on prompts of a task.

``prompt_problem`` is "train model M on fresh prompts of task T": at step t a batch of prompts from
stream ("data", t), the model's prediction at every x position, a loss averaged over the
curriculum's active positions. Linear regression (Garg / Fu et al.), the GPT-2 contrast of the
Gaussian-mixture paper and the deep-ReLU-net targets of Wu et al. all use it with their own task.

A task is any object with ``n_dims``, ``n_points`` and
``sample_batch(key, batch_size, d_active) -> prompt`` where the prompt has ``xs [B, n, d]`` and
``ys [B, n]``. A model is built by ``iclx.models.build(model_cfg, n_dims)`` and maps
``(xs [B, n, d], ys [B, n]) -> preds [B, n]``.

The presets of this problem (training schedule and curriculum at smoke / cpu / paper scale) live
here too, so every GPT-2-on-prompts experiment starts from the same measured settings.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from iclx import config, engine, models
from iclx.engine import rng
from iclx.tasks import curriculum as curriculum_lib

LOSSES = ("mse", "logistic")


def pointwise_loss(kind: str, preds: jax.Array, ys: jax.Array) -> jax.Array:
    """Per-position loss ``[B, n]``: squared error, or the logistic loss log(1 + e^{−y·ŷ}) for ±1 labels."""
    if kind == "mse":
        return (preds - ys) ** 2
    return jax.nn.softplus(-ys * preds)


def prompt_problem(task: Any, model_cfg: config.ConfigDict, train_cfg: config.ConfigDict,
                   curriculum_cfg: config.ConfigDict, loss: str = "mse") -> engine.Problem:
    """The problem "train ``model_cfg``'s model on prompts of ``task``" for the engine.

    The loss is ``loss`` (``mse`` | ``logistic``) averaged over the batch and the curriculum's active
    positions; metrics ``loss_per_dim`` (loss ÷ active dimension), ``n_dims`` and ``n_points``.
    """
    model = models.build(model_cfg, task.n_dims)
    curriculum = curriculum_lib.Curriculum.from_config(curriculum_cfg, task.n_dims, task.n_points)
    batch_size, n = train_cfg.batch_size, task.n_points

    def init_params(key: jax.Array, hp: engine.Hparams):
        return model.init(key, jnp.zeros((1, n, task.n_dims)), jnp.zeros((1, n)))["params"]

    def loss_fn(params, key: jax.Array, step: jax.Array, hp: engine.Hparams, fixed: None):
        d_active, n_active = curriculum.active(step)
        prompt = engine.constrain_batch(task.sample_batch(key, batch_size, d_active))
        preds = model.apply({"params": params}, prompt.xs, prompt.ys)
        in_prompt = jnp.arange(n) < n_active
        value = jnp.sum(pointwise_loss(loss, preds, prompt.ys) * in_prompt) / (batch_size * n_active)
        return value, {"loss_per_dim": value / d_active, "n_dims": d_active, "n_points": n_active}

    return engine.Problem(init_params, loss_fn, engine.optimizer_from_config(train_cfg), splits_batch=True)


def eval_prompts(task: Any, n_prompts: int, seed_key: jax.Array, name: str = "eval"):
    """One seed's evaluation prompts (stream ``name``: never seen in training)."""
    return task.sample_batch(rng.stream(seed_key, name), n_prompts)


# --------------------------------------------------------------------------- presets


def training_preset(preset: str, *, steps: int | None = None) -> config.ConfigDict:
    """The ``train`` group of the GPT-2-on-prompts presets: ``smoke`` a few Adam steps; ``cpu`` Adam
    2e-3 with 200 warm-up steps and cosine decay, 8000 steps; ``paper`` Garg et al.'s Adam 1e-4,
    500k steps. ``steps`` overrides the preset's number of steps."""
    if preset == "smoke":
        train = engine.train_config(steps=40, batch_size=16, lr=1e-3, chunk_steps=20, log_every=10)
    elif preset == "paper":
        train = engine.train_config(steps=500_000, batch_size=64, lr=1e-4, chunk_steps=1000,
                                    log_every=100, checkpoint_every=10_000)
    else:
        # Adam 2e-3 with warm-up and cosine decay: the best of lr ∈ {5e-4, 1e-3, 2e-3, 3e-3, 5e-3} ×
        # {constant, cosine} in a sweep at 8000 steps on linear regression (5e-3 stays at the
        # trivial predictor)
        train = engine.train_config(steps=8000, batch_size=64, lr=2e-3, chunk_steps=250,
                                    log_every=50, checkpoint_every=1000)
        train.update(schedule="cosine", warmup_steps=200)
    if steps is not None:
        train.steps = steps
    return train


def curriculum_preset(preset: str, d: int, n: int, *, interval: int = 400) -> config.ConfigDict:
    """The curriculum of the presets: none for ``smoke``; dims 2→d and points 5→n, one step every
    ``interval`` training steps for ``cpu``; Garg et al.'s 5→d / 11→n every 2000 steps for ``paper``."""
    if preset == "smoke":
        return curriculum_lib.default_config(d, n, enabled=False)
    curriculum = curriculum_lib.default_config(d, n, enabled=True)
    if preset == "paper":
        curriculum.update(dims_start=min(5, d), points_start=min(11, n), interval=2000)
    else:
        curriculum.update(dims_start=min(2, d), points_start=min(5, n), interval=interval)
    return curriculum


def validate_prompt_training(cfg: config.ConfigDict) -> None:
    """The ``model``, ``train`` and ``curriculum`` groups of a prompt-training config (needs
    ``task.n_dims`` and ``task.n_points``)."""
    curriculum_lib.validate_config(cfg, cfg.task.n_dims, cfg.task.n_points)
    models.validate_name(cfg)
    models.MODELS[cfg.model.name][1](cfg, cfg.task.n_points)
    engine.validate_train_config(cfg)

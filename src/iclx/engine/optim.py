"""The ``train`` config group every experiment shares, and the optax optimiser it describes."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import optax

from iclx import config
from iclx.engine.problem import Hparams

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


def optimizer_from_config(train: config.ConfigDict) -> Callable[[Hparams], optax.GradientTransformation]:
    """Adam / AdamW / SGD with optional warm-up, cosine decay and clipping; a lane's ``hp["lr"]``
    (a traced scalar under vmap) overrides ``train.lr``."""

    if train.schedule == "cosine":
        shape = optax.warmup_cosine_decay_schedule(0.0, 1.0, max(train.warmup_steps, 1),
                                                   max(train.steps, train.warmup_steps + 1))
    elif train.warmup_steps > 0:
        shape = lambda count: jnp.minimum(1.0, (count + 1) / train.warmup_steps)
    else:
        shape = None

    def build(hp: Hparams) -> optax.GradientTransformation:
        # the schedule's shape has peak 1 and is scaled by the rate, which may be a traced lane value
        lr = hp.get("lr", train.lr)
        schedule = lr if shape is None else (lambda count: lr * shape(count))
        if train.optimizer == "adam":
            tx = optax.adam(schedule)
        elif train.optimizer == "adamw":
            tx = optax.adamw(schedule, weight_decay=train.weight_decay)
        else:
            tx = optax.sgd(schedule, momentum=train.momentum or None)
        if train.grad_clip > 0:
            tx = optax.chain(optax.clip_by_global_norm(train.grad_clip), tx)
        return tx

    return build


def train_config(*, steps: int, batch_size: int, lr: float, chunk_steps: int,
                 log_every: int | None = None, checkpoint_every: int | None = None) -> config.ConfigDict:
    """The ``train`` group shared by every experiment."""
    return config.ConfigDict(dict(
        steps=steps, batch_size=batch_size, optimizer="adam", lr=lr, schedule="constant",
        warmup_steps=0, weight_decay=0.0, momentum=0.0, grad_clip=0.0, chunk_steps=chunk_steps,
        log_every=log_every or chunk_steps, checkpoint_every=checkpoint_every or chunk_steps))


def validate_train_config(cfg: config.ConfigDict, prefix: str = "train") -> None:
    """Every field of the ``train`` group at ``prefix``; raises ``config.ConfigError``."""
    steps = config.positive_int(cfg, f"{prefix}.steps")
    config.positive_int(cfg, f"{prefix}.batch_size")
    config.one_of(cfg, f"{prefix}.optimizer", OPTIMIZERS)
    config.one_of(cfg, f"{prefix}.schedule", SCHEDULES)
    config.finite_float(cfg, f"{prefix}.lr", positive=True)
    config.nonnegative_int(cfg, f"{prefix}.warmup_steps")
    config.finite_float(cfg, f"{prefix}.weight_decay", low=0.0)
    config.finite_float(cfg, f"{prefix}.momentum", low=0.0)
    config.finite_float(cfg, f"{prefix}.grad_clip", low=0.0)
    chunk = config.positive_int(cfg, f"{prefix}.chunk_steps")
    log_every = config.positive_int(cfg, f"{prefix}.log_every")
    ckpt = config.positive_int(cfg, f"{prefix}.checkpoint_every")
    config.require(chunk % log_every == 0, f"{prefix}.log_every",
                   f"{log_every} must divide {prefix}.chunk_steps={chunk}")
    config.require(ckpt % chunk == 0 or ckpt >= steps, f"{prefix}.checkpoint_every",
                   f"{ckpt} must be a multiple of {prefix}.chunk_steps={chunk}")

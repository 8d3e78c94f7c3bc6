"""A small problem of the engine tests' own: a 2-layer tanh network regressing a fixed random
teacher on fresh Gaussian inputs each step (stream "data"), trained with the config's optimiser.
Independent of every experiment, and cheap to compile."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from iclx import config, engine

DIM, HIDDEN, BATCH = 6, 16, 32


def teacher(x: jax.Array) -> jax.Array:
    """The target ``[B]`` of inputs ``x [B, DIM]``: a fixed smooth function."""
    return jnp.sin(x @ jnp.linspace(-1.0, 1.0, DIM)) + 0.5 * x[:, 0]


def predict(params, x: jax.Array) -> jax.Array:
    return jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]


def init_params(key: jax.Array, hp: engine.Hparams):
    k1, k2 = jax.random.split(key)
    return {"w1": jax.random.normal(k1, (DIM, HIDDEN)) / jnp.sqrt(DIM), "b1": jnp.zeros(HIDDEN),
            "w2": jax.random.normal(k2, (HIDDEN,)) / jnp.sqrt(HIDDEN)}


def loss(params, key: jax.Array, step: jax.Array, hp: engine.Hparams, fixed):
    x = jax.random.normal(key, (BATCH, DIM))
    value = jnp.mean((predict(params, x) - teacher(x)) ** 2)
    return value, {"step_seen": step.astype(jnp.float32)}


def train_config(**changes) -> config.ConfigDict:
    cfg = engine.train_config(steps=60, batch_size=BATCH, lr=1e-2, chunk_steps=20, log_every=10,
                              checkpoint_every=20)
    cfg.update(changes)
    return cfg


def problem(train_cfg: config.ConfigDict | None = None) -> engine.Problem:
    return engine.Problem(init_params, loss, engine.optimizer_from_config(train_cfg or train_config()))


def test_error(params, n: int = 1024) -> jax.Array:
    """Mean squared error on ``n`` held-out inputs (a key no training step uses)."""
    x = jax.random.normal(jax.random.key(12345), (n, DIM))
    return jnp.mean((predict(params, x) - teacher(x)) ** 2)

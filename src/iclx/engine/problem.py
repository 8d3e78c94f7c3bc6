"""What the engine trains: a ``Problem`` of pure functions, and a whole run as one pure function.

A ``Problem`` is ``init_params(key, hp)``, ``loss(params, data_key, step, hp, fixed)``,
``optimizer(hp)`` and optionally ``prepare(key, hp)``; ``hp`` holds a lane's hyper-parameters (e.g.
a learning rate or a Lipschitz constant of a sweep) as scalars, and ``fixed`` is what ``prepare``
draws once per seed (a fixed bank of prompts that estimates a population loss), or None.

Every random number of step t comes from ``rng.stream(seed_key, "data", t)``, the initial parameters
from ``rng.stream(seed_key, "init")`` and the fixed data from ``rng.stream(seed_key, "fixed")``, so a
resumed run repeats an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from iclx.engine import rng

Params = Any
Hparams = Mapping[str, jax.Array]
LossFn = Callable[[Params, jax.Array, jax.Array, Hparams, Any], tuple[jax.Array, dict[str, jax.Array]]]


@dataclasses.dataclass(frozen=True)
class Problem:
    """What to train: pure functions of parameters, keys, the step and a lane's hyper-parameters."""

    init_params: Callable[[jax.Array, Hparams], Params]
    loss: LossFn
    optimizer: Callable[[Hparams], optax.GradientTransformation]
    prepare: Callable[[jax.Array, Hparams], Any] | None = None
    splits_batch: bool = False   # its loss calls placement.constrain_batch on the batch it draws

    def fixed_data(self, seed_key: jax.Array, hp: Hparams) -> Any:
        """The per-seed data that ``prepare`` draws (stream "fixed"), or None."""
        return None if self.prepare is None else self.prepare(rng.stream(seed_key, "fixed"), hp)


class TrainState(NamedTuple):
    step: jax.Array          # int32 number of updates done
    params: Params
    opt_state: Any


def initial_params(problem: Problem, seed_key: jax.Array, hp: Hparams | None = None) -> Params:
    """A seed's parameters before training, from stream "init" of its key: the training's own
    initialisation (an untrained model of the same seed, the control of probe figures)."""
    return problem.init_params(rng.stream(seed_key, "init"), {} if hp is None else hp)


def make_init(problem: Problem) -> Callable[[jax.Array, Hparams], TrainState]:
    """``init(seed_key, hp) -> TrainState`` at step 0 (``initial_params``)."""

    def init(seed_key: jax.Array, hp: Hparams) -> TrainState:
        params = initial_params(problem, seed_key, hp)
        return TrainState(jnp.zeros((), jnp.int32), params, problem.optimizer(hp).init(params))

    return init


def make_step(problem: Problem):
    """``step(state, seed_key, hp, fixed) -> (state, metrics)``: one optimiser update on fresh data."""
    grad_fn = jax.value_and_grad(problem.loss, has_aux=True)

    def step(state: TrainState, seed_key: jax.Array, hp: Hparams, fixed: Any):
        data_key = rng.stream(seed_key, "data", state.step)
        (loss, aux), grads = grad_fn(state.params, data_key, state.step, hp, fixed)
        updates, opt_state = problem.optimizer(hp).update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {"loss": loss, "grad_norm": optax.global_norm(grads), **aux}
        return TrainState(state.step + 1, params, opt_state), metrics

    return step


def make_chunk(problem: Problem, length: int):
    """``chunk(state, seed_key, hp) -> (state, metrics [length])``: ``length`` steps in a ``lax.scan``."""
    step = make_step(problem)

    def chunk(state: TrainState, seed_key: jax.Array, hp: Hparams):
        fixed = problem.fixed_data(seed_key, hp)   # once per chunk, outside the scan
        return jax.lax.scan(lambda s, _: step(s, seed_key, hp, fixed), state, None, length=length)

    return chunk


def make_train(problem: Problem, steps: int):
    """``train(seed_key, hp=None) -> (final TrainState, metrics [steps])``: a whole run, pure."""
    init, chunk = make_init(problem), make_chunk(problem, steps)

    def train(seed_key: jax.Array, hp: Hparams | None = None):
        hp = {} if hp is None else hp
        return chunk(init(seed_key, hp), seed_key, hp)

    return train

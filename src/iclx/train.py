"""The one training engine.

A ``Problem`` is pure functions: ``init_params(key, hp)``, ``loss(params, data_key, step, hp, fixed)``,
``optimizer(hp)`` and optionally ``prepare(key, hp)``; ``hp`` holds a lane's hyper-parameters (e.g. a
learning rate or a Lipschitz constant of a sweep), as scalars, and ``fixed`` is what ``prepare`` draws
once per seed (a fixed bank of prompts that estimates a population loss), or None. From it:

- ``make_train(problem, steps)`` → ``train(seed_key, hp)``: a whole run as one pure function
  (``lax.scan`` over steps), so ``jit(vmap(train))(keys, hps)`` trains seeds and sweep points together;
- ``run_training(...)``: the same step function driven chunk by chunk (``jit(vmap(chunk))``), with a
  progress bar, metrics as JSON lines, orbax checkpoints at chunk ends, resume, and a stop on NaN.

Every random number of step t comes from ``rng.stream(seed_key, "data", t)``, the initial parameters
from ``rng.stream(seed_key, "init")`` and the fixed data from ``rng.stream(seed_key, "fixed")``, so a
resumed run repeats an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from iclx import config as C
from iclx import rng, xla_analysis
from iclx.sharding import LaneLayout, is_main_process

Params = Any
Hparams = Mapping[str, jax.Array]
LossFn = Callable[[Params, jax.Array, jax.Array, Hparams, Any], tuple[jax.Array, dict[str, jax.Array]]]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``step`` is the first bad step (1-based count of updates)."""

    def __init__(self, step: int, lane: int, label: Mapping[str, Any], checkpoint_step: int | None):
        self.step, self.lane = step, lane
        kept = (f"kept the last good checkpoint (step {checkpoint_step})" if checkpoint_step
                else "no checkpoint was written")
        super().__init__(f"training diverged: the loss is not finite at step {step} "
                         f"(lane {lane}: {dict(label)}); {kept}")


@dataclasses.dataclass(frozen=True)
class Problem:
    """What to train: pure functions of parameters, keys, the step and a lane's hyper-parameters."""

    init_params: Callable[[jax.Array, Hparams], Params]
    loss: LossFn
    optimizer: Callable[[Hparams], optax.GradientTransformation]
    prepare: Callable[[jax.Array, Hparams], Any] | None = None

    def fixed_data(self, seed_key: jax.Array, hp: Hparams) -> Any:
        """The per-seed data that ``prepare`` draws (stream "fixed"), or None."""
        return None if self.prepare is None else self.prepare(rng.stream(seed_key, "fixed"), hp)


class TrainState(NamedTuple):
    step: jax.Array          # int32 number of updates done
    params: Params
    opt_state: Any


# --------------------------------------------------------------------------- pure functions


def make_init(problem: Problem) -> Callable[[jax.Array, Hparams], TrainState]:
    def init(seed_key: jax.Array, hp: Hparams) -> TrainState:
        params = problem.init_params(rng.stream(seed_key, "init"), hp)
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


# --------------------------------------------------------------------------- optimiser


def optimizer_from_config(train: C.ConfigDict) -> Callable[[Hparams], optax.GradientTransformation]:
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


OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


def default_config(*, steps: int, batch_size: int, lr: float, chunk_steps: int,
                   log_every: int | None = None, checkpoint_every: int | None = None) -> C.ConfigDict:
    """The ``train`` group shared by every experiment."""
    return C.ConfigDict(dict(
        steps=steps, batch_size=batch_size, optimizer="adam", lr=lr, schedule="constant",
        warmup_steps=0, weight_decay=0.0, momentum=0.0, grad_clip=0.0, chunk_steps=chunk_steps,
        log_every=log_every or chunk_steps, checkpoint_every=checkpoint_every or chunk_steps))


def validate_config(cfg: C.ConfigDict, prefix: str = "train") -> None:
    steps = C.positive_int(cfg, f"{prefix}.steps")
    C.positive_int(cfg, f"{prefix}.batch_size")
    C.one_of(cfg, f"{prefix}.optimizer", OPTIMIZERS)
    C.one_of(cfg, f"{prefix}.schedule", SCHEDULES)
    C.finite_float(cfg, f"{prefix}.lr", positive=True)
    C.nonnegative_int(cfg, f"{prefix}.warmup_steps")
    C.finite_float(cfg, f"{prefix}.weight_decay", low=0.0)
    C.finite_float(cfg, f"{prefix}.momentum", low=0.0)
    C.finite_float(cfg, f"{prefix}.grad_clip", low=0.0)
    chunk = C.positive_int(cfg, f"{prefix}.chunk_steps")
    log_every = C.positive_int(cfg, f"{prefix}.log_every")
    ckpt = C.positive_int(cfg, f"{prefix}.checkpoint_every")
    C.require(chunk % log_every == 0, f"{prefix}.log_every",
              f"{log_every} must divide {prefix}.chunk_steps={chunk}")
    C.require(ckpt % chunk == 0 or ckpt >= steps, f"{prefix}.checkpoint_every",
              f"{ckpt} must be a multiple of {prefix}.chunk_steps={chunk}")


# --------------------------------------------------------------------------- lanes


@dataclasses.dataclass(frozen=True)
class Lanes:
    """The runs trained together in one program: lane i uses replicate ``seed_indices[i]`` and the
    hyper-parameters ``hparams[name][i]``; ``labels[i]`` describes it in metrics and results."""

    seed_indices: np.ndarray
    hparams: dict[str, np.ndarray]
    labels: tuple[dict[str, Any], ...]

    def __len__(self) -> int:
        return len(self.seed_indices)

    def keys(self, seed: int) -> jax.Array:
        return rng.seed_keys(seed, self.seed_indices)

    def device_hparams(self) -> dict[str, jax.Array]:
        return {name: jnp.asarray(values, jnp.float32) for name, values in self.hparams.items()}


def seed_lanes(n_seeds: int) -> Lanes:
    return sweep_lanes(n_seeds)


def sweep_lanes(n_seeds: int, **axes: Sequence[float]) -> Lanes:
    """Every combination of the sweep ``axes`` (outer) and ``n_seeds`` replicates (inner)."""
    names = list(axes)
    points = [{name: float(value) for name, value in zip(names, combo)}
              for combo in itertools.product(*(list(axes[name]) for name in names))]
    return point_lanes(points, n_seeds, names)


def point_lanes(points: Sequence[Mapping[str, Any]], n_seeds: int,
                hparam_keys: Sequence[str]) -> Lanes:
    """Lanes for explicit sweep points (e.g. a step size that is a function of L, not a product of
    axes), each with ``n_seeds`` replicates (inner). The ``hparam_keys`` fields of a point become the
    lane's hyper-parameters; every field labels it."""
    labels = tuple({**point, "seed": seed} for point in points for seed in range(n_seeds))
    return Lanes(seed_indices=np.array([label["seed"] for label in labels], dtype=np.uint32),
                 hparams={key: np.array([float(label[key]) for label in labels], dtype=np.float32)
                          for key in hparam_keys},
                 labels=labels)


# --------------------------------------------------------------------------- the runner


@dataclasses.dataclass
class RunStats:
    start_step: int
    end_step: int
    wall_s: float
    first_chunk_s: float    # includes compilation
    steps_per_s: float      # after the first chunk
    analysis: dict[str, Any] | None = None   # compiled_analysis of the chunk (run_training(analyze=True))

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if out["analysis"] is None:
            del out["analysis"]
        return out


ANALYZE = False   # the default of run_training(analyze=None); the dry run (python -m iclx.experiments dry-run) sets it


def _log_records(metrics: dict[str, np.ndarray], start: int, log_every: int,
                 wall_s: float) -> list[dict[str, Any]]:
    """Per-lane means over each ``log_every`` window of a chunk's metrics ``{name: [L, T]}``."""
    length = next(iter(metrics.values())).shape[1]
    records = []
    for lo in range(0, length, log_every):
        hi = min(lo + log_every, length)
        record: dict[str, Any] = {"step": start + hi, "wall_s": round(wall_s, 3)}
        for name, values in metrics.items():
            record[name] = [float(v) for v in values[:, lo:hi].mean(axis=1)]
        records.append(record)
    return records


def _first_bad(loss: np.ndarray) -> tuple[int, int] | None:
    """(lane, step offset) of the first non-finite loss in ``[L, T]``, or None."""
    bad = ~np.isfinite(loss)
    if not bad.any():
        return None
    offset = int(np.argmax(bad.any(axis=0)))
    return int(np.argmax(bad[:, offset])), offset


def run_training(problem: Problem, train_cfg: C.ConfigDict, lanes: Lanes, seed: int, *,
                 workdir: Path | None = None, name: str = "model", progress: bool = True,
                 stop_after_chunks: int | None = None,
                 layout: LaneLayout | None = None,
                 analyze: bool | None = None) -> tuple[TrainState, RunStats]:
    """Train every lane for ``train_cfg.steps`` steps; returns the stacked final state ``[L, ...]``.

    Lanes are spread over all devices (``iclx.sharding``); across processes, the returned state is
    gathered so that every process holds every lane. With ``workdir``, metrics go to
    ``metrics.jsonl`` (``metrics-<name>.jsonl`` for other names) and checkpoints to ``ckpt/``
    (``ckpt-<name>/``); an existing checkpoint is resumed. ``stop_after_chunks`` stops early (tests use
    it to simulate an interruption). ``analyze`` (default ``ANALYZE``) records XLA's memory and cost
    analysis of the first chunk's program in ``RunStats.analysis`` (``compiled_analysis``).
    """
    from iclx import results  # local: keeps the engine importable without orbax for pure use

    layout = layout or LaneLayout.for_lanes(len(lanes))
    writer = workdir is not None and is_main_process()
    key_data = layout.put(jax.random.key_data(lanes.keys(seed)))
    hps = layout.put(lanes.device_hparams())
    # every output lane-sharded: else XLA may replicate the lane-independent leaves of the initial
    # state (zeros of Adam, the step) and the chunk program compiles twice (replicated, then sharded)
    placed = {} if layout.sharding is None else {"out_shardings": layout.sharding}
    init = jax.jit(jax.vmap(lambda kd, hp: make_init(problem)(jax.random.wrap_key_data(kd), hp)),
                   **placed)
    total, chunk_steps = train_cfg.steps, train_cfg.chunk_steps
    if writer:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    ckpt = results.Checkpoints(workdir, name) if workdir is not None else None
    metrics_path = results.metrics_path(workdir, name) if writer else None

    state = init(key_data, hps)
    start = 0
    if ckpt is not None and ckpt.latest_step() is not None:
        start = ckpt.latest_step()
        state = layout.put(ckpt.restore(start, layout.gather(state)))
    if metrics_path is not None:
        results.truncate_jsonl(metrics_path, max_step=start)

    chunks: dict[int, Callable] = {}
    analysis: dict[str, Any] | None = None
    bar = _progress_bar(total, start, name, progress and is_main_process())
    t0 = time.perf_counter()
    first_chunk_s, steady_steps, steady_s = 0.0, 0, 0.0
    step, last_saved, done_chunks = start, (start or None), 0
    try:
        while step < total:
            length = min(chunk_steps, total - step)
            if length not in chunks:
                chunk = make_chunk(problem, length)
                chunks[length] = jax.jit(jax.vmap(
                    lambda st, kd, hp, chunk=chunk: chunk(st, jax.random.wrap_key_data(kd), hp)),
                    donate_argnums=0, **placed)
                if (ANALYZE if analyze is None else analyze) and analysis is None:
                    chunks[length] = chunks[length].lower(state, key_data, hps).compile()
                    prepare = xla_analysis.prepare_cost(problem, key_data, hps)
                    analysis = xla_analysis.compiled_analysis(chunks[length], length,
                                                              layout.n_padded, prepare)
            tc = time.perf_counter()
            new_state, metrics = chunks[length](state, key_data, hps)
            metrics = {k: np.asarray(v, dtype=np.float64) for k, v in layout.to_host(metrics).items()}
            elapsed = time.perf_counter() - tc
            bad = _first_bad(metrics["loss"])
            if bad is not None:
                lane, offset = bad
                raise TrainingDiverged(step + offset + 1, lane, lanes.labels[lane], last_saved)
            state, step = new_state, step + length
            if done_chunks == 0:
                first_chunk_s = elapsed
            else:
                steady_steps, steady_s = steady_steps + length, steady_s + elapsed
            done_chunks += 1
            if metrics_path is not None:
                results.append_jsonl(metrics_path, _log_records(
                    metrics, step - length, train_cfg.log_every, time.perf_counter() - t0))
            if ckpt is not None and (step % train_cfg.checkpoint_every == 0 or step == total):
                ckpt.save(step, layout.gather(state))   # across processes: process 0 writes
                last_saved = step
            bar.update(length)
            bar.set_postfix(loss=f"{float(np.mean(metrics['loss'][:, -1])):.4g}")
            if stop_after_chunks is not None and done_chunks >= stop_after_chunks:
                break
    finally:
        bar.close()
        if ckpt is not None:
            ckpt.close()
    wall = time.perf_counter() - t0
    rate = steady_steps / steady_s if steady_s > 0 else (
        (step - start) / first_chunk_s if first_chunk_s > 0 else math.nan)
    final = layout.gather(state)
    if jax.process_count() > 1:   # every process evaluates every lane on its own device
        final = jax.device_put(final, jax.local_devices()[0])
    return final, RunStats(start, step, wall, first_chunk_s, rate, analysis)


def _progress_bar(total: int, start: int, name: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=start, desc=f"train {name}", unit="step", disable=not enabled,
                dynamic_ncols=True, mininterval=1.0, smoothing=0.1)


def lane_slice(tree, lane: int):
    """Lane ``lane`` of a stacked pytree."""
    return jax.tree.map(lambda x: x[lane], tree)

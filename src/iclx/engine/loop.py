"""The one training loop: a ``Problem``'s steps driven chunk by chunk over every lane.

``run_training`` compiles ``jit(vmap(chunk))`` (``chunk_steps`` steps in one ``lax.scan``), runs it
until ``train.steps`` steps are done, and returns a ``Trained``: the stacked final state, the metrics
it logged and its timings. With a run folder it also appends the metrics to ``metrics[-<stage>].jsonl``
after each chunk, saves orbax checkpoints at chunk ends, resumes from the latest one, shows a progress
bar, and stops with ``TrainingDiverged`` at the first non-finite loss (keeping the last good
checkpoint). Every random number is a named stream of the seed key and the step, so a resumed run
repeats an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np

from iclx import config
from iclx.engine import results, runlock, xla_cost
from iclx.engine.checkpoints import Checkpoints
from iclx.engine.cluster import is_main_process
from iclx.engine.lanes import Lanes
from iclx.engine.placement import LaneLayout
from iclx.engine.problem import Problem, TrainState, make_chunk, make_init


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``step`` is the first bad step (1-based count of updates)."""

    def __init__(self, step: int, lane: int, label: Mapping[str, Any], checkpoint_step: int | None):
        self.step, self.lane = step, lane
        kept = (f"kept the last good checkpoint (step {checkpoint_step})" if checkpoint_step
                else "no checkpoint was written")
        super().__init__(f"training diverged: the loss is not finite at step {step} "
                         f"(lane {lane}: {dict(label)}); {kept}")


@dataclasses.dataclass
class RunStats:
    start_step: int
    end_step: int
    wall_s: float
    first_chunk_s: float    # includes compilation
    steps_per_s: float      # after the first chunk
    analysis: dict[str, Any] | None = None   # xla_cost.compiled_analysis of the chunk (analyze=True)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if out["analysis"] is None:
            del out["analysis"]
        return out


@dataclasses.dataclass(frozen=True)
class Trained:
    """One training stage: the stacked final ``state`` ``[L, ...]``, the ``metrics`` it logged
    (``step [T]``, ``wall_s [T]`` and each metric ``[T, L]``, from step 0 even after a resume) and
    its ``stats``."""

    state: TrainState
    metrics: dict[str, np.ndarray]
    stats: RunStats

    @property
    def params(self) -> Any:
        return self.state.params


# --------------------------------------------------------------------------- metrics


def log_records(metrics: Mapping[str, np.ndarray], start: int, log_every: int,
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


class MetricsLog:
    """The records of one stage, in memory and (with ``path``, on process 0) in its JSON-lines file.
    Opened at ``start`` > 0 (a resume), it reads back the records up to ``start`` from the file and
    drops the ones after it, which the resumed run logs again."""

    def __init__(self, path: Path | None, start: int, write: bool):
        self.path, self.write = path, write and path is not None
        if self.write:
            results.truncate_jsonl(path, max_step=start)
        self.records = ([r for r in results.read_jsonl(path) if r.get("step", 0) <= start]
                        if path is not None and start > 0 else [])

    def extend(self, records: list[dict[str, Any]]) -> None:
        self.records.extend(records)
        if self.write:
            results.append_jsonl(self.path, records)

    def arrays(self) -> dict[str, np.ndarray]:
        return results.records_to_arrays(self.records)


def first_bad(loss: np.ndarray) -> tuple[int, int] | None:
    """(lane, step offset) of the first non-finite loss in ``[L, T]``, or None."""
    bad = ~np.isfinite(loss)
    if not bad.any():
        return None
    offset = int(np.argmax(bad.any(axis=0)))
    return int(np.argmax(bad[:, offset])), offset


# --------------------------------------------------------------------------- programs


class ChunkPrograms:
    """The jitted ``vmap(init)`` and one ``jit(vmap(chunk))`` per chunk length, every output placed
    lane-sharded (else XLA may replicate the lane-independent leaves of the initial state, Adam's
    zeros and the step, and compile the chunk twice). With ``analyze``, the first chunk program is
    compiled ahead of time and its XLA memory and cost analysis kept in ``analysis``."""

    def __init__(self, problem: Problem, layout: LaneLayout, analyze: bool):
        self.problem, self.layout, self.analyze = problem, layout, analyze
        self.placed = {} if layout.sharding is None else {"out_shardings": layout.sharding}
        self.init = jax.jit(layout.vmap(
            lambda kd, hp: make_init(problem)(jax.random.wrap_key_data(kd), hp)), **self.placed)
        self.analysis: dict[str, Any] | None = None
        self._chunks: dict[int, Callable] = {}

    def chunk(self, length: int, state: TrainState, key_data: jax.Array, hps: Any) -> Callable:
        if length not in self._chunks:
            body = make_chunk(self.problem, length)
            program = jax.jit(self.layout.vmap(
                lambda st, kd, hp: body(st, jax.random.wrap_key_data(kd), hp)),
                donate_argnums=0, **self.placed)
            if self.analyze and self.analysis is None:
                program = program.lower(state, key_data, hps).compile()
                prepare = xla_cost.prepare_cost(self.problem, key_data, hps)
                self.analysis = xla_cost.compiled_analysis(program, length, self.layout.n_padded,
                                                           prepare)
            self._chunks[length] = program
        return self._chunks[length]


@dataclasses.dataclass
class _Timing:
    """Wall time of the first chunk (with compilation) and of the steady ones after it."""

    first_chunk_s: float = 0.0
    steady_steps: int = 0
    steady_s: float = 0.0
    chunks: int = 0

    def add(self, length: int, seconds: float) -> None:
        if self.chunks == 0:
            self.first_chunk_s = seconds
        else:
            self.steady_steps, self.steady_s = self.steady_steps + length, self.steady_s + seconds
        self.chunks += 1

    def steps_per_s(self, steps_done: int) -> float:
        if self.steady_s > 0:
            return self.steady_steps / self.steady_s
        return steps_done / self.first_chunk_s if self.first_chunk_s > 0 else math.nan


# --------------------------------------------------------------------------- the loop


def _resume(state: TrainState, ckpt: Checkpoints | None, layout: LaneLayout) -> tuple[TrainState, int]:
    """The latest checkpoint's state and step, or ``(state, 0)`` without one."""
    if ckpt is None or ckpt.latest_step() is None:
        return state, 0
    start = ckpt.latest_step()
    return layout.put(ckpt.restore(start, layout.gather(state))), start


def run_training(problem: Problem, train_cfg: config.ConfigDict, lanes: Lanes, seed: int, *,
                 workdir: Path | None = None, name: str = results.MAIN_STAGE, progress: bool = True,
                 stop_after_chunks: int | None = None, layout: LaneLayout | None = None,
                 analyze: bool = False) -> Trained:
    """Train every lane for ``train_cfg.steps`` steps (see the module doc); returns ``Trained``.

    Lanes are spread over all devices (``placement``); across processes, the returned state and
    metrics are gathered so that every process holds every lane. With ``workdir``, metrics go to
    ``metrics.jsonl`` (``metrics-<name>.jsonl`` for other names) and checkpoints to ``ckpt/``
    (``ckpt-<name>/``). ``stop_after_chunks`` stops early (tests use it to simulate an
    interruption). ``analyze`` records XLA's memory and cost analysis of the chunk program in
    ``RunStats.analysis``. The writing process holds the run folder's lock (``runlock``) meanwhile.
    """
    layout = layout or LaneLayout.for_lanes(
        len(lanes), batch_size=train_cfg.batch_size if problem.splits_batch else None)
    # the programs are traced at their first call, inside the batch context
    with runlock.writer_lock(workdir), layout.batch_context():
        return _train(problem, train_cfg, lanes, seed, layout, workdir, name, progress,
                      stop_after_chunks, analyze)


def _train(problem: Problem, train_cfg: config.ConfigDict, lanes: Lanes, seed: int, layout: LaneLayout,
           workdir: Path | None, name: str, progress: bool, stop_after_chunks: int | None,
           analyze: bool) -> Trained:
    """``run_training``'s body, on a chosen ``layout``."""
    writer = workdir is not None and is_main_process()
    if writer:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    programs = ChunkPrograms(problem, layout, analyze)
    key_data = layout.put(jax.random.key_data(lanes.keys(seed)))
    hps = layout.put(lanes.device_hparams())
    ckpt = Checkpoints(workdir, name) if workdir is not None else None
    state, start = _resume(programs.init(key_data, hps), ckpt, layout)
    log = MetricsLog(results.metrics_path(workdir, name) if workdir is not None else None, start,
                     write=writer)
    bar = _progress_bar(train_cfg.steps, start, name, progress and is_main_process())
    t0, timing = time.perf_counter(), _Timing()
    step, last_saved = start, (start or None)
    try:
        while step < train_cfg.steps:
            length = min(train_cfg.chunk_steps, train_cfg.steps - step)
            program = programs.chunk(length, state, key_data, hps)
            tc = time.perf_counter()
            new_state, metrics = program(state, key_data, hps)
            metrics = {k: np.asarray(v, dtype=np.float64) for k, v in layout.to_host(metrics).items()}
            timing.add(length, time.perf_counter() - tc)
            bad = first_bad(metrics["loss"])
            if bad is not None:
                raise TrainingDiverged(step + bad[1] + 1, bad[0], lanes.labels[bad[0]], last_saved)
            state, step = new_state, step + length
            log.extend(log_records(metrics, step - length, train_cfg.log_every,
                                   time.perf_counter() - t0))
            if ckpt is not None and (step % train_cfg.checkpoint_every == 0 or step == train_cfg.steps):
                ckpt.save(step, layout.gather(state))   # across processes: process 0 writes
                last_saved = step
            bar.update(length)
            bar.set_postfix(loss=f"{float(np.mean(metrics['loss'][:, -1])):.4g}")
            if stop_after_chunks is not None and timing.chunks >= stop_after_chunks:
                break
    finally:
        bar.close()
        if ckpt is not None:
            ckpt.close()
    stats = RunStats(start, step, time.perf_counter() - t0, timing.first_chunk_s,
                     timing.steps_per_s(step - start), programs.analysis)
    return Trained(_final_state(state, layout), log.arrays(), stats)


def _final_state(state: TrainState, layout: LaneLayout) -> TrainState:
    final = layout.gather(state)
    if jax.process_count() > 1:   # every process evaluates every lane on its own device
        final = jax.device_put(final, jax.local_devices()[0])
    return final


def _progress_bar(total: int, start: int, name: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=start, desc=f"train {name}", unit="step", disable=not enabled,
                dynamic_ncols=True, mininterval=1.0, smoothing=0.1)

"""Lanes spread over every device.

The lane axis is the leading axis of every per-lane array. With one device nothing changes. With
several (GPUs, or the CPU devices ``iclx.host`` makes, one per core) the lanes use at most one device
each (one lane stays on one device: padding it would only add work) and are
padded to a multiple of the devices used (copies of lane 0, dropped again before anything is written)
and placed with a ``NamedSharding`` over a one-axis ``Mesh("lanes")``; ``jit`` then runs each device's
lanes where they live — lanes never communicate. Across processes (``iclx.engine.cluster``) the mesh
spans every process's devices, each process feeds only its own shards, and metrics are gathered to
every process after each chunk.

**Lanes that would be padded: the batch split.** A problem whose loss calls ``constrain_batch`` on
the batch it draws (``Problem.splits_batch``), with fewer lanes than devices or a lane count the
devices do not divide (1 or 3 lanes on 2 CPU cores), gets a second mesh axis, ``"batch"``, instead of
padding: each lane's batch is split over ``batch_devices`` devices (data parallel,
gradients summed by XLA), the parameters replicated over them. The batch is drawn exactly as on one
device (the same random numbers), so only the summation order of the loss and the gradients moves.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

LANE_AXIS = "lanes"
BATCH_AXIS = "batch"
_BATCH_SHARDING: contextvars.ContextVar[NamedSharding | None] = contextvars.ContextVar(
    "iclx_batch_sharding", default=None)


def constrain_batch(tree: Any) -> Any:
    """Split the leading (batch) axis of every array leaf of ``tree`` over the ``"batch"`` mesh axis
    while a program of a batch-split layout is traced (``LaneLayout.batch_context``); else ``tree``."""
    sharding = _BATCH_SHARDING.get()
    if sharding is None:
        return tree
    parts = sharding.mesh.shape[BATCH_AXIS]
    return jax.tree.map(lambda x: jax.lax.with_sharding_constraint(x, sharding)
                        if getattr(x, "ndim", 0) and x.shape[0] % parts == 0 else x, tree)


@dataclasses.dataclass(frozen=True)
class LaneLayout:
    """How ``n_lanes`` lanes sit on the devices: ``n_padded`` lanes, sharded over ``mesh`` if any."""

    n_lanes: int
    n_padded: int
    mesh: Mesh | None
    batch_devices: int = 1      # devices each lane's batch is split over (the "batch" mesh axis)

    @classmethod
    def for_lanes(cls, n_lanes: int, devices: list | None = None,
                  batch_size: int | None = None) -> "LaneLayout":
        """Lanes over the devices, at most one device per lane. ``batch_size``: the batch of a problem
        that can split it (``Problem.splits_batch``); where lanes would be padded (fewer lanes than
        devices, or a count they do not divide), its batches are split instead: the lanes go over
        gcd(lanes, devices) devices and each lane's batch over the rest, when that divides it."""
        devices = list(jax.devices() if devices is None else devices)
        lane_devices, batch = len(devices), 1
        if jax.process_count() == 1:    # a cluster keeps every process's devices in its mesh
            lane_devices = min(len(devices), max(1, n_lanes))
            if batch_size and n_lanes % len(devices):
                split = len(devices) // math.gcd(n_lanes, len(devices))
                if batch_size % split == 0:
                    lane_devices, batch = len(devices) // split, split
            devices = devices[:lane_devices * batch]
        if len(devices) == 1:
            return cls(n_lanes, n_lanes, None)
        n_padded = math.ceil(n_lanes / lane_devices) * lane_devices
        if batch == 1:
            return cls(n_lanes, n_padded, Mesh(np.array(devices), (LANE_AXIS,)))
        grid = np.array(devices).reshape(lane_devices, batch)
        return cls(n_lanes, n_padded, Mesh(grid, (LANE_AXIS, BATCH_AXIS)), batch)

    @contextlib.contextmanager
    def batch_context(self) -> Iterator[None]:
        """Programs traced inside split their batches (``constrain_batch``) over this layout's
        ``"batch"`` axis; a no-op when it has none."""
        if self.batch_devices == 1:
            yield
            return
        token = _BATCH_SHARDING.set(NamedSharding(self.mesh, PartitionSpec(BATCH_AXIS)))
        try:
            yield
        finally:
            _BATCH_SHARDING.reset(token)

    def vmap(self, fn: Any) -> Any:
        """``jax.vmap(fn)`` over the lanes; with a batch split, the lane axis named for XLA's
        partitioner (so ``constrain_batch`` inside keeps the lanes where they live)."""
        if self.batch_devices == 1:
            return jax.vmap(fn)
        return jax.vmap(fn, spmd_axis_name=LANE_AXIS)

    @property
    def sharding(self) -> NamedSharding | None:
        return None if self.mesh is None else NamedSharding(self.mesh, PartitionSpec(LANE_AXIS))

    def pad(self, tree: Any) -> Any:
        """Append copies of lane 0 up to ``n_padded`` lanes (host or device arrays)."""
        extra = self.n_padded - self.n_lanes
        if extra == 0:
            return tree
        return jax.tree.map(lambda x: jnp.concatenate([x, jnp.repeat(x[:1], extra, axis=0)]), tree)

    def put(self, tree: Any) -> Any:
        """Pad and place every leaf's lane axis over the devices."""
        tree = self.pad(tree)
        if self.mesh is None:
            return tree
        sharding = self.sharding
        if jax.process_count() == 1:
            return jax.device_put(tree, sharding)
        return jax.tree.map(lambda x: jax.make_array_from_callback(
            x.shape, sharding, lambda index, x=np.asarray(x): x[index]), tree)

    def unpad(self, tree: Any) -> Any:
        """The first ``n_lanes`` lanes (device arrays)."""
        if self.n_padded == self.n_lanes:
            return tree
        return jax.tree.map(lambda x: x[: self.n_lanes], tree)

    def gather(self, tree: Any) -> Any:
        """The real lanes of a placed ``tree``: device arrays in one process; across processes, numpy
        arrays gathered from all of them (every process then holds every lane)."""
        return self.to_host(tree) if jax.process_count() > 1 else self.unpad(tree)

    def to_host(self, tree: Any) -> Any:
        """Every real lane as numpy, gathered from all processes."""
        if jax.process_count() > 1:
            from jax.experimental import multihost_utils

            tree = multihost_utils.process_allgather(tree, tiled=True)
        return jax.tree.map(lambda x: np.asarray(x)[: self.n_lanes], jax.device_get(tree))

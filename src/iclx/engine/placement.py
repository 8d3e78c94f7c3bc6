"""Lanes spread over every device.

The lane axis is the leading axis of every per-lane array. With one device nothing changes. With
several (GPUs, or the CPU devices ``iclx.host`` makes, one per core) the lanes use at most one device
each (one lane stays on one device: padding it would only add work) and are
padded to a multiple of the devices used (copies of lane 0, dropped again before anything is written)
and placed with a ``NamedSharding`` over a one-axis ``Mesh("lanes")``; ``jit`` then runs each device's
lanes where they live — lanes never communicate. Across processes (``iclx.engine.cluster``) the mesh
spans every process's devices, each process feeds only its own shards, and metrics are gathered to
every process after each chunk.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

LANE_AXIS = "lanes"


@dataclasses.dataclass(frozen=True)
class LaneLayout:
    """How ``n_lanes`` lanes sit on the devices: ``n_padded`` lanes, sharded over ``mesh`` if any."""

    n_lanes: int
    n_padded: int
    mesh: Mesh | None

    @classmethod
    def for_lanes(cls, n_lanes: int, devices: list | None = None) -> "LaneLayout":
        devices = list(jax.devices() if devices is None else devices)
        if jax.process_count() == 1:    # a cluster keeps every process's devices in its mesh
            devices = devices[:max(1, n_lanes)]
        if len(devices) == 1:
            return cls(n_lanes, n_lanes, None)
        n_padded = math.ceil(n_lanes / len(devices)) * len(devices)
        return cls(n_lanes, n_padded, Mesh(np.array(devices), (LANE_AXIS,)))

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

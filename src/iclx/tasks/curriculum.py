"""Garg et al.'s curriculum: the active input dimension and prompt length grow every ``interval`` steps.

``active(step)`` is traced inside the training scan, so the curriculum needs no mutable state and a
resumed run continues it exactly.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from iclx import config


@dataclasses.dataclass(frozen=True)
class Curriculum:
    dims_start: int
    dims_end: int
    dims_inc: int
    points_start: int
    points_end: int
    points_inc: int
    interval: int
    enabled: bool = True

    @classmethod
    def from_config(cls, cur: config.ConfigDict, n_dims: int, n_points: int) -> "Curriculum":
        if not cur.enabled:
            return cls(n_dims, n_dims, 0, n_points, n_points, 0, 1, enabled=False)
        return cls(cur.dims_start, cur.dims_end, cur.dims_inc, cur.points_start, cur.points_end,
                   cur.points_inc, cur.interval)

    def active(self, step):
        """``(d_active, n_active)`` at ``step`` (int32 scalars)."""
        stage = jnp.asarray(step) // self.interval
        dims = jnp.minimum(self.dims_start + stage * self.dims_inc, self.dims_end)
        points = jnp.minimum(self.points_start + stage * self.points_inc, self.points_end)
        return dims.astype(jnp.int32), points.astype(jnp.int32)


def default_config(n_dims: int, n_points: int, *, enabled: bool = False) -> config.ConfigDict:
    return config.ConfigDict(dict(enabled=enabled, dims_start=min(5, n_dims), dims_end=n_dims, dims_inc=1,
                             points_start=min(11, n_points), points_end=n_points, points_inc=2,
                             interval=2000))


def validate_config(cfg: config.ConfigDict, n_dims: int, n_points: int, prefix: str = "curriculum") -> None:
    if not config.get_field(cfg, f"{prefix}.enabled"):
        return
    dims_start = config.positive_int(cfg, f"{prefix}.dims_start")
    dims_end = config.positive_int(cfg, f"{prefix}.dims_end")
    points_start = config.positive_int(cfg, f"{prefix}.points_start")
    points_end = config.positive_int(cfg, f"{prefix}.points_end")
    config.nonnegative_int(cfg, f"{prefix}.dims_inc")
    config.nonnegative_int(cfg, f"{prefix}.points_inc")
    config.positive_int(cfg, f"{prefix}.interval")
    config.require(dims_end <= n_dims, f"{prefix}.dims_end",
                   f"{dims_end} is beyond the task's dimension task.n_dims={n_dims}")
    config.require(dims_start <= dims_end, f"{prefix}.dims_start",
                   f"{dims_start} is beyond the curriculum's maximum {prefix}.dims_end={dims_end}")
    config.require(points_end <= n_points, f"{prefix}.points_end",
                   f"{points_end} is beyond the prompt length task.n_points={n_points}")
    config.require(points_start <= points_end, f"{prefix}.points_start",
                   f"{points_start} is beyond the curriculum's maximum {prefix}.points_end={points_end}")

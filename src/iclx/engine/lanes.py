"""Lanes: the runs trained together in one program (seeds × sweep points), and their labels.

Lane i uses replicate ``seed_indices[i]`` and the hyper-parameters ``hparams[name][i]``; its label
(``{"L": 4.0, "seed": 1}``) names it in metrics and results, and plots and claims pick lanes by
label (``select_lanes``), never by position.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx.engine import rng


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
    """``n_seeds`` replicates and no sweep."""
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


def lane_slice(tree, lane: int):
    """Lane ``lane`` of a stacked pytree."""
    return jax.tree.map(lambda x: x[lane], tree)


def select_lanes(labels: Sequence[Mapping[str, Any]], **criteria: Any) -> np.ndarray:
    """Indices of the lanes whose label matches every ``criteria`` item (floats compared with
    ``np.isclose``), in lane order. ``labels`` is ``scalars["lanes"][stage]`` of a saved run."""
    def matches(label: Mapping[str, Any]) -> bool:
        for key, want in criteria.items():
            have = label.get(key)
            if isinstance(want, float) or isinstance(have, float):
                if have is None or not np.isclose(float(have), float(want)):
                    return False
            elif have != want:
                return False
        return True

    return np.array([i for i, label in enumerate(labels) if matches(label)], dtype=int)

"""Named random streams.

Every random number in a run comes from ``stream(seed_key, name, *indices)``: a ``fold_in`` of the
seed key with a stable hash of the stream's name, then with each index (usually the training step).
A run is therefore a pure function of (config, seed): resuming needs no saved RNG state, and the
streams "data", "init" and "eval" can never overlap.
"""

from __future__ import annotations

import hashlib

import jax
import jax.numpy as jnp

Key = jax.Array


def name_to_int(name: str) -> int:
    """A stable 31-bit integer for a stream name (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2s(name.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


def stream(key: Key, name: str, *indices: int | jax.Array) -> Key:
    """The key of stream ``name`` (then ``indices``, e.g. the step) derived from ``key``."""
    key = jax.random.fold_in(key, name_to_int(name))
    for index in indices:
        key = jax.random.fold_in(key, index)
    return key


def root_key(seed: int) -> Key:
    """The root key of a config's ``seed`` field."""
    return jax.random.key(seed)


def seed_keys(seed: int, seed_indices) -> Key:
    """Keys ``[len(seed_indices)]`` of the given replicate indices; replicate i's key does not depend
    on how many replicates run beside it."""
    indices = jnp.asarray(seed_indices, dtype=jnp.uint32)
    return jax.vmap(lambda i: stream(root_key(seed), "seed", i))(indices)

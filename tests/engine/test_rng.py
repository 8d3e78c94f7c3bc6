"""Named random streams (iclx.engine.rng): stable, distinct, independent of the replicate count."""

import jax
import numpy as np

from iclx.engine import rng


def test_streams_are_stable_and_distinct():
    key = jax.random.key(0)
    assert rng.name_to_int("data") == rng.name_to_int("data")
    a, b = rng.stream(key, "data", 3), rng.stream(key, "eval", 3)
    assert not np.array_equal(jax.random.key_data(a), jax.random.key_data(b))
    np.testing.assert_array_equal(jax.random.key_data(rng.stream(key, "data", 3)),
                                  jax.random.key_data(a))
    # replicate i's key does not depend on how many replicates run
    np.testing.assert_array_equal(jax.random.key_data(rng.seed_keys(0, [0, 1, 2])[1]),
                                  jax.random.key_data(rng.seed_keys(0, [1])[0]))

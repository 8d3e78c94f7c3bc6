"""The Gaussian-mixture prompt generator (iclx.tasks.gmm)."""

import jax
import jax.numpy as jnp
import numpy as np


def test_gmm_bank_drawn_in_chunks_equals_one_vmap(monkeypatch):
    """``GMMTask.statistics_batch`` draws large banks in chunks (``lax.map``, a remainder included) to
    bound their memory; the draws are bit-identical to one ``vmap`` over the bank, N traced."""
    from iclx.tasks import gmm

    task = gmm.GMMTask(n_dims=5, n_points=10, n_classes=3)
    draw = lambda: jax.jit(lambda k, N: task.statistics_batch(k, 100, N, 4, n_max=300))(
        jax.random.key(3), jnp.float32(200.0))
    whole = draw()
    monkeypatch.setattr(gmm, "LABELS_PER_CHUNK", 300 * 7)   # 14 chunks of 7 prompts and 2 more
    chunked = draw()
    for a, b in zip(jax.tree.leaves(whole), jax.tree.leaves(chunked)):
        np.testing.assert_array_equal(a, b)

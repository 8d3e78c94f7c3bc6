"""The Gaussian-mixture prompt generator (iclx.tasks.gmm)."""

import jax
import jax.numpy as jnp
import numpy as np


def test_gmm_bank_drawn_in_chunks_equals_one_vmap(monkeypatch):
    """``GMMTask.statistics_batch`` draws large banks in chunks (``lax.map``, a remainder included) to
    bound their memory; the draws are those of one ``vmap`` over the bank, N traced: integers equal,
    floats within 2 ulp (XLA may fuse the two programs' arithmetic differently: with the classic CPU
    emitters the tests compile with, one element of 1500 rounds differently)."""
    from iclx.tasks import gmm

    task = gmm.GMMTask(n_dims=5, n_points=10, n_classes=3)
    draw = lambda: jax.jit(lambda k, N: task.statistics_batch(k, 100, N, 4, n_max=300))(
        jax.random.key(3), jnp.float32(200.0))
    whole = draw()
    monkeypatch.setattr(gmm, "LABELS_PER_CHUNK", 300 * 7)   # 14 chunks of 7 prompts and 2 more
    chunked = draw()
    for a, b in zip(jax.tree.leaves(whole), jax.tree.leaves(chunked)):
        if jnp.issubdtype(a.dtype, jnp.floating):
            np.testing.assert_array_max_ulp(np.asarray(a), np.asarray(b), maxulp=2)
        else:
            np.testing.assert_array_equal(a, b)


def test_quantile_counts_are_the_multinomial_at_fixed_quantiles(x64):
    """``binomial_quantile`` is scipy's Binomial ppf exactly (n = 0 … 5000); ``quantile_counts``
    draws n_0 as that quantile and the rest conditionally, summing to n."""
    from scipy import stats as scipy_stats

    from iclx.tasks import gmm

    u = np.random.default_rng(0).uniform(size=(4, 64))
    n = np.array([0.0, 1.0, 17.0, 5000.0])[:, None] * np.ones((1, 64))
    q, counts = jax.jit(lambda u, n: (gmm.binomial_quantile(u, n, 1 / 3, 5000),
                                      gmm.quantile_counts(u[:2, 0], jnp.float64(640), 3, 5000)))(
        jnp.asarray(u), jnp.asarray(n))
    np.testing.assert_array_equal(q, scipy_stats.binom.ppf(u, n.astype(int), 1 / 3))
    assert float(counts.sum()) == 640 and float(counts[0]) == scipy_stats.binom.ppf(u[0, 0], 640, 1 / 3)


def test_antithetic_statistics_have_the_law_and_cancel_to_the_limit(x64):
    """Every one of a task's 2c copies has the law of S: the moments of D = S − μ/c (E D, E D², E D·μ
    per entry) match ``statistics_batch``'s sampler within Monte-Carlo error; and the copies' mean is
    exactly μ/c (the terms linear in the count deviations and in the noise cancel)."""
    from iclx.tasks import gmm

    task = gmm.GMMTask(n_dims=3, n_points=10, n_classes=3)
    B = 8000
    stat, means = jax.jit(task.statistics_bank, static_argnums=(1, 3))(jax.random.key(0), B, 12.0, 12)
    stat, means = stat.reshape(B, 6, 3, 3), means.reshape(B, 6, 3, 3)
    np.testing.assert_allclose(stat.mean(1), means[:, 0] / 3, atol=1e-12)
    ref = jax.jit(task.statistics_batch, static_argnums=(1, 2, 3))(jax.random.key(1), B, 12, 1)

    def moments(s, m):
        D = s - m / 3
        return np.stack([D.mean(0), (D ** 2).mean(0), (D * m).mean(0)]), np.stack(
            [D.std(0), (D ** 2).std(0), (D * m).std(0)]) / np.sqrt(B)

    expected, se_ref = moments(np.asarray(ref.stat), np.asarray(ref.means))
    for j in range(6):
        got, se = moments(np.asarray(stat[:, j]), np.asarray(means[:, j]))
        assert np.all(np.abs(got - expected) < 5 * np.hypot(se, se_ref))

"""The directly trained N-layer network baseline (iclx.algorithms.relu_gd) and R²."""

import jax
import jax.numpy as jnp
import numpy as np

from iclx.algorithms import relu_gd
from iclx.models import constructions_relu_gd
from iclx.tasks import relu_net


def test_r_squared_matches_closed_form_and_best_epoch():
    """Pooled R² = 1 − SSE / SST per position; predicting the mean gives 0, the truth gives 1, and a
    prediction ŷ = y + c gives 1 − c²·B / SST."""
    ys = jax.random.normal(jax.random.key(3), (50, 4))
    sst = np.sum((np.asarray(ys) - np.asarray(ys).mean(0)) ** 2, axis=0)
    np.testing.assert_allclose(relu_gd.r_squared(ys, ys), 1.0)
    np.testing.assert_allclose(relu_gd.r_squared(jnp.broadcast_to(ys.mean(0), ys.shape), ys), 0.0, atol=1e-6)
    np.testing.assert_allclose(relu_gd.r_squared(ys + 0.3, ys), 1 - 0.09 * 50 / sst, rtol=1e-5)
    per_epoch = relu_gd.r_squared(jnp.stack([ys + 0.5, ys + 0.1, ys + 0.3]), ys)
    np.testing.assert_allclose(relu_gd.best_epoch(per_epoch), per_epoch[1])


def test_direct_training_lowers_the_training_loss_and_ignores_later_examples():
    task = relu_net.ReluNetTask(n_dims=3, n_points=12, depth=3, width=8)
    prompt = task.sample(jax.random.key(4))
    fit = jax.jit(lambda ys: relu_gd.fit_prefixes(jax.random.key(5), prompt.xs, ys, [0, 6, 11], depth=3,
                                                  width=16, epochs=60, lr=5e-3, return_loss=True))
    preds, losses = fit(prompt.ys)
    assert preds.shape == losses.shape == (60, 3)
    # position 0 has no examples: the network keeps its initialisation
    np.testing.assert_allclose(preds[0, 0], preds[-1, 0], rtol=1e-6)
    assert losses[-1, 2] < 0.5 * losses[0, 2] and losses[-1, 1] < 0.5 * losses[0, 1]
    # the fit for position 6 ignores labels from position 6 on
    later, _ = fit(prompt.ys.at[6:].set(100.0))
    np.testing.assert_allclose(later[:, 1], preds[:, 1], rtol=1e-5)
    assert not np.allclose(later[:, 2], preds[:, 2])


def test_fit_prompts_chunks_agree_with_single_fits():
    task = relu_net.ReluNetTask(n_dims=2, n_points=6, depth=2, width=4)
    prompts = task.sample_batch(jax.random.key(6), 5)
    key = jax.random.key(7)
    kw = dict(depth=2, width=4, epochs=3, lr=1e-2)
    out = jax.jit(lambda k: relu_gd.fit_prompts(k, prompts.xs, prompts.ys, [1, 4], chunk=2, **kw))(key)
    assert out.shape == (3, 5, 2)
    single = jax.jit(lambda k: relu_gd.fit_prefixes(k, prompts.xs[3], prompts.ys[3], [1, 4], **kw))(
        jax.random.fold_in(key, 3))
    np.testing.assert_allclose(out[:, 3], single, rtol=1e-5)


def test_gd_step_predictions_are_explicit_gd_on_each_prefix(x64):
    """``gd_step_predictions``: the prediction at x_t after s plain GD steps on examples 0..t−1 equals
    explicit GD (``constructions_relu_gd.explicit_gd``) from the same weights; step 0 is the initial
    network; position 0 (no example) never moves."""
    widths, n, eta, steps = (3, 4, 3, 1), 7, 0.05, (0, 1, 3)
    key = jax.random.key(5)
    w0 = relu_net.he_init(jax.random.fold_in(key, 0), widths)
    xs = jax.random.normal(jax.random.fold_in(key, 1), (n, 3), jnp.float64) - 1.0
    ys = relu_net.forward(relu_net.he_init(jax.random.fold_in(key, 2), widths), xs)
    preds = relu_gd.gd_step_predictions(w0, xs, ys, steps, eta)
    assert preds.shape == (3, n)
    explicit = jax.jit(lambda x, y, query, s: relu_net.forward(                     # one program per (t, s)
        constructions_relu_gd.explicit_gd(w0, x, y, eta, s), query), static_argnums=3)
    for k, s in enumerate(steps):
        for t in range(1, n):
            np.testing.assert_allclose(preds[k, t], explicit(xs[:t], ys[:t], xs[t], s), atol=1e-10)
    np.testing.assert_allclose(preds[:, 0], relu_net.forward(w0, xs[0]), atol=1e-12)
    assert float(jnp.abs(preds[2] - preds[0]).max()) > 1e-3                  # GD really moved

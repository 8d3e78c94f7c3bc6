"""The explicit construction that runs GD on an N-layer ReLU network in context
(iclx.models.constructions_relu_gd), against explicit GD."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.models import constructions_relu_gd
from iclx.tasks import relu_net

CASES = [((3, 3, 2, 1), 1), ((3, 4, 3, 1), 3), ((4, 3, 3, 3, 1), 2)]


@pytest.mark.parametrize("widths,steps", CASES)
def test_construction_equals_explicit_gd(x64, widths, steps):
    """The construction's weights after L steps and its query prediction equal explicit GD's
    (float64, to 1e-10; the task asks for 1e-4) on random small nets and targets."""
    d, n, eta = widths[0], 10, 0.2
    key = jax.random.key(sum(widths) + steps)
    w_star = relu_net.he_init(jax.random.fold_in(key, 1), widths)
    w0 = relu_net.he_init(jax.random.fold_in(key, 2), widths)
    xs = jax.random.normal(jax.random.fold_in(key, 3), (n + 1, d), jnp.float64) + 0.5
    ys = relu_net.forward(w_star, xs[:-1])
    layout, layers = constructions_relu_gd.gd_layers(widths, steps, eta)
    N = len(widths) - 1
    assert len(layers) == 3 * N * steps + 2 * N - 1
    h = jax.jit(lambda ls, h0: constructions_relu_gd.forward(ls, h0, n))(layers[: 3 * N * steps], constructions_relu_gd.embed(layout, xs, ys, w0))
    w_gd = constructions_relu_gd.explicit_gd(w0, xs[:-1], ys, eta, steps)
    moved = max(float(jnp.abs(a - b).max()) for a, b in zip(w_gd, w0))
    assert moved > 1e-3                                                       # GD really moved
    for token in (0, n):                                                      # every token holds w
        for a, b in zip(constructions_relu_gd.read_weights(layout, h[token]), w_gd):
            np.testing.assert_allclose(a, b, atol=1e-10)
    # several queries: the prediction after L steps
    queries = jax.random.normal(jax.random.fold_in(key, 10), (4, d), jnp.float64) + 0.5
    predict = jax.jit(jax.vmap(lambda q: constructions_relu_gd.predict(layers, layout, xs.at[-1].set(q), ys, w0)))
    preds = predict(queries)
    np.testing.assert_allclose(preds, relu_net.forward(w_gd, queries), atol=1e-10)
    assert np.abs(np.asarray(preds)).max() > 1e-3


def test_construction_float32_within_1e4():
    widths, steps, eta = (3, 4, 4, 1), 3, 0.1
    key = jax.random.key(11)
    w_star, w0 = (relu_net.he_init(jax.random.fold_in(key, i), widths) for i in (1, 2))
    xs = jax.random.normal(jax.random.fold_in(key, 3), (13, 3)) + 0.5
    ys = relu_net.forward(w_star, xs[:-1])
    layout, layers = constructions_relu_gd.gd_layers(widths, steps, eta, step_eps=1e-4, dtype=jnp.float32)
    pred = jax.jit(lambda ls: constructions_relu_gd.predict(ls, layout, xs, ys, w0))(layers)
    w_gd = constructions_relu_gd.explicit_gd(w0, xs[:-1], ys, eta, steps)
    np.testing.assert_allclose(pred, relu_net.forward(w_gd, xs[-1:])[0], atol=1e-4)

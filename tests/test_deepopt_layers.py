"""Wu et al. 2024 (deep optimizers): the ReLU-net task, the direct-training baseline, R², and the
explicit construction that runs GD on an N-layer ReLU network in context."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import relu_gd
from iclx.models import constructions_relu_gd as CR
from iclx.tasks import relu_net


def test_task_shapes_fresh_net_per_prompt_and_labels_from_the_net():
    task = relu_net.ReluNetTask(n_dims=4, n_points=7, depth=4, width=6, param_mean=0.5,
                                shift_layers="all")
    prompt = jax.jit(lambda k: task.sample_batch(k, 5))(jax.random.key(0))
    assert prompt.xs.shape == (5, 7, 4) and prompt.ys.shape == (5, 7)
    assert [w.shape for w in prompt.weights] == [(5, 6, 4), (5, 6, 6), (5, 6, 6), (5, 1, 6)]
    assert not np.allclose(prompt.weights[0][0], prompt.weights[0][1])      # a fresh net per prompt
    # hidden layers are ReLU, the output linear: a hand-written forward pass agrees
    w, x = [np.asarray(a[0]) for a in prompt.weights], np.asarray(prompt.xs[0])
    h = np.maximum(np.maximum(np.maximum(x @ w[0].T, 0) @ w[1].T, 0) @ w[2].T, 0) @ w[3].T
    np.testing.assert_allclose(h[:, 0], prompt.ys[0], rtol=1e-4, atol=1e-5)
    # the task draws its weights with he_init at its parameter mean
    key = jax.random.key(9)
    for a, b in zip(task.sample_weights(key), relu_net.he_init(key, task.widths, 0.5)):
        np.testing.assert_array_equal(a, b)


def test_weight_law_he_scaling_and_parameter_shift():
    """Raw weights N(μ, 1) times sqrt(2 / fan_in): empirical mean and std per layer."""
    widths = (8, 50, 50, 1)
    draw = jax.jit(jax.vmap(lambda k, m: relu_net.he_init(k, widths, m), in_axes=(0, None)))
    keys = jax.random.split(jax.random.key(1), 200)
    for mean in (0.0, 0.5, -0.5):
        for w, fan_in in zip(draw(keys, mean), widths[:-1]):
            raw = np.asarray(w) / math.sqrt(2.0 / fan_in)
            assert abs(raw.mean() - mean) < 0.02 and abs(raw.std() - 1.0) < 0.02


@pytest.mark.parametrize("shift_layers, shifted",
                         [("first", (True, False, False)), ("all", (True, True, True))])
def test_parameter_shift_moves_only_the_named_layers(shift_layers, shifted):
    task = relu_net.ReluNetTask(n_dims=8, n_points=3, depth=3, width=50, param_mean=-0.5,
                                shift_layers=shift_layers)
    weights = jax.jit(jax.vmap(task.sample_weights))(jax.random.split(jax.random.key(3), 200))
    for w, fan_in, moved in zip(weights, task.widths[:-1], shifted):
        raw_mean = float(np.mean(np.asarray(w))) / math.sqrt(2.0 / fan_in)
        assert abs(raw_mean - (-0.5 if moved else 0.0)) < 0.02


def test_shifting_every_layer_kills_wide_targets_and_shifting_the_first_does_not():
    """Why ``shift_layers="first"`` is the default: at the paper's shapes (d = 20, width 100, 4-layer
    targets, inputs near −2) raw weights N(−0.5, 1) in every layer leave the labels identically 0."""
    def labels(shift_layers):
        task = relu_net.ReluNetTask(n_dims=20, n_points=50, depth=4, width=100, param_mean=-0.5,
                                    shift_layers=shift_layers)
        return np.asarray(jax.jit(lambda k: task.sample_batch(k, 64).ys)(jax.random.key(4)))
    dead, alive = labels("all"), labels("first")
    assert np.mean(dead == 0.0) > 0.99
    assert np.mean(alive == 0.0) < 0.01 and alive.var(axis=1).mean() > 0.1


def test_input_mixture_weights_and_means():
    task = relu_net.ReluNetTask(n_dims=3, n_points=4000, mixture=(0.7, 0.3), input_mean=2.0)
    xs, component = task.sample_inputs(jax.random.key(2))
    assert abs(float(component.mean()) - 0.3) < 0.03
    np.testing.assert_allclose(xs[component == 1].mean(0), 2.0, atol=0.08)
    np.testing.assert_allclose(xs[component == 0].mean(0), -2.0, atol=0.08)
    xs_trunc, _ = task.sample_inputs(jax.random.key(2), d_active=2)
    assert np.all(xs_trunc[:, 2] == 0) and np.array_equal(xs_trunc[:, :2], xs[:, :2])


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
    layout, layers = CR.gd_layers(widths, steps, eta)
    N = len(widths) - 1
    assert len(layers) == 3 * N * steps + 2 * N - 1
    h = jax.jit(lambda ls, h0: CR.forward(ls, h0, n))(layers[: 3 * N * steps], CR.embed(layout, xs, ys, w0))
    w_gd = CR.explicit_gd(w0, xs[:-1], ys, eta, steps)
    moved = max(float(jnp.abs(a - b).max()) for a, b in zip(w_gd, w0))
    assert moved > 1e-3                                                       # GD really moved
    for token in (0, n):                                                      # every token holds w
        for a, b in zip(CR.read_weights(layout, h[token]), w_gd):
            np.testing.assert_allclose(a, b, atol=1e-10)
    # several queries: the prediction after L steps
    queries = jax.random.normal(jax.random.fold_in(key, 10), (4, d), jnp.float64) + 0.5
    predict = jax.jit(jax.vmap(lambda q: CR.predict(layers, layout, xs.at[-1].set(q), ys, w0)))
    preds = predict(queries)
    np.testing.assert_allclose(preds, relu_net.forward(w_gd, queries), atol=1e-10)
    assert np.abs(np.asarray(preds)).max() > 1e-3


def test_construction_float32_within_1e4():
    widths, steps, eta = (3, 4, 4, 1), 3, 0.1
    key = jax.random.key(11)
    w_star, w0 = (relu_net.he_init(jax.random.fold_in(key, i), widths) for i in (1, 2))
    xs = jax.random.normal(jax.random.fold_in(key, 3), (13, 3)) + 0.5
    ys = relu_net.forward(w_star, xs[:-1])
    layout, layers = CR.gd_layers(widths, steps, eta, step_eps=1e-4, dtype=jnp.float32)
    pred = jax.jit(lambda ls: CR.predict(ls, layout, xs, ys, w0))(layers)
    w_gd = CR.explicit_gd(w0, xs[:-1], ys, eta, steps)
    np.testing.assert_allclose(pred, relu_net.forward(w_gd, xs[-1:])[0], atol=1e-4)

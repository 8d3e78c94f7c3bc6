"""The deep ReLU-network targets of Wu et al. 2024 (iclx.tasks.relu_net): fresh nets per prompt,
the weight law, parameter shifts, input mixtures."""

import math

import jax
import numpy as np
import pytest

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

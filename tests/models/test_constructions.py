"""Hand-built transformers against the algorithms they run, in float64: Fu et al.'s Thm 5.1
(ReLU attention runs Iterative Newton, k iterations in k + 2 layers) and von Oswald et al.'s
linear self-attention GD step."""

import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms import regression
from iclx.models import constructions


@pytest.fixture
def prompt(np_rng):
    xs = np_rng.standard_normal((4, 9, 4))          # prefixes t < d, = d and > d
    w = np_rng.standard_normal((4, 4))
    return jnp.asarray(xs), jnp.asarray(np.einsum("bnd,bd->bn", xs, w))


@pytest.mark.parametrize("k", [1, 3, 8])
def test_newton_transformer_equals_iterative_newton(x64, prompt, k):
    xs, ys = prompt
    got = np.asarray(constructions.newton_transformer_predict(xs, ys, k))
    expected = np.asarray(regression.iterative_newton(xs, ys, [k])[0])
    np.testing.assert_allclose(got, expected, atol=1e-10)
    np.testing.assert_array_equal(got[:, 0], 0.0)                        # no example: predict 0


def test_newton_transformer_has_k_plus_2_relu_layers_and_known_hidden_states(x64, prompt):
    xs, ys = prompt
    k, d = 4, xs.shape[-1]
    slots = constructions.newton_slots(d)
    assert len(constructions.newton_layers(d, k, jnp.asarray(0.1), 10)) == k + 2
    states = np.asarray(constructions.newton_transformer_states(xs, ys, k))        # [k + 3, B, n, D]
    assert states.shape == (k + 3, 4, 9, 3 * d + 3)
    newton = np.asarray(regression.iterative_newton(xs, ys, list(range(1, k + 1))))
    S, _ = regression.prefix_systems(xs, ys)
    inverses = np.asarray(regression.newton_inverses(S, k))                      # M_1..M_k per prefix
    for block in range(3, k + 3):                                       # p = prediction of M_{block−2}
        np.testing.assert_allclose(states[block, ..., slots.p], newton[block - 3], atol=1e-10)
    for block in range(2, k + 2):                                       # t = M_{block−1} x_query
        m = inverses[block - 2]
        np.testing.assert_allclose(states[block, ..., slots.t],
                                   np.einsum("btde,bte->btd", m, np.asarray(xs)), atol=1e-10)


def test_the_head_pairs_rely_on_relu(x64, prompt):
    """ReLU(s) − ReLU(−s) = s makes each ± head pair one linear head; with linear scores the pair
    adds up twice instead, and the network no longer runs Newton."""
    xs, ys = prompt
    d, n = xs.shape[-1], xs.shape[1]
    alpha = regression.newton_alpha(xs[0].T @ xs[0])
    layers = constructions.newton_layers(d, 2, alpha, n + 1, jnp.float64)
    h = constructions.newton_tokens(xs[0], ys[0], xs[0, -1])
    mask = jnp.ones(n + 1).at[-1].set(0.0)                               # all n examples, then the query
    newton = float(regression.newton_weights(xs[0].T @ xs[0], xs[0].T @ ys[0], 2)[1] @ xs[0, -1])
    relu = float(constructions.forward(layers, h, mask, "relu")[-1, -1, constructions.newton_slots(d).p])
    linear = float(constructions.forward(layers, h, mask, "linear")[-1, -1, constructions.newton_slots(d).p])
    assert relu == pytest.approx(newton, abs=1e-10)
    assert abs(linear - newton) > 1e-2


@pytest.mark.parametrize("steps", [1, 3])
def test_linear_attention_runs_gradient_descent(x64, prompt, steps):
    xs, ys = prompt
    eta = 0.05
    got = np.asarray(constructions.gd_transformer_predict(xs, ys, eta, steps))
    expected = np.asarray(regression.gradient_descent(xs, ys, eta, [steps])[0])
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_one_linear_attention_layer_is_eta_x_query_dot_xty(x64, prompt):
    xs, ys = prompt
    eta = 0.01
    got = np.asarray(constructions.gd_transformer_predict(xs, ys, eta, 1))
    S, b = regression.prefix_systems(xs, ys)
    np.testing.assert_allclose(got, eta * np.einsum("btd,btd->bt", np.asarray(xs), np.asarray(b)),
                               atol=1e-12)


def test_memory_light_newton_equals_stored_iterates(x64, prompt):
    xs, ys = prompt
    S, b = regression.prefix_systems(xs, ys)
    np.testing.assert_allclose(regression.newton_weights_scan(S, b, 6), regression.newton_weights(S, b, 6), atol=1e-12)
    np.testing.assert_allclose(regression.newton_predictions(xs, ys, 6),
                               regression.iterative_newton(xs, ys, list(range(1, 7))), atol=1e-12)

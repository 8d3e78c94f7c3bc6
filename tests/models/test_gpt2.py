"""The GPT-2 ICL model: shapes, causality, hidden states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.models.gpt2 import GPT2ICL, interleave


@pytest.fixture(scope="module")
def model_and_params():
    model = GPT2ICL(n_dims=3, n_positions=16, n_layer=2, n_head=2, n_embd=16, mlp_width=32)
    xs = jax.random.normal(jax.random.key(0), (2, 8, 3))
    ys = jax.random.normal(jax.random.key(1), (2, 8))
    params = model.init(jax.random.key(2), xs, ys)["params"]
    return model, params, xs, ys


def test_interleave_pads_labels():
    xs = jnp.arange(6.0).reshape(1, 2, 3)
    tokens = interleave(xs, jnp.array([[7.0, 8.0]]))
    np.testing.assert_array_equal(tokens[0], [[0, 1, 2], [7, 0, 0], [3, 4, 5], [8, 0, 0]])


def test_prediction_at_i_ignores_later_tokens_and_own_label(model_and_params, assert_causal):
    model, params, xs, ys = model_and_params
    assert model.apply({"params": params}, xs, ys).shape == (2, 8)
    assert_causal(model, params, xs, ys, i=4)


def test_hidden_states(model_and_params):
    model, params, xs, ys = model_and_params
    preds, hidden = model.apply({"params": params}, xs, ys, return_hidden=True)
    assert hidden.residual.shape == (3, 2, 16, 16)     # embedding + 2 blocks
    assert hidden.final.shape == (2, 16, 16)
    readout = params["read_out"]
    again = hidden.final[:, ::2] @ readout["kernel"][:, 0] + readout["bias"][0]
    np.testing.assert_allclose(again, preds, atol=1e-5)


def test_prompt_longer_than_context_is_an_error(model_and_params):
    model, params, _, _ = model_and_params
    with pytest.raises(ValueError, match="n_positions"):
        model.apply({"params": params}, jnp.zeros((1, 9, 3)), jnp.zeros((1, 9)))


def test_bfloat16_compute_stays_close_to_float32(model_and_params):
    """Mixed precision (bf16 matmuls, f32 params/LayerNorm/softmax) changes predictions only at bf16
    resolution, and training with it reaches the same loss within tolerance."""
    model, params, xs, ys = model_and_params
    bf16 = model.clone(dtype="bfloat16")
    p32 = model.apply({"params": params}, xs, ys)
    p16 = bf16.apply({"params": params}, xs, ys)
    assert p16.dtype == jnp.float32
    np.testing.assert_allclose(p16, p32, atol=0.05 * float(jnp.abs(p32).max()) + 1e-3)


def test_bfloat16_training_matches_float32_within_tolerance():
    from iclx import engine, models, problems
    from iclx.engine import rng
    from iclx.tasks import linear

    task = linear.LinearRegressionTask(n_dims=4, n_points=9)
    losses = {}
    for dtype in ("float32", "bfloat16"):
        model_cfg = models.gpt2.default_config(n_layer=2, n_head=2, n_embd=32, n_positions=18)
        model_cfg.dtype = dtype
        problem = problems.prompt_problem(task, model_cfg, problems.training_preset("smoke"),
                                          problems.curriculum_preset("smoke", 4, 9))
        _, metrics = jax.jit(engine.make_train(problem, 60))(rng.seed_keys(0, [0])[0])
        losses[dtype] = np.asarray(metrics["loss"])
    np.testing.assert_allclose(losses["bfloat16"][-20:].mean(), losses["float32"][-20:].mean(),
                               rtol=0.05)
    assert not np.array_equal(losses["bfloat16"], losses["float32"])   # bf16 really ran

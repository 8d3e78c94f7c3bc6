"""One-layer softmax attention with merged Q: gradients, uniform attention at Q = 0, the exact
per-feature reduction, causality of the registry model."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import models
from iclx.models import attention


def _prompt(key, n=7, d=4):
    k1, k2, k3 = jax.random.split(key, 3)
    return (jax.random.normal(k1, (n, d)), jax.random.normal(k2, (n,)),
            jax.random.normal(k3, (d,)))


def _central_differences(f, x, h=1e-6):
    flat = np.asarray(x, dtype=np.float64).ravel()
    grad = np.zeros_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)


def test_query_loss_gradient_matches_finite_differences(x64):
    xs, ys, xq = _prompt(jax.random.key(0))
    y_target = 0.3
    q0 = 0.5 * jax.random.normal(jax.random.key(1), (4, 4))
    loss = jax.jit(lambda q: 0.5 * (attention.predict_query(q, xs, ys, xq)[0] - y_target) ** 2)
    np.testing.assert_allclose(jax.grad(loss)(q0), _central_differences(lambda q: float(loss(q)), q0),
                               rtol=1e-6, atol=1e-9)


def test_feature_loss_gradient_matches_finite_differences(x64):
    K = 4
    V = jnp.linalg.qr(jax.random.normal(jax.random.key(2), (K, K)))[0]     # orthonormal rows
    counts = jnp.array([[3.0, 0.0, 5.0, 2.0], [1.0, 4.0, 4.0, 1.0]])        # a missing feature too
    cov = jnp.eye(K) + 0.3
    q0 = 0.7 * jax.random.normal(jax.random.key(3), (K, K))

    @jax.jit
    def loss(q):
        err = attention.feature_attention(attention.score_matrix(q, V), counts) - jnp.eye(K)
        return 0.5 * jnp.mean(jnp.einsum("bjk,kl,bjl->bj", err, cov, err))

    grad = jax.grad(loss)(q0)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, _central_differences(lambda q: float(loss(q)), q0),
                               rtol=1e-6, atol=1e-9)


def test_zero_q_gives_uniform_attention():
    xs, ys, xq = (np.asarray(a) for a in _prompt(jax.random.key(4), n=9))
    pred, weights = jax.jit(attention.predict_query)(np.zeros((4, 4)), xs, ys, xq)
    np.testing.assert_allclose(weights, np.full(9, 1 / 9), rtol=1e-6)
    np.testing.assert_allclose(pred, np.mean(ys), rtol=1e-5)
    by_feature = jax.jit(attention.feature_attention)(np.zeros((3, 3)), np.array([[2.0, 0.0, 7.0]]))
    np.testing.assert_allclose(by_feature[0], np.tile([2 / 9, 0.0, 7 / 9], (3, 1)), rtol=1e-6)


def test_feature_attention_equals_token_attention_summed_by_feature():
    K, d, N = 3, 5, 12
    rs = np.random.default_rng(1)
    V, q = rs.normal(size=(K, d)).astype(np.float32), rs.normal(size=(d, d)).astype(np.float32)
    ids = np.array([0, 2, 2, 1, 0, 2, 2, 1, 2, 0, 2, 2])
    counts = np.bincount(ids, minlength=K).astype(np.float32)

    @jax.jit
    def both(q, V):
        by_feature = attention.feature_attention(attention.score_matrix(q, V), counts)          # [query feature, k]
        weights = jax.vmap(lambda xq: attention.predict_query(q, V[ids], jnp.zeros(N), xq)[1])(V)
        return by_feature, weights @ jax.nn.one_hot(ids, K)

    by_feature, summed = both(q, V)
    np.testing.assert_allclose(by_feature, summed, rtol=1e-5, atol=1e-7)


def test_registry_model_predicts_from_earlier_tokens_only():
    model = models.MODELS["one_layer_attention"][0](attention.default_config(), 3)
    rs = np.random.default_rng(0)
    xs, ys = rs.normal(size=(2, 6, 3)).astype(np.float32), rs.normal(size=(2, 6)).astype(np.float32)
    params = model.init(jax.random.key(9), xs, ys)["params"]
    np.testing.assert_array_equal(params["Q"], np.zeros((3, 3)))        # zero init
    apply = jax.jit(lambda p, x, y: model.apply({"params": p}, x, y))
    preds = apply(params, xs, ys)
    # Q = 0: pred_i is the mean of the labels before i, pred_0 = 0
    expected = np.concatenate([np.zeros((2, 1)), np.cumsum(ys, 1)[:, :-1] / np.arange(1, 6)], 1)
    np.testing.assert_allclose(preds, expected, rtol=1e-5, atol=1e-6)
    params = {"Q": rs.normal(size=(3, 3)).astype(np.float32)}
    preds = apply(params, xs, ys)
    i = 3
    xs2, ys2 = xs.copy(), ys.copy()
    xs2[:, i + 1:] = 5.0
    ys2[:, i:] = 100.0                                                  # y_i must not leak into pred_i
    np.testing.assert_allclose(apply(params, xs2, ys2)[:, : i + 1], preds[:, : i + 1], rtol=1e-5)
    # the query's prediction is predict_query over the tokens before it
    pred_last, _ = jax.jit(attention.predict_query)(params["Q"], xs[0, :-1], ys[0, :-1], xs[0, -1])
    np.testing.assert_allclose(preds[0, -1], pred_last, rtol=1e-5)
    grads = jax.jit(jax.grad(lambda p: jnp.sum(model.apply({"params": p}, xs, ys))))(params)
    assert np.all(np.isfinite(grads["Q"]))                              # the empty first row too


def test_unknown_attention_kind_is_a_config_error():
    from iclx import config

    cfg = config.ConfigDict(dict(model=attention.default_config("linear")))
    with pytest.raises(config.ConfigError, match="model.kind"):
        attention.validate_config(cfg, 10)

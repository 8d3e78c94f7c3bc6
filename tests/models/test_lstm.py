"""The LSTM ICL model: causality, hidden states for probes, registry, Fu et al.'s parameter count."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx import config, models, probes
from iclx.models import lstm


@pytest.fixture(scope="module")
def model_and_params():
    model = lstm.LSTMICL(n_dims=3, n_layer=2, hidden=8)
    xs = jax.random.normal(jax.random.key(0), (2, 6, 3))
    ys = jax.random.normal(jax.random.key(1), (2, 6))
    return model, model.init(jax.random.key(2), xs, ys)["params"], xs, ys


def test_prediction_at_i_ignores_later_tokens_and_own_label(model_and_params, assert_causal):
    assert_causal(*model_and_params, i=3)


def test_hidden_states_feed_the_probes(model_and_params):
    model, params, xs, ys = model_and_params
    preds, hidden = model.apply({"params": params}, xs, ys, return_hidden=True)
    assert hidden.residual.shape == (3, 2, 12, 8)
    feats = probes.layer_features(hidden)
    assert feats.shape == (2, 2, 6, 8)
    readout = params["read_out"]
    np.testing.assert_allclose(feats[-1] @ readout["kernel"][:, 0] + readout["bias"][0], preds,
                               atol=1e-5)


def test_registry_and_validation():
    cfg = config.ConfigDict(dict(model=lstm.default_config(n_layer=2, hidden=4)))
    assert isinstance(models.build(cfg.model, 3), lstm.LSTMICL)
    models.MODELS["lstm"][1](cfg, 9)
    cfg.model.hidden = 0
    with pytest.raises(config.ConfigError, match="model.hidden"):
        models.MODELS["lstm"][1](cfg, 9)


def test_fu_et_al_lstm_has_5_3_million_parameters():
    model = lstm.LSTMICL(n_dims=20, n_layer=10, hidden=256)
    shapes = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 41, 20)), jnp.zeros((1, 41)))
    count = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes))
    assert count == pytest.approx(5.3e6, rel=0.01)

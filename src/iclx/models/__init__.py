"""Models: flax modules with ``apply(params, xs, ys) -> preds``. ``MODELS`` maps ``model.name``."""

from __future__ import annotations

from iclx import config
from iclx.models import attention, gpt2, lstm

MODELS = {
    "gpt2": (gpt2.build, gpt2.validate_config),
    "lstm": (lstm.build, lstm.validate_config),
    "one_layer_attention": (attention.build, attention.validate_config),
}


def validate_name(cfg: config.ConfigDict, path: str = "model.name") -> str:
    return config.one_of(cfg, path, MODELS)


def build(model_cfg: config.ConfigDict, n_dims: int):
    return MODELS[model_cfg.name][0](model_cfg, n_dims)

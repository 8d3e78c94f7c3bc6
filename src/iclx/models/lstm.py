"""A stacked unidirectional LSTM for in-context regression (Fu et al. 2023, App. A.1; Garg et al.'s
``lstm`` family).

Same prompt format and interface as ``gpt2.GPT2ICL``: tokens x_1, ỹ_1, x_2, ỹ_2, … are read in
linearly to ``hidden``, pass ``n_layer`` LSTM layers, and a linear read-out at the x tokens predicts
y_i from x_1..x_i and y_1..y_{i−1} (the recurrence is causal by construction). Fu et al.'s LSTM has
10 layers and 5.3M parameters, which ``hidden = 256`` reproduces.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from iclx import config
from iclx.models.gpt2 import Hidden, interleave


def lstm_cell(hidden: int) -> nn.OptimizedLSTMCell:
    """An LSTM cell with PyTorch's initialisation (every weight ~ U(±1/√hidden), as in Garg et al.'s
    and Fu et al.'s ``torch.nn.LSTM``). It also avoids flax's default orthogonal recurrent init,
    whose QR decompositions, several in one vmapped jitted init, can deadlock XLA:CPU on 2 cores
    (the LAPACK pitfall noted in ``iclx.algorithms.regression``)."""
    bound = 1.0 / hidden ** 0.5
    uniform = lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)
    return nn.OptimizedLSTMCell(hidden, kernel_init=uniform, recurrent_kernel_init=uniform,
                                bias_init=uniform)


class LSTMICL(nn.Module):
    """``apply(params, xs [B, n, d], ys [B, n]) -> preds [B, n]`` (and ``Hidden`` if asked:
    ``residual [n_layer + 1, B, 2n, hidden]`` = read-in then each layer's output, ``final`` = the
    last layer's output, which the read-out sees)."""

    n_dims: int
    n_layer: int
    hidden: int

    @nn.compact
    def __call__(self, xs: jax.Array, ys: jax.Array, return_hidden: bool = False):
        h = nn.Dense(self.hidden, name="read_in")(interleave(xs, ys))
        states = [h]
        for layer in range(self.n_layer):
            h = nn.RNN(lstm_cell(self.hidden), name=f"lstm_{layer}")(h)
            states.append(h)
        preds = nn.Dense(1, name="read_out")(h[..., ::2, :])[..., 0]
        if return_hidden:
            return preds, Hidden(residual=jnp.stack(states), final=h)
        return preds


def build(model: config.ConfigDict, n_dims: int) -> LSTMICL:
    return LSTMICL(n_dims=n_dims, n_layer=model.n_layer, hidden=model.hidden)


def default_config(*, n_layer: int, hidden: int) -> config.ConfigDict:
    return config.ConfigDict(dict(name="lstm", n_layer=n_layer, hidden=hidden))


def validate_config(cfg: config.ConfigDict, n_points: int, prefix: str = "model") -> None:
    """Every field of an LSTM model group (``n_points`` is unused: an LSTM has no context limit)."""
    config.positive_int(cfg, f"{prefix}.n_layer")
    config.positive_int(cfg, f"{prefix}.hidden")

"""A GPT-2-style causal transformer for in-context regression (Garg et al. 2022's wrapper, in flax).

Tokens interleave inputs and zero-padded labels, ``x_1, ỹ_1, x_2, ỹ_2, …`` with ỹ_i = [y_i, 0, …, 0],
read in by a linear map to ``n_embd``, plus learned absolute positions; ``n_layer`` pre-LayerNorm blocks
(causal multi-head softmax attention, GELU MLP), a final LayerNorm and a linear read-out. The prediction
for y_i is read at x_i's position, so it depends on x_1..x_i and y_1..y_{i-1} only. No dropout.

``dtype`` is the compute dtype of the blocks' matrix products ("bfloat16" for mixed precision on
accelerators); parameters, LayerNorms, the softmax and the residual stream stay float32.

``attention`` picks the score activation: "softmax" (GPT-2) or "relu", ReLU attention normalised by
the number of attended positions, w_ts = ReLU(q_t·k_s/√d_h) / (t + 1) for s ≤ t (Wu et al. 2024's
ReLU-Transformer; Bai et al. 2023's 1/n normalisation made causal): the mask zeroes future positions
after the ReLU. The config field ``model.attention`` is optional (absent = "softmax").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from iclx import config

DTYPES = ("float32", "bfloat16")
ATTENTIONS = ("softmax", "relu")


class Hidden(NamedTuple):
    """Every layer's hidden state at every token.

    ``residual [n_layer + 1, B, 2n, n_embd]``: index 0 is the embedding, index ℓ the residual stream
    after block ℓ (before any LayerNorm). ``final [B, 2n, n_embd]``: ln_f of the last block's output,
    the features the read-out sees.
    """

    residual: jax.Array
    final: jax.Array


def interleave(xs: jax.Array, ys: jax.Array) -> jax.Array:
    """Tokens ``[B, 2n, d]`` from ``xs [B, n, d]`` and ``ys [B, n]``: x_1, ỹ_1, x_2, ỹ_2, …"""
    y_tokens = jnp.zeros_like(xs).at[..., 0].set(ys)
    tokens = jnp.stack([xs, y_tokens], axis=-2)          # [B, n, 2, d]
    return tokens.reshape(*xs.shape[:-2], 2 * xs.shape[-2], xs.shape[-1])


class CausalSelfAttention(nn.Module):
    n_head: int
    n_embd: int
    out_init_std: float
    dtype: jnp.dtype = jnp.float32
    attention: str = "softmax"

    @nn.compact
    def __call__(self, h: jax.Array) -> jax.Array:
        batch, length, _ = h.shape
        head_dim = self.n_embd // self.n_head
        qkv = nn.Dense(3 * self.n_embd, kernel_init=nn.initializers.normal(0.02), dtype=self.dtype,
                       name="c_attn")(h)
        q, k, v = jnp.split(qkv.reshape(batch, length, 3, self.n_head, head_dim), 3, axis=2)
        q, k, v = (a[:, :, 0] for a in (q, k, v))                     # [B, T, H, hd]
        scores = jnp.einsum("bthd,bshd->bhts", q, k).astype(jnp.float32) / math.sqrt(head_dim)
        causal = jnp.tril(jnp.ones((length, length), dtype=bool))
        if self.attention == "relu":
            counts = jnp.arange(1, length + 1, dtype=scores.dtype)[:, None]   # attended positions
            weights = (jnp.where(causal, jax.nn.relu(scores), 0.0) / counts).astype(self.dtype)
        else:
            scores = jnp.where(causal, scores, jnp.finfo(scores.dtype).min)
            weights = jax.nn.softmax(scores, axis=-1).astype(self.dtype)
        out = jnp.einsum("bhts,bshd->bthd", weights, v).reshape(batch, length, self.n_embd)
        return nn.Dense(self.n_embd, kernel_init=nn.initializers.normal(self.out_init_std),
                        dtype=self.dtype, name="c_proj")(out)


class Block(nn.Module):
    n_head: int
    n_embd: int
    mlp_width: int
    out_init_std: float
    dtype: jnp.dtype = jnp.float32
    attention: str = "softmax"

    @nn.compact
    def __call__(self, h: jax.Array) -> jax.Array:
        a = CausalSelfAttention(self.n_head, self.n_embd, self.out_init_std, self.dtype,
                                self.attention, name="attn")(
            nn.LayerNorm(epsilon=1e-5, name="ln_1")(h))
        h = h + a.astype(h.dtype)
        m = nn.LayerNorm(epsilon=1e-5, name="ln_2")(h)
        m = nn.Dense(self.mlp_width, kernel_init=nn.initializers.normal(0.02), dtype=self.dtype,
                     name="c_fc")(m)
        m = nn.gelu(m, approximate=True)
        m = nn.Dense(self.n_embd, kernel_init=nn.initializers.normal(self.out_init_std),
                     dtype=self.dtype, name="c_proj")(m)
        return h + m.astype(h.dtype)


class GPT2ICL(nn.Module):
    """``apply(params, xs [B, n, d], ys [B, n]) -> preds [B, n]`` (and ``Hidden`` if asked)."""

    n_dims: int
    n_positions: int
    n_layer: int
    n_head: int
    n_embd: int
    mlp_width: int
    dtype: str = "float32"
    attention: str = "softmax"

    @nn.compact
    def __call__(self, xs: jax.Array, ys: jax.Array, return_hidden: bool = False):
        tokens = interleave(xs, ys)
        length = tokens.shape[-2]
        if length > self.n_positions:  # shapes are static: this fires at trace time, never in a loop
            raise ValueError(f"prompt of {length} tokens exceeds model.n_positions={self.n_positions}")
        wpe = self.param("wpe", nn.initializers.normal(0.02), (self.n_positions, self.n_embd))
        h = nn.Dense(self.n_embd, name="read_in")(tokens) + wpe[:length]
        out_init_std = 0.02 / math.sqrt(2 * self.n_layer)
        residual = [h]
        for layer in range(self.n_layer):
            h = Block(self.n_head, self.n_embd, self.mlp_width, out_init_std, jnp.dtype(self.dtype),
                      self.attention, name=f"h_{layer}")(h)
            residual.append(h)
        final = nn.LayerNorm(epsilon=1e-5, name="ln_f")(h)
        preds = nn.Dense(1, name="read_out")(final[..., ::2, :])[..., 0]
        if return_hidden:
            return preds, Hidden(residual=jnp.stack(residual), final=final)
        return preds


def build(model: config.ConfigDict, n_dims: int) -> GPT2ICL:
    return GPT2ICL(n_dims=n_dims, n_positions=model.n_positions, n_layer=model.n_layer,
                   n_head=model.n_head, n_embd=model.n_embd, mlp_width=model.mlp_width,
                   dtype=model.dtype, attention=model.get("attention", "softmax"))


def default_config(*, n_layer: int, n_head: int, n_embd: int, n_positions: int,
                   attention: str | None = None) -> config.ConfigDict:
    """The ``model`` group; ``attention`` ("softmax" | "relu") adds the optional field."""
    cfg = config.ConfigDict(dict(name="gpt2", n_layer=n_layer, n_head=n_head, n_embd=n_embd,
                            mlp_width=4 * n_embd, n_positions=n_positions, dtype="float32"))
    if attention is not None:
        cfg.attention = attention
    return cfg


def validate_config(cfg: config.ConfigDict, n_points: int, prefix: str = "model") -> None:
    config.positive_int(cfg, f"{prefix}.n_layer")
    n_head = config.positive_int(cfg, f"{prefix}.n_head")
    n_embd = config.positive_int(cfg, f"{prefix}.n_embd")
    config.positive_int(cfg, f"{prefix}.mlp_width")
    n_positions = config.positive_int(cfg, f"{prefix}.n_positions")
    config.one_of(cfg, f"{prefix}.dtype", DTYPES)
    if "attention" in config.get_field(cfg, prefix):
        config.one_of(cfg, f"{prefix}.attention", ATTENTIONS)
    config.require(n_embd % n_head == 0, f"{prefix}.n_embd",
                   f"{n_embd} is not divisible by {prefix}.n_head={n_head}")
    config.require(2 * n_points <= n_positions, f"{prefix}.n_positions",
                   f"a prompt of task.n_points={n_points} needs {2 * n_points} positions, "
                   f"longer than the model's context {prefix}.n_positions={n_positions}")


def count_params(params) -> int:
    return sum(int(x.size) for x in jax.tree.leaves(params))

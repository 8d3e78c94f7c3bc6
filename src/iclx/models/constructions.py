"""Transformers with hand-set weights that run regression algorithms exactly.

1. ``newton_layers``: Fu et al. 2023, Thm 5.1 — a transformer with **ReLU attention normalised by
   1/N** (N = the static number of tokens) whose hidden states run Iterative Newton
   (M₀ = αS, M_{k+1} = 2M_k − M_k S M_k, S = XᵀX) and which predicts x̃ᵀM_k Xᵀy for the query x̃
   after ``k + 2`` layers: one layer forms M₀ = αS, one layer per Newton iteration, one read-out layer.
   Fu et al. count k + 8 layers because their network also computes α and moves data around; here α
   is given per prompt (set into the weights, as in the spec's "α fixed per prompt"), so the O(1)
   overhead is 2. Every multiplication by a signed scalar uses ReLU(a) − ReLU(−a) = a (two heads with
   opposite query signs, or an MLP pair), which is exact in floating point.
2. ``gd_layers``: von Oswald et al. 2023 — ``k`` layers of linear self-attention on tokens [x; y]
   that run k steps of gradient descent w ← w − η(Sw − Xᵀy) from w = 0 (Fu et al.'s unnormalised
   gradient); one layer is one GD step.

The generic network (``forward``) acts on one token sequence ``h [N, D]`` with a key mask (the tokens
that may be attended to: the in-context examples, never the query nor padding); residual connections,
no LayerNorm. ``predict_at_every_prefix`` evaluates a construction the way the regression baselines
are evaluated: for each position t, the examples 0..t−1 are the keys and x_t is the query.

Token layout of the Newton network (D = 3d + 3 per token):
  ``z`` [0, d): x_i for an example, x̃ for the query;   ``x`` [d, 2d): x_i for an example, 0 for the query;
  ``t`` [2d, 3d): the iterate t = M_k z;   ``y`` 3d: y_i (0 for the query);
  ``a`` 3d + 1: scratch;   ``p`` 3d + 2: the current prediction x̃ᵀM_{k−1}Xᵀy (known at every layer,
  which the probe tests use).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array


class Layer(NamedTuple):
    """One block. Heads: ``query``, ``key [Hd, D, m]``, ``value [Hd, D, D]`` (value and output
    projection in one matrix, written into the residual). MLP: ``mlp_in [D, F]``, ``mlp_bias [F]``,
    ``mlp_out [F, D]`` with a ReLU in between."""

    query: Array
    key: Array
    value: Array
    mlp_in: Array
    mlp_bias: Array
    mlp_out: Array


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {"relu": jax.nn.relu, "linear": lambda s: s}


def forward(layers: list[Layer], h: Array, key_mask: Array, activation: str = "relu") -> Array:
    """Hidden states ``[len(layers) + 1, N, D]`` of tokens ``h [N, D]``; ``key_mask [N]`` (bool)
    marks the tokens that may be attended to. Attention of token j: (1/N) Σ_heads Σ_i
    act(q_jᵀk_i) · v_i over unmasked i; then the MLP; both added to the residual stream."""
    act = ACTIVATIONS[activation]
    n_tokens = h.shape[0]
    states = [h]
    for layer in layers:
        q = jnp.einsum("nD,hDm->hnm", h, layer.query)
        k = jnp.einsum("nD,hDm->hnm", h, layer.key)
        v = jnp.einsum("nD,hDE->hnE", h, layer.value)
        scores = act(jnp.einsum("hjm,him->hji", q, k)) * key_mask[None, None, :]
        h = h + jnp.einsum("hji,hiE->jE", scores, v) / n_tokens
        h = h + jax.nn.relu(h @ layer.mlp_in + layer.mlp_bias) @ layer.mlp_out
        states.append(h)
    return jnp.stack(states)


# --------------------------------------------------------------------------- building blocks


def _selector(width: int, start: int, size: int, dtype) -> Array:
    """``[width, size]``: reads coordinates start..start+size of a token."""
    return jnp.zeros((width, size), dtype).at[start:start + size].set(jnp.eye(size, dtype=dtype))


def _signed_pair(query: Array, key: Array, value: Array) -> tuple[Array, Array, Array]:
    """Two ReLU heads whose sum is the linear head (qᵀk)·v: ReLU(s) − ReLU(−s) = s."""
    return (jnp.stack([query, -query]), jnp.stack([key, key]), jnp.stack([value, -value]))


def _identity_mlp(width: int, moves: list[tuple[int, int, float]], dtype) -> tuple[Array, Array, Array]:
    """An exact linear MLP: adds ``coef · h[src]`` to ``h[dst]`` for each (src, dst, coef), through
    ReLU(h) − ReLU(−h) pairs."""
    sources = sorted({src for src, _, _ in moves})
    index = {src: i for i, src in enumerate(sources)}
    w_in = jnp.zeros((width, 2 * len(sources)), dtype)
    w_out = jnp.zeros((2 * len(sources), width), dtype)
    for src in sources:
        w_in = w_in.at[src, 2 * index[src]].set(1.0).at[src, 2 * index[src] + 1].set(-1.0)
    for src, dst, coef in moves:
        w_out = w_out.at[2 * index[src], dst].add(coef).at[2 * index[src] + 1, dst].add(-coef)
    return w_in, jnp.zeros((2 * len(sources),), dtype), w_out


def _layer(heads: list[tuple[Array, Array, Array]], mlp, width: int, dtype) -> Layer:
    if heads:
        query = jnp.concatenate([h[0] for h in heads])
        key = jnp.concatenate([h[1] for h in heads])
        value = jnp.concatenate([h[2] for h in heads])
    else:
        query = key = jnp.zeros((0, width, 1), dtype)
        value = jnp.zeros((0, width, width), dtype)
    return Layer(query, key, value, *mlp)


# --------------------------------------------------------------------------- Iterative Newton


class NewtonSlots(NamedTuple):
    z: slice
    x: slice
    t: slice
    y: int
    a: int
    p: int
    width: int


def newton_slots(d: int) -> NewtonSlots:
    return NewtonSlots(slice(0, d), slice(d, 2 * d), slice(2 * d, 3 * d), 3 * d, 3 * d + 1,
                       3 * d + 2, 3 * d + 3)


def newton_layers(d: int, num_iterations: int, alpha: Array, n_tokens: int,
                  dtype=jnp.float32) -> list[Layer]:
    """The ``num_iterations + 2`` layers of the Newton transformer for one prompt (α = ``alpha``, a
    scalar that may be traced, e.g. vmapped over prompts; ``n_tokens`` = N of the 1/N normaliser).

    Layer 1: t ← αS z (heads: query z, key x, value αN·x → t).
    Layers 2..k+1 (Newton): heads 1–2: t += −½·(1/N)Σ_i N t_i⟨t_i, z⟩; heads 3–4: a += Σ_i y_i⟨x_i, t⟩
    (the prediction with the current iterate); MLP: t ← 2t, p ← a, a ← 0. Hence after layer ℓ ≥ 2,
    t = M_{ℓ−1} z and p = x̃ᵀM_{ℓ−2}Xᵀy.
    Last layer: heads 3–4 and the MLP only, so p = x̃ᵀM_kXᵀy, the prediction of k Newton iterations.
    """
    s = newton_slots(d)
    D, N = s.width, float(n_tokens)
    sel = lambda sl: _selector(D, sl.start, sl.stop - sl.start, dtype)
    write = lambda src, dst: jnp.zeros((D, D), dtype).at[src, dst].set(1.0)   # value: src → dst

    def idx(sl: slice) -> jnp.ndarray:
        return jnp.arange(sl.start, sl.stop)

    to_t_from_x = jnp.zeros((D, D), dtype).at[idx(s.x), idx(s.t)].set(1.0)
    to_t_from_t = jnp.zeros((D, D), dtype).at[idx(s.t), idx(s.t)].set(1.0)
    init_heads = [_signed_pair(sel(s.z), sel(s.x), alpha * N * to_t_from_x)]
    newton_heads = _signed_pair(sel(s.z), sel(s.t), -0.5 * N * to_t_from_t)
    predict_heads = _signed_pair(sel(s.t), sel(s.x), N * write(s.y, s.a))
    t_moves = [(i, i, 1.0) for i in range(s.t.start, s.t.stop)]
    readout_moves = [(s.a, s.p, 1.0), (s.p, s.p, -1.0), (s.a, s.a, -1.0)]
    empty_mlp = (jnp.zeros((D, 1), dtype), jnp.zeros((1,), dtype), jnp.zeros((1, D), dtype))

    layers = [_layer(init_heads, empty_mlp, D, dtype)]
    for _ in range(num_iterations):
        layers.append(_layer([newton_heads, predict_heads],
                             _identity_mlp(D, t_moves + readout_moves, dtype), D, dtype))
    layers.append(_layer([predict_heads], _identity_mlp(D, readout_moves, dtype), D, dtype))
    return layers


def newton_tokens(xs: Array, ys: Array, query: Array) -> Array:
    """Tokens ``[n + 1, 3d + 3]`` of one prompt: n examples (``xs [n, d]``, ``ys [n]``) then the query."""
    n, d = xs.shape
    s = newton_slots(d)
    h = jnp.zeros((n + 1, s.width), xs.dtype)
    h = h.at[:n, s.z].set(xs).at[:n, s.x].set(xs).at[:n, s.y].set(ys)
    return h.at[n, s.z].set(query)


# --------------------------------------------------------------------------- gradient descent


def gd_layers(d: int, eta: float, num_steps: int, n_tokens: int, dtype=jnp.float32) -> list[Layer]:
    """``num_steps`` linear-attention layers on tokens [x; y] (D = d + 1): each adds
    −η·(1/N)Σ_i N ỹ_i⟨x_i, x⟩ to the y slot, so the examples' y slots hold the residuals y_i − x_iᵀw_k
    and the query's holds −x̃ᵀw_k for w_k = k GD steps from 0 (prediction: minus the query's y slot)."""
    D, N = d + 1, float(n_tokens)
    sel_x = _selector(D, 0, d, dtype)
    value = jnp.zeros((D, D), dtype).at[d, d].set(-eta * N)
    no_mlp = (jnp.zeros((D, 1), dtype), jnp.zeros((1,), dtype), jnp.zeros((1, D), dtype))
    layer = Layer(sel_x[None], sel_x[None], value[None], *no_mlp)
    return [layer] * num_steps


def gd_tokens(xs: Array, ys: Array, query: Array) -> Array:
    """Tokens ``[n + 1, d + 1]``: examples [x_i; y_i], then the query [x̃; 0]."""
    examples = jnp.concatenate([xs, ys[:, None]], axis=-1)
    return jnp.concatenate([examples, jnp.concatenate([query, jnp.zeros((1,), xs.dtype)])[None]])


# --------------------------------------------------------------------------- evaluation


def prefix_states(build_layers: Callable[[Array, Array], list[Layer]],
                  tokens: Callable[[Array, Array, Array], Array], xs: Array, ys: Array,
                  activation: str) -> Array:
    """The query token's hidden states ``[layers + 1, B, n, D]`` at every prefix: position t uses
    the examples 0..t−1 as keys and x_t as the query. ``build_layers(xs_t, ys_t)`` gets the prompt
    with examples ≥ t zeroed (so it can set per-prompt constants such as α)."""
    n = xs.shape[-2]

    def one(x, y, t):
        keep = (jnp.arange(n) < t).astype(x.dtype)
        x_t, y_t = x * keep[:, None], y * keep
        h = tokens(x_t, y_t, x[t])
        key_mask = jnp.concatenate([keep, jnp.zeros((1,), x.dtype)])
        return forward(build_layers(x_t, y_t), h, key_mask, activation)[:, -1]

    per_prompt = jax.vmap(one, in_axes=(None, None, 0), out_axes=1)           # over t
    return jax.vmap(per_prompt, in_axes=(0, 0, None), out_axes=1)(xs, ys, jnp.arange(n))


@functools.partial(jax.jit, static_argnames="num_iterations")
def newton_transformer_states(xs: Array, ys: Array, num_iterations: int) -> Array:
    """Query-token states ``[k + 3, B, n, 3d + 3]`` of the Newton transformer at every prefix, with
    α = 2/‖SSᵀ‖_F of each prefix (Fu et al.'s code, newton_alpha's default; 0 for an empty prefix)."""
    from iclx.algorithms.regression import newton_alpha

    n, d = xs.shape[-2:]

    def build(x, y):
        S = x.T @ x
        return newton_layers(d, num_iterations, newton_alpha(S), n + 1, xs.dtype)

    return prefix_states(build, newton_tokens, xs, ys, "relu")


def newton_transformer_predict(xs: Array, ys: Array, num_iterations: int) -> Array:
    """Predictions ``[B, n]`` of the Newton transformer (the p slot after the last layer)."""
    d = xs.shape[-1]
    return newton_transformer_states(xs, ys, num_iterations)[-1, ..., newton_slots(d).p]


@functools.partial(jax.jit, static_argnames="num_steps")
def gd_transformer_predict(xs: Array, ys: Array, eta: float, num_steps: int) -> Array:
    """Predictions ``[B, n]`` of ``num_steps`` linear-attention GD layers at every prefix."""
    n, d = xs.shape[-2:]
    layers = gd_layers(d, eta, num_steps, n + 1, xs.dtype)
    states = prefix_states(lambda x, y: layers, gd_tokens, xs, ys, "linear")
    return -states[-1, ..., d]

"""One-layer attention with a merged key-query matrix Q (Huang, Cheng, Liang 2024; Li, Duan, Liang 2025).

The embedding E = [[x_1 … x_N x_q], [y_1 … y_N 0]] with W^{KQ} = [[Q, 0], [0, 0]] and
W^{PV} = [[0, 0], [0, 1]] reduces the layer to

    score_i = x_iᵀ Q x_q,     attn = normalise(score),     ŷ_q = Σ_i attn_i y_i,

so the only trainable parameter is Q [d, d] (zero init: uniform attention). ``ATTENTIONS`` maps the
normalisation's name to its function: ``softmax`` here; a one-layer linear attention (attn_i =
score_i / N) fits beside it as another entry.

Pure functions (``scores``, ``attention_weights``, ``predict_query``, ``feature_attention``, and for
prompts whose tokens come from a finite feature set the losses ``features_loss`` (exact in the task
function) and ``tokens_loss`` (simulated prompts), ``attention_metrics`` and ``prompt_report``) serve
the experiments; ``OneLayerAttention`` wraps them as the registry's flax model
``apply(params, xs [B, n, d], ys [B, n]) -> preds [B, n]``, predicting y_i from the tokens before i.
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from iclx import config


def _masked_softmax(scores: jax.Array, mask: jax.Array | None) -> jax.Array:
    if mask is None:
        return jax.nn.softmax(scores, axis=-1)
    # a finite floor (not -inf) keeps a row without any allowed token finite, and its gradient too
    weights = jax.nn.softmax(jnp.where(mask, scores, jnp.finfo(scores.dtype).min), axis=-1)
    return jnp.where(mask, weights, 0.0)


ATTENTIONS: dict[str, Callable[[jax.Array, jax.Array | None], jax.Array]] = {
    "softmax": _masked_softmax,
}


def scores(q: jax.Array, keys: jax.Array, query: jax.Array) -> jax.Array:
    """score_i = x_iᵀ Q x_q: ``Q [d, d]``, ``keys [..., n, d]``, ``query [..., d]`` → ``[..., n]``."""
    return jnp.einsum("...nd,de,...e->...n", keys, q, query)


def attention_weights(score: jax.Array, mask: jax.Array | None = None,
                      kind: str = "softmax") -> jax.Array:
    """Attention ``[..., n]`` from scores ``[..., n]`` (``mask`` True = may attend)."""
    return ATTENTIONS[kind](score, mask)


def predict_query(q: jax.Array, xs: jax.Array, ys: jax.Array, x_query: jax.Array,
                  kind: str = "softmax") -> tuple[jax.Array, jax.Array]:
    """ŷ_q = Σ_i attn_i y_i and the weights: ``xs [..., N, d]``, ``ys [..., N]``, ``x_query [..., d]``
    → ``([...], [..., N])``."""
    weights = attention_weights(scores(q, xs, x_query), kind=kind)
    return jnp.sum(weights * ys, axis=-1), weights


def feature_attention(score_matrix: jax.Array, counts: jax.Array) -> jax.Array:
    """Exact per-feature softmax attention for noise-free tokens: with S = VQVᵀ (``[K, K]``, S[k, j] =
    v_kᵀ Q v_j) and a prompt's feature counts ``n [..., K]``, a query of feature j puts mass
    Attn_k = n_k e^{S[k, j]} / Σ_l n_l e^{S[l, j]} on the tokens of feature k.
    Returns ``[..., K (query feature j), K (token feature k)]``; absent features get 0."""
    log_counts = jnp.where(counts > 0, jnp.log(jnp.maximum(counts, 1.0)), -jnp.inf)
    logits = score_matrix.T + log_counts[..., None, :]          # [..., j, k]
    return jax.nn.softmax(logits, axis=-1)


def score_matrix(q: jax.Array, features: jax.Array) -> jax.Array:
    """S = V Q Vᵀ ``[K, K]`` for features ``V [K, d]``: S[k, j] is the score of a feature-k token
    for a feature-j query."""
    return features @ q @ features.T


# --------------------------------------------------------------------------- losses of feature-set prompts


def features_loss(q: jax.Array, features: jax.Array, cov: jax.Array,
                  counts: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Population loss of noise-free feature-set prompts, exact in the task function f:
    ½ mean_{b, j} (a_bj − e_j)ᵀ C (a_bj − e_j) with a_bj the per-feature attention of a feature-j
    query under counts ``counts [B, K]``, ``features V [K, d]``, label covariance
    C_kl = E f(v_k) f(v_l) ``cov [K, K]``. Returns ``(loss, attn [B, K (query), K (token)])``."""
    attn = feature_attention(score_matrix(q, features), counts)        # [B, j (query), k]
    err = attn - jnp.eye(features.shape[0])
    return 0.5 * jnp.mean(jnp.einsum("bjk,kl,bjl->bj", err, cov, err)), attn


def tokens_loss(q: jax.Array, xs: jax.Array, ys: jax.Array, x_query: jax.Array,
                y_query: jax.Array, token_features: jax.Array, query_feature: jax.Array,
                n_features: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Squared-error loss on a batch of simulated prompts (``xs [B, N, d]``, ``ys [B, N]``,
    ``x_query [B, d]``, ``y_query [B]``, feature indices ``token_features [B, N]``,
    ``query_feature [B]``): ``(loss, Attn [B, K], target one-hot [B, K])`` with Attn_k the attention
    mass on the tokens of feature k."""
    pred, weights = predict_query(q, xs, ys, x_query)
    attn = jnp.einsum("bn,bnk->bk", weights, jax.nn.one_hot(token_features, n_features))
    return 0.5 * jnp.mean((pred - y_query) ** 2), attn, jax.nn.one_hot(query_feature, n_features)


def attention_metrics(attn: jax.Array, target: jax.Array) -> dict[str, jax.Array]:
    """Bookkeeping of per-feature attention ``attn [..., K]`` (Attn_k = Σ_{i ∈ V_k} attn_i) and the
    query's feature one-hot ``target [..., K]``: mean mass on the target feature, mean largest mass
    on an irrelevant feature, and for queries of feature 0 the mean mass on each other feature."""
    on_target = jnp.sum(attn * target, axis=-1)
    others = jnp.where(target > 0, 0.0, attn)
    first = target[..., 0]
    q0 = jnp.sum(attn * first[..., None], axis=tuple(range(attn.ndim - 1))) / jnp.maximum(
        jnp.sum(first), 1.0)
    return {"attn_target": jnp.mean(on_target),
            "attn_irrelevant_max": jnp.mean(jnp.max(others, axis=-1)),
            **{f"attn_q0_k{k}": q0[k] for k in range(1, attn.shape[-1])}}


def prompt_report(q: jax.Array, xs: jax.Array, ys: jax.Array, x_query: jax.Array,
                  y_query: jax.Array, token_features: jax.Array, query_feature: jax.Array,
                  n_features: int) -> dict[str, jax.Array]:
    """Attention ``Q [d, d]`` on a batch of feature-set prompts (shapes as in ``tokens_loss``): the
    mean per-feature attention matrix ``[K, K]`` (row = query feature), the first prompt's token
    weights, features and query feature, and the mean squared error of the model, of uniform
    attention (Q = 0) and of the same-feature oracle (the mean label of the query's feature)."""
    K = n_features
    pred, weights = predict_query(q, xs, ys, x_query)
    onehot = jax.nn.one_hot(token_features, K)                      # [B, N, K]
    attn = jnp.einsum("bn,bnk->bk", weights, onehot)
    query = jax.nn.one_hot(query_feature, K)                        # [B, K]
    matrix = (query.T @ attn) / jnp.maximum(query.sum(0), 1.0)[:, None]
    same = jnp.einsum("bnk,bk->bn", onehot, query)
    oracle = jnp.sum(same * ys, -1) / jnp.maximum(same.sum(-1), 1.0)
    uniform = jnp.mean(ys, axis=-1)
    mse = lambda p: jnp.mean((p - y_query) ** 2)
    return {"matrix": matrix, "example_weights": weights[0], "example_features": token_features[0],
            "example_query": query_feature[0], "mse_model": mse(pred),
            "mse_uniform": mse(uniform), "mse_oracle": mse(oracle)}


class OneLayerAttention(nn.Module):
    """``apply(params, xs [B, n, d], ys [B, n]) -> preds [B, n]``: pred_i attends over tokens j < i
    with score x_jᵀ Q x_i (pred_0 = 0). The parameter ``Q [d, d]`` starts at zero."""

    n_dims: int
    kind: str = "softmax"

    @nn.compact
    def __call__(self, xs: jax.Array, ys: jax.Array) -> jax.Array:
        q = self.param("Q", nn.initializers.zeros, (self.n_dims, self.n_dims))
        n = xs.shape[-2]
        all_scores = jnp.einsum("...jd,de,...ie->...ij", xs, q, xs)     # [B, i (query), j (token)]
        causal = jnp.tril(jnp.ones((n, n), dtype=bool), k=-1)
        weights = attention_weights(all_scores, causal, self.kind)
        return jnp.einsum("...ij,...j->...i", weights, ys)


def build(model: config.ConfigDict, n_dims: int) -> OneLayerAttention:
    return OneLayerAttention(n_dims=n_dims, kind=model.kind)


def default_config(kind: str = "softmax") -> config.ConfigDict:
    return config.ConfigDict(dict(name="one_layer_attention", kind=kind))


def validate_config(cfg: config.ConfigDict, n_points: int, prefix: str = "model") -> None:
    config.one_of(cfg, f"{prefix}.kind", ATTENTIONS)

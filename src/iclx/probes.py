"""Layer-wise read-outs (probes) and the similarity metrics of Fu et al. 2023 (§3.3, Def. 3.3–3.4).

- **Probes.** For every layer ℓ a linear read-out ŷ = uᵀh + v of the frozen hidden state h at each
  x token. Fu et al. train it with Adam starting from the model's final read-out; the loss is convex,
  so we solve the same estimator in closed form: ridge regression on features pooled over prompts and
  positions, with the penalty pulling u towards the final read-out u₀ (the start point of their
  optimiser), ``λ·‖u − u₀‖²``, ``λ = ridge · tr(Cov(h)) / H``. All layers are solved at once (the
  solve is batched over the layer axis). Statistics are accumulated chunk by chunk with Chan's
  parallel mean/covariance update, so any number of prompts fits in memory.
- **Similarity of errors (SimE).** Per prompt, the cosine between the residual vectors
  (pred − y over positions) of two algorithms, then the mean over prompts.
- **Similarity of induced weights (SimW).** For each prefix, w̃ = least-squares fit of an
  algorithm's predictions on T ≫ d random queries; the cosine of two algorithms' w̃, averaged over
  prefixes and prompts.
- **Network probes.** ``NetworkProbe`` fits and applies the read-outs of one network (any flax
  module whose ``apply(..., return_hidden=True)`` returns ``(preds, Hidden)``), compiled once and
  reused for every seed; it also gives a layer's induced weights on query points (SimW).
- **Best match.** The column-wise argmax of a heatmap (first maximum) and its tie band: every row
  whose score rounds to the best score at ``decimals`` places.

Shapes: features ``[L, B, n, H]`` (layer, prompt, position, width); predictions ``[..., B, n]``;
heatmaps ``[K, L]`` (algorithm step, layer).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from iclx.engine import rng
from iclx.models.gpt2 import Hidden

Array = jax.Array


# --------------------------------------------------------------------------- features


def layer_features(hidden: Hidden) -> Array:
    """Probe features ``[L, B, n, H]`` at the x tokens: layers 1..L−1 read the raw residual stream
    after their block, layer L the ln_f output (Hugging Face's ``hidden_states`` semantics)."""
    inner = hidden.residual[1:-1, :, ::2]
    return jnp.concatenate([inner, hidden.final[None, :, ::2]], axis=0)


# --------------------------------------------------------------------------- probe statistics


class ProbeStats(NamedTuple):
    """Pooled first and second moments per layer (Chan's parallel form).

    ``count []``, ``mean_f [L, H]``, ``mean_y []``, ``m2_ff [L, H, H]`` = Σ(f − f̄)(f − f̄)ᵀ,
    ``m2_fy [L, H]`` = Σ(f − f̄)(y − ȳ).
    """

    count: Array
    mean_f: Array
    mean_y: Array
    m2_ff: Array
    m2_fy: Array


def probe_stats(features: Array, targets: Array) -> ProbeStats:
    """Moments of one chunk: ``features [L, B, n, H]``, ``targets [B, n]``, pooled over (B, n)."""
    num_layers, width = features.shape[0], features.shape[-1]
    f = features.reshape(num_layers, -1, width)
    y = targets.reshape(-1)
    mean_f, mean_y = f.mean(axis=1), y.mean()
    fc, yc = f - mean_f[:, None], y - mean_y
    return ProbeStats(jnp.asarray(y.shape[0], f.dtype), mean_f, mean_y,
                      jnp.einsum("lnh,lng->lhg", fc, fc), jnp.einsum("lnh,n->lh", fc, yc))


def merge_stats(a: ProbeStats, b: ProbeStats) -> ProbeStats:
    """Moments of the union of two disjoint chunks (numerically stable)."""
    n = a.count + b.count
    wb = b.count / n
    df, dy = b.mean_f - a.mean_f, b.mean_y - a.mean_y
    cross = a.count * wb
    return ProbeStats(n, a.mean_f + wb * df, a.mean_y + wb * dy,
                      a.m2_ff + b.m2_ff + cross * jnp.einsum("lh,lg->lhg", df, df),
                      a.m2_fy + b.m2_fy + cross * df * dy)


def solve_probes(stats: ProbeStats, ridge: float, anchor_u: Array | None = None) -> tuple[Array, Array]:
    """Ridge read-outs of every layer: ``u [L, H]``, ``v [L]`` minimising
    Σ(uᵀf + v − y)² + N·λ‖u − u₀‖² with λ = ``ridge`` · tr(Cov f)/H and u₀ = ``anchor_u [H]``
    (default 0). ``ridge = 0`` is ordinary least squares (needs full-rank features)."""
    cov = stats.m2_ff / stats.count
    cross = stats.m2_fy / stats.count
    width = cov.shape[-1]
    lam = ridge * jnp.trace(cov, axis1=-2, axis2=-1) / width                      # [L]
    u0 = jnp.zeros((width,), cov.dtype) if anchor_u is None else jnp.asarray(anchor_u, cov.dtype)
    eye = jnp.eye(width, dtype=cov.dtype)
    lhs = cov + lam[:, None, None] * eye
    rhs = cross + lam[:, None] * u0
    u = jnp.linalg.solve(lhs, rhs[..., None])[..., 0]
    v = stats.mean_y - jnp.einsum("lh,lh->l", stats.mean_f, u)
    return u, v


_solve_probes = jax.jit(solve_probes)


def probe_predictions(features: Array, u: Array, v: Array) -> Array:
    """``preds [L, B, n]`` = uₗᵀ h + vₗ for ``features [L, B, n, H]``."""
    return jnp.einsum("lbnh,lh->lbn", features, u.astype(features.dtype)) + v[:, None, None].astype(
        features.dtype)


# --------------------------------------------------------------------------- similarity of errors


def _unit(vectors: Array, axis: int = -1) -> Array:
    norm = jnp.linalg.norm(vectors, axis=axis, keepdims=True)
    return vectors / jnp.where(norm > 0, norm, 1.0)


def unit_residuals(preds: Array, ys: Array, first_position: int = 0) -> Array:
    """Residuals pred − y over positions ``first_position..n−1``, scaled to unit length per prompt:
    ``preds [..., B, n]`` (broadcast against ``ys [B, n]``) → ``[..., B, n − first_position]``
    (a zero residual stays zero, so its cosine with anything is 0)."""
    return _unit((preds - ys)[..., first_position:])


def residual_cosine(preds_a: Array, preds_b: Array, ys: Array, first_position: int = 0) -> Array:
    """Per-prompt cosine of two residual vectors: ``preds [..., B, n]`` → ``[..., B]``."""
    return jnp.sum(unit_residuals(preds_a, ys, first_position)
                   * unit_residuals(preds_b, ys, first_position), axis=-1)


def similarity_of_errors(preds_a: Array, preds_b: Array, ys: Array, first_position: int = 0) -> Array:
    """SimE heatmap ``[K, L]``: mean over prompts of the residual cosine between every row of
    ``preds_a [K, B, n]`` (e.g. algorithm steps) and every row of ``preds_b [L, B, n]`` (layers)."""
    ra = unit_residuals(preds_a, ys, first_position)
    rb = unit_residuals(preds_b, ys, first_position)
    return jnp.einsum("kbn,lbn->kl", ra, rb) / ys.shape[0]


# --------------------------------------------------------------------------- similarity of weights


def induced_weights(queries: Array, preds: Array) -> Array:
    """w̃ = (X̃ᵀX̃)⁻¹X̃ᵀỸ: the least-squares linear fit of predictions on queries.
    ``queries [..., T, d]``, ``preds [..., T]`` → ``[..., d]`` (needs T ≥ d)."""
    return jnp.einsum("...dt,...t->...d", jnp.linalg.pinv(queries), preds)


def fit_on_queries(queries: Array, weights: Array) -> Array:
    """Induced weights w̃ ``[K, B, n−1, d]`` of linear predictors ``weights [K, B, n, d]`` (an
    algorithm's weight vector at every prefix 0..n−1, e.g. per step): the least-squares fit on
    ``queries [B, T, d]`` of their predictions at prefixes 1..n−1 (= the weights, up to rounding)."""
    preds = jnp.einsum("btd,kbsd->kbst", queries, weights[:, :, 1:])
    return induced_weights(queries[None, :, None], preds)


def similarity_of_weights(weights_a: Array, weights_b: Array) -> Array:
    """SimW heatmap ``[K, L]``: the cosine of induced weights ``[K, B, t, d]`` and ``[L, B, t, d]``,
    averaged over prefixes t and prompts B (pass the prefixes with t ≥ 1 only)."""
    ua, ub = _unit(weights_a), _unit(weights_b)
    return jnp.einsum("kbtd,lbtd->kl", ua, ub) / (ua.shape[1] * ua.shape[2])


# --------------------------------------------------------------------------- best match


class BestMatch(NamedTuple):
    """Per column of a heatmap: ``index`` of the first maximal row, its ``score``, and the tie band
    ``low..high`` (smallest and largest row whose score rounds to the best one)."""

    index: np.ndarray
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray


def best_match(heatmap: np.ndarray, decimals: int = 3) -> BestMatch:
    """Column-wise best row of ``heatmap [K, L]`` with its rounding tie band (Fu et al. Def. 3.4;
    their code takes the first maximum of the unrounded scores)."""
    heat = np.asarray(heatmap, dtype=np.float64)
    index = np.argmax(heat, axis=0)
    score = heat[index, np.arange(heat.shape[1])]
    tied = np.round(heat, decimals) >= np.round(score, decimals)[None, :]
    rows = np.arange(heat.shape[0])[:, None]
    low = np.where(tied, rows, heat.shape[0]).min(axis=0)
    high = np.where(tied, rows, -1).max(axis=0)
    return BestMatch(index, score, low, high)


def best_steps(heatmaps: np.ndarray, steps, decimals: int = 3) -> dict[str, np.ndarray]:
    """Best-matching step values for heatmaps ``[S, K, L]`` (one per seed) over the step grid
    ``steps [K]``: ``{"best", "low", "high", "score"}`` each ``[S, L]``."""
    steps = np.asarray(steps)
    matches = [best_match(h, decimals) for h in np.asarray(heatmaps)]
    return {"best": np.stack([steps[m.index] for m in matches]),
            "low": np.stack([steps[m.low] for m in matches]),
            "high": np.stack([steps[m.high] for m in matches]),
            "score": np.stack([m.score for m in matches])}


# --------------------------------------------------------------------------- probing a network


class NetworkProbe:
    """Probe fitting and read-outs of one network, compiled once and reused per seed.

    ``net`` is a flax module with ``apply({"params": p}, xs, ys, return_hidden=True) -> (preds,
    Hidden)`` and a final ``read_out`` dense layer; ``task`` draws the probes' training prompts
    (``sample_batch(key, batch_size)``). Probes are fitted on ``n_batches × batch_size`` prompts with
    ``ridge`` (relative to the mean feature variance) pulling towards the final read-out
    (``anchor="final"``) or zero; predictions run in chunks of ``predict_batch`` prompts, induced
    weights in chunks of ``induced_batch`` prompts.
    """

    def __init__(self, net, task, *, n_batches: int, batch_size: int, ridge: float, anchor: str,
                 predict_batch: int, induced_batch: int):
        self.net, self.task = net, task
        self.n_batches, self.batch_size, self.ridge, self.anchor = n_batches, batch_size, ridge, anchor
        self.predict_batch, self.induced_batch = predict_batch, induced_batch
        self._statistics = jax.jit(self._statistics_impl)
        self._predict = jax.jit(self._predict_impl)
        self._induced = jax.jit(jax.vmap(self._induced_impl, in_axes=(None, None, None, 0, 0, 0),
                                         out_axes=1))

    def features(self, params, xs: Array, ys: Array) -> tuple[Array, Array]:
        """The output ``[B, n]`` and the probe features ``[L, B, n, H]``."""
        preds, hidden = self.net.apply({"params": params}, xs, ys, return_hidden=True)
        return preds, layer_features(hidden)

    def _statistics_impl(self, params, key: Array) -> ProbeStats:
        def chunk(i):
            prompt = self.task.sample_batch(rng.stream(key, "probe", i), self.batch_size)
            return probe_stats(self.features(params, prompt.xs, prompt.ys)[1], prompt.ys)

        # one sampling site in the program (an ill-conditioned task draws a QR per prompt, and two
        # LAPACK call sites in one XLA:CPU program can deadlock on 2 cores): start from empty moments
        empty = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(chunk, 0))
        body = lambda acc, i: (merge_stats(acc, chunk(i)), None)
        stats, _ = jax.lax.scan(body, empty, jnp.arange(self.n_batches))
        return stats

    def fit(self, params, seed_key: Array) -> tuple[np.ndarray, np.ndarray]:
        """Per-layer ridge read-outs ``u [L, H]``, ``v [L]`` on fresh prompts (stream "probe"),
        solved in float64."""
        stats = jax.device_get(self._statistics(params, seed_key))
        anchor = np.asarray(params["read_out"]["kernel"])[:, 0] if self.anchor == "final" else None
        with jax.enable_x64(True):
            stats64 = jax.tree.map(lambda a: np.asarray(a, np.float64), stats)
            anchor64 = None if anchor is None else np.asarray(anchor, np.float64)
            u, v = _solve_probes(stats64, np.float64(self.ridge), anchor64)   # one program, not one per op
            return np.asarray(u, np.float32), np.asarray(v, np.float32)

    def _predict_impl(self, params, u, v, xs, ys):
        def one(chunk):
            preds, feats = self.features(params, *chunk)
            return preds, probe_predictions(feats, u, v)

        batch = self.predict_batch
        chunks = (xs.reshape(-1, batch, *xs.shape[1:]), ys.reshape(-1, batch, ys.shape[-1]))
        out, layers = jax.lax.map(one, chunks)                    # [c, b, n], [c, L, b, n]
        layers = jnp.moveaxis(layers, 0, 1)
        return out.reshape(-1, ys.shape[-1]), layers.reshape(layers.shape[0], -1, ys.shape[-1])

    def predict(self, params, u, v, xs, ys) -> tuple[np.ndarray, np.ndarray]:
        """The network's output ``[B, n]`` and every layer's probe prediction ``[L, B, n]``."""
        out, layers = self._predict(params, u, v, xs, ys)
        return np.asarray(out), np.asarray(layers)

    def _induced_impl(self, params, u, v, x, y, q):
        n = x.shape[0]

        def at_prefix(t):
            # the prompt with x_t replaced by each query: T sequences [T, n, d], read out at t.
            # One prefix at a time (lax.map): all n − 1 at once held every layer's features of
            # (n − 1)·T sequences (27 GB at the paper's n = 41, T = 200, width 256)
            seqs = jax.vmap(lambda qk: x.at[t].set(qk))(q)
            feats = self.features(params, seqs, jnp.broadcast_to(y, seqs.shape[:2]))[1]  # [L, T, n, H]
            at_t = jnp.take(feats, t, axis=2)                                           # [L, T, H]
            return jnp.einsum("lkh,lh->lk", at_t, u) + v[:, None]                       # [L, T]

        preds = jax.lax.map(at_prefix, jnp.arange(1, n))                              # [n−1, L, T]
        return induced_weights(q, jnp.moveaxis(preds, 0, 1))                          # [L, n−1, d]

    def induced_weights(self, params, u, v, xs, ys, queries) -> np.ndarray:
        """w̃ ``[L, B, n−1, d]`` of every layer at prefixes t = 1..n−1: the probe's predictions for
        the queries ``[B, T, d]``, each put in the slot of x_t (one forward pass per query and
        prefix), fitted linearly on the queries."""
        batch = self.induced_batch
        chunks = [self._induced(params, u, v, xs[i:i + batch], ys[i:i + batch],
                                queries[i:i + batch]) for i in range(0, xs.shape[0], batch)]
        return np.concatenate([np.asarray(c) for c in chunks], axis=1)

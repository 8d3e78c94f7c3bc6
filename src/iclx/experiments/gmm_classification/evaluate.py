"""Evaluations of trained models and baselines (pure functions of saved parameters; no training).

Statistic prompts (the one-layer model and the Bayes rule only) go through ``stat_errors``; token-level
prompts (GPT-2, the one-layer model at every prefix, the baselines) through ``token_errors``. Each
LAPACK-using family is its own jitted program (see ``iclx.algorithms.regression``)."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from iclx import models
from iclx.algorithms import classification
from iclx.models import linear_attention
from iclx.tasks.gmm import GMMTask

CHUNK = 1024


@functools.partial(jax.jit, static_argnames=("task", "n_prompts", "queries", "n_max", "limit"))
def stat_errors(task: GMMTask, Ws: jax.Array, key: jax.Array, M, *, n_prompts: int, queries: int,
                n_max: int, limit: bool = False):
    """Test prompts of M examples (``limit``: M = ∞, S = rows μ_k/c): per model ``Ws [K, d, d]`` the mean
    TV distance to p*(x_q) ``[K]`` and misclassification rate ``[K]``, and the Bayes rule's rate."""
    chunk = min(CHUNK, n_prompts)

    def one_chunk(k):
        b = task.statistics_batch(k, chunk, M, queries, n_max=n_max)
        stat = b.means / task.n_classes if limit else b.stat
        logit = jax.vmap(lambda W: linear_attention.logits(W, stat, b.xq))(Ws)               # [K, B, Q, c]
        p = jax.nn.softmax(logit, -1)
        tv = jnp.mean(classification.total_variation(p, b.probs), axis=(1, 2))
        cls = 1.0 - jnp.mean(jnp.argmax(p, -1) == b.labels, axis=(1, 2))
        bayes = 1.0 - classification.accuracy(b.probs, b.labels)
        return tv, cls, bayes

    keys = jax.random.split(key, n_prompts // chunk)
    tv, cls, bayes = jax.lax.map(one_chunk, keys)
    return tv.mean(0), cls.mean(0), bayes.mean()


@functools.partial(jax.jit, static_argnames=("task", "n_prompts", "n"))
def token_prompts(task: GMMTask, key: jax.Array, n_prompts: int, n: int, mean_scale: float = 1.0,
                  cov_scale: float = 1.0):
    """``n_prompts`` token prompts of ``n`` examples, the test law shifted by the (traced) scales:
    one program per shape, whatever the shift."""
    shifted = dataclasses.replace(task, mean_scale=mean_scale, cov_scale=cov_scale)
    return shifted.sample_batch(key, n_prompts, n=n)


def _at(probs: jax.Array, prompt, positions) -> tuple[np.ndarray, np.ndarray]:
    """TV to p* and accuracy at ``positions`` from per-position probabilities ``[B, n, c]``."""
    idx = np.asarray(positions)
    tv = classification.total_variation(probs[:, idx], prompt.probs[:, idx]).mean(0)
    acc = (jnp.argmax(probs[:, idx], -1) == prompt.labels[:, idx]).mean(0)
    return np.asarray(tv), np.asarray(acc)


def model_probs(model_cfg, n_dims: int):
    """``(params, xs, ys) -> probs [B, n, 2]`` of GPT-2 (σ of its read-out is P(y = +1))."""
    model = models.build(model_cfg, n_dims)

    @jax.jit
    def probs(params, xs, ys):
        c = 64 if xs.shape[0] % 64 == 0 else xs.shape[0]
        p1 = jax.nn.sigmoid(jax.lax.map(lambda a: model.apply({"params": params}, *a),
                                        (xs.reshape(-1, c, *xs.shape[1:]),
                                         ys.reshape(-1, c, *ys.shape[1:]))).reshape(ys.shape))
        return jnp.stack([1.0 - p1, p1], -1)

    return probs


@jax.jit
def linear_probs(W, xs, labels):
    onehot = jax.nn.one_hot(labels, 2, dtype=xs.dtype)
    return jax.nn.softmax(linear_attention.prefix_logits(W, xs, onehot), -1)


def baseline_errors(task: GMMTask, prompt, positions, cfg) -> dict[str, tuple]:
    """TV to p* and accuracy at each prefix M of ``positions`` (examples 0..M−1, query x_M) for every
    baseline: ``{name: (tv [nM], acc [nM])}``; one compiled program per family (M is traced)."""
    onehot = jax.nn.one_hot(prompt.labels, 2, dtype=prompt.xs.dtype)
    prec = jnp.diag(1.0 / task.true_cov_diag())
    fams = {"lda_known": classification.batched(classification.lda_known, prec),
            "lda_estimated": classification.batched(classification.lda_estimated, cfg.lda_ridge),
            "logistic": classification.batched(classification.logistic, cfg.logistic_steps, cfg.logistic_lr, cfg.logistic_l2),
            "knn": classification.batched(classification.knn, cfg.knn_k),
            # the trivial baselines a trained model must beat (``claims_contrast.require_learned``)
            "nn1": classification.batched(classification.knn, 1),
            "label_mean": classification.batched(classification.label_frequencies)}
    n = prompt.xs.shape[1]
    out = {}
    for name, fn in fams.items():

        @jax.jit
        def at(M, fn=fn):
            mask = (jnp.arange(n) < M).astype(prompt.xs.dtype)
            xq = jnp.take(prompt.xs, M, axis=1)
            p = fn(prompt.xs, onehot, xq, mask)
            target = jnp.take(prompt.probs, M, axis=1)
            return (classification.total_variation(p, target).mean(),
                    (jnp.argmax(p, -1) == jnp.take(prompt.labels, M, axis=1)).mean())

        res = np.array([[float(v) for v in at(jnp.int32(M))] for M in positions])
        out[name] = (res[:, 0], res[:, 1])
    return out


def token_errors(task: GMMTask, prompt, positions, *, gpt_probs=None, gpt_params=None, W=None):
    """``{"gpt2"|"linear"|"bayes": (tv [nM], acc [nM])}`` at the prefixes ``positions``."""
    out = {"bayes": _at(prompt.probs, prompt, positions)}
    if gpt_params is not None:
        out["gpt2"] = _at(gpt_probs(gpt_params, prompt.xs, prompt.ys), prompt, positions)
    if W is not None:
        out["linear"] = _at(linear_probs(W, prompt.xs, prompt.labels), prompt, positions)
    return out

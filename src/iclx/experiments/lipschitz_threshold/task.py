"""The task and the training problem of the Lipschitz-threshold experiment, built from a config
(``config`` holds the presets and their validation), and the names the run, the summary, the plots and
the claims share: a lane's hyper-parameters, the theory tables' keys, the ε metrics' names.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from iclx import config, engine
from iclx.engine import rng
from iclx.models import attention
from iclx.tasks import lipschitz as lip

HP_KEYS = ("L", "alpha", "rho", "lr")   # a lane's hyper-parameters (traced scalars)
# the feature families across which the threshold's form L* = Θ(1/(Δδ)) is checked: members
# (feature_seed, ρ); each family spans more than a decade of 1/(Δδ) at the cpu sizes (86× equicorrelated,
# 68× random; at the paper's K = 10 the random family spans only 5×, and its claim part says so)
FAMILY_MEMBERS = {
    "equicorrelated": tuple((0, rho) for rho in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)),
    "random": tuple((seed, rho) for seed in range(16) for rho in (0.5, 1.0, 2.0, 4.0, 8.0)),
}


def task_of(cfg: config.ConfigDict, features: str | None = None) -> lip.LipschitzTask:
    """The configured task, optionally with another feature kind (ρ comes per lane)."""
    task = lip.LipschitzTask.from_config(cfg.task)
    return task if features is None else dataclasses.replace(task, features=features)


def dynamics_task(cfg: config.ConfigDict) -> lip.LipschitzTask:
    return task_of(cfg, cfg.dynamics.features)


def dynamics_combo(cfg: config.ConfigDict) -> tuple[str, str, float]:
    """(features, scaling, ρ) of the dynamics stage."""
    return (cfg.dynamics.features, cfg.task.scaling, float(cfg.dynamics.rho))


def theory_combos(cfg: config.ConfigDict) -> list[tuple[str, str, float]]:
    """Every (features, scaling, ρ) with a theory table, sorted: the sweep's and the dynamics'."""
    combos = {(cfg.task.features, s, float(r)) for s in cfg.sweep.scalings for r in cfg.sweep.rhos}
    return sorted(combos | {dynamics_combo(cfg)})


def table_tag(features: str, scaling: str, rho: float) -> str:
    """The key of one theory table in ``scalars["theory"]`` and ``arrays["theory/<tag>/…"]``."""
    return f"{features}/{scaling}/rho={rho:g}"


def eps_name(kind: str, eps: float) -> str:
    """The training metric: 1 while the loss is above ε (``kind`` "rel" or "abs"), else 0."""
    return f"above_{kind}_{eps:g}"


# --------------------------------------------------------------------------- problem


def build_problem(cfg: config.ConfigDict, train_cfg: config.ConfigDict,
                  task: lip.LipschitzTask | None = None) -> engine.Problem:
    """GD on Q (zero init). Lane hp: ``L``, ``alpha`` (1 amplitude, 0 dilation), ``rho``, ``lr``.
    ``prepare`` draws the fixed data once per seed: the features, the label covariance and a bank of
    feature counts (``features`` mode) or a bank of prompts (``tokens`` mode), and the loss at Q = 0."""
    task = task_of(cfg) if task is None else task
    mode = cfg.loss.mode
    K, d, bank = task.n_features, task.n_dims, train_cfg.batch_size
    eps_rel, eps_abs = tuple(cfg.sweep.eps_rel), tuple(cfg.sweep.eps_abs)

    def core(q, fixed):
        if mode == "features":
            loss, attn = attention.features_loss(q, fixed["features"], fixed["cov"], fixed["counts"])
            target = jnp.broadcast_to(jnp.eye(K), attn.shape)
        else:
            p = fixed["prompts"]
            loss, attn, target = attention.tokens_loss(q, p.xs, p.ys, p.x_query, p.y_query, p.features,
                                                       p.query_feature, K)
        return loss, attn, target

    def prepare(key: jax.Array, hp: engine.Hparams) -> dict[str, Any]:
        L, alpha, rho = hp["L"], hp["alpha"], hp["rho"]
        fixed: dict[str, Any] = {"features": task.feature_matrix(rho)}
        if mode == "features":
            fixed["cov"] = task.label_covariance(rng.stream(key, "functions"), cfg.loss.n_functions,
                                                 L, alpha, rho)
            fixed["counts"] = task.sample_counts(rng.stream(key, "counts"), bank)
        else:
            fixed["prompts"] = task.sample_batch(rng.stream(key, "prompts"), bank, L, alpha,
                                                 rho=rho)
        fixed["loss0"] = core(jnp.zeros((d, d)), fixed)[0]
        return fixed

    def loss(params, key: jax.Array, step: jax.Array, hp: engine.Hparams, fixed: dict[str, Any]):
        q = params["Q"]
        value, attn, target = core(q, fixed)
        S = attention.score_matrix(q, fixed["features"])
        off = 1.0 - jnp.eye(K)
        rel = value / fixed["loss0"]
        metrics = {"rel_loss": rel, **attention.attention_metrics(attn, target),
                   "score_target": jnp.mean(jnp.diagonal(S)),
                   "score_irrelevant": jnp.sum(S * off) / (K * (K - 1))}
        metrics.update({eps_name("rel", e): (rel > e).astype(jnp.float32) for e in eps_rel})
        metrics.update({eps_name("abs", e): (value > e).astype(jnp.float32) for e in eps_abs})
        return value, metrics

    def init_params(key: jax.Array, hp: engine.Hparams):
        return {"Q": jnp.zeros((d, d))}

    return engine.Problem(init_params, loss, engine.optimizer_from_config(train_cfg), prepare)

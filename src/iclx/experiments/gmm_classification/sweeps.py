"""The closed-form sweeps (no training): W*_N against N and its errors, the trained binary W's errors
against M, and the errors against the number of classes c, each with the reference models its
claims' controls read."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from iclx.engine import rng
from iclx.experiments.gmm_classification import evaluate as gmm_eval
from iclx.experiments.gmm_classification.solvers import class_reference, integrated_reference, task_of
from iclx.theory import gmm as gmm_theory


def _replicate_key(cfg, replicate: int, name: str):
    return rng.stream(rng.seed_keys(cfg.seed, np.array([replicate]))[0], name)


def minimizer_sweep(cfg) -> dict[str, np.ndarray]:
    """Per c: W*_N ``[replicates, N, d, d]`` and ‖W*_N/c − Λ⁻¹‖_max ``[replicates, N]`` on
    ``minimizer.replicates`` independent banks, each common to every N (``integrated_reference``:
    the query integrated out); Newton starts from the previous N's W* (from 0 if that failed)."""
    out, mini = {}, cfg.minimizer
    for c in mini.classes:
        task = task_of(cfg, None, c)
        d = task.n_dims
        W_all = np.zeros((mini.replicates, len(mini.N_values), d, d))
        for rep in range(mini.replicates):
            key = _replicate_key(cfg, rep, "minimizer")
            W = None
            for j, N in enumerate(mini.N_values):
                solve = functools.partial(integrated_reference, task, key, N, mini.bank // (2 * c),
                                          max(mini.N_values), mini.quad_order, mini.newton_steps)
                W, last = solve(W)
                if not last <= 1e-6:
                    W, last = solve(None)
                W_all[rep, j] = W
        with jax.enable_x64(True):
            G = jax.vmap(jax.vmap(lambda w: gmm_theory.correction_max(w, task.cov_diag(), c)))(
                jnp.asarray(W_all))
        out[f"minimizer/W_c{c}"], out[f"minimizer/G_c{c}"] = W_all, np.asarray(G)
    return out


def minimizer_errors(cfg, W: np.ndarray) -> dict[str, np.ndarray]:
    """The binary W*_N ``[replicates, N, d, d]`` on test prompts (``eval.n_prompts``, a fresh key per
    replicate, shared by every N): TV to p* at M = ∞ (``tv_inf``) and at the shortest test length
    min(eval.M_values) (``tv_short``), each ``[replicates, N]``; on the diagonal M = N the TV of W*_N
    and of W*_N/2 (a wrong factor: its error keeps a floor), the misclassification and Bayes rates."""
    task, Ns, ev = task_of(cfg, None, 2), list(cfg.minimizer.N_values), cfg.eval
    R, M_short = W.shape[0], min(ev.M_values)
    names = ("tv_inf", "tv_short", "tv_diag", "tv_diag_half", "cls_diag", "bayes_diag")
    out = {name: np.zeros((R, len(Ns))) for name in names}
    kw = dict(n_prompts=ev.n_prompts, queries=ev.queries)
    for rep in range(R):
        key = _replicate_key(cfg, rep, "minimizer_eval")
        Ws = jnp.asarray(W[rep], jnp.float32)
        out["tv_inf"][rep] = gmm_eval.stat_errors(task, Ws, key, jnp.float32(1), n_max=1, limit=True,
                                                  **kw)[0]
        out["tv_short"][rep] = gmm_eval.stat_errors(task, Ws, key, jnp.float32(M_short),
                                                    n_max=M_short, **kw)[0]
        for j, N in enumerate(Ns):
            tv, cls, bayes = gmm_eval.stat_errors(task, jnp.stack([Ws[j], Ws[j] / 2]), key,
                                                  jnp.float32(N), n_max=N, **kw)
            out["tv_diag"][rep, j], out["tv_diag_half"][rep, j] = (float(v) for v in tv)
            out["cls_diag"][rep, j], out["bayes_diag"][rep, j] = float(cls[0]), float(bayes)
    return {f"minimizer/{name}": value for name, value in out.items()}


def error_vs_M(cfg, Ws: np.ndarray, labels: list[dict]) -> dict[str, np.ndarray]:
    """TV to p* and misclassification vs M (and at M = ∞) of the binary trained lanes, and the TV of
    the untrained model W = 0 (the trivial baseline) on the same prompts."""
    task, Ms, Ns = task_of(cfg), cfg.eval.M_values, cfg.convergence.N_values
    S = cfg.seeds
    tv, cls = np.zeros((len(Ns), S, len(Ms))), np.zeros((len(Ns), S, len(Ms)))
    tv_inf, bayes, untrained = np.zeros((len(Ns), S)), np.zeros((S, len(Ms))), np.zeros((S, len(Ms)))
    kw = dict(n_prompts=cfg.eval.n_prompts, queries=cfg.eval.queries, n_max=max(Ms))
    for seed in range(S):
        lanes = [i for i, lab in enumerate(labels) if lab["seed"] == seed]
        order = [Ns.index(labels[i]["N"]) for i in lanes]
        W = jnp.asarray(Ws[lanes])
        W = jnp.concatenate([W, jnp.zeros_like(W[:1])])            # the last model: W = 0
        key = _replicate_key(cfg, seed, "eval")
        for j, M in enumerate(Ms):
            a, b, bay = gmm_eval.stat_errors(task, W, key, jnp.float32(M), **kw)
            tv[order, seed, j], cls[order, seed, j], bayes[seed, j] = a[:-1], b[:-1], bay
            untrained[seed, j] = a[-1]
        tv_inf[order, seed] = gmm_eval.stat_errors(task, W, key, jnp.float32(1), **kw, limit=True)[0][:-1]
    return {"error_M/tv": tv, "error_M/cls": cls, "error_M/tv_inf": tv_inf,
            "error_M/bayes_cls": bayes, "error_M/tv_untrained": untrained}


CLASS_MODELS = ("tv", "tv_wrong", "tv_limit", "tv_limit_wrong")


def error_vs_classes(cfg) -> dict[str, np.ndarray]:
    """Per c and seed, on the same test prompts of M = eval.class_M: the TV of W*_N (N = eval.class_N,
    ``class_reference``), of 2W*_N/c (the binary factor for every c: a control), of the N = ∞ limit
    cΛ⁻¹ and of 2Λ⁻¹ (its control); the TV at M = ∞ of W*_N and 2W*_N/c; W*_N's misclassification
    and the Bayes rate. Each ``[seeds, classes]``."""
    cs, S, M = cfg.eval.classes, cfg.seeds, cfg.eval.class_M
    out = {name: np.zeros((S, len(cs))) for name in (*CLASS_MODELS, "tv_inf", "tv_inf_wrong", "cls",
                                                      "bayes_cls")}
    kw = dict(n_prompts=cfg.eval.n_prompts, queries=cfg.eval.queries)
    for j, c in enumerate(cs):
        task = task_of(cfg, None, c)
        inv = jnp.diag(1.0 / task.cov_diag())
        for seed in range(S):
            skey = rng.seed_keys(cfg.seed, np.array([seed]))[0]
            W = jnp.asarray(np.asarray(class_reference(cfg, task, rng.stream(skey, "classes")),
                                       np.float32))
            models = jnp.stack([W, 2.0 * W / c, c * inv, 2.0 * inv])
            tv, cls, bayes = gmm_eval.stat_errors(task, models, rng.stream(skey, "eval"),
                                                  jnp.float32(M), n_max=M, **kw)
            limit = gmm_eval.stat_errors(task, models[:2], rng.stream(skey, "eval"), jnp.float32(1),
                                         n_max=1, limit=True, **kw)[0]
            for k, name in enumerate(CLASS_MODELS):
                out[name][seed, j] = float(tv[k])
            out["tv_inf"][seed, j], out["tv_inf_wrong"][seed, j] = (float(v) for v in limit)
            out["cls"][seed, j], out["bayes_cls"][seed, j] = float(cls[0]), float(bayes)
    return {f"classes/{name}": value for name, value in out.items()}

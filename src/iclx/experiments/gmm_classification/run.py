"""Train the one-layer linear-attention classifier by full-batch GD (engine, sgd) on fixed banks of
prompts for several (d, c, N); solve W*_N independently (float64 Newton, the query integrated out);
evaluate the inference error against M, N and c; train the 3-layer GPT-2 contrast (engine,
``problems.prompt_problem``) and compare it, the one-layer model and the baselines on token-level
prompts, also under shifts."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine, problems
from iclx.engine import rng
from iclx.experiment import RunContext, runs_stage
from iclx.experiments.gmm_classification import evaluate as gmm_eval
from iclx.models import linear_attention
from iclx.tasks.gmm import GMMTask
from iclx.theory import gmm as gmm_theory


def task_of(cfg: config.ConfigDict, d: int | None = None, c: int | None = None) -> GMMTask:
    t = GMMTask.from_config(cfg.task)
    return GMMTask(d or t.n_dims, t.n_points, c or t.n_classes, t.radius, t.cov_min, t.cov_max)


def bank_problem(cfg: config.ConfigDict, task: GMMTask, n_max: int) -> engine.Problem:
    """GD on W (zero init) on a fixed bank of ``loss.bank`` statistic prompts of N = hp["N"] examples
    and ``loss.queries`` queries each; ``prepare`` also solves the bank's W* (float32 Newton) so that
    the metric ``dist`` = ‖W_t − W*‖_F / ‖W*‖_F is logged at every step."""
    d, soft = task.n_dims, cfg.loss.target == "soft"

    def prepare(key, hp):
        b = task.statistics_batch(key, cfg.loss.bank, hp["N"], cfg.loss.queries, n_max=n_max)
        targets = b.probs if soft else jax.nn.one_hot(b.labels, task.n_classes)
        gh = lambda W: linear_attention.grad_and_hessian(W, b.stat, b.xq, targets)
        W_star, _ = gmm_theory.newton_minimizer(gh, jnp.zeros((d, d)), cfg.loss.newton_steps)
        return {"stat": b.stat, "xq": b.xq, "targets": targets, "W_star": W_star}

    def loss(params, key, step, hp, fixed):
        W = params["W"]
        value = linear_attention.cross_entropy(W, fixed["stat"], fixed["xq"], fixed["targets"])
        dist = jnp.linalg.norm(W - fixed["W_star"]) / jnp.linalg.norm(fixed["W_star"])
        return value, {"dist": dist}

    return engine.Problem(lambda key, hp: {"W": jnp.zeros((d, d))}, loss,
                          engine.optimizer_from_config(cfg.train), prepare)


def _float64(tree):
    return jax.tree.map(lambda a: jnp.asarray(np.asarray(a, np.float64)), tree)


@functools.partial(jax.jit, static_argnames="steps")
def _newton64(stat, xq, targets, W0, steps: int = 12):
    grad_and_hessian = lambda W: linear_attention.grad_and_hessian(W, stat, xq, targets)
    return gmm_theory.newton_minimizer(grad_and_hessian, W0, steps)[0]


@jax.jit
def _extremes64(stat, xq, targets, W):
    return gmm_theory.hessian_extremes(linear_attention.grad_and_hessian(W, stat, xq, targets)[1])


def reference(fixed_data, seed_key, hp, newton_steps: int = 12) -> dict[str, float | np.ndarray]:
    """The lane's bank (``fixed_data``: the problem's jitted ``fixed_data``, as the engine draws it),
    its float64 W* (``newton_steps`` Newton steps), the Hessian's extremes at W* (μ, L) and the largest
    curvature at W = 0 (L₀)."""
    fixed = fixed_data(seed_key, {k: jnp.float32(v) for k, v in hp.items()})
    with jax.enable_x64(True):
        s, x, t = _float64((fixed["stat"], fixed["xq"], fixed["targets"]))
        W0 = jnp.zeros((s.shape[-1],) * 2)
        W = _newton64(s, x, t, W0, steps=newton_steps)
        mu, L = (float(v) for v in _extremes64(s, x, t, W))
        L0 = float(_extremes64(s, x, t, W0)[1])
        return {"W": np.asarray(W), "mu": mu, "L": L, "L0": L0}


def convergence_stage(cfg, ctx: RunContext, d: int, c: int) -> tuple[dict, engine.Trained, list[dict]]:
    """One (d, c): lanes N × seeds with η = step_scale / max(L₀, L(W*)); returns the per-lane theory,
    the trained stage (its logged ``dist`` curve, its final W [lanes, d, d]) and the lane labels."""
    task, N_values = task_of(cfg, d, c), cfg.convergence.N_values
    problem = bank_problem(cfg, task, max(N_values))
    labels, refs = [], []
    fixed_data = jax.jit(problem.fixed_data)      # one program for every (N, seed): N is traced
    for N in N_values:
        for seed in range(cfg.seeds):
            key = rng.seed_keys(cfg.seed, np.array([seed]))[0]
            ref = reference(fixed_data, key, {"N": float(N)}, cfg.minimizer.newton_steps)
            lr = cfg.convergence.step_scale / max(ref["L0"], ref["L"])
            labels.append({"N": N, "lr": lr, "seed": seed, "d": d, "c": c})
            refs.append(ref)
    lanes = engine.Lanes(np.array([lab["seed"] for lab in labels], np.uint32),
                         {k: np.array([float(lab[k]) for lab in labels], np.float32) for k in ("N", "lr")},
                         tuple(labels))
    name = f"gd_d{d}_c{c}"
    ctx.log(f"GD on the bank loss, d={d}, c={c}: {len(lanes)} lanes …")
    trained = ctx.train(problem, cfg.train, lanes, name=name)
    theory = {"rate": np.array([gmm_theory.gd_contraction(lab["lr"], r["mu"], r["L"])
                                for lab, r in zip(labels, refs)]),
              "mu": np.array([r["mu"] for r in refs]), "L": np.array([r["L"] for r in refs]),
              "L0": np.array([r["L0"] for r in refs]), "W64": np.stack([r["W"] for r in refs])}
    return theory, trained, labels


def measured_rate(dist: np.ndarray, steps: np.ndarray, hi: float = 1e-1,
                  lo: float = 1e-4) -> tuple[float, float]:
    """Per-step contraction and R² of a line through log dist against the step, where lo < dist < hi
    (``dist [T]`` as logged at ``steps [T]``: a slope per step whatever ``train.log_every``)."""
    t = np.asarray(steps, dtype=float)
    sel = (dist < hi) & (dist > lo)
    if sel.sum() < 3:
        return float("nan"), float("nan")
    from iclx.claims import linear_fit
    slope, _, r2 = linear_fit(t[sel], np.log(dist[sel]))
    return float(np.exp(slope)), r2


INTEGRATED_MAX_CLASSES = 3   # the query integral's product rule has quad_order^(c−1) nodes


@functools.partial(jax.jit, static_argnames=("task", "n_tasks", "n_max"))
def _bank64(task: GMMTask, key, N, n_tasks: int, n_max: int):
    return task.statistics_bank(key, n_tasks, N, n_max)


def integrated_reference(task: GMMTask, key, N: int, n_tasks: int, n_max: int, quad_order: int,
                         steps: int, W0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """W*_N ``[d, d]`` of the population loss with the query integrated out (float64 Newton from
    ``W0``, default 0, ``gmm_theory.integrated_minimizer``) on a bank of ``n_tasks`` tasks × 2c
    antithetic statistics (``GMMTask.statistics_bank``: one ``key`` gives every N the same tasks,
    quantiles and noise), and the last Newton step's largest entry."""
    c, d = task.n_classes, task.n_dims
    nodes, weights = gmm_theory.gauss_hermite(quad_order, min(c - 1, d))
    with jax.enable_x64(True):
        stat, means = _bank64(task, key, jnp.float64(N), n_tasks, n_max)
        W0 = jnp.zeros((d, d)) if W0 is None else jnp.asarray(W0)
        W, last = gmm_theory.integrated_minimizer(stat, means, task.cov_diag(), jnp.asarray(nodes),
                                                  jnp.asarray(weights), W0, steps=steps)
        return np.asarray(W), float(last)


def minimizer_sweep(cfg) -> dict[str, np.ndarray]:
    """‖W*_N/c − Λ⁻¹‖_max ``[replicates, N]`` per c on ``minimizer.replicates`` independent banks, each
    common to every N (``integrated_reference``: the query integrated out); Newton starts from the
    previous N's W* (from 0 if that failed)."""
    out, mini = {}, cfg.minimizer
    for c in mini.classes:
        task = task_of(cfg, None, c)
        G = np.zeros((mini.replicates, len(mini.N_values)))
        for rep in range(mini.replicates):
            key = rng.stream(rng.seed_keys(cfg.seed, np.array([rep]))[0], "minimizer")
            W = None
            for j, N in enumerate(mini.N_values):
                solve = functools.partial(integrated_reference, task, key, N, mini.bank // (2 * c),
                                          max(mini.N_values), mini.quad_order, mini.newton_steps)
                W, last = solve(W)
                if not last <= 1e-6:
                    W, last = solve(None)
                with jax.enable_x64(True):
                    G[rep, j] = float(gmm_theory.correction_max(jnp.asarray(W), task.cov_diag(), c))
        out[f"minimizer/G_c{c}"] = G
    return out


def error_vs_M(cfg, Ws: np.ndarray, labels: list[dict]) -> dict[str, np.ndarray]:
    """TV to p* and misclassification vs M (and at M = ∞) of the binary trained lanes."""
    task, Ms, Ns = task_of(cfg), cfg.eval.M_values, cfg.convergence.N_values
    S = cfg.seeds
    tv, cls = np.zeros((len(Ns), S, len(Ms))), np.zeros((len(Ns), S, len(Ms)))
    tv_inf, bayes = np.zeros((len(Ns), S)), np.zeros((S, len(Ms)))
    kw = dict(n_prompts=cfg.eval.n_prompts, queries=cfg.eval.queries, n_max=max(Ms))
    for seed in range(S):
        lanes = [i for i, lab in enumerate(labels) if lab["seed"] == seed]
        order = [Ns.index(labels[i]["N"]) for i in lanes]
        W = jnp.asarray(Ws[lanes])
        key = rng.stream(rng.seed_keys(cfg.seed, np.array([seed]))[0], "eval")
        for j, M in enumerate(Ms):
            a, b, bay = gmm_eval.stat_errors(task, W, key, jnp.float32(M), **kw)
            tv[order, seed, j], cls[order, seed, j], bayes[seed, j] = a, b, bay
        tv_inf[order, seed] = gmm_eval.stat_errors(task, W, key, jnp.float32(1), **kw, limit=True)[0]
    return {"error_M/tv": tv, "error_M/cls": cls, "error_M/tv_inf": tv_inf,
            "error_M/bayes_cls": bayes}


def class_reference(cfg, task: GMMTask, key) -> np.ndarray:
    """W*_N at N = eval.class_N for ``error_vs_classes``: for c ≤ INTEGRATED_MAX_CLASSES the query
    integrated out (``integrated_reference`` on class_bank / 2c tasks, class_bank prompts); beyond, the
    float64 Newton on a bank of class_bank prompts × eval.queries queries (soft targets)."""
    c, N = task.n_classes, cfg.eval.class_N
    if c <= INTEGRATED_MAX_CLASSES:
        return integrated_reference(task, key, N, max(1, cfg.eval.class_bank // (2 * c)), N,
                                    cfg.minimizer.quad_order, cfg.minimizer.newton_steps)[0]
    b = jax.jit(task.statistics_batch, static_argnums=(1, 2, 3))(key, cfg.eval.class_bank, N,
                                                                  cfg.eval.queries)
    with jax.enable_x64(True):
        return np.asarray(_newton64(*_float64((b.stat, b.xq, b.probs)), jnp.zeros((task.n_dims,) * 2),
                                    steps=cfg.minimizer.newton_steps))


def error_vs_classes(cfg) -> dict[str, np.ndarray]:
    """Error of W*_N (``class_reference``, N = eval.class_N) at M = eval.class_M for each c."""
    cs, S = cfg.eval.classes, cfg.seeds
    tv, cls, bayes = (np.zeros((S, len(cs))) for _ in range(3))
    M = cfg.eval.class_M
    for j, c in enumerate(cs):
        task = task_of(cfg, None, c)
        for seed in range(S):
            skey = rng.seed_keys(cfg.seed, np.array([seed]))[0]
            W = jnp.asarray(np.asarray(class_reference(cfg, task, rng.stream(skey, "classes")),
                                       np.float32))[None]
            a, e, bay = gmm_eval.stat_errors(task, W, rng.stream(skey, "eval"), jnp.float32(M),
                                             n_prompts=cfg.eval.n_prompts, queries=cfg.eval.queries,
                                             n_max=M)
            tv[seed, j], cls[seed, j], bayes[seed, j] = float(a[0]), float(e[0]), float(bay)
    return {"classes/tv": tv, "classes/cls": cls, "classes/bayes_cls": bayes}


def gpt2_contrast(cfg, ctx, W_la: dict[int, np.ndarray]) -> dict[str, np.ndarray]:
    """Train GPT-2 on token prompts of N = task.n_points examples (+ the query); evaluate it, the
    one-layer model trained at the same N and the baselines at the prefixes gpt2.M_values, and GPT-2
    and the one-layer model under mean and covariance shifts at M = N."""
    task = task_of(cfg)
    N, Ms, S = task.n_points, list(cfg.gpt2.M_values), cfg.gpt2.seeds
    train_task = GMMTask(task.n_dims, N + 1, 2, task.radius, task.cov_min, task.cov_max)
    problem = problems.prompt_problem(train_task, cfg.model, cfg.gpt2_train, cfg.curriculum,
                                      loss="logistic")
    lanes = engine.seed_lanes(S)
    ctx.log(f"GPT-2 ({cfg.model.n_layer} layers) on prompts of N={N} …")
    params = ctx.train(problem, cfg.gpt2_train, lanes, name="gpt2").params
    probs = gmm_eval.model_probs(cfg.model, task.n_dims)
    out: dict[str, list] = {}
    n = max(Ms) + 1
    for seed in range(S):
        skey = rng.seed_keys(cfg.seed, np.array([seed]))[0]
        gp = engine.lane_slice(params, seed)
        prompt = gmm_eval.token_prompts(task, rng.stream(skey, "tokens"), cfg.gpt2.n_prompts, n)
        res = gmm_eval.token_errors(task, prompt, Ms, gpt_probs=probs, gpt_params=gp,
                                    W=jnp.asarray(W_la[seed]))
        res.update(gmm_eval.baseline_errors(task, prompt, Ms, cfg.baselines))
        for name, (tv, acc) in res.items():
            out.setdefault(f"tokens/tv/{name}", []).append(tv)
            out.setdefault(f"tokens/acc/{name}", []).append(acc)
        for kind in ("mean", "cov"):
            for s in cfg.gpt2[f"{kind}_scales"]:
                shift = {"mean_scale": s} if kind == "mean" else {"cov_scale": s}
                p = gmm_eval.token_prompts(task, rng.stream(skey, f"shift_{kind}_{s}"),
                                           cfg.gpt2.n_prompts, N + 1, **shift)
                r = gmm_eval.token_errors(task, p, [N], gpt_probs=probs, gpt_params=gp,
                                          W=jnp.asarray(W_la[seed]))
                for name, (tv, acc) in r.items():
                    out.setdefault(f"shift_{kind}/tv/{name}/{seed}", []).append(float(tv[0]))
                    out.setdefault(f"shift_{kind}/acc/{name}/{seed}", []).append(float(acc[0]))
    arrays = {k: np.asarray(v) for k, v in out.items() if k.startswith("tokens/")}
    for kind in ("mean", "cov"):
        for metric in ("tv", "acc"):
            for name in ("gpt2", "linear", "bayes"):
                arrays[f"shift_{kind}/{metric}/{name}"] = np.array(
                    [out[f"shift_{kind}/{metric}/{name}/{seed}"] for seed in range(S)])
    return arrays


def convergence_arrays(cfg, ctx: RunContext, d: int,
                       c: int) -> tuple[dict[str, np.ndarray], np.ndarray, list[dict]]:
    """The arrays of one convergence stage (``conv/gd_d<d>_c<c>/…``), its final W and lane labels."""
    theory, trained, labels = convergence_stage(cfg, ctx, d, c)
    stage, W = f"gd_d{d}_c{c}", np.asarray(trained.params["W"])
    dist = trained.metrics["dist"]                                   # [T, lanes]
    rates = np.array([measured_rate(dist[:, i], trained.metrics["step"]) for i in range(dist.shape[1])])
    return {f"conv/{stage}/dist": dist, f"conv/{stage}/step": trained.metrics["step"],
            f"conv/{stage}/rate_theory": theory["rate"],
            f"conv/{stage}/rate_measured": rates[:, 0], f"conv/{stage}/r2": rates[:, 1],
            f"conv/{stage}/mu": theory["mu"], f"conv/{stage}/L": theory["L"],
            f"conv/{stage}/final_vs_W64": np.linalg.norm(W - theory["W64"], axis=(1, 2))
            / np.linalg.norm(theory["W64"], axis=(1, 2))}, W, labels


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The stages of ``config.STAGES`` that ``cfg.stages`` selects (all by default): GD's convergence
    for every (d, c), W*_N vs N, the errors vs M and c, and the GPT-2 contrast (the last two need the
    convergence stage's binary W)."""
    arrays: dict[str, np.ndarray] = {}
    convergence, binary = [], None
    if runs_stage(cfg, "convergence"):
        for d, c in zip(cfg.convergence.dims, cfg.convergence.classes):
            stage_arrays, W, labels = convergence_arrays(cfg, ctx, d, c)
            arrays.update(stage_arrays)
            convergence.append(f"gd_d{d}_c{c}")
            binary = binary or (W, labels)
    if runs_stage(cfg, "minimizer"):
        ctx.log("W*_N against N (float64 Newton, the query integrated out) …")
        arrays.update(minimizer_sweep(cfg))
    if runs_stage(cfg, "error_vs_M"):
        ctx.log("error against M …")
        arrays.update(error_vs_M(cfg, *binary))
    if runs_stage(cfg, "classes"):
        ctx.log("error against c …")
        arrays.update(error_vs_classes(cfg))
    if runs_stage(cfg, "gpt2"):
        W_binary, labels_binary = binary
        W_la = {lab["seed"]: W_binary[i] for i, lab in enumerate(labels_binary)
                if lab["N"] == cfg.task.n_points}
        arrays.update(gpt2_contrast(cfg, ctx, W_la))
    return {"convergence_stages": convergence}, arrays

"""Train the one-layer linear-attention classifier by full-batch GD (engine, sgd) on fixed banks of
prompts for several (d, c, N); solve W*_N independently (float64 Newton, the query integrated out);
evaluate the inference error against M, N and c; train the 3-layer GPT-2 contrast (engine,
``problems.prompt_problem``) and compare it, the one-layer model and the baselines on token-level
prompts, also under shifts."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine, problems
from iclx.engine import rng
from iclx.framework.experiment import RunContext, runs_stage
from iclx.experiments.gmm_classification import evaluate as gmm_eval, sweeps
from iclx.experiments.gmm_classification.solvers import reference, task_of
from iclx.models import linear_attention
from iclx.tasks.gmm import GMMTask
from iclx.theory import gmm as gmm_theory


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
              # the control of the rate claim: the contraction the curvature at the start predicts
              "rate_init": np.array([gmm_theory.gd_contraction(lab["lr"], r["mu0"], r["L0"])
                                     for lab, r in zip(labels, refs)]),
              "mu": np.array([r["mu"] for r in refs]), "L": np.array([r["L"] for r in refs]),
              "L0": np.array([r["L0"] for r in refs]), "W64": np.stack([r["W"] for r in refs])}
    return theory, trained, labels


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
    rates = np.array([gmm_theory.measured_rate(dist[:, i], trained.metrics["step"])
                      for i in range(dist.shape[1])])
    return {f"conv/{stage}/dist": dist, f"conv/{stage}/step": trained.metrics["step"],
            f"conv/{stage}/rate_theory": theory["rate"],
            f"conv/{stage}/rate_init": theory["rate_init"],
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
        arrays.update(sweeps.minimizer_sweep(cfg))
        if 2 in cfg.minimizer.classes:
            arrays.update(sweeps.minimizer_errors(cfg, arrays["minimizer/W_c2"]))
    if runs_stage(cfg, "error_vs_M"):
        ctx.log("error against M …")
        arrays.update(sweeps.error_vs_M(cfg, *binary))
    if runs_stage(cfg, "classes"):
        ctx.log("error against c …")
        arrays.update(sweeps.error_vs_classes(cfg))
    if runs_stage(cfg, "gpt2"):
        W_binary, labels_binary = binary
        W_la = {lab["seed"]: W_binary[i] for i, lab in enumerate(labels_binary)
                if lab["N"] == cfg.task.n_points}
        arrays.update(gpt2_contrast(cfg, ctx, W_la))
    return {"convergence_stages": convergence}, arrays

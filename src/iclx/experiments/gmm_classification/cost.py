"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``). The one-layer model's
stages hold per lane a bank of prompts and, for the Newton solve of W*, the Hessian's temporaries
(bank × queries × d² × c floats; XLA's compiled peak of the paper preset's prepare: 1.36 GB per lane
against 1.26 GB here); the evaluations draw 1024 prompts at a time (``evaluate.CHUNK``), a random
number each per drawn coordinate; the GPT-2 contrast is a prompt-trained GPT-2 and its forward passes."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.framework.experiment import runs_stage
from iclx.experiments.gmm_classification.evaluate import CHUNK
from iclx.theory import gmm as gmm_theory


def newton_bank(bank: int, queries: int, d: int, c: int, n_max: int, steps: int, width: int) -> cost.Cost:
    """Drawing a bank of statistic prompts (n_max labels each, drawn in chunks) and ``steps`` Newton
    steps on it (the Hessian's temporaries: bank × queries × d² × c)."""
    held = bank * (queries * (d + c) + d * c) + bank * queries * d * d * c + d ** 4
    flops = bank * (n_max + d * c) * cost.RANDOM_FLOPS + steps * (bank * queries * d ** 4 * c * 2 + d ** 6)
    return cost.Cost(width * held, flops, 1)


def convergence(cfg: config.ConfigDict) -> list[cost.Cost]:
    """The GD stages: lanes N × seeds, each with its bank and ``train.steps`` GD steps; the Newton
    solves of W* (float32 in the engine's prepare, float64 for the reference) one lane at a time."""
    out, n_max = [], max(cfg.convergence.N_values)
    lanes = len(cfg.convergence.N_values) * cfg.seeds
    bank, q = cfg.loss.bank, cfg.loss.queries
    for d, c in zip(cfg.convergence.dims, cfg.convergence.classes):
        solve = newton_bank(bank, q, d, c, n_max, cfg.loss.newton_steps, cost.FLOAT)
        reference = newton_bank(bank, q, d, c, n_max, cfg.minimizer.newton_steps, 8)
        banks = cost.FLOAT * lanes * bank * (q * (d + c) + d * c)
        step_flops = 6.0 * bank * q * d * d * c * lanes * cfg.train.steps
        out.append(cost.Cost(banks + max(solve.bytes, reference.bytes),
                             (solve.flops + reference.flops) * lanes + step_flops, 3))
    return out


NODE_FLOPS = 154     # per quadrature node, query class and (c²)² moment entry: 1.25e-7 s at c = 3
HESSIAN_FLOPS = 54   # per statistic and c·d⁴ of the Hessian's lifting: both measured (loaded 2 cores)
NEWTON_CALLS = 8     # gradient-and-Hessian evaluations per solve (8 from W = 0, 5–6 warm-started)


def integrated_newton(cfg: config.ConfigDict, c: int) -> cost.Cost:
    """One W*_N of the minimizer sweep (float64): a bank of ``minimizer.bank`` // 2c tasks × 2c
    antithetic statistics, the query integrated on the (pruned) quad_order^(c − 1) Gauss–Hermite
    nodes, the Hessian summed over chunks of 256 statistics (``integrated_grad_and_hessian``). Its
    time is calibrated on measured CPU seconds (d = 8 and 20, c = 2 and 3), not counted flops."""
    mini, d = cfg.minimizer, cfg.task.n_dims
    bank = mini.bank // (2 * c) * 2 * c
    nodes = len(gmm_theory.gauss_hermite(mini.quad_order, min(c - 1, d))[1])
    held = bank * 2 * d * c + min(256, bank) * (c * nodes * c * c + c * c * d * d + c * d ** 3) + d ** 4
    per_call = bank * (NODE_FLOPS * c * nodes * c ** 4 + HESSIAN_FLOPS * c * d ** 4) + d ** 6
    return cost.Cost(8 * held, min(mini.newton_steps, NEWTON_CALLS) * per_call, 2)


def stat_errors(cfg: config.ConfigDict, d: int, c: int, n_max: int, models: int) -> cost.Cost:
    """One ``evaluate.stat_errors`` call: ``eval.n_prompts`` prompts of up to ``n_max`` examples."""
    chunk, q = min(CHUNK, cfg.eval.n_prompts), cfg.eval.queries
    per_prompt = n_max * d + q * (d + 2 * c) + d * c
    flops = cfg.eval.n_prompts * (per_prompt * cost.RANDOM_FLOPS + models * q * d * d * c * 4)
    return cost.Cost(cost.FLOAT * chunk * (per_prompt + models * q * c * 3), flops, 1)


def evaluations(cfg: config.ConfigDict) -> list[cost.Cost]:
    """W*_N against N (per replicate bank) and its errors, the error against M (every M and M = ∞)
    and against c, per seed."""
    d, S, mini, ev = cfg.task.n_dims, cfg.seeds, cfg.minimizer, cfg.eval
    out = [cost.scaled(integrated_newton(cfg, c), mini.replicates * len(mini.N_values))
           for c in mini.classes]
    n_N = len(mini.N_values)        # W*_N's errors: M = ∞, the shortest M, and M = N with W*_N/2
    out.append(cost.scaled(stat_errors(cfg, d, 2, min(ev.M_values), n_N), 2 * mini.replicates))
    out += [cost.scaled(stat_errors(cfg, d, 2, N, 2), mini.replicates) for N in mini.N_values]
    models = len(cfg.convergence.N_values) + 1        # and the untrained W = 0
    out.append(cost.scaled(stat_errors(cfg, d, 2, max(ev.M_values), models), S * (len(ev.M_values) + 1)))
    for c in ev.classes:
        out.append(cost.scaled(newton_bank(ev.class_bank, ev.queries, d, c, ev.class_N,
                                           mini.newton_steps, 8), S))
        out.append(cost.scaled(stat_errors(cfg, d, c, ev.class_M, 4), S))   # W*, 2W*/c, cΛ⁻¹, 2Λ⁻¹
        out.append(cost.scaled(stat_errors(cfg, d, c, 1, 2), S))            # M = ∞
    return out


def contrast(cfg: config.ConfigDict) -> list[cost.Cost]:
    """The GPT-2's training, and per GPT-2 seed its evaluation, the baselines' and the shifts'."""
    d, N, g = cfg.task.n_dims, cfg.task.n_points, cfg.gpt2
    n = max(g.M_values) + 1
    train = cost.gpt2_training(cfg.model, d, batch=cfg.gpt2_train.batch_size, tokens=2 * (N + 1),
                               lanes=g.seeds, steps=cfg.gpt2_train.steps)
    chunk = 64 if g.n_prompts % 64 == 0 else g.n_prompts
    forward = cost.gpt2_forward(cfg.model, d, batch=chunk, tokens=2 * n)
    prompts = cost.random_numbers(g.n_prompts * n * (d + 4))
    base = cfg.baselines
    baselines = cost.Cost(cost.FLOAT * g.n_prompts * n * (d + n),
                          len(g.M_values) * g.n_prompts * n * d * (base.logistic_steps * 6 + n + d * d), 4)
    shifts = len(g.mean_scales) + len(g.cov_scales)
    evaluation = cost.Cost(prompts.bytes + forward.bytes,
                           prompts.flops * (1 + shifts) + forward.flops * g.n_prompts / chunk * (1 + shifts), 2)
    return [train, cost.scaled(evaluation, g.seeds), cost.scaled(baselines, g.seeds)]


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    contrast_cost = contrast(cfg) if runs_stage(cfg, "gpt2") else []
    return cost.sequence([*convergence(cfg), *evaluations(cfg), *contrast_cost])

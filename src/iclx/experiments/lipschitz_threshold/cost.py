"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): the theory tables
(Monte Carlo label covariances on the L grid, and at L = 1 for the feature families), the dynamics and sweep stages (every lane holds its
bank: feature counts × K × K attention in ``features`` mode, prompts × N × d in ``tokens`` mode) and
the evaluation on unseen functions; only the stages that ``stages`` selects."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.framework.experiment import runs_stage
from iclx.experiments.lipschitz_threshold.task import FAMILY_MEMBERS

MC_BLOCK = 1 << 14      # the label covariance's Monte Carlo runs in blocks of this many functions


def lane_bytes_and_flops(cfg: config.ConfigDict, bank: int) -> tuple[float, float]:
    """(bytes held, FLOPs of one GD step) of one lane with a bank of ``bank``."""
    K, N, d = cfg.task.n_features, cfg.task.n_points, cfg.task.n_dims
    if cfg.loss.mode == "features":
        floats = bank * K * (K + 2) + min(cfg.loss.n_functions, MC_BLOCK) * K * 2 + K * d + d * d
        return cost.FLOAT * floats * 3, bank * K * K * d * 12
    floats = bank * (N + 1) * (d + K + 2) + d * d
    return cost.FLOAT * floats * 3, bank * N * d * d * 12


def stage(cfg: config.ConfigDict, train_cfg: config.ConfigDict, lanes: int) -> cost.Cost:
    held, flops = lane_bytes_and_flops(cfg, train_cfg.batch_size)
    return cost.Cost(held * lanes, flops * lanes * train_cfg.steps, 1)


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    K, N, seeds = cfg.task.n_features, cfg.task.n_points, cfg.seeds
    sweep = cfg.sweep
    combos = len(sweep.scalings) * len(sweep.rhos) + 1
    theory = cost.Cost(cost.FLOAT * cfg.theory.n_grid * (MC_BLOCK + K) * K,
                       combos * cfg.theory.n_grid * cfg.loss.n_functions * K * K * 10, combos)
    members = sum(len(m) for m in FAMILY_MEMBERS.values())   # one covariance and smoothness at L = 1 each
    family = cost.Cost(cost.FLOAT * (MC_BLOCK + K) * K, members * cfg.loss.n_functions * K * K * 10, 1)
    dynamics = len(cfg.dynamics.L_values) or len(cfg.dynamics.L_over_threshold)
    sweep_lanes = len(sweep.scalings) * len(sweep.rhos) * len(sweep.L_values) * len(sweep.rules) * seeds
    evaluation = cost.Cost(cost.FLOAT * cfg.eval.n_prompts * (N + 1) * (cfg.task.n_dims + K),
                           dynamics * seeds * len(cfg.eval.families) * cfg.eval.n_prompts * N * K * 200, 2)
    dyn, swp = runs_stage(cfg, "dynamics"), runs_stage(cfg, "sweep")
    return cost.sequence([theory, family, *([stage(cfg, cfg.train, dynamics * seeds)] if dyn else []),
                          *([stage(cfg, sweep.train, sweep_lanes)] if swp else []),
                          *([evaluation] if dyn else [])])

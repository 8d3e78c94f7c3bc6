"""Fu et al. 2023 (arXiv 2310.17086): a transformer trained on in-context linear regression matches
Iterative Newton layer by layer (linearly many Newton steps per layer), not gradient descent
(exponentially many).

Per seed (seeds are trained together as vmapped lanes):
1. train GPT-2 (stage "model") and, if ``lstm.enabled``, an LSTM (stage "lstm") on the task;
2. fit a linear read-out per layer on frozen hidden states (``iclx.probes.NetworkProbe``: closed-form
   ridge anchored at the final read-out, all layers in one batched solve);
3. compare every layer's predictions with Iterative Newton (steps 1..K), GD (a linear and a log₂
   grid of steps, η = 0.01, unnormalised gradient as in Fu et al.'s code), online GD and least
   squares: similarity of errors (SimE), of induced weights (SimW), errors per position;
4. Table 1: SimE of the transformer's and the LSTM's outputs with Newton, GD and online GD.
Baselines run in float64 (``iclx.algorithms.baselines64``), the networks in float32.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from iclx import config, engine, models, probes, problems
from iclx.algorithms import baselines64 as B
from iclx.engine import rng
from iclx.experiment import RunContext
from iclx.experiments.gd_vs_newton.config import TABLE_COLUMNS, static_grids, step_grids
from iclx.experiments.gd_vs_newton.summary import position_windows
from iclx.tasks import linear

_sime = jax.jit(probes.similarity_of_errors, static_argnames="first_position")
_simw = jax.jit(probes.similarity_of_weights)
_fit_on_queries = jax.jit(probes.fit_on_queries)
GD_GRIDS = ("gd", "gd_log")


def network_probe(cfg: config.ConfigDict, model_cfg: config.ConfigDict) -> probes.NetworkProbe:
    return probes.NetworkProbe(
        models.build(model_cfg, cfg.task.n_dims), linear.LinearRegressionTask.from_config(cfg.task),
        n_batches=cfg.probe.n_batches, batch_size=cfg.probe.batch_size, ridge=cfg.probe.ridge,
        anchor=cfg.probe.anchor, predict_batch=cfg.sim.batch_size,
        induced_batch=cfg.simw.prompt_batch)


def _grids(cfg: config.ConfigDict) -> dict[str, tuple[int, ...]]:
    grids = static_grids(cfg)
    return {g: grids[g] for g in GD_GRIDS}


# --------------------------------------------------------------------------- evaluation of one seed


def evaluate_network(cfg: config.ConfigDict, probe: probes.NetworkProbe, params, seed_key: jax.Array,
                     base: dict[str, np.ndarray], xs: np.ndarray, ys: np.ndarray,
                     prefix: str) -> dict[str, np.ndarray]:
    """Probes, SimE heatmaps, per-layer errors and the Table-1 row of one network on one seed."""
    u, v = probe.fit(params, seed_key)
    out_preds, layer_preds = probe.predict(params, u, v, xs, ys)
    first, d = cfg.sim.first_position, cfg.task.n_dims
    sime = lambda a, b: B.x64(_sime, a, b, ys, first_position=first)
    error = lambda p: B.x64(B.error_per_position, p, ys, n_dims=d)
    result = {f"{prefix}/sime_{grid}": sime(base[grid], layer_preds) for grid in ("newton", *GD_GRIDS)}
    result[f"{prefix}/error_layers"] = error(layer_preds)
    result[f"{prefix}/error_model"] = error(out_preds)
    result.update(table1_rows(cfg, base, out_preds, ys, prefix))
    result[f"{prefix}/probe_u"], result[f"{prefix}/probe_v"] = u, v
    return result


def table1_rows(cfg: config.ConfigDict, base: dict[str, np.ndarray], preds: np.ndarray, ys: np.ndarray,
                prefix: str) -> dict[str, np.ndarray]:
    """Table 1 for one predictor ``preds [B, n]``: SimE with each algorithm at its best-matching step,
    over the prompt (``table [C]``) and within each of ``position_windows`` (``table_windows [W, C]``)."""
    rows = {"newton": base["newton"], "gd": np.concatenate([base["gd"], base["gd_log"]]),
            "online_gd": base["online_gd"][None]}
    first = cfg.sim.first_position
    best = lambda a, lo, hi, f: np.max(B.x64(_sime, a[..., lo:hi], preds[None, :, lo:hi], ys[:, lo:hi],
                                             first_position=f))
    n = ys.shape[1]
    return {f"{prefix}/table": np.array([best(rows[c], 0, n, first) for c in TABLE_COLUMNS]),
            f"{prefix}/table_windows": np.array([[best(rows[c], lo, hi, 0) for c in TABLE_COLUMNS]
                                                 for lo, hi in position_windows(cfg)])}


def simw_prompts(cfg: config.ConfigDict, seed_key: jax.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SimW prompts ``xs [B, n, d]``, ``ys [B, n]`` and queries ``[B, T, d]`` from the same input
    distribution as their prompt (one prompt of n + T points, split: same covariance and eigenbasis);
    one query set per prompt, shared by its prefixes."""
    n, num_queries = cfg.task.n_points, cfg.simw.n_queries
    task = linear.LinearRegressionTask.from_config(
        config.ConfigDict(cfg.task.to_dict() | {"n_points": n + num_queries}))
    prompt = task.sample_batch(rng.stream(seed_key, "simw"), cfg.simw.n_prompts)
    xs = np.asarray(prompt.xs)
    return xs[:, :n], np.asarray(prompt.ys)[:, :n], xs[:, n:]


def evaluate_seed(cfg: config.ConfigDict, nets: dict[str, probes.NetworkProbe], params: dict[str, Any],
                  seed_key: jax.Array) -> dict[str, np.ndarray]:
    """Every array of one seed: baselines, then each network (``"tf"``, ``"lstm"``), then SimW."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    d, first = cfg.task.n_dims, cfg.sim.first_position
    prompt = problems.eval_prompts(task, cfg.sim.n_prompts, seed_key)
    xs, ys = np.asarray(prompt.xs), np.asarray(prompt.ys)
    base = B.predictions(xs, ys, newton_steps=cfg.sim.newton_max, gd_lr=cfg.sim.gd_lr,
                         gd_grids=_grids(cfg))
    result = {f"alg/error_{k}": B.x64(B.error_per_position, p, ys, n_dims=d) for k, p in base.items()}
    result["alg/sime_newton_vs_gd_log"] = B.x64(_sime, base["gd_log"], base["newton"], ys,
                                                first_position=first)
    # control: a network that had converged to least squares would score this in Table 1
    result.update(table1_rows(cfg, base, base["least_squares"], ys, "ls"))
    for name, probe in nets.items():
        result.update(evaluate_network(cfg, probe, params[name], seed_key, base, xs, ys, name))
    if cfg.simw.enabled:
        sx, sy, queries = simw_prompts(cfg, seed_key)
        layer_w = nets["tf"].induced_weights(params["tf"], result["tf/probe_u"], result["tf/probe_v"],
                                             sx, sy, queries)
        weights = B.weights(sx, sy, newton_steps=cfg.sim.newton_max, gd_lr=cfg.sim.gd_lr,
                            gd_grids=_grids(cfg))
        for grid, w in weights.items():
            result[f"tf/simw_{grid}"] = B.x64(_simw, B.x64(_fit_on_queries, queries, w), layer_w)
    return result


# --------------------------------------------------------------------------- run


def run(cfg: config.ConfigDict, ctx: RunContext):
    lanes = engine.seed_lanes(cfg.seeds)
    task = linear.LinearRegressionTask.from_config(cfg.task)
    problem = problems.prompt_problem(task, cfg.model, cfg.train, cfg.curriculum)
    states = {"tf": ctx.train(problem, cfg.train, lanes).state}
    nets = {"tf": network_probe(cfg, cfg.model)}
    if cfg.lstm.enabled:
        problem = problems.prompt_problem(task, cfg.lstm.model, cfg.lstm.train, cfg.curriculum)
        states["lstm"] = ctx.train(problem, cfg.lstm.train, lanes, name="lstm").state
        nets["lstm"] = network_probe(cfg, cfg.lstm.model)
    ctx.log("fitting probes and comparing with Newton / GD …")
    keys = lanes.keys(cfg.seed)
    per_seed = []
    for lane in range(len(lanes)):
        params = {name: engine.lane_slice(state.params, lane) for name, state in states.items()}
        per_seed.append(evaluate_seed(cfg, nets, params, keys[lane]))
    arrays = {k: np.stack([r[k] for r in per_seed]) for k in per_seed[0]}
    arrays.update({f"grid/{k}": v for k, v in step_grids(cfg).items()})
    return {}, arrays


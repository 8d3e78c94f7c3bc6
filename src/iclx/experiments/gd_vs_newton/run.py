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
4. Table 1: SimE of the transformer's and the LSTM's outputs with Newton, GD and online GD on the
   authors' grids, and of the controls scored the same way: least squares, online GD itself and the
   untrained transformer (each seed's initial parameters, probed like the trained one: "init/");
5. forgetting (Fig. 5 right): the error on a query that re-uses an earlier example, per gap.
Baselines run in float64 (``baselines``), the networks in float32.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from iclx import config, engine, models, probes, problems
from iclx.algorithms import baselines64 as B
from iclx.engine import rng
from iclx.framework.experiment import RunContext
from iclx.experiments.gd_vs_newton import baselines
from iclx.experiments.gd_vs_newton.config import step_grids
from iclx.tasks import linear

_sime = jax.jit(probes.similarity_of_errors, static_argnames="first_position")
_simw = jax.jit(probes.similarity_of_weights)
_fit_on_queries = jax.jit(probes.fit_on_queries)
GRIDS = ("newton", *baselines.GD_GRIDS)


def network_probe(cfg: config.ConfigDict, model_cfg: config.ConfigDict) -> probes.NetworkProbe:
    return probes.NetworkProbe(
        models.build(model_cfg, cfg.task.n_dims), linear.LinearRegressionTask.from_config(cfg.task),
        n_batches=cfg.probe.n_batches, batch_size=cfg.probe.batch_size, ridge=cfg.probe.ridge,
        anchor=cfg.probe.anchor, predict_batch=cfg.sim.batch_size,
        induced_batch=cfg.simw.prompt_batch)


# --------------------------------------------------------------------------- evaluation of one seed


def evaluate_network(cfg: config.ConfigDict, probe: probes.NetworkProbe, params, seed_key: jax.Array,
                     base: dict[str, np.ndarray], xs: np.ndarray, ys: np.ndarray,
                     prefix: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Probes, SimE heatmaps and per-layer errors of one network on one seed (``<prefix>/...``), and
    the network's output ``[B, n]``."""
    u, v = probe.fit(params, seed_key)
    out_preds, layer_preds = probe.predict(params, u, v, xs, ys)
    first, d = cfg.sim.first_position, cfg.task.n_dims
    sime = lambda a, b: B.x64(_sime, a, b, ys, first_position=first)
    error = lambda p: B.x64(B.error_per_position, p, ys, n_dims=d)
    result = {f"{prefix}/sime_{grid}": sime(base[grid], layer_preds) for grid in GRIDS}
    result[f"{prefix}/error_layers"] = error(layer_preds)
    result[f"{prefix}/error_model"] = error(out_preds)
    result[f"{prefix}/probe_u"], result[f"{prefix}/probe_v"] = u, v
    return result, out_preds


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


def simw(cfg: config.ConfigDict, networks: dict[str, tuple[probes.NetworkProbe, Any]],
         result: dict[str, np.ndarray], seed_key: jax.Array, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """SimW heatmaps ``<net>/simw_<grid> [K, L]`` of the networks ``names`` (their probes in ``result``)."""
    sx, sy, queries = simw_prompts(cfg, seed_key)
    fitted = {g: B.x64(_fit_on_queries, queries, w) for g, w in baselines.weights(cfg, sx, sy).items()}
    out = {}
    for name in names:
        probe, params = networks[name]
        layer_w = probe.induced_weights(params, result[f"{name}/probe_u"], result[f"{name}/probe_v"],
                                        sx, sy, queries)
        out.update({f"{name}/simw_{g}": B.x64(_simw, w, layer_w) for g, w in fitted.items()})
    return out


def forgetting(cfg: config.ConfigDict, networks: dict[str, tuple[probes.NetworkProbe, Any]],
               result: dict[str, np.ndarray], seed_key: jax.Array) -> dict[str, np.ndarray]:
    """Error ÷ d at a query that re-uses the example g back, g = 1..m: ``<net>/forget [m]`` for the
    trained networks, ``alg/forget_<method> [m]`` for least squares, online GD and Newton."""
    xs, ys = baselines.forgetting_prompts(cfg, seed_key)
    m, d = cfg.forget.n_examples, cfg.task.n_dims
    out = baselines.forgetting_baselines(cfg, xs, ys)
    for name in ("tf", "lstm"):
        if name in networks:
            probe, params = networks[name]
            preds = probe.predict(params, result[f"{name}/probe_u"], result[f"{name}/probe_v"], xs, ys)[0]
            out[f"{name}/forget"] = baselines.forgetting_errors(preds, ys, d, m)
    return out


def evaluate_seed(cfg: config.ConfigDict, networks: dict[str, tuple[probes.NetworkProbe, Any]],
                  seed_key: jax.Array) -> dict[str, np.ndarray]:
    """Every array of one seed: baselines, each network (``"tf"``, ``"init"``: the untrained
    transformer, ``"lstm"``), Table 1 with its controls, SimW and forgetting."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    d, first = cfg.task.n_dims, cfg.sim.first_position
    prompt = problems.eval_prompts(task, cfg.sim.n_prompts, seed_key)
    xs, ys = np.asarray(prompt.xs), np.asarray(prompt.ys)
    base = baselines.predictions(cfg, xs, ys)
    result = {f"alg/error_{k}": B.x64(B.error_per_position, p, ys, n_dims=d) for k, p in base.items()}
    result["alg/sime_newton_vs_gd_log"] = B.x64(_sime, base["gd_log"], base["newton"], ys,
                                                first_position=first)
    rows = baselines.table_rows(cfg, xs, ys, base["online_gd"])
    # controls scored as networks: a model converged to least squares, online GD itself
    outputs = {"ls": base["least_squares"], "ogd": base["online_gd"]}
    for name, (probe, params) in networks.items():
        arrays, outputs[name] = evaluate_network(cfg, probe, params, seed_key, base, xs, ys, name)
        result.update(arrays)
    for name, preds in outputs.items():
        result.update(baselines.score_table(cfg, rows, preds, ys, name))
    if cfg.simw.enabled:
        result.update(simw(cfg, networks, result, seed_key, ("tf", "init")))
    result.update(forgetting(cfg, networks, result, seed_key))
    return result


# --------------------------------------------------------------------------- run


def run(cfg: config.ConfigDict, ctx: RunContext):
    lanes = engine.seed_lanes(cfg.seeds)
    task = linear.LinearRegressionTask.from_config(cfg.task)
    problem = problems.prompt_problem(task, cfg.model, cfg.train, cfg.curriculum)
    states = {"tf": ctx.train(problem, cfg.train, lanes).state}
    probe = {"tf": network_probe(cfg, cfg.model)}
    if cfg.lstm.enabled:
        lstm_problem = problems.prompt_problem(task, cfg.lstm.model, cfg.lstm.train, cfg.curriculum)
        states["lstm"] = ctx.train(lstm_problem, cfg.lstm.train, lanes, name="lstm").state
        probe["lstm"] = network_probe(cfg, cfg.lstm.model)
    ctx.log("fitting probes and comparing with Newton / GD …")
    keys = lanes.keys(cfg.seed)
    per_seed = []
    for lane in range(len(lanes)):
        networks = {name: (probe[name], engine.lane_slice(state.params, lane)) for name, state in states.items()}
        networks["init"] = (probe["tf"], engine.initial_params(problem, keys[lane]))
        per_seed.append(evaluate_seed(cfg, networks, keys[lane]))
    arrays = {k: np.stack([r[k] for r in per_seed]) for k in per_seed[0]}
    arrays.update({f"grid/{k}": v for k, v in step_grids(cfg).items()})
    arrays.update({f"grid/{k}": v for k, v in baselines.table_grids(cfg).items()})
    arrays["grid/forget_gap"] = np.arange(1, cfg.forget.n_examples + 1)
    return {}, arrays

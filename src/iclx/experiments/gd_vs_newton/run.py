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

from iclx import config as C
from iclx import experiment as E
from iclx import models, problems, probes, rng
from iclx import train as T
from iclx.algorithms import baselines64 as B
from iclx.experiments.gd_vs_newton.config import TABLE_COLUMNS, static_grids, step_grids
from iclx.tasks import linear

_sime = jax.jit(probes.similarity_of_errors, static_argnames="first_position")
_simw = jax.jit(probes.similarity_of_weights)
_fit_on_queries = jax.jit(probes.fit_on_queries)
GD_GRIDS = ("gd", "gd_log")


def network_probe(cfg: C.ConfigDict, model_cfg: C.ConfigDict) -> probes.NetworkProbe:
    return probes.NetworkProbe(
        models.build(model_cfg, cfg.task.n_dims), linear.LinearRegressionTask.from_config(cfg.task),
        n_batches=cfg.probe.n_batches, batch_size=cfg.probe.batch_size, ridge=cfg.probe.ridge,
        anchor=cfg.probe.anchor, predict_batch=cfg.sim.batch_size,
        induced_batch=cfg.simw.prompt_batch)


def _grids(cfg: C.ConfigDict) -> dict[str, tuple[int, ...]]:
    grids = static_grids(cfg)
    return {g: grids[g] for g in GD_GRIDS}


# --------------------------------------------------------------------------- evaluation of one seed


def evaluate_network(cfg: C.ConfigDict, probe: probes.NetworkProbe, params, seed_key: jax.Array,
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


def position_windows(cfg: C.ConfigDict) -> list[tuple[int, int]]:
    """Prompt-length windows of the windowed Table 1: fewer examples than d, d to d + 2 (the nearly
    square, ill-conditioned systems where GD is slowest), more (``[lo, hi)`` positions)."""
    d, n, first = cfg.task.n_dims, cfg.task.n_points, cfg.sim.first_position
    edges = [first, max(first, d), min(n, d + 3), n]
    return [(lo, hi) for lo, hi in zip(edges, edges[1:]) if hi > lo]


def table1_rows(cfg: C.ConfigDict, base: dict[str, np.ndarray], preds: np.ndarray, ys: np.ndarray,
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


def simw_prompts(cfg: C.ConfigDict, seed_key: jax.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SimW prompts ``xs [B, n, d]``, ``ys [B, n]`` and queries ``[B, T, d]`` from the same input
    distribution as their prompt (one prompt of n + T points, split: same covariance and eigenbasis);
    one query set per prompt, shared by its prefixes."""
    n, num_queries = cfg.task.n_points, cfg.simw.n_queries
    task = linear.LinearRegressionTask.from_config(
        C.ConfigDict(cfg.task.to_dict() | {"n_points": n + num_queries}))
    prompt = task.sample_batch(rng.stream(seed_key, "simw"), cfg.simw.n_prompts)
    xs = np.asarray(prompt.xs)
    return xs[:, :n], np.asarray(prompt.ys)[:, :n], xs[:, n:]


def evaluate_seed(cfg: C.ConfigDict, nets: dict[str, probes.NetworkProbe], params: dict[str, Any],
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


# --------------------------------------------------------------------------- summary


def best_match_summary(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Best-matching steps per layer (mean, spread over seeds, tie band of the seed-mean heatmap)."""
    grids, out = step_grids(cfg), {}
    for key in sorted(arrays):
        if "/sime_" not in key and "/simw_" not in key or key.startswith("alg/"):
            continue
        grid = key.split("_", 1)[1]
        per_seed = probes.best_steps(arrays[key], grids[grid], cfg.sim.decimals)
        mean_map = probes.best_match(arrays[key].mean(axis=0), cfg.sim.decimals)
        out[key] = {"best_mean": per_seed["best"].mean(axis=0).tolist(),
                    "best_std": per_seed["best"].std(axis=0).tolist(),
                    "best_per_seed": per_seed["best"].tolist(),
                    "best_of_mean": grids[grid][mean_map.index].tolist(),
                    "tie_low": grids[grid][mean_map.low].tolist(),
                    "tie_high": grids[grid][mean_map.high].tolist(),
                    "score_of_mean": mean_map.score.tolist()}
    return out


def _ties(match: dict[str, Any]) -> list[str]:
    return [f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            for lo, hi in zip(match["tie_low"], match["tie_high"])]


def per_layer_table(matches: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """A README table: one row per layer; for each ``{column label: best_match key}`` the best step
    of the seed-mean heatmap (tie band), the per-seed mean ± sd and the score at the best step."""
    keys = {label: key for label, key in keys.items() if key in matches}
    columns = ["layer"]
    for label in keys:
        columns += [f"{label}: best (ties)", f"{label}: per seed", f"{label}: score"]
    num_layers = len(matches[next(iter(keys.values()))]["best_of_mean"]) if keys else 0
    rows = []
    for layer in range(num_layers):
        row: list[Any] = [layer + 1]
        for key in keys.values():
            m = matches[key]
            row += [_ties(m)[layer], f"{m['best_mean'][layer]:.3g} ± {m['best_std'][layer]:.2g}",
                    f"{m['score_of_mean'][layer]:.3f}"]
        rows.append(row)
    return {"columns": columns, "rows": rows}


NETWORK_NAMES = {"tf": "transformer", "lstm": "LSTM", "ls": "least squares (control)"}


def windowed_table(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Table 1 within prompt-length windows: per window and predictor, SimE with Newton and GD
    (seed mean ± sd) and their gap — where in the prompt Newton and GD can be told apart."""
    d, rows = cfg.task.n_dims, []
    for w, (lo, hi) in enumerate(position_windows(cfg)):
        label = f"{lo}–{hi - 1} examples" + (" (< d)" if hi <= d else " (≈ d)" if lo == d else " (> d)")
        for net, name in NETWORK_NAMES.items():
            if f"{net}/table_windows" not in arrays:
                continue
            v = arrays[f"{net}/table_windows"][:, w]                   # [seeds, C]
            newton, gd = v[:, TABLE_COLUMNS.index("newton")], v[:, TABLE_COLUMNS.index("gd")]
            rows.append([label, name, f"{newton.mean():.3f} ± {newton.std():.3f}",
                         f"{gd.mean():.3f} ± {gd.std():.3f}", f"{(newton - gd).mean():+.3f}"])
    return {"columns": ["positions", "predictor", "SimE Newton", "SimE GD", "Newton − GD"], "rows": rows}


def summarise(cfg: C.ConfigDict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    matches = best_match_summary(cfg, arrays)
    lines = []
    fmt = lambda xs: ", ".join(f"{x:g}" for x in xs)
    for key, m in matches.items():
        spread = ", ".join(f"{a:.3g}±{s:.2g}" for a, s in zip(m["best_mean"], m["best_std"]))
        lines.append(f"{key}: best step per layer (mean±sd over seeds) {spread}")
        lines.append(f"  seed-mean heatmap: best {fmt(m['best_of_mean'])}; tie band {', '.join(_ties(m))}; "
                     f"scores {', '.join(f'{s:.3f}' for s in m['score_of_mean'])}")
    table = {}
    for net in NETWORK_NAMES:
        if f"{net}/table" in arrays:
            values = arrays[f"{net}/table"]
            table[net] = {c: [float(values[:, i].mean()), float(values[:, i].std())]
                          for i, c in enumerate(TABLE_COLUMNS)}
            lines.append(f"Table 1 {net}: " + ", ".join(
                f"{c} {m:.3f}±{s:.3f}" for c, (m, s) in table[net].items()))
    d = cfg.task.n_dims
    late = np.mean(arrays["tf/error_model"][:, d:])
    lines.append(f"transformer error/d at ≥ d examples: {late:.4f} "
                 f"(least squares {np.mean(arrays['alg/error_least_squares'][:, d:]):.2e})")
    tables = {
        "sime_per_layer": per_layer_table(matches, {"Newton": "tf/sime_newton",
                                                    "GD log₂ grid": "tf/sime_gd_log",
                                                    "GD linear grid": "tf/sime_gd"}),
        "simw_per_layer": per_layer_table(matches, {"Newton": "tf/simw_newton",
                                                    "GD log₂ grid": "tf/simw_gd_log"}),
        "table1": {"columns": ["network", "Newton", "GD", "online GD"],
                   "rows": [[NETWORK_NAMES[net]] + [f"{m:.3f} ± {s:.3f}" for m, s in row.values()]
                            for net, row in table.items()]},
    }
    if "tf/table_windows" in arrays:
        tables["table1_windows"] = windowed_table(cfg, arrays)
    return {"best_match": matches, "table1": table, "tf_error_after_d": float(late), "summary": lines,
            "tables": tables}


# --------------------------------------------------------------------------- run


def run(cfg: C.ConfigDict, ctx: E.RunContext):
    lanes = T.seed_lanes(cfg.seeds)
    task = linear.LinearRegressionTask.from_config(cfg.task)
    problem = problems.prompt_problem(task, cfg.model, cfg.train, cfg.curriculum)
    states = {"tf": ctx.train(problem, cfg.train, lanes)}
    nets = {"tf": network_probe(cfg, cfg.model)}
    if cfg.lstm.enabled:
        problem = problems.prompt_problem(task, cfg.lstm.model, cfg.lstm.train, cfg.curriculum)
        states["lstm"] = ctx.train(problem, cfg.lstm.train, lanes, name="lstm")
        nets["lstm"] = network_probe(cfg, cfg.lstm.model)
    ctx.log("fitting probes and comparing with Newton / GD …")
    keys = lanes.keys(cfg.seed)
    per_seed = []
    for lane in range(len(lanes)):
        params = {name: T.lane_slice(state.params, lane) for name, state in states.items()}
        per_seed.append(evaluate_seed(cfg, nets, params, keys[lane]))
    arrays = {k: np.stack([r[k] for r in per_seed]) for k in per_seed[0]}
    arrays.update({f"grid/{k}": v for k, v in step_grids(cfg).items()})
    return summarise(cfg, arrays), arrays


"""The Lipschitz-threshold run: theory tables, then two training stages through the engine and an
evaluation of the final attention.

Stages (``config.STAGES``; ``cfg.stages`` selects, empty: both): ``dynamics`` (one L per regime; Fig.
1a/1b; then attention maps of its runs' final Q on prompts of unseen functions from every family),
``sweep`` (L grid × scaling × ρ × rule × seeds, one compiled program; time to ε counted inside the
run). The theory tables (no training) are computed whichever stages run.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine
from iclx.engine import rng
from iclx.framework.experiment import RunContext, runs_stage
from iclx.experiments.lipschitz_threshold.task import (
    FAMILY_MEMBERS,
    HP_KEYS,
    build_problem,
    dynamics_combo,
    dynamics_task,
    eps_name,
    table_tag,
    task_of,
    theory_combos,
)
from iclx.models import attention
from iclx.tasks import lipschitz as lip
from iclx.theory import lipschitz as lipschitz_theory

# --------------------------------------------------------------------------- theory and lanes


def theory_tables(cfg: config.ConfigDict) -> dict[tuple[str, str, float], dict[str, Any]]:
    """``lipschitz_theory.theory_for`` on the log grid ``theory.grid_L_*`` for every swept (features,
    scaling, ρ) and the dynamics' (dynamics.features, task.scaling, dynamics.rho)."""
    grid = np.geomspace(cfg.theory.grid_L_min, cfg.theory.grid_L_max, cfg.theory.n_grid)
    key = rng.stream(rng.root_key(cfg.seed), "theory")
    tables = {}
    for features, scaling, rho in theory_combos(cfg):
        tables[(features, scaling, rho)] = {"grid": grid, **lipschitz_theory.theory_for(
            task_of(cfg, features), lip.SCALINGS[scaling], rho, grid, key,
            n_functions=cfg.loss.n_functions, eta_flat=cfg.theory.eta_flat,
            z_max=float(cfg.theory.z_max), n_z=cfg.theory.n_z)}
    return tables


def _step(table: dict[str, Any], L: float, eta_flat: float) -> float:
    return lipschitz_theory.step_for(L, table["grid"], table["beta"], eta_flat)


def dynamics_points(cfg: config.ConfigDict, tables) -> tuple[list[dict[str, Any]], str]:
    """One lane group per L of ``dynamics.L_values`` (or ``L_over_threshold`` × L*), with the
    theory rule's step size; the regime is flat below L*, sharp above. Without a threshold on the
    theory grid (or with L values off it) there is no dynamics stage: ``([], why)``."""
    table = tables[dynamics_combo(cfg)]
    L_star, grid = table["L_star"], table["grid"]
    if cfg.dynamics.L_values:
        values = [float(v) for v in cfg.dynamics.L_values]
    elif math.isfinite(L_star):
        values = [r * L_star for r in cfg.dynamics.L_over_threshold]
    else:
        return [], (f"no threshold L* in [{grid[0]:g}, {grid[-1]:g}] for task.scaling="
                    f"{cfg.task.scaling} (η_flat·β(L) stays below 1; set dynamics.L_values)")
    if min(values) < grid[0] or max(values) > grid[-1]:
        return [], (f"dynamics L values {[f'{v:.3g}' for v in values]} leave the theory grid "
                    f"[{grid[0]:g}, {grid[-1]:g}] (theory.grid_L_min/max)")
    return [{"L": L, "alpha": lip.SCALINGS[cfg.task.scaling], "rho": cfg.dynamics.rho,
             "lr": _step(table, L, cfg.theory.eta_flat),
             "regime": "flat" if not L >= L_star else "sharp"} for L in values], ""


def sweep_points(cfg: config.ConfigDict, tables) -> list[dict[str, Any]]:
    """Every (scaling, ρ, L) with the theory rule, and the common-η rule where it differs."""
    eta_flat, points = cfg.theory.eta_flat, []
    for scaling in cfg.sweep.scalings:
        for rho in cfg.sweep.rhos:
            table = tables[(cfg.task.features, scaling, float(rho))]
            for L in cfg.sweep.L_values:
                base = {"L": L, "alpha": lip.SCALINGS[scaling], "rho": rho, "scaling": scaling}
                eta = _step(table, L, eta_flat)
                points.append({**base, "lr": eta, "rule": "theory"})
                if "common" in cfg.sweep.rules and eta < eta_flat:
                    points.append({**base, "lr": eta_flat, "rule": "common"})
    return points


def time_above(metrics: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Steps spent above ε per lane ``[lanes]``: Σ over logged windows of (fraction of the window's
    steps with loss > ε) × (window length). Exact whatever ``log_every``; equals the first hitting
    time of ε when the loss decreases monotonically."""
    steps = metrics["step"]
    widths = np.diff(np.concatenate([[0], steps]))
    return np.rint(np.sum(metrics[name] * widths[:, None], axis=0))


# --------------------------------------------------------------------------- evaluation


def attention_on_unseen(cfg: config.ConfigDict, q: jax.Array, L: float, alpha: float, rho: float,
                        family: str, key: jax.Array) -> dict[str, jax.Array]:
    """Final Q on fresh prompts (stream "eval") of one family: ``attention.prompt_report`` (per-feature
    attention matrix, one prompt's weights, MSE of the model, of uniform attention and of the
    same-feature oracle)."""
    task = dataclasses.replace(dynamics_task(cfg), family=family, noise_std=cfg.eval.noise_std)
    p = task.sample_batch(key, cfg.eval.n_prompts, L, alpha, rho=rho)
    return attention.prompt_report(q, p.xs, p.ys, p.x_query, p.y_query, p.features, p.query_feature,
                                   task.n_features)


# --------------------------------------------------------------------------- run


def theory_part(cfg: config.ConfigDict) -> tuple[dict, dict[str, Any], dict[str, np.ndarray]]:
    """The theory tables, their scalars (``theory/<tag>``: L*, c, Δ, δ, Gram, L_sat) and arrays."""
    tables = theory_tables(cfg)
    scalars, arrays = {}, {}
    for combo, tab in tables.items():
        tag = table_tag(*combo)
        scalars[tag] = {k: tab[k] for k in ("L_star", "c", "margin", "delta", "gram", "L_sat")}
        for k in ("grid", "beta", "sigma2", "eta"):
            arrays[f"theory/{tag}/{k}"] = np.asarray(tab[k])
    return tables, scalars, arrays


def family_part(cfg: config.ConfigDict) -> dict[str, np.ndarray]:
    """L*, Δ, δ, g of every member of ``FAMILY_MEMBERS`` (amplitude scaling, the theory's key):
    ``family/<features>/<seed|rho|L_star|margin|delta|gram>``, each ``[members]``. No training."""
    key = rng.stream(rng.root_key(cfg.seed), "theory")
    arrays = {}
    for features, members in FAMILY_MEMBERS.items():
        table = lipschitz_theory.threshold_family(
            task_of(cfg, features), list(members), key, n_functions=cfg.loss.n_functions,
            eta_flat=cfg.theory.eta_flat, z_max=float(cfg.theory.z_max), n_z=cfg.theory.n_z)
        arrays.update({f"family/{features}/{k}": v for k, v in table.items()})
    return arrays


def dynamics_part(cfg: config.ConfigDict, ctx: RunContext, points: list[dict[str, Any]]):
    """The dynamics stage (Fig. 1a/1b): its logged metrics and final Q, and its lanes (their labels
    reach ``scalars["lanes"]["dynamics"]`` through ``ctx.train``, as the sweep's)."""
    lanes = engine.point_lanes(points, cfg.seeds, HP_KEYS)
    trained = ctx.train(build_problem(cfg, cfg.train, dynamics_task(cfg)), cfg.train, lanes,
                        name="dynamics")
    arrays = {f"dynamics/{k}": v for k, v in trained.metrics.items()}
    arrays["dynamics/Q"] = np.asarray(trained.params["Q"])
    return arrays, lanes


def sweep_part(cfg: config.ConfigDict, ctx: RunContext, points: list[dict[str, Any]]):
    """The sweep stage: steps to each ε per lane (time to ε versus L) and the final losses."""
    lanes = engine.point_lanes(points, cfg.seeds, HP_KEYS)
    metrics = ctx.train(build_problem(cfg, cfg.sweep.train), cfg.sweep.train, lanes,
                        name="sweep").metrics
    arrays = {}
    for kind in ("rel", "abs"):
        for e in getattr(cfg.sweep, f"eps_{kind}"):
            arrays[f"sweep/T_{kind}_{e:g}"] = time_above(metrics, eps_name(kind, e))
    arrays["sweep/final_loss"] = metrics["loss"][-1]
    arrays["sweep/final_rel_loss"] = metrics["rel_loss"][-1]
    return arrays


def maps_part(cfg: config.ConfigDict, points: list[dict[str, Any]], lanes: engine.Lanes,
              Q: np.ndarray) -> dict[str, np.ndarray]:
    """Attention maps of every seed's final Q of each dynamics point on the same fresh prompts of
    unseen functions of each family: ``maps/<point>/<family>/<name>`` with a leading seed axis."""
    eval_key = rng.stream(rng.root_key(cfg.seed), "eval")
    evaluate = {family: jax.jit(jax.vmap(
        lambda q, L, alpha, rho, key, family=family: attention_on_unseen(cfg, q, L, alpha, rho, family, key),
        in_axes=(0, None, None, None, None))) for family in cfg.eval.families}
    arrays = {}
    for i, point in enumerate(points):
        seeds = engine.select_lanes(lanes.labels, L=point["L"])          # the point's lanes, seed order
        for family in cfg.eval.families:
            out = evaluate[family](jnp.asarray(Q[seeds]), point["L"], point["alpha"], point["rho"],
                                   rng.stream(eval_key, family))
            arrays.update({f"maps/{i}/{family}/{k}": np.asarray(v) for k, v in out.items()})
    return arrays


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Theory tables, the dynamics and sweep stages that ``cfg.stages`` selects, then attention maps
    of the dynamics stage's final Q."""
    ctx.log("theory: smoothness β(L) and the threshold L* …")
    tables, theory, arrays = theory_part(cfg)
    ctx.log("theory: the threshold across feature families …")
    arrays.update(family_part(cfg))
    if runs_stage(cfg, "dynamics"):
        dyn_points, no_dynamics = dynamics_points(cfg, tables)
    else:
        dyn_points, no_dynamics = [], f"left out (stages = {', '.join(cfg.stages)})"
    if no_dynamics:
        ctx.log(f"no dynamics stage: {no_dynamics}")
    else:
        dyn_arrays, dyn_lanes = dynamics_part(cfg, ctx, dyn_points)
        arrays.update(dyn_arrays)
    if runs_stage(cfg, "sweep"):
        arrays.update(sweep_part(cfg, ctx, sweep_points(cfg, tables)))
    if not no_dynamics:
        ctx.log("attention maps on unseen functions …")
        arrays.update(maps_part(cfg, dyn_points, dyn_lanes, arrays["dynamics/Q"]))
    return {"theory": theory, "dynamics_points": dyn_points, "no_dynamics": no_dynamics}, arrays

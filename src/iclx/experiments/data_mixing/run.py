"""The stages of a data-mixing run: every sweep point × seed of a figure is a lane of one closed-form
Monte Carlo program (``montecarlo``), grouped in the stages (``config.STAGES``, picked by
``cfg.stages``) ``dimensions`` (Fig 1), ``mixing`` (Figs 2, 4–6), ``eta`` (Fig 3a/b) and ``real``
(Fig 3c, two languages of embedded reviews).

Errors of every stage: ``arrays[stage]`` ``[lanes, S, 4]`` = per-source test MSE of
(MLP, equivalent, linear, zero predictor); the lane labels in ``scalars["lanes"][stage]``. Runs saved
before the zero predictor was added have ``[lanes, S, 3]``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine
from iclx.engine import rng
from iclx.framework.experiment import RunContext, runs_stage
from iclx.experiments.data_mixing import multilingual
from iclx.experiments.data_mixing.montecarlo import (
    HP_KEYS,
    Shape,
    evaluate_lanes,
    hermite_hparams,
    largest,
    make_run,
    shape_of,
    synthetic_world,
)
from iclx.tasks import mixing

Stage = tuple[np.ndarray, list[dict[str, Any]]]     # errors [lanes, S, 4], lane labels


def run_stage(ctx: RunContext, name: str, points: list[dict[str, Any]], n_seeds: int,
              shape_fn: Callable[[dict[str, Any]], Shape], world_fns, shape: Shape | None = None) -> Stage:
    """Every (point × seed) lane of a stage in one compiled set at the stage's largest sizes (or
    ``shape``); each lane's own n, k, ℓ arrive traced. λ, the lane chunk and the equivalent's scale
    come from ``ctx.cfg.model``. Returns the errors and the lane labels (without the activation's
    index, which the label ``activation`` names where a stage has several)."""
    model = ctx.cfg.model
    sized = []
    for point in points:                       # each lane's own sizes, traced
        size = shape_fn(point)
        sized.append({**point, "n": size.n, "k": size.k, "ell": size.ell})
    lanes = engine.point_lanes(sized, n_seeds, HP_KEYS)
    keys = jax.vmap(lambda k: rng.stream(k, name))(lanes.keys(ctx.cfg.seed))
    shape = shape or largest([shape_fn(p) for p in sized])
    run_fn = make_run(shape, model.lam, world_fns, scales=(model.equivalent_scale,),
                      ridge=model.get("ridge", "mean"))
    errors = evaluate_lanes(run_fn, keys, lanes.hparams, model.lane_chunk)
    ctx.log(f"{name}: {len(lanes)} lanes at {shape}")
    return errors, [{k: v for k, v in label.items() if k != "act"} for label in lanes.labels]


# --------------------------------------------------------------------------- the parts


def base_point(cfg: config.ConfigDict, **changes: float) -> dict[str, float]:
    point = dict(rho=0.5, eta_c=cfg.model.eta_c, x_theta1=0.0, xi_theta1=0.0,
                 noise0=cfg.task.noise, noise1=cfg.task.noise,
                 **hermite_hparams(cfg.model.activation, cfg.model.degree))
    point.update({k: float(v) for k, v in changes.items()})
    return point


def dimensions_part(cfg, ctx) -> dict[str, Stage]:
    """Fig 1: the n (k fixed at ``n_sweep_k_over_d2``·d²), ℓ and k sweeps for each activation, at one
    common (largest) shape, or with
    ``dimensions.shared_shape`` false each sweep point at its own sizes (one program per point: at
    d = 80 a lane at the largest n and k costs several times a default one)."""
    d, dim = cfg.model.d, cfg.dimensions
    world = synthetic_world(d)
    sweeps = (("n", dim.n_ratios), ("ell", dim.ell_ratios), ("k", dim.k_ratios))
    sizes = lambda axis, v: shape_of(cfg, **{f"{axis}_ratio": v},
                                     **({"k_over_d2": dim.n_sweep_k_over_d2} if axis == "n" else {}))
    common = largest([sizes(axis, v) for axis, values in sweeps for v in values])
    stages = {}
    for act in dim.activations:
        for axis, values in sweeps:
            points = [{**base_point(cfg, rho=dim.rho, xi_theta1=dim.xi_theta_over_d2 * d * d),
                       **hermite_hparams(act, dim.degree), "activation": act,
                       f"{axis}_ratio": float(v)} for v in values]
            shape_fn = lambda lab, axis=axis: sizes(axis, lab[f"{axis}_ratio"])
            name = f"dims_{act}_{axis}"
            if dim.shared_shape:
                stages[name] = run_stage(ctx, name, points, cfg.seeds, shape_fn, world, shape=common)
            else:
                parts = [run_stage(ctx, name, [p], cfg.seeds, shape_fn, world) for p in points]
                stages[name] = (np.concatenate([e for e, _ in parts]),
                                [lab for _, labs in parts for lab in labs])
    return stages


def mixing_part(cfg, ctx) -> dict[str, Stage]:
    """Figs 2 and 4–6: ρ sweeps for sources that differ in input spike, task spike or noise."""
    d, mix = cfg.model.d, cfg.mixing
    world, shape_fn = synthetic_world(d), (lambda lab: shape_of(cfg))
    panels = {"mix_x": [dict(x_theta1=v * math.sqrt(d), curve=v) for v in mix.x_theta_over_sqrt_d],
              "mix_xi": [dict(xi_theta1=v * d, curve=v) for v in mix.xi_theta_over_d],
              "mix_noise": [dict(noise0=mix.noise0, noise1=v, curve=v) for v in mix.noise1]}
    stages = {}
    for name, curves in panels.items():
        points = [{**base_point(cfg, rho=r, **{k: v for k, v in c.items() if k != "curve"}),
                   "curve": c["curve"]} for c in curves for r in mix.rhos]
        stages[name] = run_stage(ctx, name, points, cfg.seeds, shape_fn, world)
    return stages


def eta_part(cfg, ctx) -> dict[str, Stage]:
    """Fig 3a/b: ρ × step size η for an input-spike and a task-spike source."""
    d, et = cfg.model.d, cfg.eta
    world, shape_fn = synthetic_world(d), (lambda lab: shape_of(cfg))
    spikes = {"eta_x": dict(x_theta1=et.x_theta_over_sqrt_d * math.sqrt(d)),
              "eta_xi": dict(xi_theta1=et.xi_theta_over_d2 * d * d)}
    stages = {}
    for name, spike in spikes.items():
        points = [{**base_point(cfg, rho=r, eta_c=c, **spike), "curve": c}
                  for c in et.eta_cs for r in et.rhos]
        stages[name] = run_stage(ctx, name, points, cfg.seeds, shape_fn, world)
    return stages


def real_part(cfg, ctx) -> tuple[dict[str, Stage], dict[str, Any]]:
    """Fig 3c: two languages of embedded reviews as the two sources; the stage and the data facts."""
    rc = cfg.real
    data = multilingual.load_embeddings(cfg, ctx.log)
    pool_x, pool_y, sizes = multilingual.pools(data, rc.languages, rc.pca_dim, rc.max_per_language)
    facts = {"encoder": data["encoder"], "languages": list(rc.languages),
             "pool_sizes": [int(s) for s in sizes], "source": data["source"]}
    d = rc.pca_dim
    shape = dataclasses.replace(shape_of(cfg, d=d, ell_ratio=rc.ell_ratio, n_ratio=rc.n_ratio),
                                n_test=max(1, round(cfg.eval.test_ratio * rc.n_ratio * d * d)))
    px, py, ps = jnp.asarray(pool_x), jnp.asarray(pool_y), jnp.asarray(sizes)

    def world_fn(key, hp):
        return None

    def train_fn(world, key, probs, n, ell):
        k_s, k_c = jax.random.split(key)
        return mixing.pool_contexts(k_c, px.astype(probs.dtype), py.astype(probs.dtype), ps,
                                    mixing.draw_sources(k_s, probs, n), ell)

    def test_fn(world, key, s, n, ell):
        dtype = jnp.zeros(()).dtype
        return mixing.pool_contexts(key, px.astype(dtype), py.astype(dtype), ps,
                                    jnp.full((n,), s, jnp.int32), ell)

    points = [{**base_point(cfg, rho=r, eta_c=c), "curve": c} for c in rc.eta_cs for r in rc.rhos]
    stage = run_stage(ctx, "real", points, rc.seeds, lambda lab: shape, (world_fn, train_fn, test_fn))
    return {"real": stage}, facts


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every stage ``cfg.stages`` selects: ``arrays[stage]`` = errors ``[lanes, S, 4]``, lane labels
    recorded in ``ctx`` (``scalars["lanes"][stage]`` of the saved run)."""
    stages: dict[str, Stage] = {}
    scalars: dict[str, Any] = {"sizes": dataclasses.asdict(shape_of(cfg))}
    with jax.enable_x64(bool(cfg.model.float64)):
        for part, fn in (("dimensions", dimensions_part), ("mixing", mixing_part), ("eta", eta_part)):
            if runs_stage(cfg, part):
                stages.update(fn(cfg, ctx))
        if runs_stage(cfg, "real"):
            real, scalars["real_data"] = real_part(cfg, ctx)
            stages.update(real)
    for name, (_, labels) in stages.items():      # once per stage, its points' runs joined
        ctx.record_lanes(name, labels)
    return scalars, {name: errors for name, (errors, _) in stages.items()}

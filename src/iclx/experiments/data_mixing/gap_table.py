"""The MLP head against its Hermite equivalent at a few points and several d, every equivalent scale.

    python -m iclx.experiments.data_mixing.gap_table --d=16,32,48 --seeds=5 --k-ratios=0.5,1

For each d, each k/n and each point it runs the experiment's own Monte Carlo program
(``montecarlo.make_run``, the cpu preset's config with ``model.d`` and ``model.k_ratio`` set) with
the equivalent evaluated at every scale of ``montecarlo.SCALES`` on the same draws, and prints one
markdown row: the mean ICL errors (uniform over sources) of the MLP, each equivalent and the linear
transformer over the Monte Carlo runs, the relative gap |MLP − equivalent| / MLP of those means per
scale, and the root-mean-square pre-activation scale s = ‖vec H_Z‖/√t of each source's test contexts.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine
from iclx.engine import rng
from iclx.experiments.data_mixing import config as mixing_config
from iclx.experiments.data_mixing.montecarlo import (
    HP_KEYS,
    SCALES,
    evaluate_lanes,
    hermite_hparams,
    make_run,
    shape_of,
    synthetic_world,
)
from iclx.experiments.data_mixing.run import base_point
from iclx.models import mlp_head
from iclx.tasks import mixing

POINTS = ("fig1", "fig2a-1-rho0", "fig2a-1-rho1", "fig2a-4-rho1")     # the default; also fig3a-/fig3b-


def point_of(cfg: config.ConfigDict, name: str) -> dict[str, float]:
    """A named point at ``cfg.model.d``: Fig 1's default (ρ = ½, θ_ξ = d², p = ``dimensions.degree``);
    ``fig2a-<c>-rho<ρ>``: Fig 2(a)'s θ_x = c√d at ρ; ``fig3a-eta<c>-rho<ρ>`` / ``fig3b-eta<c>-rho<ρ>``:
    Fig 3's input / task spike (``eta.*``) at η = c·d² and ρ (p = ``model.degree``)."""
    d = cfg.model.d
    if name == "fig1":
        dim = cfg.dimensions
        return {**base_point(cfg, rho=dim.rho, xi_theta1=dim.xi_theta_over_d2 * d * d),
                **hermite_hparams(cfg.model.activation, dim.degree)}
    figure, value, rho = name.split("-")
    if figure == "fig2a":
        return base_point(cfg, rho=float(rho[3:]), x_theta1=float(value) * math.sqrt(d))
    spike = (dict(x_theta1=cfg.eta.x_theta_over_sqrt_d * math.sqrt(d)) if figure == "fig3a"
             else dict(xi_theta1=cfg.eta.xi_theta_over_d2 * d * d))
    return base_point(cfg, rho=float(rho[3:]), eta_c=float(value[3:]), **spike)


def cpu_config(d: int, k_ratio: float, seeds: int) -> config.ConfigDict:
    chunk = max(1, round(20 * (16 / d) ** 3))      # the cpu preset's 20 lanes at d = 16, fewer above
    overrides = [("model.d", str(d)), ("model.k_ratio", str(k_ratio)), ("seeds", str(seeds)),
                 ("model.lane_chunk", str(min(chunk, 20)))]
    return config.apply_overrides(mixing_config.get_config("cpu"), overrides)


def errors_at(cfg: config.ConfigDict, names: Sequence[str]) -> np.ndarray:
    """ICL errors ``[points, seeds, 3 + scales]`` (MLP, equivalent per scale, linear, zero predictor),
    uniform over the two sources, from one compiled program at the cpu shape of ``cfg``."""
    shape = shape_of(cfg)
    points = [{**point_of(cfg, name), "n": shape.n, "k": shape.k, "ell": shape.ell} for name in names]
    lanes = engine.point_lanes(points, cfg.seeds, HP_KEYS)
    keys = jax.vmap(lambda k: rng.stream(k, "gap_table"))(lanes.keys(cfg.seed))
    run_fn = make_run(shape, cfg.model.lam, synthetic_world(cfg.model.d), scales=SCALES,
                      ridge=cfg.model.ridge)
    errors = evaluate_lanes(run_fn, keys, lanes.hparams, cfg.model.lane_chunk)   # [L, S, models]
    return errors.mean(axis=1).reshape(len(names), cfg.seeds, -1)


def source_scales(cfg: config.ConfigDict, name: str, contexts: int = 2000) -> list[float]:
    """RMS of s = ‖vec H_Z‖/√t over each source's contexts, t from a pilot batch of the training
    mixture (as the experiment normalises F), for one seed's sources."""
    point, d = point_of(cfg, name), cfg.model.d
    ell = shape_of(cfg).ell
    key = rng.root_key(cfg.seed)
    src = mixing.make_sources(rng.stream(key, "world"), d, [0.0, point["x_theta1"]],
                              [0.0, point["xi_theta1"]], [point["noise0"], point["noise1"]], jnp.float64)
    pilot = mixing.sample_contexts(rng.stream(key, "pilot"), src, mixing.two_source_probs(point["rho"]),
                                   contexts, ell)
    t = mlp_head.feature_trace(mlp_head.attention_features(pilot.xs, pilot.ys))
    out = []
    for s in range(2):
        ctx = mixing.source_contexts(rng.stream(key, "test", s), src, s, contexts, ell)
        scale = mlp_head.preactivation_scale(mlp_head.attention_features(ctx.xs, ctx.ys), t)
        out.append(float(jnp.sqrt(jnp.mean(scale ** 2))))
    return out


def rows_for(d: int, k_ratio: float, seeds: int, names: Sequence[str]) -> list[dict[str, Any]]:
    cfg = cpu_config(d, k_ratio, seeds)
    t0 = time.perf_counter()
    with jax.enable_x64(True):
        err = errors_at(cfg, names)
        scales = [source_scales(cfg, name) for name in names]
    wall = time.perf_counter() - t0
    rows = []
    for i, name in enumerate(names):
        means = err[i].mean(axis=0)
        gaps = {m: abs(means[0] - means[1 + j]) / means[0] for j, m in enumerate(SCALES)}
        rows.append({"d": d, "k/n": k_ratio, "point": name, "seeds": seeds, "mlp": means[0],
                     "equivalent": dict(zip(SCALES, means[1:-2])), "linear": means[-2], "gap": gaps,
                     "s": scales[i], "wall_s": wall / len(names)})
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    head = ["d", "k/n", "point", "runs", "MLP", *(f"eq. {m}" for m in SCALES), "linear",
            *(f"gap {m}" for m in SCALES), "s₀, s₁"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["d"]), f"{r['k/n']:g}", r["point"], str(r["seeds"]), f"{r['mlp']:.4g}",
                 *(f"{r['equivalent'][m]:.4g}" for m in SCALES), f"{r['linear']:.4g}",
                 *(f"{r['gap'][m]:.3g}" for m in SCALES), ", ".join(f"{s:.2f}" for s in r["s"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", default="16,32,48")
    parser.add_argument("--k-ratios", default="0.5")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--points", default=",".join(POINTS))
    args = parser.parse_args(argv)
    names = args.points.split(",")
    rows = []
    for d in (int(v) for v in args.d.split(",")):
        for k_ratio in (float(v) for v in args.k_ratios.split(",")):
            rows += rows_for(d, k_ratio, args.seeds, names)
            print(f"d={d} k/n={k_ratio:g}: {rows[-1]['wall_s'] * len(names):.0f} s", flush=True)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Monte Carlo runs of the one-step-GD MLP head, its Hermite equivalent and the linear transformer.

One run (a lane: one seed at one sweep point) is closed-form: draw the sources' spike directions, F
and w; one full-batch gradient step on F over n contexts of the training mixture; ridge readouts of
the MLP (true σ) and of the equivalent model (σ̂_p) on n fresh contexts, and the linear transformer's
ridge Γ on the same contexts; errors on fresh per-source test contexts. Lanes of one static shape run
as ``jit(vmap(run))`` in chunks of ``model.lane_chunk``. There is no iterative training, so the
engine's optimiser loop is not involved; the gradient step is ``mlp_head.one_step`` (checked against
autodiff in the tests).

Errors of every stage: ``arrays[stage]`` ``[lanes, S, 3]`` = per-source test MSE of
(MLP, equivalent, linear); the ICL error is the mean over sources (uniform test mixture).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config as C
from iclx import experiment as E
from iclx import rng
from iclx import train as T
from iclx.algorithms import hermite
from iclx.algorithms.ridge import ridge_fit
from iclx.experiments.data_mixing import multilingual as ML
from iclx.models import mlp_head as M
from iclx.tasks import mixing as X

MAX_DEGREE = 8
HP_KEYS = ("rho", "eta_c", "x_theta1", "xi_theta1", "noise0", "noise1", "n", "k", "ell", "act",
           *(f"c{i}" for i in range(MAX_DEGREE + 1)), "c_star")
ACTIVATIONS = ("relu", "tanh")
MODELS = ("mlp", "equivalent", "linear")


@dataclasses.dataclass(frozen=True)
class Shape:
    """The static part of a stage: the largest sizes of its lanes (a lane's own n, k, ℓ arrive
    traced and mask the rest), test contexts per source, activation and Hermite degree."""

    d: int
    ell: int
    n: int
    k: int
    n_test: int


def shape_of(cfg: C.ConfigDict, d: int | None = None, ell_ratio: float | None = None,
             n_ratio: float | None = None, k_ratio: float | None = None) -> Shape:
    m = cfg.model
    d = m.d if d is None else d
    n = max(2, round((m.n_ratio if n_ratio is None else n_ratio) * d * d))
    return Shape(d=d, ell=max(1, round((m.ell_ratio if ell_ratio is None else ell_ratio) * d)), n=n,
                 k=max(1, round((m.k_ratio if k_ratio is None else k_ratio) * n)),
                 n_test=max(1, round(cfg.eval.test_ratio * max(2, round(m.n_ratio * d * d)))))


# --------------------------------------------------------------------------- one Monte Carlo run


@functools.lru_cache(maxsize=None)
def synthetic_world(d: int):
    """Two sources: source 0 isotropic, source 1 with the lane's spikes; noise per source."""
    def world(key, hp):
        zero = jnp.zeros_like(hp["rho"])
        return X.make_sources(key, d, jnp.stack([zero, hp["x_theta1"]]),
                              jnp.stack([zero, hp["xi_theta1"]]),
                              jnp.stack([hp["noise0"], hp["noise1"]]), dtype=hp["rho"].dtype)

    train = lambda src, key, probs, n, ell: X.sample_contexts(key, src, probs, n, ell)
    test = lambda src, key, s, n, ell: X.source_contexts(key, src, s, n, ell)
    return world, train, test


def activation_of(act: jax.Array):
    """(σ, σ′) chosen by a traced index into ``ACTIVATIONS`` (both branches are cheap)."""
    fns = [hermite.activation(name) for name in ACTIVATIONS]
    pick = lambda i: (lambda z: sum(jnp.where(act == j, f[i](z), 0.0) for j, f in enumerate(fns)))
    return pick(0), pick(1)


def hermite_hparams(activation: str, degree: int) -> dict[str, float]:
    """The lane hyper-parameters of σ̂_p: ``act``, c_0 … c_MAX (zero beyond p) and c*_p."""
    c = np.zeros(MAX_DEGREE + 1)
    c[: degree + 1] = hermite.coefficients(activation, degree)
    return {"act": float(ACTIVATIONS.index(activation)), **{f"c{i}": float(c[i]) for i in range(len(c))},
            "c_star": hermite.residual_std(activation, degree)}


@functools.lru_cache(maxsize=None)
def make_run(shape: Shape, lam: float, world_fns, n_sources: int = 2) -> Callable:
    """``run(keys [C], hps) -> errors [C, S, 3]`` (MLP, equivalent, linear) for a chunk of lanes.

    The activation, the Hermite coefficients and the sizes n, k, ℓ are traced lane values, so one
    compiled set serves a whole stage. Four jitted programs, each with at most one (batched) LAPACK
    call: XLA:CPU can deadlock when two independent LAPACK calls run concurrently inside one program
    on few cores (see ``iclx.algorithms.regression``)."""
    world_fn, train_fn, test_fn = world_fns
    D = shape.d * (shape.d + 1)

    def setup(key, hp):
        dtype = jnp.zeros(()).dtype          # float64 under enable_x64
        hp = {name: value.astype(dtype) for name, value in hp.items()}
        c = jnp.stack([hp[f"c{i}"] for i in range(MAX_DEGREE + 1)])
        eq = lambda name: (lambda z: hermite.equivalent_activation(c, hp["c_star"], z,
                                                                    rng.stream(key, name)))
        return hp, world_fn(rng.stream(key, "world"), hp), activation_of(hp["act"]), eq

    def features(key, hp):
        """Stage 1 (one gradient step on F) and the stage-2 features of both models."""
        hp, world, (sigma, sigma_prime), eq = setup(key, hp)
        probs = X.two_source_probs(hp["rho"])

        def batch(name, n):
            ctx = train_fn(world, rng.stream(key, name), probs, n, shape.ell)
            return M.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1]

        H0, _ = batch("pilot", shape.n)
        F, w = M.init_head(rng.stream(key, "init"), shape.k, D, M.feature_trace(H0), H0.dtype)
        H1, y1 = batch("stage1", shape.n)
        F_hat = M.one_step(F, w, H1, y1, hp["eta_c"] * shape.d ** 2, sigma, sigma_prime,
                           n=hp["n"], k=hp["k"])
        H2, y2 = batch("stage2", shape.n)
        phi = jnp.stack([M.head_features(F_hat, H2, sigma, hp["k"]),
                         M.head_features(F_hat, H2, eq("eq_train"), hp["k"])])
        return F_hat, phi, H2, y2

    def readouts(phi, y2, hp):
        # one batched solve: [2, K]
        return jax.vmap(lambda p: ridge_fit(p, y2, lam, n=hp["n"].astype(p.dtype)))(phi)

    def linear(H2, y2, hp):
        return ridge_fit(H2, y2, lam, n=hp["n"].astype(H2.dtype))

    def errors(key, hp, F_hat, w_both, gamma):
        hp, world, (sigma, _), eq = setup(key, hp)
        out = []
        for s in range(n_sources):
            ctx = test_fn(world, rng.stream(key, "test", s), s, shape.n_test, shape.ell)
            Ht, yt = M.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1]
            preds = (M.head_predict(F_hat, w_both[0], Ht, sigma, hp["k"]),
                     M.head_predict(F_hat, w_both[1], Ht, eq(f"eq_test_{s}"), hp["k"]),
                     Ht @ gamma)
            out.append(jnp.stack([jnp.mean((yt - p) ** 2) for p in preds]))
        return jnp.stack(out)

    jf, jr, jl, je = (jax.jit(jax.vmap(f)) for f in (features, readouts, linear, errors))

    def run(keys, hps):
        F_hat, phi, H2, y2 = jf(keys, hps)
        w_both = jr(phi, y2, hps)
        gamma = jl(H2, y2, hps)
        return je(keys, hps, F_hat, w_both, gamma)

    return run


def evaluate_lanes(run: Callable, keys: jax.Array, hps: dict[str, np.ndarray], chunk: int) -> np.ndarray:
    """``run`` over lanes in chunks of ``chunk`` (the last one padded): ``[L, S, 3]``."""
    L = keys.shape[0]
    out = []
    for lo in range(0, L, chunk):
        idx = np.minimum(np.arange(lo, lo + chunk), L - 1)
        res = run(keys[idx], {k: jnp.asarray(v[idx]) for k, v in hps.items()})
        out.append(np.asarray(res)[: min(chunk, L - lo)])
    return np.concatenate(out, axis=0)


def largest(sizes: list[Shape]) -> Shape:
    return dataclasses.replace(sizes[0], n=max(s.n for s in sizes), k=max(s.k for s in sizes),
                               ell=max(s.ell for s in sizes), n_test=min(s.n_test for s in sizes))


def run_stage(ctx: E.RunContext, name: str, points: list[dict[str, Any]], n_seeds: int,
              shape_fn: Callable[[dict[str, Any]], Shape], lam: float, world_fns,
              chunk: int, shape: Shape | None = None) -> np.ndarray:
    """Every (point × seed) lane of a stage in one compiled set at the stage's largest sizes (or
    ``shape``); each lane's own n, k, ℓ arrive traced."""
    for point in points:                       # each lane's own sizes, traced
        size = shape_fn(point)
        point.update(n=size.n, k=size.k, ell=size.ell)
    lanes = T.point_lanes(points, n_seeds, HP_KEYS)
    keys = jax.vmap(lambda k: rng.stream(k, name))(lanes.keys(ctx.cfg.seed))
    shape = shape or largest([shape_fn(p) for p in points])
    errors = evaluate_lanes(make_run(shape, lam, world_fns), keys, lanes.hparams, chunk)
    hidden = {"act", "c_star", *(f"c{i}" for i in range(MAX_DEGREE + 1))}
    ctx.lanes[name] = [{k: v for k, v in label.items() if k not in hidden} for label in lanes.labels]
    ctx.log(f"{name}: {len(lanes)} lanes at {shape}")
    return errors


# --------------------------------------------------------------------------- the parts


def base_point(cfg: C.ConfigDict, **changes: float) -> dict[str, float]:
    point = dict(rho=0.5, eta_c=cfg.model.eta_c, x_theta1=0.0, xi_theta1=0.0,
                 noise0=cfg.task.noise, noise1=cfg.task.noise,
                 **hermite_hparams(cfg.model.activation, cfg.model.degree))
    point.update({k: float(v) for k, v in changes.items()})
    return point


def dimensions_part(cfg, ctx, arrays):
    d, dim = cfg.model.d, cfg.dimensions
    world = synthetic_world(d)
    sweeps = (("n", dim.n_ratios), ("ell", dim.ell_ratios), ("k", dim.k_ratios))
    common = largest([shape_of(cfg, **{f"{axis}_ratio": v}) for axis, values in sweeps for v in values])
    for act in dim.activations:
        for axis, values in sweeps:
            points = [{**base_point(cfg, rho=dim.rho, xi_theta1=dim.xi_theta_over_d2 * d * d),
                       **hermite_hparams(act, dim.degree), "activation": act,
                       f"{axis}_ratio": float(v)} for v in values]
            shape_fn = lambda lab, axis=axis: shape_of(cfg, **{f"{axis}_ratio": lab[f"{axis}_ratio"]})
            arrays[f"dims_{act}_{axis}"] = run_stage(ctx, f"dims_{act}_{axis}", points, cfg.seeds,
                                                     shape_fn, cfg.model.lam, world,
                                                     cfg.model.lane_chunk, shape=common)


def mixing_part(cfg, ctx, arrays):
    d, mix = cfg.model.d, cfg.mixing
    world, shape_fn = synthetic_world(d), (lambda lab: shape_of(cfg))
    panels = {"mix_x": [dict(x_theta1=v * math.sqrt(d), curve=v) for v in mix.x_theta_over_sqrt_d],
              "mix_xi": [dict(xi_theta1=v * d, curve=v) for v in mix.xi_theta_over_d],
              "mix_noise": [dict(noise0=mix.noise0, noise1=v, curve=v) for v in mix.noise1]}
    for name, curves in panels.items():
        points = [{**base_point(cfg, rho=r, **{k: v for k, v in c.items() if k != "curve"}),
                   "curve": c["curve"]} for c in curves for r in mix.rhos]
        arrays[name] = run_stage(ctx, name, points, cfg.seeds, shape_fn, cfg.model.lam, world,
                                 cfg.model.lane_chunk)


def eta_part(cfg, ctx, arrays):
    d, et = cfg.model.d, cfg.eta
    world, shape_fn = synthetic_world(d), (lambda lab: shape_of(cfg))
    spikes = {"eta_x": dict(x_theta1=et.x_theta_over_sqrt_d * math.sqrt(d)),
              "eta_xi": dict(xi_theta1=et.xi_theta_over_d * d)}
    for name, spike in spikes.items():
        points = [{**base_point(cfg, rho=r, eta_c=c, **spike), "curve": c}
                  for c in et.eta_cs for r in et.rhos]
        arrays[name] = run_stage(ctx, name, points, cfg.seeds, shape_fn, cfg.model.lam, world,
                                 cfg.model.lane_chunk)


def real_part(cfg, ctx, arrays, scalars):
    rc = cfg.real
    data = ML.load_embeddings(cfg, ctx.log)
    pool_x, pool_y, sizes = ML.pools(data, rc.languages, rc.pca_dim, rc.max_per_language)
    scalars["real_data"] = {"encoder": data["encoder"], "languages": list(rc.languages),
                            "pool_sizes": [int(s) for s in sizes], "source": data["source"]}
    d = rc.pca_dim
    shape = dataclasses.replace(shape_of(cfg, d=d, ell_ratio=rc.ell_ratio, n_ratio=rc.n_ratio),
                            n_test=max(1, round(cfg.eval.test_ratio * rc.n_ratio * d * d)))
    px, py, ps = jnp.asarray(pool_x), jnp.asarray(pool_y), jnp.asarray(sizes)

    def world_fn(key, hp):
        return None

    def train_fn(world, key, probs, n, ell):
        k_s, k_c = jax.random.split(key)
        return X.pool_contexts(k_c, px.astype(probs.dtype), py.astype(probs.dtype), ps,
                               X.draw_sources(k_s, probs, n), ell)

    def test_fn(world, key, s, n, ell):
        dtype = jnp.zeros(()).dtype
        return X.pool_contexts(key, px.astype(dtype), py.astype(dtype), ps,
                               jnp.full((n,), s, jnp.int32), ell)

    points = [{**base_point(cfg, rho=r, eta_c=c), "curve": c} for c in rc.eta_cs for r in rc.rhos]
    arrays["real"] = run_stage(ctx, "real", points, rc.seeds, lambda lab: shape, cfg.model.lam,
                               (world_fn, train_fn, test_fn), cfg.model.lane_chunk)


def run(cfg: C.ConfigDict, ctx: E.RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from iclx.experiments.data_mixing import curves

    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    with jax.enable_x64(bool(cfg.model.float64)):
        if "dimensions" in cfg.parts:
            dimensions_part(cfg, ctx, arrays)
        if "mixing" in cfg.parts:
            mixing_part(cfg, ctx, arrays)
        if "eta" in cfg.parts:
            eta_part(cfg, ctx, arrays)
        if "real" in cfg.parts:
            real_part(cfg, ctx, arrays, scalars)
    scalars["sizes"] = dataclasses.asdict(shape_of(cfg))
    scalars.update(curves.summarise(cfg, ctx.lanes, arrays))
    return scalars, arrays

"""One Monte Carlo run of the data-mixing experiment: the one-step-GD MLP head, its Hermite equivalent
and the linear transformer.

One run (a lane: one seed at one sweep point) is closed-form: draw the sources' spike directions, F
and w; one full-batch gradient step on F over n contexts of the training mixture; ridge readouts of
the MLP (true σ) and of the equivalent model (σ̂_p) on n fresh contexts, and the linear transformer's
ridge Γ on the same contexts; errors on fresh per-source test contexts. Lanes of one static shape run
as ``jit(vmap(run))`` in chunks of ``model.lane_chunk``. There is no iterative training, so the
engine's optimiser loop is not involved; the gradient step is ``mlp_head.one_step`` (checked against
autodiff in the tests).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config
from iclx.algorithms import hermite
from iclx.algorithms.ridge import ridge_fit
from iclx.engine import rng
from iclx.models import mlp_head
from iclx.tasks import mixing

MAX_DEGREE = 8
HP_KEYS = ("rho", "eta_c", "x_theta1", "xi_theta1", "noise0", "noise1", "n", "k", "ell", "act",
           *(f"c{i}" for i in range(MAX_DEGREE + 1)), "c_star")
ACTIVATIONS = ("relu", "tanh")


@dataclasses.dataclass(frozen=True)
class Shape:
    """The static part of a stage: the largest sizes of its lanes (a lane's own n, k, ℓ arrive
    traced and mask the rest), test contexts per source, activation and Hermite degree."""

    d: int
    ell: int
    n: int
    k: int
    n_test: int


def shape_of(cfg: config.ConfigDict, d: int | None = None, ell_ratio: float | None = None,
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
        return mixing.make_sources(key, d, jnp.stack([zero, hp["x_theta1"]]),
                                   jnp.stack([zero, hp["xi_theta1"]]),
                                   jnp.stack([hp["noise0"], hp["noise1"]]), dtype=hp["rho"].dtype)

    train = lambda src, key, probs, n, ell: mixing.sample_contexts(key, src, probs, n, ell)
    test = lambda src, key, s, n, ell: mixing.source_contexts(key, src, s, n, ell)
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


def _setup(world_fn, key, hp):
    """A lane's hyper-parameters in the working dtype (float64 under enable_x64), its world (the
    sources), (σ, σ′), and ``eq(name)``: σ̂_p with its residual noise from stream ``name``."""
    dtype = jnp.zeros(()).dtype
    hp = {name: value.astype(dtype) for name, value in hp.items()}
    c = jnp.stack([hp[f"c{i}"] for i in range(MAX_DEGREE + 1)])
    eq = lambda name: (lambda z: hermite.equivalent_activation(c, hp["c_star"], z,
                                                               rng.stream(key, name)))
    return hp, world_fn(rng.stream(key, "world"), hp), activation_of(hp["act"]), eq


def _features(shape: Shape, world_fns, key, hp):
    """Stage 1 (one gradient step on F) and the stage-2 features of both models:
    (F̂ [k, D], φ [2, n, k] of the MLP and the equivalent, H₂ [n, D], y₂ [n])."""
    world_fn, train_fn, _ = world_fns
    hp, world, (sigma, sigma_prime), eq = _setup(world_fn, key, hp)
    probs = mixing.two_source_probs(hp["rho"])

    def batch(name, n):
        ctx = train_fn(world, rng.stream(key, name), probs, n, shape.ell)
        return mlp_head.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1]

    H0, _ = batch("pilot", shape.n)
    F, w = mlp_head.init_head(rng.stream(key, "init"), shape.k, shape.d * (shape.d + 1),
                              mlp_head.feature_trace(H0), H0.dtype)
    H1, y1 = batch("stage1", shape.n)
    F_hat = mlp_head.one_step(F, w, H1, y1, hp["eta_c"] * shape.d ** 2, sigma, sigma_prime,
                              n=hp["n"], k=hp["k"])
    H2, y2 = batch("stage2", shape.n)
    phi = jnp.stack([mlp_head.head_features(F_hat, H2, sigma, hp["k"]),
                     mlp_head.head_features(F_hat, H2, eq("eq_train"), hp["k"])])
    return F_hat, phi, H2, y2


def _errors(shape: Shape, world_fns, n_sources: int, key, hp, F_hat, w_both, gamma):
    """Per-source test MSE ``[S, 3]`` of the MLP, the equivalent and the linear transformer."""
    world_fn, _, test_fn = world_fns
    hp, world, (sigma, _), eq = _setup(world_fn, key, hp)
    out = []
    for s in range(n_sources):
        ctx = test_fn(world, rng.stream(key, "test", s), s, shape.n_test, shape.ell)
        Ht, yt = mlp_head.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1]
        preds = (mlp_head.head_predict(F_hat, w_both[0], Ht, sigma, hp["k"]),
                 mlp_head.head_predict(F_hat, w_both[1], Ht, eq(f"eq_test_{s}"), hp["k"]),
                 Ht @ gamma)
        out.append(jnp.stack([jnp.mean((yt - p) ** 2) for p in preds]))
    return jnp.stack(out)


@functools.lru_cache(maxsize=None)
def make_run(shape: Shape, lam: float, world_fns, n_sources: int = 2) -> Callable:
    """``run(keys [C], hps) -> errors [C, S, 3]`` (MLP, equivalent, linear) for a chunk of lanes.

    The activation, the Hermite coefficients and the sizes n, k, ℓ are traced lane values, so one
    compiled set serves a whole stage. Four jitted programs, each with at most one (batched) LAPACK
    call: XLA:CPU can deadlock when two independent LAPACK calls run concurrently inside one program
    on few cores (see ``iclx.algorithms.regression``)."""
    readouts = lambda phi, y2, hp: jax.vmap(                       # one batched solve: [2, K]
        lambda p: ridge_fit(p, y2, lam, n=hp["n"].astype(p.dtype)))(phi)
    linear = lambda H2, y2, hp: ridge_fit(H2, y2, lam, n=hp["n"].astype(H2.dtype))
    jf, jr, jl, je = (jax.jit(jax.vmap(f)) for f in (
        functools.partial(_features, shape, world_fns), readouts, linear,
        functools.partial(_errors, shape, world_fns, n_sources)))

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

"""One Monte Carlo run of the data-mixing experiment: the one-step-GD MLP head, its Hermite equivalent
and the linear transformer.

One run (a lane: one seed at one sweep point) is closed-form: draw the sources' spike directions, F
and w; one full-batch gradient step on F over n contexts of the training mixture; ridge readouts of
the MLP (true σ) and of the equivalent model (σ̂_p) on n fresh contexts, and the linear transformer's
ridge Γ on the same contexts; errors on fresh per-source test contexts.

The equivalent replaces σ by its degree-p Hermite truncation plus independent noise, expanded at the
scale of the pre-activation it is applied to (``model.equivalent_scale``): given a context, F vec H_Z
is N(0, s²) per neuron at initialisation with s = ‖vec H_Z‖/√t, and s ≠ 1 wherever the context's
source puts vec H_Z on another scale than the pilot batch that fixed t; after the step, F̂ vec H_Z
adds the learned spike ηG vec H_Z ("neurons" measures each context's scale on F̂ vec H_Z itself);
"unit" keeps σ's expansion for z ~ N(0, 1) at every scale. Lanes of one static shape run
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
from iclx.experiments.data_mixing.config import EQUIVALENT_SCALES
from iclx.models import mlp_head
from iclx.tasks import mixing

MAX_DEGREE = 8
HP_KEYS = ("rho", "eta_c", "x_theta1", "xi_theta1", "noise0", "noise1", "n", "k", "ell", "act", "degree")
ACTIVATIONS = ("relu", "tanh")
SCALES = EQUIVALENT_SCALES   # where σ̂_p's expansion is taken (config.py; ``context_scales``)


@dataclasses.dataclass(frozen=True)
class Shape:
    """The static part of a stage: the largest sizes of its lanes (a lane's own n, k, ℓ arrive
    traced and mask the rest) and the test contexts per source."""

    d: int
    ell: int
    n: int
    k: int
    n_test: int


def shape_of(cfg: config.ConfigDict, d: int | None = None, ell_ratio: float | None = None,
             n_ratio: float | None = None, k_ratio: float | None = None,
             k_over_d2: float | None = None) -> Shape:
    """The sizes of a point: the model's ratios unless given; ``k_over_d2`` fixes the width at
    k = k_over_d2·d² whatever n (Fig 1's n-sweep), else k = k_ratio·n."""
    m = cfg.model
    d = m.d if d is None else d
    n = max(2, round((m.n_ratio if n_ratio is None else n_ratio) * d * d))
    k = (round(k_over_d2 * d * d) if k_over_d2 is not None
         else round((m.k_ratio if k_ratio is None else k_ratio) * n))
    return Shape(d=d, ell=max(1, round((m.ell_ratio if ell_ratio is None else ell_ratio) * d)), n=n,
                 k=max(1, k),
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
    """The lane hyper-parameters of σ̂_p: the activation's index ``act`` and the degree p."""
    return {"act": float(ACTIVATIONS.index(activation)), "degree": float(degree)}


def equivalent_coefficients(act: jax.Array, degree: jax.Array,
                            scale: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(c_0(s) … c_MAX(s) ``[MAX + 1, ...]``, zero beyond the degree; c*(s) ``[...]``) of the lane's
    activation (traced index ``act``) at the pre-activation scales ``scale [...]``."""
    keep = (jnp.arange(MAX_DEGREE + 1) <= degree).astype(scale.dtype).reshape(-1, *([1] * scale.ndim))
    c, c_star = jnp.zeros((MAX_DEGREE + 1, *scale.shape), scale.dtype), jnp.zeros_like(scale)
    for j, name in enumerate(ACTIVATIONS):
        cj = hermite.scaled_coefficients(name, scale, MAX_DEGREE) * keep
        c = jnp.where(act == j, cj, c)
        c_star = jnp.where(act == j, hermite.scaled_residual_std(name, scale, cj), c_star)
    return c, c_star


def context_scales(mode: str, H: jax.Array, t: jax.Array, source: jax.Array, n_sources: int,
                   rows: jax.Array | None = None) -> jax.Array | None:
    """The pre-activation scale ``[n]`` at which each context's equivalent is expanded (``SCALES``;
    "unit": one scalar 1 for all; "neurons": None, the activation measures it on F̂ vec H_Z itself)."""
    if mode == "neurons":
        return None
    if mode == "unit":
        return jnp.ones((), H.dtype)      # one scale for every row (a constant: folded at compile time)
    if mode == "context":
        return mlp_head.preactivation_scale(H, t)
    return mlp_head.source_scale(H, t, source, n_sources, rows)


def _setup(world_fn, key, hp):
    """A lane's hyper-parameters in the working dtype (float64 under enable_x64), its world (the
    sources), (σ, σ′), and ``eq(name, scale)``: σ̂_{p,s} of the rows of a pre-activation ``[n, k]``
    (``scale [n]``, one per row, a scalar for all, or None: each row's RMS over the lane's k neurons)
    with its residual noise from stream ``name``."""
    dtype = jnp.zeros(()).dtype
    hp = {name: value.astype(dtype) for name, value in hp.items()}

    def expand(z, scale, name):
        c, c_star = equivalent_coefficients(hp["act"], hp["degree"], scale)
        if scale.ndim:                     # one scale per row of the pre-activation [n, k]
            c, c_star, scale = c[..., None], c_star[:, None], scale[:, None]
        return hermite.equivalent_at_scale(c, c_star, scale, z, rng.stream(key, name))

    def eq(name, scale):
        if scale is not None:
            return lambda z: expand(z, scale, name)
        return lambda z: expand(z, neuron_rms(z, hp["k"]), name)
    return hp, world_fn(rng.stream(key, "world"), hp), activation_of(hp["act"]), eq


def neuron_rms(z: jax.Array, k: jax.Array) -> jax.Array:
    """Root mean square over the first k (traced) neurons of each row of a pre-activation ``z [n, K]``:
    ``[n]``."""
    mask = (jnp.arange(z.shape[-1]) < k).astype(z.dtype)
    return jnp.sqrt(jnp.maximum(jnp.sum(z ** 2 * mask, axis=-1) / k, 1e-30))


def _features(shape: Shape, world_fns, scales: tuple[str, ...], key, hp):
    """Stage 1 (one gradient step on F) and the stage-2 features: (F̂ [k, D], t, φ [1 + m, n, k] of
    the MLP and of the equivalent at each of the m ``scales``, H₂ [n, D], y₂ [n])."""
    world_fn, train_fn, _ = world_fns
    hp, world, (sigma, sigma_prime), eq = _setup(world_fn, key, hp)
    probs = mixing.two_source_probs(hp["rho"])

    def batch(name, n):
        ctx = train_fn(world, rng.stream(key, name), probs, n, shape.ell)
        return mlp_head.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1], ctx.source

    H0, _, _ = batch("pilot", shape.n)
    t = mlp_head.feature_trace(H0)
    F, w = mlp_head.init_head(rng.stream(key, "init"), shape.k, shape.d * (shape.d + 1), t, H0.dtype)
    H1, y1, _ = batch("stage1", shape.n)
    F_hat = mlp_head.one_step(F, w, H1, y1, hp["eta_c"] * shape.d ** 2, sigma, sigma_prime,
                              n=hp["n"], k=hp["k"])
    H2, y2, source2 = batch("stage2", shape.n)
    rows = jnp.arange(shape.n) < hp["n"]
    eqs = [eq("eq_train", context_scales(m, H2, t, source2, 2, rows)) for m in scales]
    phi = jnp.stack([mlp_head.head_features(F_hat, H2, fn, hp["k"]) for fn in (sigma, *eqs)])
    return F_hat, t, phi, H2, y2


def _errors(shape: Shape, world_fns, n_sources: int, scales: tuple[str, ...], key, hp, F_hat, t,
            w_all, gamma):
    """Per-source test MSE ``[S, 3 + m]``: the MLP, the equivalent at each of the m ``scales``, the
    linear transformer, and the zero predictor (mean y² of the test labels: the trivial baseline)."""
    world_fn, _, test_fn = world_fns
    hp, world, (sigma, _), eq = _setup(world_fn, key, hp)
    out = []
    for s in range(n_sources):
        ctx = test_fn(world, rng.stream(key, "test", s), s, shape.n_test, shape.ell)
        Ht, yt = mlp_head.attention_features(ctx.xs, ctx.ys, hp["ell"]), ctx.ys[:, -1]
        eqs = [eq(f"eq_test_{s}", context_scales(m, Ht, t, ctx.source, n_sources)) for m in scales]
        preds = [mlp_head.head_predict(F_hat, w, Ht, fn, hp["k"]) for w, fn in zip(w_all, (sigma, *eqs))]
        out.append(jnp.stack([jnp.mean((yt - p) ** 2) for p in (*preds, Ht @ gamma, jnp.zeros_like(yt))]))
    return jnp.stack(out)


@functools.lru_cache(maxsize=None)
def make_run(shape: Shape, lam: float, world_fns, n_sources: int = 2,
             scales: tuple[str, ...] = ("context",), ridge: str = "mean") -> Callable:
    """``run(keys [C], hps) -> errors [C, S, 3 + m]`` (MLP, the equivalent at each of the m
    ``scales``, linear, zero predictor) for a chunk of lanes; with one scale (a run's) ``[C, S, 4]``.
    ``ridge``: the normalisation of λ in every ridge fit (``iclx.algorithms.ridge``).

    The activation, the Hermite degree and the sizes n, k, ℓ are traced lane values, so one
    compiled set serves a whole stage. Four jitted programs, each with at most one (batched) LAPACK
    call: XLA:CPU can deadlock when two independent LAPACK calls run concurrently inside one program
    on few cores (see ``iclx.algorithms.regression``)."""
    unknown = [m for m in scales if m not in SCALES]
    if unknown:
        raise ValueError(f"unknown equivalent scale(s) {unknown} (known: {', '.join(SCALES)})")
    readouts = lambda phi, y2, hp: jax.vmap(                       # one batched solve: [1 + m, K]
        lambda p: ridge_fit(p, y2, lam, n=hp["n"].astype(p.dtype), convention=ridge))(phi)
    linear = lambda H2, y2, hp: ridge_fit(H2, y2, lam, n=hp["n"].astype(H2.dtype), convention=ridge)
    jf, jr, jl, je = (jax.jit(jax.vmap(f)) for f in (
        functools.partial(_features, shape, world_fns, scales), readouts, linear,
        functools.partial(_errors, shape, world_fns, n_sources, scales)))

    def run(keys, hps):
        F_hat, t, phi, H2, y2 = jf(keys, hps)
        w_all = jr(phi, y2, hps)
        gamma = jl(H2, y2, hps)
        return je(keys, hps, F_hat, t, w_all, gamma)

    return run


def evaluate_lanes(run: Callable, keys: jax.Array, hps: dict[str, np.ndarray], chunk: int) -> np.ndarray:
    """``run`` over lanes in chunks of ``chunk`` (the last one padded): ``[L, S, models]``."""
    L = keys.shape[0]
    chunk = min(chunk, L)
    out = []
    for lo in range(0, L, chunk):
        idx = np.minimum(np.arange(lo, lo + chunk), L - 1)
        res = run(keys[idx], {k: jnp.asarray(v[idx]) for k, v in hps.items()})
        out.append(np.asarray(res)[: min(chunk, L - lo)])
    return np.concatenate(out, axis=0)


def largest(sizes: list[Shape]) -> Shape:
    return dataclasses.replace(sizes[0], n=max(s.n for s in sizes), k=max(s.k for s in sizes),
                               ell=max(s.ell for s in sizes), n_test=min(s.n_test for s in sizes))

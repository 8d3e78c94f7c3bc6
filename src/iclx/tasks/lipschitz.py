"""In-context regression of L-Lipschitz functions over a finite feature set (Li, Duan, Liang 2025).

A prompt holds ``n_points`` tokens x_i = v_{k_i} + σ ξ_i and their labels y_i = f(x_i), plus a query
x_q = v_{k_q} + σ ξ_q whose label y_q = f(x_q) is to be predicted; the feature indices k_i, k_q are
uniform over the K features v_1..v_K ∈ R^d and ξ ~ N(0, I_d / d). One function f is drawn per prompt:

    f_L(x) = L^α · g(L^(1-α) · x),      Lip(g) = 1 exactly, so Lip(f_L) = L exactly,

with g from a family (``family``): ``linear`` g(x) = wᵀx; ``sine`` g(x) = sin(ω wᵀx + φ) / ω;
``relu`` g(x) = h(wᵀx) / Lip(h), h(t) = Σ_j a_j relu(s_j t + b_j) (a one-hidden-layer ReLU ridge
function, its Lipschitz constant computed exactly from its breakpoints); w is uniform on the unit
sphere. α = 1 (``scaling="amplitude"``) scales the values, α = 0 (``"dilation"``) sharpens the
function: for a linear g both coincide; for a nonlinear g, dilation makes the label gaps between
features saturate once L ≫ 1/‖v_k − v_j‖ while amplitude scaling keeps them ∝ L.

Features (``features``): ``orthonormal`` (v_k = e_k, d ≥ K), ``equicorrelated``
(v_k = normalize(e_k + ρ·1_K), every pair at cosine c(ρ)), ``random`` (v_k = normalize(e_k + ρ g_k),
g_k ~ N(0, I_d/d) drawn from ``feature_seed``). Sampling is a pure function of a key; L, α, σ and ρ may
be traced (sweep lanes).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from iclx import config
from iclx.engine import rng

FAMILIES = ("linear", "sine", "relu")
FEATURES = ("orthonormal", "equicorrelated", "random")
SCALINGS = {"amplitude": 1.0, "dilation": 0.0}   # name -> exponent α of f_L = L^α g(L^(1-α) x)
# functions per Monte-Carlo block of label_covariance: its memory per call (per training lane) is
# O(block), whatever n_functions; the cpu preset's 2^14 functions are one block
MC_BLOCK = 1 << 14


class Function(NamedTuple):
    """One base function g (Lip 1) of a family: direction ``w [d]``, phase, ReLU units ``[m]``."""

    w: jax.Array
    phase: jax.Array
    a: jax.Array
    s: jax.Array
    b: jax.Array
    lip_h: jax.Array     # Lipschitz constant of the unnormalised ReLU ridge profile h


class Prompt(NamedTuple):
    """``xs [..., N, d]``, ``ys [..., N]``, query ``x_query [..., d]``, ``y_query [...]``, feature
    indices ``features [..., N]`` and ``query_feature [...]``, and the prompt's function."""

    xs: jax.Array
    ys: jax.Array
    x_query: jax.Array
    y_query: jax.Array
    features: jax.Array
    query_feature: jax.Array
    function: Function


def relu_profile_lipschitz(a: jax.Array, s: jax.Array, b: jax.Array) -> jax.Array:
    """Exact Lipschitz constant of h(t) = Σ_j a_j relu(s_j t + b_j), s_j = ±1: the largest |slope|
    over the pieces between its sorted breakpoints t_j = −b_j s_j. ``a, s, b [..., m]`` → ``[...]``."""
    breaks = jnp.sort(-b * s, axis=-1)
    inner = 0.5 * (breaks[..., 1:] + breaks[..., :-1])
    probes = jnp.concatenate([breaks[..., :1] - 1.0, inner, breaks[..., -1:] + 1.0], axis=-1)
    active = (s[..., None, :] * probes[..., :, None] + b[..., None, :]) > 0     # [..., m + 1, m]
    slopes = jnp.sum(jnp.where(active, (a * s)[..., None, :], 0.0), axis=-1)
    return jnp.max(jnp.abs(slopes), axis=-1)


@dataclasses.dataclass(frozen=True)
class LipschitzTask:
    """Static description of the prompt distribution (hashable, so it can close over ``jit``)."""

    n_features: int            # K
    n_dims: int                # d
    n_points: int              # N prompt tokens (the query comes in addition)
    family: str = "sine"
    lipschitz: float = 1.0     # L (a sweep may pass its own, traced)
    scaling: str = "amplitude"
    features: str = "orthonormal"
    rho: float = 0.0           # feature correlation of the equicorrelated / random features
    noise_std: float = 0.0     # σ: token noise x = v + σ ξ, ξ ~ N(0, I/d)
    frequency: float = 1.0     # ω of the sine family
    relu_units: int = 8        # m of the ReLU family
    feature_seed: int = 0      # draws the random features

    @classmethod
    def from_config(cls, task: config.ConfigDict) -> "LipschitzTask":
        return cls(n_features=task.n_features, n_dims=task.n_dims, n_points=task.n_points,
                   family=task.family, lipschitz=float(task.lipschitz), scaling=task.scaling,
                   features=task.features, rho=float(task.rho), noise_std=float(task.noise_std),
                   frequency=float(task.frequency), relu_units=task.relu_units,
                   feature_seed=task.feature_seed)

    @property
    def alpha(self) -> float:
        return SCALINGS[self.scaling]

    # ----------------------------------------------------------------------- features

    def feature_matrix(self, rho: jax.Array | float | None = None) -> jax.Array:
        """Unit-norm features ``V [K, d]`` (row k is v_k)."""
        K, d = self.n_features, self.n_dims
        rho = self.rho if rho is None else rho
        eye = jnp.eye(K, d)
        if self.features == "orthonormal":
            return eye
        if self.features == "equicorrelated":
            raw = eye + rho * (jnp.arange(d) < K)[None, :]
        else:
            g = jax.random.normal(jax.random.key(self.feature_seed), (K, d)) / jnp.sqrt(d)
            raw = eye + rho * g
        return raw / jnp.linalg.norm(raw, axis=1, keepdims=True)

    # ----------------------------------------------------------------------- functions

    def sample_function(self, key: jax.Array, shape: tuple[int, ...] = ()) -> Function:
        """Base functions g of the family (Lip(g) = 1), a batch of ``shape``. Two random draws in
        all, batched rather than vmapped over keys: every random call adds to the compile time of
        each program that uses it."""
        d, m = self.n_dims, self.relu_units
        gauss = jax.random.normal(rng.stream(key, "gaussian"), (*shape, d + m))
        unif = jax.random.uniform(rng.stream(key, "uniform"), (*shape, 1 + 2 * m))
        w, a = gauss[..., :d], gauss[..., d:]
        w = w / jnp.linalg.norm(w, axis=-1, keepdims=True)
        phase = 2 * jnp.pi * unif[..., 0]
        s = jnp.where(unif[..., 1:m + 1] < 0.5, 1.0, -1.0)
        b = 2.0 * unif[..., m + 1:] - 1.0
        return Function(w, phase, a, s, b, relu_profile_lipschitz(a, s, b))

    def base(self, fn: Function, x: jax.Array) -> jax.Array:
        """g(x) for ``x [..., d]`` → ``[...]``."""
        t = x @ fn.w
        if self.family == "linear":
            return t
        if self.family == "sine":
            return jnp.sin(self.frequency * t + fn.phase) / self.frequency
        h = jnp.sum(fn.a * jax.nn.relu(fn.s * t[..., None] + fn.b), axis=-1)
        return h / fn.lip_h

    def evaluate(self, fn: Function, x: jax.Array, lipschitz: jax.Array | float | None = None,
                 alpha: jax.Array | float | None = None) -> jax.Array:
        """f_L(x) = L^α g(L^(1-α) x) for ``x [..., d]`` → ``[...]``; Lip(f_L) = L."""
        L = self.lipschitz if lipschitz is None else lipschitz
        alpha = self.alpha if alpha is None else alpha
        return L ** alpha * self.base(fn, L ** (1.0 - alpha) * x)

    # ----------------------------------------------------------------------- prompts

    def sample_batch(self, key: jax.Array, batch_size: int, lipschitz=None, alpha=None,
                     noise_std=None, rho=None) -> Prompt:
        """``batch_size`` independent prompts (N tokens and the query each), drawn batched."""
        return self._prompts(key, (batch_size,), lipschitz, alpha, noise_std, rho)

    def sample(self, key: jax.Array, lipschitz=None, alpha=None, noise_std=None, rho=None) -> Prompt:
        """One prompt."""
        return self._prompts(key, (), lipschitz, alpha, noise_std, rho)

    def _prompts(self, key, shape, lipschitz, alpha, noise_std, rho) -> Prompt:
        K, d, N = self.n_features, self.n_dims, self.n_points
        sigma = self.noise_std if noise_std is None else noise_std
        ids = jax.random.randint(rng.stream(key, "features"), (*shape, N + 1), 0, K)
        noise = jax.random.normal(rng.stream(key, "noise"), (*shape, N + 1, d)) / jnp.sqrt(d)
        x = self.feature_matrix(rho)[ids] + sigma * noise
        fn = self.sample_function(rng.stream(key, "function"), shape)
        evaluate = lambda f, z: self.evaluate(f, z, lipschitz, alpha)
        for _ in shape:
            evaluate = jax.vmap(evaluate)
        y = evaluate(fn, x)
        return Prompt(x[..., :N, :], y[..., :N], x[..., N, :], y[..., N], ids[..., :N],
                      ids[..., N], fn)

    def sample_counts(self, key: jax.Array, batch_size: int) -> jax.Array:
        """Feature counts ``[B, K]`` of ``batch_size`` prompts (multinomial(N, uniform))."""
        ids = jax.random.randint(key, (batch_size, self.n_points), 0, self.n_features)
        return jnp.sum(jax.nn.one_hot(ids, self.n_features), axis=1)

    def label_covariance(self, key: jax.Array, n_functions: int, lipschitz=None, alpha=None,
                         rho=None, block: int = MC_BLOCK) -> jax.Array:
        """C_kj = E_f[f(v_k) f(v_j)] ``[K, K]``: closed form (L²/d) VVᵀ for the linear family,
        otherwise a Monte-Carlo mean over ``n_functions`` functions, drawn and summed ``block`` at a
        time (a ``lax.scan``; block i from stream "block" i) so that memory does not grow with
        ``n_functions``. Up to ``block`` functions are one draw from ``key``."""
        return self.label_covariance_at(key, n_functions, self.feature_matrix(rho), lipschitz, alpha,
                                        block)

    def label_covariance_at(self, key: jax.Array, n_functions: int, V: jax.Array, lipschitz=None,
                            alpha=None, block: int = MC_BLOCK) -> jax.Array:
        """``label_covariance`` at given features ``V [K, d]`` (traceable: one compiled program
        serves every feature set of a shape)."""
        L = self.lipschitz if lipschitz is None else lipschitz
        if self.family == "linear":
            return (L ** 2 / self.n_dims) * V @ V.T

        def gram(k: jax.Array, count: int) -> jax.Array:
            fns = self.sample_function(k, (count,))
            values = jax.vmap(lambda fn: self.evaluate(fn, V, lipschitz, alpha))(fns)   # [F, K]
            return values.T @ values

        if n_functions <= block:
            return gram(key, n_functions) / n_functions
        n_blocks, rest = divmod(n_functions, block)
        total, _ = jax.lax.scan(lambda acc, i: (acc + gram(rng.stream(key, "block", i), block), None),
                                jnp.zeros((V.shape[0],) * 2), jnp.arange(n_blocks))
        if rest:
            total = total + gram(rng.stream(key, "block", n_blocks), rest)
        return total / n_functions


def missing_feature_probability(n_features: int, n_points: int) -> float:
    """P(the query's feature is absent from a prompt) = (1 − 1/K)^N: an irreducible loss floor."""
    return (1.0 - 1.0 / n_features) ** n_points


def validate_config(cfg: config.ConfigDict, prefix: str = "task") -> None:
    """Check the ``task`` fields of a Lipschitz-regression config."""
    K = config.positive_int(cfg, f"{prefix}.n_features")
    d = config.positive_int(cfg, f"{prefix}.n_dims")
    config.positive_int(cfg, f"{prefix}.n_points")
    config.require(K >= 2, f"{prefix}.n_features", f"needs at least 2 features, got {K}")
    config.require(d >= K, f"{prefix}.n_dims", f"must be >= task.n_features={K} (features e_k + …), got {d}")
    config.one_of(cfg, f"{prefix}.family", FAMILIES)
    config.one_of(cfg, f"{prefix}.scaling", SCALINGS)
    config.one_of(cfg, f"{prefix}.features", FEATURES)
    config.finite_float(cfg, f"{prefix}.lipschitz", positive=True)
    config.finite_float(cfg, f"{prefix}.rho", low=0.0)
    config.finite_float(cfg, f"{prefix}.noise_std", low=0.0)
    config.finite_float(cfg, f"{prefix}.frequency", positive=True)
    config.positive_int(cfg, f"{prefix}.relu_units")
    config.nonnegative_int(cfg, f"{prefix}.feature_seed")


def default_config(n_features: int, n_points: int, n_dims: int | None = None) -> config.ConfigDict:
    """The ``task`` group of a Lipschitz-regression config."""
    return config.ConfigDict(dict(name="lipschitz_regression", n_features=n_features,
                             n_dims=n_dims or n_features, n_points=n_points, family="sine",
                             lipschitz=1.0, scaling="amplitude", features="orthonormal", rho=0.0,
                             noise_std=0.0, frequency=1.0, relu_units=8, feature_seed=0))

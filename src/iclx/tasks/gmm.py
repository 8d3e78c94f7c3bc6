"""In-context classification of Gaussian mixtures (Shen, Zhou, Yang, Shen 2024, arXiv 2410.11778).

Each prompt is one task τ: c class means μ_{τ,k} = r Λ^{1/2} u_{τ,k} with u_{τ,k} i.i.d. uniform on the
unit sphere (so every mean has the same Λ⁻¹-norm r and the Bayes rule has no intercept), uniform
labels k_i and inputs x_i | k_i ~ N(μ_{k_i}, Λ). Λ = diag(linspace(cov_min, cov_max, d)) is shared by
every task. Binary prompts (c = 2) carry labels y = ±1 (class 1 is +1).

Two samplers of the same law:

- ``sample_tokens`` / ``sample_batch``: the examples themselves, ``xs [n, d]`` and labels ``[n]``
  (what GPT-2 and the baselines read);
- ``sample_statistics``: the only statistic the one-layer linear-attention model reads,
  S = (1/N) Σ_i e_{k_i} x_iᵀ ∈ R^{c×d}, drawn exactly in O(N c + c d): with
  label counts n_k of N uniform labels, row k is (n_k/N) μ_kᵀ + (√n_k / N) (Λ^{1/2} z_k)ᵀ, z_k ~ N(0, I).

``mean_scale`` and ``cov_scale`` shift the test distribution (means r → mean_scale·r, covariance
Λ → cov_scale·Λ); they are 1 in training. ``posterior`` is the Bayes label law p*(x) of a task.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from iclx import config


class Prompt(NamedTuple):
    """Token-level prompts: ``xs [..., n, d]``, ``ys [..., n]`` (±1 for c = 2, else the class index as
    a float), ``labels [..., n]`` int, ``probs [..., n, c]`` = p*(x_i), ``means [..., c, d]``."""

    xs: jax.Array
    ys: jax.Array
    labels: jax.Array
    probs: jax.Array
    means: jax.Array


class Statistics(NamedTuple):
    """Statistic prompts: ``stat [..., c, d]`` = (1/N) Σ e_{k_i} x_iᵀ, queries ``xq [..., Q, d]`` with
    ``labels [..., Q]`` and ``probs [..., Q, c]`` = p*(x_q), and the task's ``means [..., c, d]``."""

    stat: jax.Array
    xq: jax.Array
    labels: jax.Array
    probs: jax.Array
    means: jax.Array


LABELS_PER_CHUNK = 1 << 22   # labels a bank draw holds at once (statistics_batch)


@dataclasses.dataclass(frozen=True)
class GMMTask:
    n_dims: int
    n_points: int               # examples per token-level prompt (the GPT-2 interface)
    n_classes: int = 2
    radius: float = 1.5         # Λ⁻¹-norm r of every class mean
    cov_min: float = 0.5        # Λ's smallest eigenvalue
    cov_max: float = 2.0        # Λ's largest eigenvalue
    mean_scale: float = 1.0     # test shift: means scaled by this
    cov_scale: float = 1.0      # test shift: true covariance cov_scale · Λ

    @classmethod
    def from_config(cls, task: config.ConfigDict) -> "GMMTask":
        return cls(n_dims=task.n_dims, n_points=task.n_points, n_classes=task.n_classes,
                   radius=float(task.radius), cov_min=float(task.cov_min),
                   cov_max=float(task.cov_max))

    # ----------------------------------------------------------------------- the law

    def cov_diag(self) -> jax.Array:
        """Λ's diagonal ``[d]`` (the covariance the model is trained with; no shift)."""
        return jnp.linspace(self.cov_min, self.cov_max, self.n_dims)

    def true_cov_diag(self) -> jax.Array:
        return self.cov_scale * self.cov_diag()

    def sample_means(self, key: jax.Array) -> jax.Array:
        """``[c, d]``: μ_k = mean_scale · r Λ^{1/2} u_k, u_k uniform on the sphere."""
        u = jax.random.normal(key, (self.n_classes, self.n_dims))
        u = u / jnp.linalg.norm(u, axis=-1, keepdims=True)
        return self.mean_scale * self.radius * jnp.sqrt(self.cov_diag()) * u

    def posterior(self, x: jax.Array, means: jax.Array) -> jax.Array:
        """p*(x) ``[..., c]`` for ``x [..., d]`` and ``means [c, d]``: softmax_k(μ_kᵀΛ⁻¹x − ½μ_kᵀΛ⁻¹μ_k)
        with the true (possibly shifted) Λ."""
        prec = 1.0 / self.true_cov_diag()
        logits = jnp.einsum("kd,...d->...k", means * prec, x) - 0.5 * jnp.sum(means ** 2 * prec, -1)
        return jax.nn.softmax(logits, axis=-1)

    def _inputs(self, key: jax.Array, labels: jax.Array, means: jax.Array) -> jax.Array:
        noise = jax.random.normal(key, labels.shape + (self.n_dims,))
        return means[labels] + jnp.sqrt(self.true_cov_diag()) * noise

    # ----------------------------------------------------------------------- token-level prompts

    def sample_tokens(self, key: jax.Array, n: int) -> Prompt:
        """One prompt of ``n`` examples."""
        k_mean, k_lab, k_x = jax.random.split(key, 3)
        means = self.sample_means(k_mean)
        labels = jax.random.randint(k_lab, (n,), 0, self.n_classes)
        xs = self._inputs(k_x, labels, means)
        ys = (2 * labels - 1).astype(xs.dtype) if self.n_classes == 2 else labels.astype(xs.dtype)
        return Prompt(xs, ys, labels, self.posterior(xs, means), means)

    def sample_batch(self, key: jax.Array, batch_size: int, d_active=None,
                     n: int | None = None) -> Prompt:
        """``batch_size`` prompts of ``n`` (default ``n_points``) examples. ``d_active`` zeroes the
        trailing input coordinates (a curriculum's truncation), as the linear-regression task does."""
        n = self.n_points if n is None else n
        prompt = jax.vmap(lambda k: self.sample_tokens(k, n))(jax.random.split(key, batch_size))
        if d_active is not None:
            mask = jnp.arange(self.n_dims) < d_active
            prompt = prompt._replace(xs=prompt.xs * mask)
        return prompt

    # ----------------------------------------------------------------------- statistic prompts

    def sample_statistic(self, key: jax.Array, n_examples, means: jax.Array,
                         n_max: int | None = None) -> jax.Array:
        """S = (1/N) Σ_i e_{k_i} x_iᵀ ``[c, d]`` of N = ``n_examples`` examples, exact: the labels are
        drawn (``n_max`` ≥ N of them, the first N used, so N may be traced), the inputs' noise is
        summed in law, √n_k Λ^{1/2} z_k."""
        n_max = int(n_examples) if n_max is None else n_max
        k_lab, k_noise = jax.random.split(key)
        labels = jax.random.randint(k_lab, (n_max,), 0, self.n_classes)
        used = (jnp.arange(n_max) < n_examples).astype(means.dtype)
        counts = jnp.sum(jax.nn.one_hot(labels, self.n_classes, dtype=means.dtype) * used[:, None],
                         axis=0)[:, None]
        noise = jax.random.normal(k_noise, means.shape, means.dtype) * jnp.sqrt(self.true_cov_diag())
        n = jnp.asarray(n_examples, means.dtype)
        return (counts * means + jnp.sqrt(counts) * noise) / n

    def antithetic_statistics(self, key: jax.Array, n_examples,
                              n_max: int | None = None) -> tuple[jax.Array, jax.Array]:
        """One task's 2c antithetic statistics (``stat [2c, c, d]``, ``means [2c, c, d]``) of N =
        ``n_examples`` (≤ ``n_max``) examples. The label counts are the multinomial's quantiles at
        uniforms fixed by the key (``quantile_counts``), the noise z_k is fixed by the key: the same
        key couples every N as tightly as the law allows (common random numbers). The 2c copies roll
        the counts over the classes (n_k → n_{k+s}, s < c) and negate z; each has the law of S (labels
        exchangeable, z symmetric), and together they cancel the terms of S − μ/c linear in the count
        deviations and in z. Draw in float64: the quantiles' incomplete beta functions need it."""
        n_max = int(n_examples) if n_max is None else n_max
        k_mean, k_count, k_noise = jax.random.split(key, 3)
        means = self.sample_means(k_mean)
        n = jnp.asarray(n_examples, means.dtype)
        u = jax.random.uniform(k_count, (self.n_classes - 1,), means.dtype)
        counts = quantile_counts(u, n, self.n_classes, n_max)[:, None]
        noise = jax.random.normal(k_noise, means.shape, means.dtype) * jnp.sqrt(self.true_cov_diag())
        stats = [(jnp.roll(counts, s, 0) * means + sign * jnp.sqrt(jnp.roll(counts, s, 0)) * noise) / n
                 for s in range(self.n_classes) for sign in (1.0, -1.0)]
        return jnp.stack(stats), jnp.broadcast_to(means, (len(stats),) + means.shape)

    def statistics_bank(self, key: jax.Array, n_tasks: int, n_examples, n_max: int,
                        antithetic: bool = True) -> tuple[jax.Array, jax.Array]:
        """Statistics and means ``[n_tasks·2c, c, d]``: ``antithetic_statistics`` of ``n_tasks``
        tasks (``antithetic=False``: only the first of each task's copies, ``[n_tasks, c, d]``)."""
        stat, means = jax.vmap(lambda k: self.antithetic_statistics(k, n_examples, n_max))(
            jax.random.split(key, n_tasks))
        if not antithetic:
            stat, means = stat[:, :1], means[:, :1]
        return stat.reshape(-1, *stat.shape[-2:]), means.reshape(-1, *means.shape[-2:])

    def sample_statistics(self, key: jax.Array, n_examples, n_queries: int,
                          n_max: int | None = None) -> Statistics:
        """One task's statistic of N = ``n_examples`` examples and ``n_queries`` fresh queries."""
        k_mean, k_stat, k_lab, k_x = jax.random.split(key, 4)
        means = self.sample_means(k_mean)
        stat = self.sample_statistic(k_stat, n_examples, means, n_max)
        labels = jax.random.randint(k_lab, (n_queries,), 0, self.n_classes)
        xq = self._inputs(k_x, labels, means)
        return Statistics(stat, xq, labels, self.posterior(xq, means), means)

    def statistics_batch(self, key: jax.Array, batch_size: int, n_examples, n_queries: int,
                         n_max: int | None = None) -> Statistics:
        """``batch_size`` tasks (``sample_statistics``), drawn ``LABELS_PER_CHUNK // n_max`` at a time
        (``lax.map``) so that the label draws of a large bank never sit in memory at once (2^15 prompts
        × n_max = 1600 labels were 1.4 GB per bank); the draws are those of one ``vmap``."""
        n_max = int(n_examples) if n_max is None else n_max
        chunk = max(1, LABELS_PER_CHUNK // max(n_max, 1))
        one = lambda k: self.sample_statistics(k, n_examples, n_queries, n_max)
        keys = jax.random.split(key, batch_size)
        if batch_size <= chunk:
            return jax.vmap(one)(keys)
        return jax.lax.map(one, keys, batch_size=chunk)


def binomial_quantile(u: jax.Array, n: jax.Array, p: float, n_max: int) -> jax.Array:
    """The u-quantile of Binomial(n, p): the smallest m with P(X ≤ m) ≥ u (``u``, ``n`` arrays of one
    shape, n ≤ ``n_max``), by bisection on P(X ≤ m) = I_{1−p}(n − m, m + 1) (regularised incomplete
    beta; float64 for n in the thousands)."""
    def cdf(m):
        safe = jax.scipy.special.betainc(jnp.maximum(n - m, 1.0), jnp.maximum(m + 1.0, 1.0), 1.0 - p)
        return jnp.where(m < 0, 0.0, jnp.where(m >= n, 1.0, safe))

    def halve(_, bounds):
        lo, hi = bounds                       # cdf(lo) < u ≤ cdf(hi)
        mid = jnp.floor(0.5 * (lo + hi))
        up = cdf(mid) >= u
        return jnp.where(up, lo, mid), jnp.where(up, mid, hi)

    steps = max(1, int(n_max + 2).bit_length())
    return jax.lax.fori_loop(0, steps, halve, (jnp.full_like(n, -1.0), n))[1]


def quantile_counts(u: jax.Array, n: jax.Array, n_classes: int, n_max: int) -> jax.Array:
    """Label counts ``[c]`` of n uniform labels: Multinomial(n, 1/c) drawn as successive conditional
    binomials n_k | n_<k ~ Binomial(n − Σ n_<k, 1/(c − k)), each the quantile at ``u[k]`` (``u``
    ``[c − 1]`` uniforms): for fixed u every n gets the counts at the same quantiles."""
    counts, rest = [], n
    for k in range(n_classes - 1):
        counts.append(binomial_quantile(u[k], rest, 1.0 / (n_classes - k), n_max))
        rest = rest - counts[-1]
    return jnp.stack(counts + [rest])


def default_config(n_dims: int, n_points: int, n_classes: int = 2) -> config.ConfigDict:
    return config.ConfigDict(dict(name="gmm_classification", n_dims=n_dims, n_points=n_points,
                             n_classes=n_classes, radius=1.5, cov_min=0.5, cov_max=2.0))


def validate_config(cfg: config.ConfigDict, prefix: str = "task") -> None:
    config.positive_int(cfg, f"{prefix}.n_dims")
    config.positive_int(cfg, f"{prefix}.n_points")
    config.require(config.positive_int(cfg, f"{prefix}.n_classes") >= 2, f"{prefix}.n_classes",
                   "needs at least 2 classes")
    config.finite_float(cfg, f"{prefix}.radius", positive=True)
    lo = config.finite_float(cfg, f"{prefix}.cov_min", positive=True)
    hi = config.finite_float(cfg, f"{prefix}.cov_max", positive=True)
    config.require(hi >= lo, f"{prefix}.cov_max", f"must be >= {prefix}.cov_min={lo}, got {hi}")

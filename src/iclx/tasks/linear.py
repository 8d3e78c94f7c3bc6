"""In-context linear regression prompts (Garg et al. 2022; Fu et al. 2023).

One prompt holds ``n_points`` pairs (x_i, y_i) with y_i = w·x_i + σ ε_i, a fresh task vector
w ~ N(0, I_d) per prompt, and inputs x ~ N(0, Σ), Σ = U diag(λ) Uᵀ. Sampling is a pure function of a
key, so a batch is ``vmap`` over split keys. The curriculum's active dimension ``d_active`` zeroes the
inputs' trailing coordinates (Garg's truncation) while shapes stay static for ``jit``.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from iclx import config
from iclx.engine import rng

COVARIANCES = ("isotropic", "two_level", "geometric", "custom")
BASES = ("random", "identity")


class Prompt(NamedTuple):
    """A prompt: ``xs [..., n, d]``, ``ys [..., n]`` and its task vector ``w [..., d]``."""

    xs: jax.Array
    ys: jax.Array
    w: jax.Array


@dataclasses.dataclass(frozen=True)
class LinearRegressionTask:
    """Static description of the prompt distribution (hashable, so it can close over ``jit``)."""

    n_dims: int
    n_points: int
    covariance: str = "isotropic"   # isotropic | two_level (Fu: half κ, half 1) | geometric | custom
    kappa: float = 1.0              # condition number of Σ (two_level, geometric)
    eigenvalues: tuple[float, ...] = ()  # Σ's spectrum, for covariance="custom"
    basis: str = "random"           # random: a Haar-random eigenbasis per prompt; identity: Σ diagonal
    normalize: bool = True          # rescale the spectrum so that tr Σ = number of active dims
    noise_std: float = 0.0          # label noise σ

    @classmethod
    def from_config(cls, task: config.ConfigDict) -> "LinearRegressionTask":
        return cls(n_dims=task.n_dims, n_points=task.n_points, covariance=task.covariance,
                   kappa=float(task.kappa), eigenvalues=tuple(float(v) for v in task.eigenvalues),
                   basis=task.basis, normalize=task.normalize, noise_std=float(task.noise_std))

    # ----------------------------------------------------------------------- covariance

    def spectrum(self, d_active: jax.Array | int | None = None) -> jax.Array:
        """Eigenvalues ``[d]`` of Σ over the first ``d_active`` coordinates (0 beyond), largest first."""
        d = self.n_dims
        active = d if d_active is None else d_active
        index = jnp.arange(d)
        mask = index < active
        if self.covariance == "isotropic":
            eigs = jnp.ones(d)
        elif self.covariance == "two_level":
            eigs = jnp.where(index < active // 2, self.kappa, 1.0)
        elif self.covariance == "geometric":
            span = jnp.maximum(active - 1, 1)
            eigs = self.kappa ** (-index / span)
        else:
            eigs = jnp.asarray(self.eigenvalues, dtype=jnp.float32)
        eigs = jnp.where(mask, eigs, 0.0)
        if self.normalize:
            eigs = eigs * jnp.sum(mask) / jnp.sum(eigs)
        return eigs

    def basis_matrix(self, key: jax.Array, d_active: jax.Array | int | None = None) -> jax.Array:
        """An orthogonal ``[d, d]`` eigenbasis: Haar-random on the active block, identity elsewhere."""
        d = self.n_dims
        if self.basis == "identity":
            return jnp.eye(d)
        active = d if d_active is None else d_active
        block = (jnp.arange(d) < active)[:, None] & (jnp.arange(d) < active)[None, :]
        gaussian = jnp.where(block, jax.random.normal(key, (d, d)), jnp.eye(d))
        q, r = jnp.linalg.qr(gaussian)
        return q * jnp.sign(jnp.diagonal(r))[None, :]

    # ----------------------------------------------------------------------- sampling

    def sample(self, key: jax.Array, d_active: jax.Array | int | None = None) -> Prompt:
        """One prompt: ``xs [n, d]``, ``ys [n]``, ``w [d]``."""
        d, n = self.n_dims, self.n_points
        active = d if d_active is None else d_active
        mask = (jnp.arange(d) < active).astype(jnp.float32)
        w = jax.random.normal(rng.stream(key, "w"), (d,)) * mask
        z = jax.random.normal(rng.stream(key, "x"), (n, d))
        xs = z * jnp.sqrt(self.spectrum(d_active))[None, :]
        if self.covariance != "isotropic":  # an isotropic Σ needs no eigenbasis
            xs = xs @ self.basis_matrix(rng.stream(key, "basis"), d_active).T
        xs = xs * mask[None, :]
        ys = xs @ w
        if self.noise_std > 0:
            ys = ys + self.noise_std * jax.random.normal(rng.stream(key, "noise"), (n,))
        return Prompt(xs=xs, ys=ys, w=w)

    def sample_batch(self, key: jax.Array, batch_size: int,
                     d_active: jax.Array | int | None = None) -> Prompt:
        """``batch_size`` independent prompts: ``xs [B, n, d]``, ``ys [B, n]``, ``w [B, d]``."""
        keys = jax.random.split(key, batch_size)
        return jax.vmap(lambda k: self.sample(k, d_active))(keys)


def validate_config(cfg: config.ConfigDict, prefix: str = "task") -> None:
    """Check the ``task`` fields of a linear-regression config."""
    n_dims = config.positive_int(cfg, f"{prefix}.n_dims")
    config.positive_int(cfg, f"{prefix}.n_points")
    covariance = config.one_of(cfg, f"{prefix}.covariance", COVARIANCES)
    config.one_of(cfg, f"{prefix}.basis", BASES)
    config.finite_float(cfg, f"{prefix}.kappa", low=1.0)
    config.finite_float(cfg, f"{prefix}.noise_std", low=0.0)
    eigenvalues = config.finite_float_list(cfg, f"{prefix}.eigenvalues", positive=True)
    if covariance == "custom":
        config.require(len(eigenvalues) == n_dims, f"{prefix}.eigenvalues",
                       f"needs {n_dims} values (task.n_dims) for covariance='custom', got {len(eigenvalues)}")


def default_config(n_dims: int, n_points: int) -> config.ConfigDict:
    """The ``task`` group of a linear-regression config."""
    return config.ConfigDict(dict(name="linear_regression", n_dims=n_dims, n_points=n_points,
                             covariance="isotropic", kappa=1.0, eigenvalues=(), basis="random",
                             normalize=True, noise_std=0.0))

"""In-context learning of deep ReLU networks (Wu, Su, Hu, Song, Liu 2024, arXiv 2411.16549).

One prompt holds ``n_points`` pairs (x_i, y_i = f(x_i)) where f is a fresh N-layer ReLU network per
prompt: widths ``[d, K, …, K, 1]`` (N weight matrices, N − 1 hidden ReLU layers of width K), no biases,

    p(0) = x,   p(j) = relu(W_j p(j−1))  (j < N),   f(x) = W_N p(N−1)   (relu too if ``output_relu``).

Raw weights are drawn i.i.d. N(μ_j, 1) and multiplied by sqrt(2 / fan_in) (``scaling="he"``, our
choice: the paper does not state a scaling; without one the label scale explodes with depth) or by 1
(``scaling="none"``).
The means μ_j carry the paper's parameter shift (N(±0.5, I) in its Figs 5–6; N(0, I) in training):
μ_j = ``param_mean`` on the layers that ``shift_layers`` names, 0 on the others. ``"all"`` is the
literal reading; ``"first"`` shifts only W_1, our default, because shifting every layer by −0.5 kills
every unit past the second layer at the paper's width 100 (the sum of ~100 non-negative inputs times
weights of mean −0.5 is negative), leaving labels identically 0 and R² undefined, where the paper
plots R² ≈ 0.8.
Inputs come from the mixture ω₁ N(−m·1, I_d) + ω₂ N(m·1, I_d), m = ``input_mean`` (the paper: m = 2,
ω = (1, 0) in training). The curriculum's ``d_active`` zeroes the inputs' trailing coordinates.

``forward(weights, xs)`` is the network as a pure function, shared by the direct-training baseline
(``iclx.algorithms.relu_gd``) and the explicit construction (``iclx.models.constructions_relu_gd``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

from iclx import config
from iclx.engine import rng

SCALINGS = ("he", "none")
SHIFT_LAYERS = ("first", "all")
Weights = tuple[jax.Array, ...]


class Prompt(NamedTuple):
    """``xs [..., n, d]``, ``ys [..., n]``, the target's ``weights`` (W_j ``[..., out, in]``) and the
    mixture component of each input ``component [..., n]`` (0: mean −m, 1: mean +m)."""

    xs: jax.Array
    ys: jax.Array
    weights: Weights
    component: jax.Array


def layer_widths(n_dims: int, depth: int, width: int) -> tuple[int, ...]:
    """``(d, K, …, K, 1)``: the widths of an N-layer network (N + 1 entries)."""
    return (n_dims,) + (width,) * (depth - 1) + (1,)


def forward(weights: Sequence[jax.Array], xs: jax.Array, output_relu: bool = False) -> jax.Array:
    """The network ``f(x)`` at inputs ``xs [..., d]`` → ``[...]``; ``weights[j] [out, in]``."""
    h = xs
    for j, w in enumerate(weights):
        h = h @ w.T
        if j < len(weights) - 1 or output_relu:
            h = jax.nn.relu(h)
    return h[..., 0]


def raw_weights(key: jax.Array, widths: Sequence[int], mean: float | Sequence[float] = 0.0,
                std: float = 1.0) -> Weights:
    """Unscaled weights ``W_j ~ N(mean_j, std²)``, ``[widths[j+1], widths[j]]``; ``mean`` is one number
    for every layer or one per layer."""
    n_layers = len(widths) - 1
    means = tuple(mean) if isinstance(mean, Sequence) else (mean,) * n_layers
    keys = jax.random.split(key, n_layers)
    return tuple(m + std * jax.random.normal(k, (fan_out, fan_in))
                 for k, m, fan_in, fan_out in zip(keys, means, widths[:-1], widths[1:]))


def he_init(key: jax.Array, widths: Sequence[int], mean: float | Sequence[float] = 0.0,
            std: float = 1.0) -> Weights:
    """``raw_weights`` times sqrt(2 / fan_in): ``W_j ~ sqrt(2 / fan_in) · N(mean_j, std²)``."""
    return tuple(math.sqrt(2.0 / fan_in) * w
                 for w, fan_in in zip(raw_weights(key, widths, mean, std), widths[:-1]))


@dataclasses.dataclass(frozen=True)
class ReluNetTask:
    """Static description of the prompt distribution (hashable, so it can close over ``jit``)."""

    n_dims: int
    n_points: int
    depth: int = 3                       # N: number of weight matrices
    width: int = 100                     # K: hidden width
    mixture: tuple[float, float] = (1.0, 0.0)   # (ω₁, ω₂) of N(−m·1, I) and N(+m·1, I)
    input_mean: float = 2.0              # m
    param_mean: float = 0.0              # mean of the shifted layers' raw weights (parameter shift)
    shift_layers: str = "first"          # which layers param_mean shifts: first | all
    param_std: float = 1.0
    scaling: str = "he"                  # he: × sqrt(2/fan_in) | none
    output_relu: bool = False            # relu on the output (the paper's Def. 1) or linear

    @classmethod
    def from_config(cls, task: config.ConfigDict) -> "ReluNetTask":
        return cls(n_dims=task.n_dims, n_points=task.n_points, depth=task.depth, width=task.width,
                   mixture=tuple(float(w) for w in task.mixture), input_mean=float(task.input_mean),
                   param_mean=float(task.param_mean),
                   shift_layers=task.shift_layers, param_std=float(task.param_std),
                   scaling=task.scaling, output_relu=bool(task.output_relu))

    @property
    def widths(self) -> tuple[int, ...]:
        return layer_widths(self.n_dims, self.depth, self.width)

    @property
    def layer_means(self) -> tuple[float, ...]:
        """μ_j, the raw weights' mean per layer (``param_mean`` on the shifted layers, else 0)."""
        shifted = range(self.depth) if self.shift_layers == "all" else (0,)
        return tuple(self.param_mean if j in shifted else 0.0 for j in range(self.depth))

    def sample_weights(self, key: jax.Array) -> Weights:
        """One network's weights, ``W_j [widths[j+1], widths[j]]``."""
        draw = he_init if self.scaling == "he" else raw_weights
        return draw(key, self.widths, self.layer_means, self.param_std)

    def sample_inputs(self, key: jax.Array, d_active: jax.Array | int | None = None):
        """``(xs [n, d], component [n])`` from the input mixture, trailing coordinates zeroed."""
        d, n = self.n_dims, self.n_points
        active = d if d_active is None else d_active
        weight_plus = self.mixture[1] / (self.mixture[0] + self.mixture[1])
        component = jax.random.bernoulli(rng.stream(key, "component"), weight_plus, (n,))
        means = jnp.where(component, self.input_mean, -self.input_mean)[:, None]
        xs = means + jax.random.normal(rng.stream(key, "x"), (n, d))
        return xs * (jnp.arange(d) < active)[None, :], component.astype(jnp.int32)

    def sample(self, key: jax.Array, d_active: jax.Array | int | None = None) -> Prompt:
        """One prompt: ``xs [n, d]``, ``ys [n]``, the target's weights, the input components."""
        weights = self.sample_weights(rng.stream(key, "net"))
        xs, component = self.sample_inputs(key, d_active)
        return Prompt(xs=xs, ys=forward(weights, xs, self.output_relu), weights=weights,
                      component=component)

    def sample_batch(self, key: jax.Array, batch_size: int,
                     d_active: jax.Array | int | None = None) -> Prompt:
        """``batch_size`` independent prompts: ``xs [B, n, d]``, ``ys [B, n]``, ``weights``."""
        keys = jax.random.split(key, batch_size)
        return jax.vmap(lambda k: self.sample(k, d_active))(keys)


def default_config(n_dims: int, n_points: int, *, depth: int = 3, width: int = 100) -> config.ConfigDict:
    """The ``task`` group of a ReLU-network config."""
    return config.ConfigDict(dict(name="relu_net", n_dims=n_dims, n_points=n_points, depth=depth,
                             width=width, mixture=(1.0, 0.0), input_mean=2.0, param_mean=0.0,
                             shift_layers="first", param_std=1.0, scaling="he", output_relu=False))


def validate_config(cfg: config.ConfigDict, prefix: str = "task") -> None:
    """Check the ``task`` fields of a ReLU-network config."""
    config.positive_int(cfg, f"{prefix}.n_dims")
    config.positive_int(cfg, f"{prefix}.n_points")
    depth = config.positive_int(cfg, f"{prefix}.depth")
    config.require(depth >= 2, f"{prefix}.depth", f"needs at least 2 layers (one hidden), got {depth}")
    config.positive_int(cfg, f"{prefix}.width")
    mixture = config.finite_float_list(cfg, f"{prefix}.mixture")
    config.require(len(mixture) == 2 and min(mixture) >= 0 and sum(mixture) > 0, f"{prefix}.mixture",
                   f"needs two non-negative weights (ω₁, ω₂) with a positive sum, got {tuple(mixture)}")
    config.finite_float(cfg, f"{prefix}.input_mean")
    config.finite_float(cfg, f"{prefix}.param_mean")
    config.one_of(cfg, f"{prefix}.shift_layers", SHIFT_LAYERS)
    config.finite_float(cfg, f"{prefix}.param_std", positive=True)
    config.one_of(cfg, f"{prefix}.scaling", SCALINGS)

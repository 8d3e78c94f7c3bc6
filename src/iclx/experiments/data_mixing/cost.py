"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): every stage is a set
of closed-form Monte Carlo lanes, ``model.lane_chunk`` at a time, at the stage's largest shape. A lane
holds three banks of n attention features H [n, D] (D = d(d + 1)), the head F [k, D], the readout
features [2, n, k], a ridge system (min(n, D)² for the linear model, k² for the heads) and its
contexts; in float64 when ``model.float64``."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.framework.experiment import runs_stage
from iclx.experiments.data_mixing.config import STAGES
from iclx.experiments.data_mixing.montecarlo import Shape, largest, shape_of


def lane(shape: Shape, width: int) -> cost.Cost:
    """One lane at ``shape`` in ``width``-byte floats (the contexts: n × (ℓ + 1) × d per bank)."""
    d, n, k, ell, n_test = shape.d, shape.n, shape.k, shape.ell, shape.n_test
    D, r = d * (d + 1), min(shape.n, d * (d + 1))
    floats = 3 * n * D + 2 * k * D + 2 * n * k + r * r + k * k + 3 * n * (ell + 1) * d + 2 * n_test * D
    flops = 10.0 * n * k * D + 2.0 * k ** 3 + 2.0 * n * D * r + r ** 3 + 6.0 * n_test * k * D
    return cost.Cost(width * floats, flops, 0)


def stage(cfg: config.ConfigDict, shape: Shape, lanes: int) -> cost.Cost:
    """``lanes`` lanes at ``shape``, ``model.lane_chunk`` at a time (4 compiled programs per shape:
    counted once per part)."""
    one = lane(shape, 8 if cfg.model.float64 else 4)
    chunk = min(cfg.model.lane_chunk, lanes)
    return cost.Cost(one.bytes * chunk, one.flops * lanes, 0)


def parts(cfg: config.ConfigDict) -> list[cost.Cost]:
    """The Monte Carlo stages of every stage of ``config.STAGES`` that ``cfg.stages`` selects."""
    out, seeds = [], cfg.seeds
    if runs_stage(cfg, "dimensions"):
        dim = cfg.dimensions
        axes = (("n_ratio", dim.n_ratios), ("ell_ratio", dim.ell_ratios), ("k_ratio", dim.k_ratios))
        fixed_k = lambda axis: {"k_over_d2": dim.n_sweep_k_over_d2} if axis == "n_ratio" else {}
        shapes = [shape_of(cfg, **{axis: v}, **fixed_k(axis)) for axis, values in axes for v in values]
        if dim.shared_shape:            # every lane at the sweeps' largest sizes
            out += [stage(cfg, largest(shapes), len(values) * seeds) for _ in dim.activations
                    for _, values in axes]
        else:                           # each sweep point at its own sizes
            out += [stage(cfg, shape, seeds) for _ in dim.activations for shape in shapes]
    if runs_stage(cfg, "mixing"):
        mix = cfg.mixing
        for curves in (mix.x_theta_over_sqrt_d, mix.xi_theta_over_d, mix.noise1):
            out.append(stage(cfg, shape_of(cfg), len(curves) * len(mix.rhos) * seeds))
    if runs_stage(cfg, "eta"):
        out += [stage(cfg, shape_of(cfg), len(cfg.eta.eta_cs) * len(cfg.eta.rhos) * seeds)] * 2
    if runs_stage(cfg, "real"):
        rc = cfg.real
        shape = shape_of(cfg, d=rc.pca_dim, ell_ratio=rc.ell_ratio, n_ratio=rc.n_ratio)
        out.append(stage(cfg, shape, len(rc.eta_cs) * len(rc.rhos) * rc.seeds))
    return out


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    selected = [s for s in STAGES if runs_stage(cfg, s)]
    return cost.sequence([*parts(cfg), cost.Cost(programs=4 * len(selected))])

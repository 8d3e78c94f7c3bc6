"""The probe stage (ours, beyond the paper): which in-context algorithm each layer of a trained
model reads out like, against the untrained model of the same seed (the negative control).

Per main-depth model (attention, target depth) and seed, for the trained (``tf``) and the
initialised (``init``) parameters: a linear read-out per layer (``iclx.probes.NetworkProbe``, ridge
anchored at the final read-out, fitted on fresh prompts), its predictions on ``probe.n_prompts`` test
prompts, and the similarity of errors (SimE) of every layer with every row of every candidate family
(``probe_candidates``: GD on the N-layer ReLU network over its steps, ridge over λ, kernel regression
over bandwidths, 1-NN), from position ``probe.first_position`` on. Arrays
``probe/<net>/<attention>/N<t>/sime_<family> [S, K, L]``, the candidates' grids ``probe/grid/<family>``.
SimW (induced linear weights) is not computed: the targets are not linear in x, so a linear fit of a
layer's predictions on queries says little (see the README).
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from iclx import config, engine, models, probes
from iclx.engine import rng
from iclx.experiments.deep_optimizers import probe_candidates

NETS = ("tf", "init")
_sime = jax.jit(probes.similarity_of_errors, static_argnames="first_position")


def network_probe(cfg: config.ConfigDict, mcfg: config.ConfigDict, task) -> probes.NetworkProbe:
    p = cfg.probe
    return probes.NetworkProbe(models.build(mcfg, cfg.task.n_dims), task, n_batches=p.n_batches,
                               batch_size=p.batch_size, ridge=p.ridge, anchor=p.anchor,
                               predict_batch=p.n_prompts, induced_batch=1)


def layer_sime(cfg: config.ConfigDict, probe: probes.NetworkProbe, params, seed_key,
               xs: np.ndarray, ys: np.ndarray, candidates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """SimE heatmaps ``{family: [K, L]}`` of one network's layer read-outs (fitted on stream "probe"
    of ``seed_key``) against every candidate family's rows."""
    u, v = probe.fit(params, seed_key)
    _, layers = probe.predict(params, u, v, xs, ys)
    first = cfg.probe.first_position
    with jax.enable_x64(True):
        return {family: np.asarray(_sime(np.asarray(preds), np.asarray(layers, np.float64),
                                         np.asarray(ys, np.float64), first_position=first))
                for family, preds in candidates.items()}


def probe_model(cfg: config.ConfigDict, problem: engine.Problem, trained_params, lanes: engine.Lanes,
                attention: str, task, prompts: tuple[np.ndarray, np.ndarray],
                candidates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every probe array of one (attention, target) model, its seeds stacked ``[S, K, L]``."""
    probe = network_probe(cfg, config.ConfigDict(cfg.model.to_dict() | {"attention": attention}), task)
    keys = lanes.keys(cfg.seed)
    initial = jax.jit(functools.partial(engine.initial_params, problem))   # one program per model
    stacked = jax.device_get(trained_params)         # host arrays: slicing a lane compiles nothing
    per_seed = {net: [] for net in NETS}
    for lane in range(len(lanes)):
        nets = {"tf": engine.lane_slice(stacked, lane), "init": jax.device_get(initial(keys[lane]))}
        for net, params in nets.items():
            per_seed[net].append(layer_sime(cfg, probe, params, keys[lane], *prompts, candidates))
    return {f"probe/{net}/{attention}/N{task.depth}/sime_{family}":
            np.stack([s[family] for s in per_seed[net]]) for net in NETS for family in candidates}


def probe_part(cfg: config.ConfigDict, trained: dict[tuple[str, int], tuple], lanes: engine.Lanes,
               tasks: dict[int, object]) -> dict[str, np.ndarray]:
    """The probe arrays of every main-depth model ``trained[(attention, target)] = (problem,
    params)``; ``tasks[target]`` draws its prompts. The probe prompts and the candidates' predictions
    are computed once per target depth (stream "probe-prompts"), shared by the attentions and seeds."""
    arrays = grid_arrays(cfg)
    for target in sorted({t for _, t in trained}):
        task = tasks[target]
        sample = jax.jit(task.sample_batch, static_argnums=1)
        prompt = sample(rng.stream(rng.root_key(cfg.seed), "probe-prompts", target), cfg.probe.n_prompts)
        prompts = (np.asarray(prompt.xs), np.asarray(prompt.ys))
        candidates = probe_candidates.predictions(cfg.probe, task, *prompts, cfg.seed)
        for (attention, t), (problem, params) in trained.items():
            if t == target:
                arrays.update(probe_model(cfg, problem, params, lanes, attention, task, prompts, candidates))
    return arrays


def grid_arrays(cfg: config.ConfigDict) -> dict[str, np.ndarray]:
    return {f"probe/grid/{family}": grid for family, grid in probe_candidates.grids(cfg.probe).items()}


def probe_config(preset: str) -> config.ConfigDict:
    """The ``probe`` group: tiny at smoke (a few compiled programs), 512 prompts at cpu and paper."""
    small = preset == "smoke"
    return config.ConfigDict(dict(
        enabled=True,
        n_batches=2 if small else 8, batch_size=16 if small else 128,   # prompts the read-outs are fitted on
        ridge=0.01, anchor="final",       # as Fu et al.'s probes (iclx.probes)
        n_prompts=16 if small else 512,   # prompts the heatmaps are measured on
        first_position=1,                 # position 0 has no example: every candidate is a constant there
        gd_steps=(0, 1, 2, 4) if small else (0, 1, 2, 4, 8, 16, 32, 64, 128, 256),
        # plain GD on the ReLU network, η = gd_scale ÷ E‖x‖² (probe_candidates.gd_rate; not a
        # least-squares step, so not named gd_lr): 0.1 is stable and its R² rises with the steps at
        # d = 3 and 10 (−0.87 → 0.85 over 0…256 steps at d = 10, 6-layer targets); 0.3 diverges
        gd_scale=0.1,
        ridge_lams=(100.0, 10.0, 1.0, 0.1, 0.001),
        kernel_widths=(4.0, 1.0, 0.5, 0.25, 0.1),    # bandwidth ÷ √d
    ))


def validate_probe(cfg: config.ConfigDict) -> None:
    config.positive_int(cfg, "probe.n_batches")
    config.positive_int(cfg, "probe.batch_size")
    config.finite_float(cfg, "probe.ridge")
    config.one_of(cfg, "probe.anchor", ("final", "zero"))
    config.require(config.positive_int(cfg, "probe.n_prompts") >= 2, "probe.n_prompts", "needs ≥ 2 prompts")
    first = config.get_field(cfg, "probe.first_position")
    config.require(isinstance(first, int) and 0 <= first < cfg.task.n_points - 1, "probe.first_position",
                   f"must be in 0 … {cfg.task.n_points - 2}, got {first}")
    steps = config.get_field(cfg, "probe.gd_steps")
    config.require(len(steps) >= 2 and all(isinstance(s, int) and s >= 0 for s in steps)
                   and list(steps) == sorted(set(steps)), "probe.gd_steps",
                   f"needs ≥ 2 increasing step counts ≥ 0, got {tuple(steps)}")
    config.finite_float(cfg, "probe.gd_scale", positive=True)
    config.finite_float_list(cfg, "probe.ridge_lams", allow_empty=False, unique=True, low=0.0)
    config.finite_float_list(cfg, "probe.kernel_widths", allow_empty=False, unique=True)

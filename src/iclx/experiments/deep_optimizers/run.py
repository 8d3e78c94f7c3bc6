"""Train GPT-2 (softmax and ReLU attention) on prompts of fresh deep ReLU networks; evaluate R² per
number of in-context examples under input-mixture and parameter shifts; the direct-training
baseline; the transformer-depth sweep."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config, engine, models, problems
from iclx.algorithms import relu_gd
from iclx.engine import rng
from iclx.framework.experiment import RunContext
from iclx.experiments.deep_optimizers import probe, references
from iclx.experiments.deep_optimizers.summary import mix_key, shift_key
from iclx.tasks import relu_net

EVAL_CHUNK = 64


def stage_name(attention: str, target: int, layers: int) -> str:
    return f"{attention}-N{target}-L{layers}"


def stages(cfg: config.ConfigDict) -> list[tuple[str, int, int]]:
    """(attention, target depth, transformer depth) of every model to train, each once."""
    out = []
    for attention in cfg.study.attentions:
        out += [(attention, t, cfg.model.n_layer) for t in cfg.study.target_depths]
        out += [(attention, cfg.study.sweep_target_depth, L) for L in cfg.study.sweep_depths
                if L != cfg.model.n_layer]
    return out


def test_distributions(cfg: config.ConfigDict, target: int, layers: int) -> list[tuple[float, float]]:
    """(ω₁, μ) of every test distribution a model is scored on: every mixture for the main depth,
    the parameter shifts too for the sweep target, in distribution only for the depth sweep."""
    if layers != cfg.model.n_layer:
        return [(1.0, 0.0)]
    tests = [(w, 0.0) for w in cfg.eval.mixtures]
    if target == cfg.study.sweep_target_depth:
        tests += [(1.0, m) for m in cfg.eval.param_means if m != 0.0]
    return tests


def model_config(cfg: config.ConfigDict, attention: str, layers: int) -> config.ConfigDict:
    model = config.ConfigDict(cfg.model.to_dict())
    model.attention, model.n_layer = attention, layers
    return model


def train_task(cfg: config.ConfigDict, target: int) -> relu_net.ReluNetTask:
    return dataclasses.replace(relu_net.ReluNetTask.from_config(cfg.task), depth=target)


def test_task(cfg: config.ConfigDict, target: int, w: float = 1.0, mean: float = 0.0) -> relu_net.ReluNetTask:
    return dataclasses.replace(train_task(cfg, target), n_points=cfg.eval.n_points,
                               mixture=(w, 1.0 - w), param_mean=mean)


def test_prompts(cfg: config.ConfigDict, target: int, w: float = 1.0, mean: float = 0.0) -> relu_net.Prompt:
    """The evaluation prompts of one test distribution: the same for every model and seed."""
    key = rng.stream(rng.root_key(cfg.seed), f"eval-N{target}-{mix_key(w)}-{shift_key(mean)}")
    sample = _prompt_program(test_task(cfg, target), cfg.eval.n_prompts)
    return sample(key, jnp.float32(w), jnp.float32(1.0 - w), jnp.float32(mean))


@functools.lru_cache(maxsize=None)
def _prompt_program(task: relu_net.ReluNetTask, n_prompts: int):
    """One jitted sampler per target shape: the input mixture and the parameter mean are traced, so
    every test distribution of a target depth reuses it."""

    @jax.jit
    def sample(key, w_minus, w_plus, mean):
        shifted = dataclasses.replace(task, mixture=(w_minus, w_plus), param_mean=mean)
        return shifted.sample_batch(key, n_prompts)

    return sample


def transformer_r2(model, params, prompt: relu_net.Prompt) -> np.ndarray:
    """Pooled R² per position ``[S, n]`` for stacked ``params [S, ...]`` on ``prompt``."""
    n = prompt.xs.shape[0]
    chunk = EVAL_CHUNK if n % EVAL_CHUNK == 0 else n
    return np.asarray(_r2_program(model, chunk)(params, prompt.xs, prompt.ys))


@functools.lru_cache(maxsize=None)
def _r2_program(model, chunk: int):
    """One jitted program per (model, chunk): every test distribution reuses it."""

    @jax.jit
    def r2(params, xs_all, ys_all):
        xs = xs_all.reshape((-1, chunk) + xs_all.shape[1:])
        ys = ys_all.reshape((-1, chunk) + ys_all.shape[1:])
        preds = jax.lax.map(lambda a: jax.vmap(lambda p: model.apply({"params": p}, a[0], a[1]))(params),
                            (xs, ys))                                     # [chunks, S, c, n]
        preds = jnp.moveaxis(preds, 1, 0).reshape((preds.shape[1], -1, preds.shape[-1]))
        return relu_gd.r_squared(preds, ys_all)

    return r2


def baseline_arrays(cfg: config.ConfigDict, target: int, mean: float,
                    prompt: relu_net.Prompt) -> dict[str, np.ndarray]:
    """The directly trained N-layer network on the first ``baseline.n_prompts`` prompts: its pooled
    R² per epoch ``per_epoch [E, P]``, the same as per-block sums ``block_sums [blocks, 3, E, P]``
    with ``block_sizes`` (``references``), and the fitted ``positions [P]``."""
    base = cfg.baseline
    positions = tuple(range(0, cfg.eval.n_points, base.position_stride))
    xs, ys = prompt.xs[:base.n_prompts], prompt.ys[:base.n_prompts]
    run = _baseline_program(target, positions, base.width, base.epochs, base.lr, base.optimizer)
    key = rng.stream(rng.root_key(cfg.seed), "baseline-init", target)
    r2, preds = run(key, xs, ys)
    sums, sizes = references.block_sums(np.asarray(preds), np.asarray(ys)[:, list(positions)])
    name = f"baseline/N{target}/{shift_key(mean)}"
    return {f"{name}/per_epoch": np.asarray(r2), f"{name}/block_sums": sums,
            "baseline/block_sizes": sizes, "baseline/positions": np.asarray(positions)}


@functools.lru_cache(maxsize=None)
def _baseline_program(target: int, positions: tuple[int, ...], width: int, epochs: int, lr: float,
                      optimizer: str):
    """One jitted baseline fit per target depth: every parameter shift's prompts reuse it."""

    @jax.jit
    def run(key, xs, ys):
        preds = relu_gd.fit_prompts(key, xs, ys, positions, depth=target, width=width,
                                    epochs=epochs, lr=lr, optimizer=optimizer)
        return relu_gd.r_squared(preds, ys[:, jnp.asarray(positions)]), preds

    return run


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    lanes = engine.seed_lanes(cfg.seeds)
    arrays: dict[str, np.ndarray] = {}
    prompts, main = {}, {}
    for attention, target, layers in stages(cfg):
        mcfg = model_config(cfg, attention, layers)
        problem = problems.prompt_problem(train_task(cfg, target), mcfg, cfg.train, cfg.curriculum)
        trained = ctx.train(problem, cfg.train, lanes, name=stage_name(attention, target, layers))
        if layers == cfg.model.n_layer:
            main[attention, target] = (problem, trained.params)
        ctx.log(f"evaluating {stage_name(attention, target, layers)} …")
        model = models.build(mcfg, cfg.task.n_dims)
        for w, mean in test_distributions(cfg, target, layers):
            if (target, w, mean) not in prompts:
                prompts[target, w, mean] = test_prompts(cfg, target, w, mean)
                arrays.update(trivial_arrays(target, w, mean, prompts[target, w, mean]))
            r2 = transformer_r2(model, trained.params, prompts[target, w, mean])
            arrays[f"r2/{attention}/N{target}/L{layers}/{mix_key(w)}/{shift_key(mean)}"] = r2
    ctx.log("training the N-layer networks on the prompts (baseline) …")
    arrays.update(baseline_part(cfg, prompts))
    if cfg.probe.enabled:
        ctx.log("probing the layers of the trained and the untrained models …")
        tasks = {t: train_task(cfg, t) for t in cfg.study.target_depths}
        arrays.update(probe.probe_part(cfg, main, lanes, tasks))
    return {}, arrays


def trivial_arrays(target: int, w: float, mean: float, prompt: relu_net.Prompt) -> dict[str, np.ndarray]:
    """1-NN's and label averaging's R² per position on one test distribution's prompts."""
    return {f"trivial/{name}/N{target}/{mix_key(w)}/{shift_key(mean)}": r2
            for name, r2 in references.trivial_r2(prompt).items()}


def baseline_part(cfg: config.ConfigDict, prompts: dict | None = None) -> dict[str, np.ndarray]:
    """The N-layer network's fits on every target's in-distribution prompts (and the sweep target's
    parameter shifts); ``prompts`` are the ones the stages drew (drawn again if absent: the same)."""
    arrays, prompts = {}, prompts or {}
    for target in cfg.study.target_depths:
        means = [0.0] + ([m for m in cfg.eval.param_means if m != 0.0]
                         if target == cfg.study.sweep_target_depth else [])
        for mean in means:
            prompt = prompts.get((target, 1.0, mean)) or test_prompts(cfg, target, 1.0, mean)
            arrays.update(baseline_arrays(cfg, target, mean, prompt))
    return arrays


def reference_part(cfg: config.ConfigDict) -> dict[str, np.ndarray]:
    """Every array of the run that needs no trained model: the trivial predictors on every test
    distribution the stages use and the baseline's fits (``supplement`` adds them to an older run)."""
    arrays = {}
    for _, target, layers in stages(cfg):
        for w, mean in test_distributions(cfg, target, layers):
            if f"trivial/nn1/N{target}/{mix_key(w)}/{shift_key(mean)}" not in arrays:
                arrays.update(trivial_arrays(target, w, mean, test_prompts(cfg, target, w, mean)))
    return {**arrays, **baseline_part(cfg)}

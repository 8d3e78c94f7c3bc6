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
from iclx.experiment import RunContext
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


def baseline_r2(cfg: config.ConfigDict, target: int, prompt: relu_net.Prompt) -> tuple[np.ndarray, np.ndarray]:
    """(R² per epoch ``[E, P]``, positions ``[P]``) of the directly trained N-layer network."""
    base = cfg.baseline
    positions = tuple(range(0, cfg.eval.n_points, base.position_stride))
    xs, ys = prompt.xs[:base.n_prompts], prompt.ys[:base.n_prompts]
    run = _baseline_program(target, positions, base.width, base.epochs, base.lr, base.optimizer)
    key = rng.stream(rng.root_key(cfg.seed), "baseline-init", target)
    return np.asarray(run(key, xs, ys)), np.asarray(positions)


@functools.lru_cache(maxsize=None)
def _baseline_program(target: int, positions: tuple[int, ...], width: int, epochs: int, lr: float,
                      optimizer: str):
    """One jitted baseline fit per target depth: every parameter shift's prompts reuse it."""

    @jax.jit
    def run(key, xs, ys):
        preds = relu_gd.fit_prompts(key, xs, ys, positions, depth=target, width=width,
                                    epochs=epochs, lr=lr, optimizer=optimizer)
        return relu_gd.r_squared(preds, ys[:, jnp.asarray(positions)])

    return run


def run(cfg: config.ConfigDict, ctx: RunContext) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    lanes = engine.seed_lanes(cfg.seeds)
    arrays: dict[str, np.ndarray] = {}
    shift_target, main_layers = cfg.study.sweep_target_depth, cfg.model.n_layer
    prompts = {}
    for attention, target, layers in stages(cfg):
        mcfg = model_config(cfg, attention, layers)
        problem = problems.prompt_problem(train_task(cfg, target), mcfg, cfg.train, cfg.curriculum)
        trained = ctx.train(problem, cfg.train, lanes, name=stage_name(attention, target, layers))
        ctx.log(f"evaluating {stage_name(attention, target, layers)} …")
        model = models.build(mcfg, cfg.task.n_dims)
        tests = [(w, 0.0) for w in cfg.eval.mixtures] if layers == main_layers else [(1.0, 0.0)]
        if layers == main_layers and target == shift_target:
            tests += [(1.0, m) for m in cfg.eval.param_means if m != 0.0]
        for w, mean in tests:
            if (target, w, mean) not in prompts:
                prompts[target, w, mean] = test_prompts(cfg, target, w, mean)
            r2 = transformer_r2(model, trained.params, prompts[target, w, mean])
            arrays[f"r2/{attention}/N{target}/L{layers}/{mix_key(w)}/{shift_key(mean)}"] = r2
    ctx.log("training the N-layer networks on the prompts (baseline) …")
    for target in cfg.study.target_depths:
        means = [0.0] + ([m for m in cfg.eval.param_means if m != 0.0] if target == shift_target else [])
        for mean in means:
            prompt = prompts.get((target, 1.0, mean)) or test_prompts(cfg, target, 1.0, mean)
            per_epoch, positions = baseline_r2(cfg, target, prompt)
            arrays[f"baseline/N{target}/{shift_key(mean)}/per_epoch"] = per_epoch
            arrays["baseline/positions"] = positions
    return {}, arrays

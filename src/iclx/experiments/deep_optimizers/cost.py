"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): one GPT-2 training
stage per (attention, target depth, transformer depth); each stage's evaluation on ``eval.n_prompts``
test prompts (drawn at once with one target network per prompt; the model runs 64 prompts at a time
when 64 divides the count, else all at once); the directly trained N-layer networks (32 prompts at a
time, one network per prompt and fitted position, with Adam's state)."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.experiments.deep_optimizers.run import EVAL_CHUNK, model_config, stages


def test_prompts(cfg: config.ConfigDict, depth: int) -> cost.Cost:
    """One test distribution's prompts and the per-prompt target networks drawn for them."""
    d, n, width = cfg.task.n_dims, cfg.eval.n_points, cfg.task.width
    network = width * (d + 1) + (depth - 2) * width * (width + 1) + width + 1
    return cost.random_numbers(cfg.eval.n_prompts * (n * (d + 1) + network))


def evaluation(cfg: config.ConfigDict, model, prompts: cost.Cost) -> cost.Cost:
    """R² per position of ``seeds`` models on one test distribution."""
    n_prompts, n = cfg.eval.n_prompts, cfg.eval.n_points
    chunk = EVAL_CHUNK if n_prompts % EVAL_CHUNK == 0 else n_prompts
    forward = cost.gpt2_forward(model, cfg.task.n_dims, batch=chunk, tokens=2 * n, models=cfg.seeds)
    preds = cost.FLOAT * 2 * cfg.seeds * n_prompts * n
    return cost.Cost(prompts.bytes + forward.bytes + preds,
                     forward.flops * n_prompts / chunk, 1)


def baseline(cfg: config.ConfigDict, depth: int) -> cost.Cost:
    """The N-layer networks fitted by full-batch steps to every stride-th prefix of each prompt."""
    base, d, n = cfg.baseline, cfg.task.n_dims, cfg.eval.n_points
    positions = len(range(0, n, base.position_stride))
    params = base.width * (d + 1) + (depth - 2) * base.width * (base.width + 1) + base.width + 1
    chunk = min(32, base.n_prompts)
    held = chunk * positions * (4 * params + 3 * n * base.width * depth + base.epochs)
    flops = 6.0 * base.n_prompts * positions * base.epochs * n * params
    return cost.Cost(cost.FLOAT * held, flops, 1)


def probe(cfg: config.ConfigDict, target: int) -> cost.Cost:
    """The probe stage of one target depth: the candidates (GD on the target-shaped network at every
    position of every probe prompt, ``max(gd_steps)`` steps on up to n examples), and for every
    attention, seed and network (trained, untrained) the read-outs' fit and predictions."""
    p, d, n, width = cfg.probe, cfg.task.n_dims, cfg.task.n_points, cfg.task.width
    params = width * d + (target - 2) * width * width + width
    gd = cost.Cost(cost.FLOAT * p.n_prompts * n * (2 * params + n),
                   6.0 * p.n_prompts * n * n * params * max(p.gd_steps), 1)
    prompts = p.n_batches * p.batch_size + p.n_prompts
    model = model_config(cfg, cfg.study.attentions[0], cfg.model.n_layer)
    forward = cost.gpt2_forward(model, d, batch=prompts, tokens=2 * n)
    nets = len(cfg.study.attentions) * cfg.seeds * 2
    return cost.sequence([gd, cost.scaled(forward, nets)])


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    d, seeds, out = cfg.task.n_dims, cfg.seeds, []
    n_means = len([m for m in cfg.eval.param_means if m != 0.0])
    for attention, target, layers in stages(cfg):
        model = model_config(cfg, attention, layers)
        out.append(cost.gpt2_training(model, d, batch=cfg.train.batch_size, tokens=2 * cfg.task.n_points,
                                      lanes=seeds, steps=cfg.train.steps))
        main = layers == cfg.model.n_layer
        tests = (len(cfg.eval.mixtures) if main else 1) + (
            n_means if main and target == cfg.study.sweep_target_depth else 0)
        out.append(cost.scaled(evaluation(cfg, model, test_prompts(cfg, target)), tests))
    for target in cfg.study.target_depths:
        fits = 1 + (n_means if target == cfg.study.sweep_target_depth else 0)
        out.append(cost.scaled(baseline(cfg, target), fits))
        if cfg.probe.enabled:
            out.append(probe(cfg, target))
    return cost.sequence(out)

"""The run's predicted memory and FLOPs from its config (basis: ``iclx.framework.cost``): the GPT-2 and LSTM
training, and per seed the probes (every layer's hidden states of one probe batch) of the trained and
the untrained transformer, the algorithms' step grids (heatmaps and Table 1) on ``sim.n_prompts``
prompts (``sim.batch_size`` at a time), the SimW fits of both transformers and the forgetting prompts."""

from __future__ import annotations

from iclx import config
from iclx.framework import cost
from iclx.experiments.gd_vs_newton.config import step_grids


def lstm_training(cfg: config.ConfigDict) -> cost.Cost:
    """An LSTM of ``lstm.model`` on the same prompts: 4 gates per layer, activations kept per step."""
    model, train, d, n = cfg.lstm.model, cfg.lstm.train, cfg.task.n_dims, cfg.task.n_points
    hidden, layers = model.hidden, model.n_layer
    params = layers * 4 * hidden * (2 * hidden + 1) + (d + 1) * hidden + hidden + 1
    saved = layers * train.batch_size * 2 * n * 8 * hidden
    flops = 6 * params * train.batch_size * 2 * n * cfg.seeds * train.steps
    return cost.Cost(cost.FLOAT * cfg.seeds * (4 * params + saved), flops, 1,
                     cost.checkpoints(params, cfg.seeds))


def seed_evaluation(cfg: config.ConfigDict) -> cost.Cost:
    """One seed's probes, baselines on the step grids and SimW."""
    d, n, model, sim = cfg.task.n_dims, cfg.task.n_points, cfg.model, cfg.sim
    layers = model.n_layer + 1
    probe = cost.gpt2_forward(model, d, batch=cfg.probe.batch_size, tokens=2 * n)
    probe = cost.Cost(probe.bytes + cost.FLOAT * layers * cfg.probe.batch_size * 2 * n * model.n_embd,
                      probe.flops * cfg.probe.n_batches, 1)
    groups = [step_grids(cfg), step_grids(cfg, "table1")]
    grid_points = sum(len(g) for grids in groups for g in grids.values())
    # Newton iterates one by one (two d×d products an iteration); GD is in closed form (one
    # eigendecomposition per prefix, then d² a grid point), so its cost does not grow with the steps
    newton_steps = sum(int(grids["newton"].max()) for grids in groups)
    baselines = cost.Cost(cost.FLOAT * sim.batch_size * n * (grid_points * n + 2 * d * d),
                          sim.n_prompts * n * (newton_steps * 4 * d ** 3 + grid_points * 2 * d * d + d ** 3), 3)
    simw = cost.Cost(cost.FLOAT * cfg.simw.prompt_batch * n * cfg.simw.n_queries * layers * d,
                     cfg.simw.n_prompts * n * cfg.simw.n_queries * layers * 2 * d * model.n_embd, 1)
    held = cost.random_numbers(sim.n_prompts * n * (d + 1))
    m = cfg.forget.n_examples
    forget = cost.gpt2_forward(model, d, batch=sim.batch_size, tokens=2 * (m + 1))
    forget = cost.Cost(forget.bytes, forget.flops * m * sim.n_prompts / sim.batch_size, 1)
    networks = [probe, probe, simw, simw] if cfg.simw.enabled else [probe, probe]   # trained, untrained
    return cost.sequence([held, *networks, baselines, forget])


def estimate(cfg: config.ConfigDict) -> cost.Cost:
    d, n = cfg.task.n_dims, cfg.task.n_points
    train = cost.gpt2_training(cfg.model, d, batch=cfg.train.batch_size, tokens=2 * n,
                               lanes=cfg.seeds, steps=cfg.train.steps)
    lstm = lstm_training(cfg) if cfg.lstm.enabled else cost.Cost()
    return cost.sequence([train, lstm, cost.scaled(seed_evaluation(cfg), cfg.seeds)])

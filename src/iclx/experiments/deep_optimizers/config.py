"""Presets of the deep-optimizers experiment (Wu, Su, Hu, Song, Liu 2024, arXiv 2411.16549).

Groups: ``task`` (the training prompts: a fresh N-layer ReLU net per prompt), ``model`` (GPT-2; its
``attention`` is set per training stage from ``study.attentions``), ``train``, ``curriculum``,
``study`` (which models to train), ``eval`` (test prompts, mixtures, parameter shifts) and
``baseline`` (the directly trained N-layer network).
"""

from __future__ import annotations

from iclx import config, models, problems
from iclx.framework.experiment import common_config, validate_common
from iclx.tasks import relu_net
from iclx.experiments.deep_optimizers.probe import probe_config, validate_probe

NAME = "deep_optimizers"


def get_config(preset: str = "cpu") -> config.ConfigDict:
    """``smoke`` (seconds; the tests), ``cpu`` (the committed figures), ``paper`` (the paper's scale)."""
    cfg = common_config(preset, NAME)
    if preset == "smoke":
        d, n_train, n_test, layers, heads, width, target_width = 3, 9, 12, 2, 2, 16, 8
        targets, sweep, sweep_target, ks = (3,), (1, 2), 3, (2, 4, 8)
        n_eval, n_base, base_width, epochs, stride, seeds = 32, 8, 8, 5, 3, 2
    elif preset == "cpu":
        # shrunk to fit 2 CPU cores (estimate 23.5 min): d = 10 (1-NN's bar falls from 0.88 at d = 5
        # to 0.85), 3- and 6-layer targets, 4L/4H/64 (depth sweep 2, 4), 2500 steps of batch 32 (one
        # seed, softmax, 6-layer targets, margin over the better trivial predictor: 2L/48 2000 steps
        # +0.016, 4L/64 2000 +0.019, 3000 +0.020; README "Scale"); 5 seeds: the fewest a band is drawn from
        d, n_train, n_test, layers, heads, width, target_width = 10, 26, 38, 4, 4, 64, 32
        targets, sweep, sweep_target, ks = (3, 6), (2, 4), 6, (5, 10, 15)
        n_eval, n_base, base_width, epochs, stride, seeds = 640, 64, 32, 100, 3, 5
    else:  # paper: 12L/8H/256 GPT-2, d = 20, 51 training / 76 test points, 500k steps
        d, n_train, n_test, layers, heads, width, target_width = 20, 51, 76, 12, 8, 256, 100
        targets, sweep, sweep_target, ks = (3, 4, 6), (4, 6, 8, 10), 4, (15, 30, 45)
        n_eval, n_base, base_width, epochs, stride, seeds = 6400, 6400, 200, 100, 1, 1
    cfg.seeds = seeds
    cfg.task = relu_net.default_config(d, n_train, depth=targets[0], width=target_width)
    cfg.model = models.gpt2.default_config(n_layer=layers, n_head=heads, n_embd=width,
                                           n_positions=2 * n_test, attention="softmax")
    cfg.train = problems.training_preset(preset)
    if preset == "cpu":
        cfg.model.mlp_width = 192        # 3 × 64: the trials' MLP (the 48-wide model's 4 × 48 kept)
        cfg.train.update(steps=2500, batch_size=32, chunk_steps=250, log_every=50,
                         checkpoint_every=500, warmup_steps=100)
    # [OPEN] the paper mentions no curriculum: none (its prompts are short and d is fixed)
    cfg.curriculum = problems.curriculum_preset("smoke", d, n_train)
    cfg.study = config.ConfigDict(dict(
        attentions=("softmax", "relu"),   # the paper's Softmax- and ReLU-Transformer
        target_depths=targets,            # N of the target networks (Figs 2–4)
        sweep_depths=sweep,               # transformer depths of the depth sweep (Fig 7)
        sweep_target_depth=sweep_target,  # [OPEN] target depth of Fig 7 and of Figs 5–6
    ))
    cfg.eval = config.ConfigDict(dict(
        n_points=n_test,                  # test prompts are longer than training ones (76 vs 51)
        n_prompts=n_eval,
        mixtures=(1.0, 0.9, 0.7, 0.5),    # ω₁ of ω₁N(−2, I) + (1 − ω₁)N(2, I)
        param_means=(0.0, -0.5, 0.5),     # mean of the shifted layers' raw weights (Figs 5–6; task.shift_layers)
        depth_ks=ks,                      # in-context examples reported in the depth sweep
    ))
    cfg.baseline = config.ConfigDict(dict(
        width=base_width,                 # hidden width of the trained N-layer net (paper: 200)
        epochs=epochs,                    # full-batch steps (paper: 100 epochs)
        lr=5e-3, optimizer="adam",        # [OPEN] not stated; the dtsip GD baseline's Adam 5e-3
        n_prompts=n_base,                 # the first n_prompts of the in-distribution eval prompts
        position_stride=stride,           # fit every stride-th number of examples
    ))
    cfg.probe = probe_config(preset)      # ours: layer read-outs against candidate algorithms
    return cfg


def validate(cfg: config.ConfigDict) -> None:
    """Every field, and what the run, its summary and its claims need of them together."""
    validate_common(cfg)
    config.require(cfg.task.name == "relu_net", "task.name",
                   f"this experiment needs the relu_net task, got {cfg.task.name!r}")
    relu_net.validate_config(cfg)
    problems.validate_prompt_training(cfg)
    n_train = cfg.task.n_points
    config.require(n_train >= 2, "task.n_points", f"needs at least 2 (the mean R² reads positions "
                   f"1 … task.n_points − 1), got {n_train}")
    n_test = config.positive_int(cfg, "eval.n_points")
    config.require(n_test > n_train, "eval.n_points", f"{n_test} must exceed the training prompts' "
                   f"task.n_points={n_train} (the summary reads R² beyond the training length)")
    config.require(2 * n_test <= cfg.model.n_positions, "model.n_positions",
                   f"test prompts of eval.n_points={n_test} need {2 * n_test} positions")
    _validate_study(cfg)
    _validate_eval(cfg, n_test)
    _validate_baseline(cfg, n_train)
    validate_probe(cfg)


def _validate_study(cfg: config.ConfigDict) -> None:
    """Which models are trained: each (attention, target depth, transformer depth) once."""
    config.choice_list(cfg, "study.attentions", models.gpt2.ATTENTIONS)
    targets = config.positive_int_list(cfg, "study.target_depths", allow_empty=False, unique=True)
    config.require(min(targets) >= 2, "study.target_depths", f"depths must be ≥ 2, got {targets}")
    config.positive_int_list(cfg, "study.sweep_depths", unique=True)
    sweep_target = config.positive_int(cfg, "study.sweep_target_depth")
    config.require(sweep_target in targets, "study.sweep_target_depth",
                   f"{sweep_target} must be one of study.target_depths={targets}")


def _validate_eval(cfg: config.ConfigDict, n_test: int) -> None:
    """Test prompts (≥ 2: R² pools over prompts), mixtures with ω₁ = 1 (in distribution: the
    summary's reference), distinct shifts and example counts."""
    config.require(config.positive_int(cfg, "eval.n_prompts") >= 2, "eval.n_prompts",
                   "needs at least 2 prompts (R² compares predictions across prompts)")
    mixtures = config.finite_float_list(cfg, "eval.mixtures", allow_empty=False, unique=True,
                                        low=0.0, high=1.0)
    config.contains(mixtures, 1.0, "eval.mixtures", "ω₁ = 1 is the in-distribution test the summary "
                    "and the claims compare against")
    means = config.finite_float_list(cfg, "eval.param_means", unique=True)
    config.require(len(means) > 0, "eval.param_means", "needs at least one mean (the parameter-shift "
                   "figure has a panel per mean; 0 is the unshifted one)")
    ks = config.positive_int_list(cfg, "eval.depth_ks", unique=True)
    config.require(all(k < n_test for k in ks), "eval.depth_ks", f"must be < eval.n_points={n_test}: {ks}")


def _validate_baseline(cfg: config.ConfigDict, n_train: int) -> None:
    """The directly trained network: its stride must leave positions 1 … n_train − 1 to compare."""
    config.positive_int(cfg, "baseline.width")
    config.positive_int(cfg, "baseline.epochs")
    config.finite_float(cfg, "baseline.lr", positive=True)
    config.one_of(cfg, "baseline.optimizer", ("adam", "sgd"))
    n_base = config.positive_int(cfg, "baseline.n_prompts")
    config.require(n_base >= 2, "baseline.n_prompts", "needs at least 2 prompts (R² compares "
                   "predictions across prompts)")
    config.require(n_base <= cfg.eval.n_prompts, "baseline.n_prompts",
                   f"{n_base} exceeds eval.n_prompts={cfg.eval.n_prompts}")
    stride = config.positive_int(cfg, "baseline.position_stride")
    config.require(stride < n_train, "baseline.position_stride",
                   f"{stride} fits no position in 1 … {n_train - 1} (the training length, "
                   f"task.n_points={n_train}): use at most {n_train - 1}")

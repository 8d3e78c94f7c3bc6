"""Presets and validation of the Gaussian-mixture classification experiment (Shen, Zhou, Yang, Shen
2024, arXiv 2410.11778). Every setting the paper's text available to us leaves open is a field here;
the README says what we chose and why."""

from __future__ import annotations

from iclx import config, engine, models, problems
from iclx.experiment import common_config, validate_common
from iclx.tasks import gmm

NAME = "gmm_classification"
TARGETS = ("soft", "sampled")


def _scale(preset: str) -> dict:
    if preset == "smoke":
        return dict(d=3, seeds=2, gseeds=1, N=(10, 20), dims=(3, 3), classes=(2, 3), bank=256,
                    queries=4,
                    steps=60, chunk=60, minN=(10, 40, 160), min_bank=256, M=(4, 16, 64),
                    eval_prompts=512, cs=(2, 3), cN=40, gN=20, gM=(2, 5, 10, 20, 40),
                    gpt=(1, 1, 16), gsteps=20, tok_prompts=64, shift=(0.5, 2.0))
    if preset == "paper":
        return dict(d=20, seeds=5, gseeds=3, N=(25, 100, 400, 1600), dims=(20, 20, 10),
                    classes=(2, 3, 2),
                    bank=1 << 15, queries=8, steps=10_000, chunk=1000,
                    minN=(10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240),
                    min_bank=1 << 15, M=(5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000),
                    eval_prompts=1 << 17, cs=(2, 3, 5, 8, 10), cN=200, gN=100,
                    gM=(5, 10, 20, 50, 100, 150, 200, 300, 400),
                    gpt=(3, 8, 256), gsteps=50_000, tok_prompts=1 << 14,
                    shift=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0))
    return dict(d=8, seeds=2, gseeds=2, N=(10, 40, 160), dims=(8, 8, 4), classes=(2, 3, 2),
                bank=1 << 11, queries=4, steps=1500, chunk=1500, minN=(10, 20, 40, 80, 160, 320, 640),
                min_bank=1 << 11, M=(5, 10, 20, 50, 100, 200, 500, 1000, 3000),
                eval_prompts=1 << 14, cs=(2, 3, 5, 8, 10), cN=200, gN=40,
                gM=(5, 10, 20, 40, 60, 80), gpt=(3, 2, 32), gsteps=4000, tok_prompts=2048,
                newton=8,
                shift=(0.5, 1.0, 1.5, 2.0, 3.0))


def get_config(preset: str = "cpu") -> config.ConfigDict:
    """Presets: ``smoke`` (seconds; tests), ``cpu`` (the committed figures), ``paper`` (GPU)."""
    s = _scale(preset)
    cfg = common_config(preset, NAME)
    cfg.seeds = s["seeds"]
    cfg.task = gmm.default_config(s["d"], s["gN"], 2)
    # the one-layer model: full-batch GD on a fixed bank of prompts (the population loss's estimate)
    cfg.loss = config.ConfigDict(dict(bank=s["bank"], queries=s["queries"], target="soft",
                                 newton_steps=s.get("newton", 12)))
    cfg.train = engine.train_config(steps=s["steps"], batch_size=s["bank"], lr=1.0,
                                    chunk_steps=s["chunk"], log_every=1, checkpoint_every=s["steps"])
    cfg.train.optimizer = "sgd"
    cfg.convergence = config.ConfigDict(dict(dims=s["dims"], classes=s["classes"], N_values=s["N"],
                                        step_scale=1.0))
    cfg.minimizer = config.ConfigDict(dict(N_values=s["minN"], classes=(2, 3), bank=s["min_bank"],
                                      fit_from=40 if preset != "smoke" else 10,
                                      newton_steps=12))   # float64 Newton steps of every W* reference
    cfg.eval = config.ConfigDict(dict(M_values=s["M"], n_prompts=s["eval_prompts"], queries=4,
                                 classes=s["cs"], class_N=s["cN"], class_M=s["cN"],
                                 class_bank=max(s["bank"] // 2, 256)))
    # the 3-layer softmax GPT-2 contrast, trained on token-level prompts of N = task.n_points
    layers, heads, width = s["gpt"]
    m_max = max(s["gM"])
    cfg.gpt2 = config.ConfigDict(dict(enabled=True, seeds=s["gseeds"], M_values=s["gM"],
                                 n_prompts=s["tok_prompts"],
                                 mean_scales=s["shift"], cov_scales=s["shift"]))
    cfg.model = models.gpt2.default_config(n_layer=layers, n_head=heads, n_embd=width,
                                           n_positions=2 * (m_max + 1))
    cfg.gpt2_train = problems.training_preset(preset, steps=s["gsteps"])
    if preset == "cpu":
        cfg.gpt2_train.update(batch_size=64, lr=2e-3, chunk_steps=250, log_every=50,
                              checkpoint_every=1000, warmup_steps=200)
    cfg.curriculum = problems.curriculum_preset(preset, s["d"], s["gN"] + 1, interval=50)
    cfg.curriculum.dims_start = s["d"]       # no dimension curriculum: Λ is fixed
    cfg.baselines = config.ConfigDict(dict(knn_k=5, logistic_steps=100, logistic_lr=1.5,
                                      logistic_l2=1e-2, lda_ridge=0.1))
    return cfg


def validate(cfg: config.ConfigDict) -> None:
    validate_common(cfg)
    config.require(cfg.task.name == "gmm_classification", "task.name",
                   f"this experiment needs the gmm_classification task, got {cfg.task.name!r}")
    gmm.validate_config(cfg)
    config.require(cfg.task.n_classes == 2, "task.n_classes", "the GPT-2 contrast task is binary (2)")
    config.positive_int(cfg, "loss.bank")
    config.positive_int(cfg, "loss.queries")
    config.one_of(cfg, "loss.target", TARGETS)
    config.positive_int(cfg, "loss.newton_steps")
    engine.validate_train_config(cfg, "train")
    config.require(cfg.train.optimizer == "sgd", "train.optimizer",
                   "the theory is about plain gradient descent: use sgd")
    config.require(cfg.train.batch_size == cfg.loss.bank, "train.batch_size",
                   f"full-batch GD: must equal loss.bank={cfg.loss.bank}")
    dims = config.positive_int_list(cfg, "convergence.dims", allow_empty=False)
    classes = config.positive_int_list(cfg, "convergence.classes", allow_empty=False)
    config.require(len(dims) == len(classes), "convergence.classes",
                   f"one class count per entry of convergence.dims ({len(dims)})")
    config.require(dims[0] == cfg.task.n_dims and classes[0] == 2, "convergence.dims",
                   "the first shape must be (task.n_dims, 2): its lanes are the binary trained models")
    config.require(all(c >= 2 for c in classes), "convergence.classes", "needs >= 2 classes")
    N_values = config.positive_int_list(cfg, "convergence.N_values", allow_empty=False)
    config.require(cfg.task.n_points in N_values, "convergence.N_values",
                   f"must contain task.n_points={cfg.task.n_points} (the GPT-2 contrast's N)")
    config.finite_float(cfg, "convergence.step_scale", positive=True)
    config.require(cfg.convergence.step_scale < 2.0, "convergence.step_scale", "GD diverges at η ≥ 2/L")
    config.require(len(config.positive_int_list(cfg, "minimizer.N_values")) >= 2, "minimizer.N_values",
                   "needs at least 2 prompt lengths")
    config.require(all(c >= 2 for c in config.positive_int_list(cfg, "minimizer.classes", allow_empty=False)),
                   "minimizer.classes", "needs >= 2 classes")
    config.positive_int(cfg, "minimizer.bank")
    config.positive_int(cfg, "minimizer.fit_from")
    config.positive_int(cfg, "minimizer.newton_steps")
    config.positive_int_list(cfg, "eval.M_values", allow_empty=False)
    config.positive_int(cfg, "eval.n_prompts")
    config.positive_int(cfg, "eval.queries")
    config.require(all(c >= 2 for c in config.positive_int_list(cfg, "eval.classes", allow_empty=False)),
                   "eval.classes", "needs >= 2 classes")
    config.positive_int(cfg, "eval.class_N")
    config.positive_int(cfg, "eval.class_M")
    config.positive_int(cfg, "eval.class_bank")
    gM = config.positive_int_list(cfg, "gpt2.M_values", allow_empty=False)
    config.positive_int(cfg, "gpt2.n_prompts")
    config.require(config.positive_int(cfg, "gpt2.seeds") <= cfg.seeds, "gpt2.seeds",
                   f"at most seeds={cfg.seeds} (the 1-layer model of each GPT-2 seed is compared)")
    config.finite_float_list(cfg, "gpt2.mean_scales", positive=True, allow_empty=False)
    config.finite_float_list(cfg, "gpt2.cov_scales", positive=True, allow_empty=False)
    config.require(cfg.task.n_points in gM, "gpt2.M_values", f"must contain N = task.n_points")
    config.require(2 * (max(gM) + 1) <= cfg.model.n_positions, "model.n_positions",
                   f"test prompts of {max(gM)} examples need {2 * (max(gM) + 1)} positions")
    sub = config.ConfigDict(dict(task=dict(n_dims=cfg.task.n_dims, n_points=cfg.task.n_points + 1),
                            model=cfg.model, train=cfg.gpt2_train, curriculum=cfg.curriculum))
    problems.validate_prompt_training(sub)
    config.positive_int(cfg, "baselines.knn_k")
    config.positive_int(cfg, "baselines.logistic_steps")
    config.require(config.finite_float(cfg, "baselines.logistic_lr", positive=True) < 2.0, "baselines.logistic_lr",
                   "the step is logistic_lr / L (L bounds the Hessian): GD is stable only below 2")
    config.finite_float(cfg, "baselines.logistic_l2", low=0.0)
    config.finite_float(cfg, "baselines.lda_ridge", low=0.0)

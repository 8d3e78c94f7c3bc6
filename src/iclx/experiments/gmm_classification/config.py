"""Presets and validation of the Gaussian-mixture classification experiment (Shen, Zhou, Yang, Shen
2024, arXiv 2410.11778). Every setting the paper's text available to us leaves open is a field here;
the README says what we chose and why."""

from __future__ import annotations

from iclx import config, engine, models, problems
from iclx.experiments.gmm_classification.evaluate import CHUNK
from iclx.framework.experiment import common_config, validate_common
from iclx.tasks import gmm

NAME = "gmm_classification"
# what a run may be restricted to (``stages``): the GPT-2 contrast alone needs a GPU at paper scale
STAGES = ("convergence", "minimizer", "error_vs_M", "classes", "gpt2")
TARGETS = ("soft", "sampled")


def _scale(preset: str) -> dict:
    if preset == "smoke":
        return dict(d=3, seeds=2, gseeds=2, N=(10, 20), dims=(3, 3), classes=(2, 3), bank=256,
                    queries=4,
                    steps=60, chunk=60, minN=(10, 40, 160), min_bank=192, min_reps=2, M=(2, 4, 16, 64),
                    eval_prompts=512, cs=(2, 3), cN=40, gN=20, gM=(2, 5, 10, 20, 40),
                    gpt=(1, 1, 16), gsteps=20, tok_prompts=64, shift=(1.0, 2.0))
    if preset == "paper":
        return dict(d=20, seeds=5, gseeds=5, N=(25, 100, 400, 1600), dims=(20, 20, 10),
                    classes=(2, 3, 2),
                    bank=1 << 15, queries=8, steps=10_000, chunk=1000,
                    minN=(10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240),
                    min_bank=1 << 13, min_reps=10, M=(5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000),
                    eval_prompts=1 << 17, cs=(2, 3, 5, 8, 10), cN=200, gN=100,
                    gM=(5, 10, 20, 50, 100, 150, 200, 300, 400),
                    gpt=(3, 8, 256), gsteps=50_000, tok_prompts=1 << 14,
                    shift=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0))
    # 4 seeds for every trained stage: with 2, t₀.₉₇₅ = 12.7 left decided differences undecided
    return dict(d=8, seeds=4, gseeds=4, N=(10, 40, 160), dims=(8, 8, 4), classes=(2, 3, 2),
                bank=1 << 11, queries=4, steps=1500, chunk=1500, minN=(10, 20, 40, 80, 160, 320, 640),
                min_bank=1 << 10, min_reps=8, M=(5, 10, 20, 50, 100, 200, 500, 1000, 3000),
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
    # W*_N vs N on `replicates` independent banks of `bank` statistics (bank // 2c tasks × their 2c
    # antithetic copies), the query integrated out by a product Gauss–Hermite rule of `quad_order`
    # nodes per logit difference
    cfg.minimizer = config.ConfigDict(dict(N_values=s["minN"], classes=(2, 3), bank=s["min_bank"],
                                      replicates=s["min_reps"],
                                      quad_order=32, fit_from=40 if preset != "smoke" else 10,
                                      newton_steps=12))   # float64 Newton steps of every W* reference
    cfg.eval = config.ConfigDict(dict(M_values=s["M"], n_prompts=s["eval_prompts"], queries=4,
                                 classes=s["cs"], class_N=s["cN"], class_M=s["cN"],
                                 class_bank=max(s["bank"] // 2, 256)))
    # the 3-layer softmax GPT-2 contrast, trained on token-level prompts of N = task.n_points
    layers, heads, width = s["gpt"]
    m_max = max(s["gM"])
    cfg.gpt2 = config.ConfigDict(dict(seeds=s["gseeds"], M_values=s["gM"],
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
    """Every field, and what the run, its summary and its claims need of them together."""
    validate_common(cfg)
    for stage in ("error_vs_M", "gpt2"):
        config.require(not cfg.stages or stage not in cfg.stages or "convergence" in cfg.stages, "stages",
                       f"{stage} needs the convergence stage (it reads the trained binary W)")
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
    _validate_convergence(cfg)
    _validate_minimizer(cfg)
    _validate_eval(cfg)
    _validate_gpt2(cfg)
    config.positive_int(cfg, "baselines.knn_k")
    config.positive_int(cfg, "baselines.logistic_steps")
    config.require(config.finite_float(cfg, "baselines.logistic_lr", positive=True) < 2.0, "baselines.logistic_lr",
                   "the step is logistic_lr / L (L bounds the Hessian): GD is stable only below 2")
    config.finite_float(cfg, "baselines.logistic_l2", low=0.0)
    config.finite_float(cfg, "baselines.lda_ridge", low=0.0)


def _validate_convergence(cfg: config.ConfigDict) -> None:
    """The GD stages (d, c) × N: one stage per distinct shape, N increasing (the floor's slope)."""
    dims = config.positive_int_list(cfg, "convergence.dims", allow_empty=False)
    classes = config.positive_int_list(cfg, "convergence.classes", allow_empty=False)
    config.require(len(dims) == len(classes), "convergence.classes",
                   f"one class count per entry of convergence.dims ({len(dims)})")
    config.require(dims[0] == cfg.task.n_dims and classes[0] == 2, "convergence.dims",
                   "the first shape must be (task.n_dims, 2): its lanes are the binary trained models")
    config.require(all(c >= 2 for c in classes), "convergence.classes", "needs >= 2 classes")
    shapes = list(zip(dims, classes))
    twice = [s for i, s in enumerate(shapes) if s in shapes[:i]]
    config.require(not twice, "convergence.dims", f"the shape (d, c) = {twice[0] if twice else ''} "
                   "appears twice (each is one training stage)")
    N_values = config.positive_int_list(cfg, "convergence.N_values", allow_empty=False, increasing=True)
    config.require(len(N_values) >= 2, "convergence.N_values",
                   "needs at least 2 prompt lengths (the slope of the error floor against N)")
    config.contains(N_values, cfg.task.n_points, "convergence.N_values",
                    "task.n_points is the GPT-2 contrast's N")
    config.finite_float(cfg, "convergence.step_scale", positive=True)
    config.require(cfg.convergence.step_scale < 2.0, "convergence.step_scale", "GD diverges at η ≥ 2/L")


def _validate_minimizer(cfg: config.ConfigDict) -> None:
    """W*_N against N: at least 2 lengths from ``fit_from`` on (the slope's fit range); the query
    integral's product rule (c ≤ 3, its order) and a bank of whole antithetic groups."""
    Ns = config.positive_int_list(cfg, "minimizer.N_values", increasing=True)
    config.require(len(Ns) >= 2, "minimizer.N_values", "needs at least 2 prompt lengths")
    classes = config.positive_int_list(cfg, "minimizer.classes", allow_empty=False, unique=True)
    config.require(all(c >= 2 for c in classes), "minimizer.classes", "needs >= 2 classes")
    config.require(2 in classes, "minimizer.classes",
                   "needs c = 2: the binary W*_N is the model of the error's O(1/N) term")
    config.require(max(classes) <= 3, "minimizer.classes",
                   "the query integral's product rule has quad_order^(c−1) nodes: c ≤ 3")
    least = 2 * max(classes) * cfg.task.n_dims
    config.require(config.positive_int(cfg, "minimizer.bank") >= least, "minimizer.bank",
                   f"statistics per bank, 2c antithetic copies per task: at least {least} (task.n_dims "
                   "tasks at the largest c; fewer leave the Hessian singular)")
    config.require(config.positive_int(cfg, "minimizer.replicates") >= 2, "minimizer.replicates",
                   "independent banks: the slope's interval needs at least 2")
    order = config.positive_int(cfg, "minimizer.quad_order")
    config.require(8 <= order <= 96, "minimizer.quad_order",
                   f"Gauss–Hermite nodes per logit difference: 8 to 96 (at 32 W*/c is within 1e-5 of "
                   f"its converged value; 96 costs 9× as much at c = 3), got {order}")
    fit_from = config.positive_int(cfg, "minimizer.fit_from")
    config.require(config.count_in(Ns, fit_from, float("inf")) >= 2, "minimizer.fit_from",
                   f"{fit_from} leaves fewer than 2 of minimizer.N_values={list(Ns)} to fit the slope "
                   "over (N ≥ fit_from)")
    config.positive_int(cfg, "minimizer.newton_steps")


def _validate_eval(cfg: config.ConfigDict) -> None:
    """Error against M (≥ 2 values of M ≤ N/4 at the largest N: the slope's fit range), against c
    (increasing: the claim reads its order), and an exact number of prompts per chunk."""
    Ms = config.positive_int_list(cfg, "eval.M_values", allow_empty=False, increasing=True)
    largest_N = max(cfg.convergence.N_values)
    config.require(config.count_in(Ms, 0, largest_N / 4) >= 2, "eval.M_values",
                   f"needs at least 2 values ≤ N/4 = {largest_N / 4:g} (largest convergence.N_values "
                   f"{largest_N}) for the slope of the error against M, got {list(Ms)}")
    n_prompts = config.positive_int(cfg, "eval.n_prompts")
    config.require(n_prompts <= CHUNK or n_prompts % CHUNK == 0, "eval.n_prompts",
                   f"{n_prompts} is evaluated in chunks of {CHUNK}: use at most {CHUNK} or a multiple "
                   f"of it (e.g. {max(CHUNK, n_prompts - n_prompts % CHUNK)})")
    config.positive_int(cfg, "eval.queries")
    classes = config.positive_int_list(cfg, "eval.classes", allow_empty=False, increasing=True)
    config.require(all(c >= 2 for c in classes), "eval.classes", "needs >= 2 classes")
    config.positive_int(cfg, "eval.class_N")
    config.positive_int(cfg, "eval.class_M")
    config.positive_int(cfg, "eval.class_bank")


def _validate_gpt2(cfg: config.ConfigDict) -> None:
    """The GPT-2 contrast: its prefixes, shifts and training (errors name ``gpt2_train.*``)."""
    gM = config.positive_int_list(cfg, "gpt2.M_values", allow_empty=False, increasing=True)
    config.positive_int(cfg, "gpt2.n_prompts")
    config.require(config.positive_int(cfg, "gpt2.seeds") <= cfg.seeds, "gpt2.seeds",
                   f"at most seeds={cfg.seeds} (the 1-layer model of each GPT-2 seed is compared)")
    config.finite_float_list(cfg, "gpt2.mean_scales", positive=True, allow_empty=False, increasing=True)
    config.finite_float_list(cfg, "gpt2.cov_scales", positive=True, allow_empty=False, increasing=True)
    config.contains(gM, cfg.task.n_points, "gpt2.M_values", "M = N = task.n_points is the contrast's reference")
    config.require(2 * (max(gM) + 1) <= cfg.model.n_positions, "model.n_positions",
                   f"test prompts of {max(gM)} examples need {2 * (max(gM) + 1)} positions")
    engine.validate_train_config(cfg, "gpt2_train")
    sub = config.ConfigDict(dict(task=dict(n_dims=cfg.task.n_dims, n_points=cfg.task.n_points + 1),
                            model=cfg.model, train=cfg.gpt2_train, curriculum=cfg.curriculum))
    try:
        problems.validate_prompt_training(sub)
    except config.ConfigError as error:   # the sub-config's "train" is this config's "gpt2_train"
        field = "gpt2_train" + error.field[len("train"):] if error.field.startswith("train.") else error.field
        raise config.ConfigError(field, error.message) from None

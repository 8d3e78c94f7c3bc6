"""Presets and validation of the Lipschitz-threshold experiment (Li, Duan, Liang 2025, arXiv
2507.20443).

Model: ŷ_q = Σ_i softmax_i(x_iᵀ Q x_q) y_i, Q [d, d] from zero, plain GD. Loss (``loss.mode``):
``features`` — exact in f for noise-free tokens: ½ E[(a − e_{k_q})ᵀ C (a − e_{k_q})], C the label
covariance over the task family (closed form for linear f, ``loss.n_functions``-function Monte Carlo
otherwise), a the per-feature attention, averaged exactly over the query's feature and over a fixed
bank of multinomial feature counts; ``tokens`` — a fixed bank of simulated prompts (needed for token
noise σ > 0). Step sizes per lane: η(L) = min(η_flat, 1/β(L)) ("theory" rule; β the loss's
smoothness along the path, ∝ L² for amplitude-scaled tasks), so L* solves η_flat β(L*) = 1; the
"common" rule keeps η_flat. The task and the training problem built from a config: ``task``.
"""

from __future__ import annotations

from iclx import config, engine
from iclx.framework.experiment import common_config, validate_common
from iclx.models import attention
from iclx.tasks import lipschitz as lip

NAME = "lipschitz_threshold"
LOSS_MODES = ("features", "tokens")
RULES = ("theory", "common")
STAGES = ("dynamics", "sweep")          # the training stages (``stages``; lane labels in scalars["lanes"])


def get_config(preset: str = "cpu") -> config.ConfigDict:
    """Presets: ``smoke`` (seconds; tests), ``cpu`` (the committed figures), ``paper`` (GPU)."""
    cfg = common_config(preset, NAME)
    if preset == "smoke":
        K, N, bank, n_functions = 3, 20, 64, 512
        cfg.seeds = 1
        dyn = engine.train_config(steps=60, batch_size=bank, lr=1.0, chunk_steps=60, log_every=1)
        swp = engine.train_config(steps=60, batch_size=bank, lr=1.0, chunk_steps=60, log_every=10)
        L_values, scalings, rhos, n_eval, n_grid = (2.0, 16.0, 128.0), ("amplitude",), (0.0,), 64, 9
        families, dyn_features, dyn_rho, n_z = ("linear",), "equicorrelated", 0.0, 9
    elif preset == "cpu":
        K, N, bank, n_functions = 5, 50, 512, 1 << 14
        cfg.seeds = 5
        dyn = engine.train_config(steps=4000, batch_size=bank, lr=1.0, chunk_steps=1000, log_every=1)
        swp = engine.train_config(steps=10_000, batch_size=256, lr=1.0, chunk_steps=2500,
                                  log_every=100)
        L_values = tuple(float(2.0 ** k) for k in range(0, 9))           # 1 … 256
        scalings, rhos, n_eval, n_grid = ("amplitude", "dilation"), (0.0, 0.25), 2048, 49
        families, dyn_features, dyn_rho, n_z = lip.FAMILIES, "random", 0.5, 33
    else:  # paper scale (GPU); the paper's own sizes are not public
        K, N, bank, n_functions = 10, 100, 4096, 1 << 16
        cfg.seeds = 5
        dyn = engine.train_config(steps=100_000, batch_size=bank, lr=1.0, chunk_steps=10_000,
                                  log_every=10)
        swp = engine.train_config(steps=100_000, batch_size=bank, lr=1.0, chunk_steps=10_000,
                                  log_every=100)
        L_values = tuple(float(2.0 ** (k / 2)) for k in range(0, 24))
        scalings, rhos, n_eval, n_grid = ("amplitude", "dilation"), (0.0, 0.25, 0.5), 8192, 97
        families, dyn_features, dyn_rho, n_z = lip.FAMILIES, "random", 0.5, 65
    for train_cfg in (dyn, swp):
        train_cfg.optimizer = "sgd"   # plain GD: the lane's lr is the step size η
    cfg.task = lip.default_config(K, N)
    if preset == "smoke":
        cfg.task.family = "linear"         # closed-form label covariance: the least to compile
    cfg.task.features = "equicorrelated"   # ρ = 0: orthonormal; the sweep's ρ axis correlates them
    cfg.model = attention.default_config()
    cfg.loss = config.ConfigDict(dict(mode="features", n_functions=n_functions))
    cfg.theory = config.ConfigDict(dict(eta_flat=1.0, z_max=8.0, n_z=n_z, grid_L_min=0.01,
                                   grid_L_max=1.0e4, n_grid=n_grid))
    cfg.train = dyn
    cfg.dynamics = config.ConfigDict(dict(L_over_threshold=(0.25, 4.0), L_values=(),
                                     features=dyn_features, rho=dyn_rho))
    cfg.sweep = config.ConfigDict(dict(L_values=L_values, scalings=scalings, rhos=rhos, rules=RULES,
                                  eps_rel=(1e-2, 1e-3), eps_abs=(1e-2, 1e-3), train=swp))
    cfg.eval = config.ConfigDict(dict(n_prompts=n_eval, families=families, noise_std=0.05))
    return cfg


def validate(cfg: config.ConfigDict) -> None:
    validate_common(cfg)
    config.require(cfg.task.name == "lipschitz_regression", "task.name",
                   f"this experiment needs the lipschitz_regression task, got {cfg.task.name!r}")
    lip.validate_config(cfg)
    config.require(cfg.task.rho == 0.0, "task.rho",
                   "this experiment sets ρ per lane: use sweep.rhos and dynamics.rho")
    config.require(cfg.model.name == "one_layer_attention", "model.name",
                   f"this experiment trains one_layer_attention, got {cfg.model.name!r}")
    attention.validate_config(cfg, cfg.task.n_points)
    mode = config.one_of(cfg, "loss.mode", LOSS_MODES)
    config.require(mode == "tokens" or cfg.task.noise_std == 0.0, "loss.mode",
                   "the exact 'features' loss assumes noise-free tokens; use loss.mode=tokens with "
                   f"task.noise_std={cfg.task.noise_std}")
    config.positive_int(cfg, "loss.n_functions")
    config.finite_float(cfg, "theory.eta_flat", positive=True)
    config.finite_float(cfg, "theory.z_max", positive=True)
    config.positive_int(cfg, "theory.n_z")
    lo = config.finite_float(cfg, "theory.grid_L_min", positive=True)
    hi = config.finite_float(cfg, "theory.grid_L_max", positive=True)
    config.require(hi > lo, "theory.grid_L_max", f"must exceed theory.grid_L_min={lo}, got {hi}")
    config.require(config.positive_int(cfg, "theory.n_grid") >= 2, "theory.n_grid", "needs at least 2 points")
    for prefix in ("train", "sweep.train"):
        engine.validate_train_config(cfg, prefix)
        config.require(config.get_field(cfg, f"{prefix}.optimizer") == "sgd", f"{prefix}.optimizer",
                       "the theory is about plain gradient descent: use sgd")
    config.one_of(cfg, "dynamics.features", lip.FEATURES)
    config.finite_float(cfg, "dynamics.rho", low=0.0)
    ratios = config.finite_float_list(cfg, "dynamics.L_over_threshold", positive=True, unique=True)
    explicit = config.finite_float_list(cfg, "dynamics.L_values", positive=True, unique=True)
    config.require(len(ratios) + len(explicit) > 0, "dynamics.L_over_threshold",
                   "give L values as multiples of L* here or explicitly in dynamics.L_values")
    sweep_L = config.finite_float_list(cfg, "sweep.L_values", positive=True, allow_empty=False,
                                       increasing=True)
    for L in sweep_L + explicit:
        config.require(lo <= L <= hi, "sweep.L_values" if L in sweep_L else "dynamics.L_values",
                       f"{L:g} is outside the theory grid [theory.grid_L_min, theory.grid_L_max] = "
                       f"[{lo:g}, {hi:g}]")
    config.choice_list(cfg, "sweep.scalings", lip.SCALINGS)
    rhos = config.finite_float_list(cfg, "sweep.rhos", allow_empty=False, unique=True)
    config.require(all(r >= 0 for r in rhos), "sweep.rhos", f"must be >= 0, got {rhos!r}")
    config.require(cfg.task.features != "orthonormal" or rhos == (0.0,) or all(r == 0 for r in rhos),
                   "sweep.rhos", "orthonormal features have no correlation: set task.features="
                   "equicorrelated (or random) to sweep rho, or sweep.rhos=0")
    rules = config.choice_list(cfg, "sweep.rules", RULES)
    config.contains(rules, "theory", "sweep.rules", "the threshold's prediction is the theory rule's")
    for field in ("sweep.eps_rel", "sweep.eps_abs"):
        config.finite_float_list(cfg, field, positive=True, allow_empty=False, unique=True)
    config.require(all(e < 1 for e in cfg.sweep.eps_rel), "sweep.eps_rel", "relative ε must be < 1")
    config.positive_int(cfg, "eval.n_prompts")
    config.choice_list(cfg, "eval.families", lip.FAMILIES)
    config.finite_float(cfg, "eval.noise_std", low=0.0)

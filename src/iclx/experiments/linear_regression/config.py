"""Config of the GPT-2-vs-algorithms regression figure (Garg et al. 2022, Fig. 2; Fu et al. 2023).

Presets: ``smoke`` (seconds; the tests), ``cpu`` (the committed figure; its measured time is in `make help`),
``paper`` (Garg / Fu et al.'s scale for a GPU: d = 20, 41 points, 12 layers, 8 heads, width 256,
500k Adam steps at 1e-4 with their curriculum).

Iterative Newton starts at M₀ = αS, α = ``eval.newton_alpha_scale``/‖SSᵀ‖_F: 2 as in Fu et al.'s code
(DeqingFu/transformers-icl-higher-order, src/models.py, ``newton_inv``), 1 this suite's earlier choice.
The untrained transformer (the initial parameters of each seed) is evaluated beside the trained one:
the control of the learning claims.
"""

from __future__ import annotations

from iclx import config, models, problems, tasks
from iclx.framework.experiment import common_config, validate_common
from iclx.tasks import linear

NAME = "linear_regression"


def get_config(preset: str = "cpu") -> config.ConfigDict:
    cfg = common_config(preset, NAME)
    if preset == "smoke":
        d, n, layers, heads, width, seeds, n_eval = 4, 9, 2, 2, 32, 2, 64
    elif preset == "cpu":
        d, n, layers, heads, width, seeds, n_eval = 5, 11, 4, 2, 64, 3, 1280
    else:  # paper: Garg et al. / Fu et al.
        d, n, layers, heads, width, seeds, n_eval = 20, 41, 12, 8, 256, 3, 1280
    cfg.seeds = seeds
    cfg.train = problems.training_preset(preset)
    cfg.curriculum = problems.curriculum_preset(preset, d, n)
    cfg.task = linear.default_config(d, n)
    cfg.model = models.gpt2.default_config(n_layer=layers, n_head=heads, n_embd=width,
                                           n_positions=2 * n)
    # GD's step size must keep η·λ_max(XᵀX) < 2 on the preset's prompts (tests/test_dry_run.py): λ_max ≈ 48
    # at d ≤ 5 (0.02 is stable), ≈ 165 at d = 20, n = 41 (0.02 diverges; Fu et al.'s code uses 0.01)
    cfg.eval = config.ConfigDict(dict(n_prompts=n_eval, newton_steps=(1, 3, 5, 10), gd_steps=(1, 10, 100),
                                 gd_lr=0.01 if preset == "paper" else 0.02, knn_k=3,
                                 newton_alpha_scale=2.0))
    return cfg


def validate(cfg: config.ConfigDict) -> None:
    validate_common(cfg)
    tasks.require_task(cfg, "linear_regression")
    problems.validate_prompt_training(cfg)
    config.positive_int(cfg, "eval.n_prompts")
    config.positive_int_list(cfg, "eval.newton_steps", unique=True)   # one curve each
    config.positive_int_list(cfg, "eval.gd_steps", unique=True)
    config.finite_float(cfg, "eval.gd_lr", positive=True)
    config.positive_int(cfg, "eval.knn_k")
    alpha = config.finite_float(cfg, "eval.newton_alpha_scale", positive=True)
    config.require(alpha <= 2.0, "eval.newton_alpha_scale", f"must be <= 2 (Newton diverges above), got {alpha}")


def method_names(cfg: config.ConfigDict) -> list[str]:
    """Every error curve: the transformer, each baseline (with its step counts) and the untrained
    transformer (a control, left out of the figure)."""
    return (["transformer", "least_squares"] + [f"newton_{k}" for k in cfg.eval.newton_steps]
            + [f"gd_{k}" for k in cfg.eval.gd_steps] + ["averaging", f"knn_{cfg.eval.knn_k}", "untrained"])

"""Stability of the baselines' gradient-descent step sizes on a preset's own prompts (no training).

The rule: gradient descent on a quadratic with Hessian H converges only if η·λ_max(H) < 2. For the
least-squares baseline (Fu et al.'s code: the unnormalised gradient XᵀXw − Xᵀy, ``algorithms.regression``)
H = XᵀX of the longest prefix a prompt gives GD (n − 1 points). λ_max is estimated as the largest
over ``N_PROMPTS`` prompts drawn from the config's own ``task`` (its d, n, covariance), so the rule is
checked for the shapes a preset really evaluates at; the estimate is a sample maximum, so a stable
step should leave a margin (the presets keep η·λ̂_max ≤ 1.7).

A config field whose last name is ``gd_lr`` is such a step size, wherever it sits (``eval.gd_lr``,
``sim.gd_lr``). ``checks(cfg)`` lists every one with its η·λ̂_max.

Logistic regression (``baselines.logistic_lr``, ``algorithms.classification.logistic``) is not a
quadratic; its step is relative instead: each prompt's GD takes steps ``lr / L``, L an upper bound on
the loss's Hessian over every θ (``classification.logistic_smoothness``), so the rule is ``lr < 2`` on
every prompt of every preset, whatever its d, M or shift; its ``Check`` has λ̂_max = 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from iclx import config

N_PROMPTS = 2048
LEAF_NAMES = ("gd_lr",)   # config leaves that are least-squares GD step sizes
RELATIVE_LEAF_NAMES = ("logistic_lr",)   # steps in units of 1/L, L the prompt's own smoothness bound


@dataclasses.dataclass(frozen=True)
class Check:
    field: str
    eta: float
    lambda_max: float     # the sample maximum of λ_max(XᵀX) over N_PROMPTS prompts
    what: str

    @property
    def product(self) -> float:
        return self.eta * self.lambda_max

    @property
    def stable(self) -> bool:
        return self.product < 2.0


def least_squares_lambda_max(task_cfg: config.ConfigDict, n_prompts: int = N_PROMPTS, seed: int = 0) -> float:
    """max over ``n_prompts`` prompts of the linear-regression task ``task_cfg`` of λ_max(XᵀX),
    X the first n − 1 inputs of a prompt (the longest prefix GD fits). The task draws x = B Λ^½ z
    (z standard normal, B orthogonal), so λ_max(XᵀX) = λ_max(Λ^½ ZᵀZ Λ^½): the eigenbasis drops out."""
    from iclx.tasks import linear

    task = linear.LinearRegressionTask.from_config(task_cfg)
    d, n = task.n_dims, task.n_points
    z = np.random.default_rng(seed).standard_normal((n_prompts, n - 1, d))   # a check, not a run
    xs = z * np.sqrt(np.asarray(task.spectrum(), dtype=np.float64))
    return float(np.linalg.eigvalsh(np.einsum("bnd,bne->bde", xs, xs))[:, -1].max())


def _leaves(cfg: config.ConfigDict, names: tuple[str, ...]) -> dict[str, float]:
    return {path: float(value) for path, value in config.flatten(cfg).items()
            if path.rsplit(".", 1)[-1] in names}


def step_size_fields(cfg: config.ConfigDict) -> dict[str, float]:
    """Every least-squares ``gd_lr`` leaf of ``cfg``: ``{dotted path: η}``."""
    return _leaves(cfg, LEAF_NAMES)


def relative_step_fields(cfg: config.ConfigDict) -> dict[str, float]:
    """Every ``logistic_lr`` leaf of ``cfg``: ``{dotted path: lr}`` (a multiple of 1/L)."""
    return _leaves(cfg, RELATIVE_LEAF_NAMES)


def checks(cfg: config.ConfigDict, n_prompts: int = N_PROMPTS) -> list[Check]:
    """The stability checks of every GD step size of ``cfg`` on its own task's prompts. A step size on
    a task this module has no rule for raises ``ValueError`` naming the field."""
    relative = [Check(path, lr, 1.0, "logistic-regression GD, step lr/L with L ≥ its Hessian everywhere")
                for path, lr in relative_step_fields(cfg).items()]
    fields = step_size_fields(cfg)
    if not fields:
        return relative
    task = cfg.get("task")
    if task is None or task.get("name") != "linear_regression":
        raise ValueError(f"{', '.join(fields)}: no step-size rule for task "
                         f"{None if task is None else task.get('name')!r} (add one to iclx.dryrun.step_sizes)")
    lam = least_squares_lambda_max(task, n_prompts)
    what = (f"least-squares GD, d = {task.n_dims}, n − 1 = {task.n_points - 1} points, "
            f"{task.covariance} Σ (κ = {task.kappa:g})")
    return relative + [Check(path, eta, lam, what) for path, eta in fields.items()]

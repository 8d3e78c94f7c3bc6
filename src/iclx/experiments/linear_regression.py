"""GPT-2 trained on in-context linear regression vs least squares, Iterative Newton, GD, averaging
and 3-NN: squared error (÷ d) against the number of in-context examples (Garg et al. 2022, Fig. 2;
Fu et al. 2023, Fig. 5/7 starting point).

    python -m iclx.experiments.linear_regression --preset=cpu      # make reproduce-fig-linear-regression
    python -m iclx.experiments.linear_regression --preset=paper    # GPU: d=20, 41 points, 12L/8H/256, 500k steps

Expected (cpu): the transformer's error sits far below averaging and 3-NN, and falls towards least
squares (≈ 0 for noiseless data) once the prompt holds n ≥ d examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from iclx import config as C
from iclx import experiment as E
from iclx import models, plotting, rng, tasks
from iclx import train as T
from iclx.algorithms import regression as R
from iclx.tasks import curriculum as curriculum_lib
from iclx.tasks import linear

NAME = "linear_regression"


# --------------------------------------------------------------------------- config


def training_preset(preset: str, *, steps: int | None = None) -> C.ConfigDict:
    """The ``train`` group of the GPT-2 regression presets (shared by every experiment that trains
    GPT-2 on linear regression): ``smoke`` a few Adam steps; ``cpu`` Adam 2e-3 with 200 warm-up steps
    and cosine decay, 8000 steps; ``paper`` Garg et al.'s Adam 1e-4, 500k steps. ``steps`` overrides."""
    if preset == "smoke":
        train = T.default_config(steps=40, batch_size=16, lr=1e-3, chunk_steps=20, log_every=10)
    elif preset == "cpu":
        # Adam 2e-3 with warm-up and cosine decay: the best of lr ∈ {5e-4, 1e-3, 2e-3, 3e-3, 5e-3} ×
        # {constant, cosine} in a sweep at 8000 steps (5e-3 stays at the trivial predictor)
        train = T.default_config(steps=8000, batch_size=64, lr=2e-3, chunk_steps=250,
                                 log_every=50, checkpoint_every=1000)
        train.update(schedule="cosine", warmup_steps=200)
    else:
        train = T.default_config(steps=500_000, batch_size=64, lr=1e-4, chunk_steps=1000,
                                 log_every=100, checkpoint_every=10_000)
    if steps is not None:
        train.steps = steps
    return train


def curriculum_preset(preset: str, d: int, n: int, *, interval: int = 400) -> C.ConfigDict:
    """The curriculum of the presets: none for ``smoke``; dims 2→d and points 5→n, one step every
    ``interval`` training steps for ``cpu``; Garg et al.'s 5→d / 11→n every 2000 steps for ``paper``."""
    if preset == "smoke":
        return curriculum_lib.default_config(d, n, enabled=False)
    curriculum = curriculum_lib.default_config(d, n, enabled=True)
    if preset == "cpu":
        curriculum.update(dims_start=2, points_start=5, interval=interval)
    else:
        curriculum.update(dims_start=5, points_start=11, interval=2000)
    return curriculum


def get_config(preset: str = "cpu") -> C.ConfigDict:
    """Presets: ``smoke`` (seconds; tests), ``cpu`` (≤ 10 min on 2 cores), ``paper`` (Garg/Fu scale)."""
    cfg = E.common_config(preset, NAME)
    if preset == "smoke":
        d, n, layers, heads, width, seeds, n_eval = 4, 9, 2, 2, 32, 2, 64
    elif preset == "cpu":
        d, n, layers, heads, width, seeds, n_eval = 5, 11, 4, 2, 64, 3, 1280
    else:  # paper: Garg et al. / Fu et al.
        d, n, layers, heads, width, seeds, n_eval = 20, 41, 12, 8, 256, 3, 1280
    cfg.seeds = seeds
    cfg.train = training_preset(preset)
    cfg.curriculum = curriculum_preset(preset, d, n)
    cfg.task = linear.default_config(d, n)
    cfg.model = models.gpt2.default_config(n_layer=layers, n_head=heads, n_embd=width,
                                           n_positions=2 * n)
    cfg.eval = C.ConfigDict(dict(n_prompts=n_eval, newton_steps=(1, 3, 5, 10), gd_steps=(1, 10, 100),
                                 gd_lr=0.02, knn_k=3))
    return cfg


def validate_task(cfg: C.ConfigDict) -> None:
    """The common fields, a linear-regression ``task`` and its ``curriculum``."""
    E.validate_common(cfg)
    tasks.validate_name(cfg)
    C.require(cfg.task.name == "linear_regression", "task.name",
              f"this experiment needs a linear-regression task, got {cfg.task.name!r}")
    linear.validate_config(cfg)
    curriculum_lib.validate_config(cfg, cfg.task.n_dims, cfg.task.n_points)


def validate(cfg: C.ConfigDict) -> None:
    validate_task(cfg)
    models.validate_name(cfg)
    models.MODELS[cfg.model.name][1](cfg, cfg.task.n_points)
    T.validate_config(cfg)
    C.positive_int(cfg, "eval.n_prompts")
    C.positive_int_list(cfg, "eval.newton_steps")
    C.positive_int_list(cfg, "eval.gd_steps")
    C.finite_float(cfg, "eval.gd_lr", positive=True)
    C.positive_int(cfg, "eval.knn_k")


# --------------------------------------------------------------------------- training


def build_problem(cfg: C.ConfigDict) -> T.Problem:
    """The GPT-2 ICL regression problem: MSE over the batch and the curriculum's active positions."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    model = models.build(cfg.model, task.n_dims)
    curriculum = curriculum_lib.Curriculum.from_config(cfg.curriculum, task.n_dims, task.n_points)
    batch_size, n = cfg.train.batch_size, task.n_points

    def init_params(key: jax.Array, hp: T.Hparams):
        return model.init(key, jnp.zeros((1, n, task.n_dims)), jnp.zeros((1, n)))["params"]

    def loss(params, key: jax.Array, step: jax.Array, hp: T.Hparams, fixed: None):
        d_active, n_active = curriculum.active(step)
        prompt = task.sample_batch(key, batch_size, d_active)
        preds = model.apply({"params": params}, prompt.xs, prompt.ys)
        in_prompt = jnp.arange(n) < n_active
        mse = jnp.sum(((preds - prompt.ys) ** 2) * in_prompt) / (batch_size * n_active)
        return mse, {"loss_per_dim": mse / d_active, "n_dims": d_active, "n_points": n_active}

    return T.Problem(init_params, loss, T.optimizer_from_config(cfg.train))


def make_train(cfg: C.ConfigDict):
    """``train(seed_key) -> (state, metrics)``: the whole run as a pure function (see ``iclx.train``)."""
    return T.make_train(build_problem(cfg), cfg.train.steps)


# --------------------------------------------------------------------------- evaluation


def method_names(cfg: C.ConfigDict) -> list[str]:
    return (["transformer", "least_squares"] + [f"newton_{k}" for k in cfg.eval.newton_steps]
            + [f"gd_{k}" for k in cfg.eval.gd_steps] + ["averaging", f"knn_{cfg.eval.knn_k}"])


def eval_prompts(cfg: C.ConfigDict, seed_key: jax.Array) -> linear.Prompt:
    """One seed's evaluation prompts (stream "eval": never seen in training)."""
    task = linear.LinearRegressionTask.from_config(cfg.task)
    return task.sample_batch(rng.stream(seed_key, "eval"), cfg.eval.n_prompts)


def predictors(cfg: C.ConfigDict) -> dict[str, Any]:
    """``{method: predict(params, xs, ys) -> preds [K, B, n]}``, one entry per algorithm family."""
    model = models.build(cfg.model, cfg.task.n_dims)
    eval_cfg = cfg.eval
    return {
        "transformer": lambda p, xs, ys: model.apply({"params": p}, xs, ys)[None],
        "least_squares": lambda p, xs, ys: R.least_squares(xs, ys)[None],
        "newton": lambda p, xs, ys: R.iterative_newton(xs, ys, eval_cfg.newton_steps),
        "gd": lambda p, xs, ys: R.gradient_descent(xs, ys, eval_cfg.gd_lr, eval_cfg.gd_steps),
        "averaging": lambda p, xs, ys: R.averaging(xs, ys)[None],
        "knn": lambda p, xs, ys: R.nearest_neighbours(xs, ys, eval_cfg.knn_k)[None],
    }


def evaluate(cfg: C.ConfigDict, params, lanes: T.Lanes) -> dict[str, np.ndarray]:
    """``{method: [seeds, n]}``: squared error ÷ d per position for the trained model and every
    baseline on each seed's eval prompts.

    Each algorithm family is its own jitted program, run one seed at a time: see
    ``algorithms.regression`` on why two LAPACK calls must not share one XLA:CPU program.
    """
    keys, d = lanes.keys(cfg.seed), cfg.task.n_dims
    names = {"transformer": ["transformer"], "least_squares": ["least_squares"],
             "newton": [f"newton_{k}" for k in cfg.eval.newton_steps],
             "gd": [f"gd_{k}" for k in cfg.eval.gd_steps], "averaging": ["averaging"],
             "knn": [f"knn_{cfg.eval.knn_k}"]}
    curves: dict[str, list[np.ndarray]] = {m: [] for m in method_names(cfg)}
    for family, predict in predictors(cfg).items():

        @jax.jit
        def error(params_one, key, predict=predict):
            prompt = eval_prompts(cfg, key)
            return R.squared_error_per_position(predict(params_one, prompt.xs, prompt.ys),
                                                prompt.ys, d)

        for lane in range(len(lanes)):
            values = np.asarray(error(T.lane_slice(params, lane), keys[lane]))
            for name, row in zip(names[family], values):
                curves[name].append(row)
    return {name: np.stack(rows) for name, rows in curves.items()}


def summarise(cfg: C.ConfigDict, curves: dict[str, np.ndarray]) -> dict[str, Any]:
    d, n = cfg.task.n_dims, cfg.task.n_points
    late = slice(d, n)   # positions with at least d examples
    mean_late = {m: float(np.mean(curves[m][:, late])) for m in curves}
    at_d = {m: float(np.mean(curves[m][:, d])) for m in curves} if d < n else {}
    summary = [f"mean error ÷ d over prompts with ≥ d={d} examples (positions {d}..{n - 1}):"]
    summary += [f"  {m:<15} {v:.4g}" for m, v in mean_late.items()]
    return {"error_after_d": mean_late, "error_at_d": at_d, "summary": summary}


def run(cfg: C.ConfigDict, ctx: E.RunContext):
    lanes = T.seed_lanes(cfg.seeds)
    state = ctx.train(build_problem(cfg), cfg.train, lanes)
    ctx.log("evaluating the transformer and the baselines …")
    curves = evaluate(cfg, state.params, lanes)
    arrays = {f"error/{m}": v for m, v in curves.items()}
    return summarise(cfg, curves), arrays


# --------------------------------------------------------------------------- figure


LABELS = {"transformer": "Transformer", "least_squares": "Least squares", "averaging": "Averaging"}


def _style_of(method: str, cfg: C.ConfigDict) -> dict[str, Any]:
    """Colour families: Newton greens, GD oranges (darker = more steps)."""
    import matplotlib

    if method.startswith("newton_"):
        steps = list(cfg.eval.newton_steps)
        shade = 0.45 + 0.5 * steps.index(int(method.split("_")[1])) / max(len(steps) - 1, 1)
        return dict(color=matplotlib.colormaps["Greens"](shade), linestyle="--",
                    label=f"Newton, {method.split('_')[1]} iter.")
    if method.startswith("gd_"):
        steps = list(cfg.eval.gd_steps)
        shade = 0.4 + 0.5 * steps.index(int(method.split("_")[1])) / max(len(steps) - 1, 1)
        k = int(method.split("_")[1])
        return dict(color=matplotlib.colormaps["Oranges"](shade), linestyle=":",
                    label=f"GD, {k} step{'s' if k > 1 else ''} (η={cfg.eval.gd_lr:g})")
    if method.startswith("knn_"):
        return dict(color=plotting.PALETTE[8], linestyle="-.", label=f"{method.split('_')[1]}-NN")
    colour = {"transformer": plotting.PALETTE[0], "least_squares": plotting.PALETTE[1],
              "averaging": plotting.PALETTE[4]}[method]
    return dict(color=colour, linestyle="-", label=LABELS[method],
                linewidth=2.4 if method == "transformer" else None)


def plot(cfg: C.ConfigDict, scalars: dict[str, Any], arrays: dict[str, np.ndarray],
         fig_dir: Path) -> list[Path]:
    """Error vs in-context examples: linear axis (Garg's view) and log axis (closeness to OLS)."""
    methods = [m for m in method_names(cfg) if f"error/{m}" in arrays]
    d, n = cfg.task.n_dims, cfg.task.n_points
    x = np.arange(n)
    with plotting.style():
        fig, axes = plotting.new_figure(2, width=4.2, height=3.1)
        for ax, log in zip(axes[0], (False, True)):
            ax.axvline(d, color="0.6", linewidth=0.8, linestyle=(0, (2, 2)))
            ax.axhline(1.0, color="0.75", linewidth=0.8)
            for method in methods:
                values = arrays[f"error/{method}"]
                if log:
                    values = np.maximum(values, 1e-7)
                plotting.band_plot(ax, x, values, log=log, **_style_of(method, cfg))
            ax.set_xlabel("in-context examples")
            ax.set_xlim(0, n - 1)
            if log:
                ax.set_yscale("log")
                ax.set_ylim(1e-5, 3)
                ax.set_title("log scale (floor 1e-7)")
            else:
                ax.set_ylim(-0.05, 1.5)
                ax.set_ylabel("squared error / d")
                ax.set_title("linear scale")
        axes[0][1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(f"In-context linear regression, d={d}: {cfg.model.n_layer}-layer GPT-2 vs "
                     f"algorithms ({cfg.seeds} seeds, 95% band)", fontsize=9.5)
        return plotting.save_figure(fig, fig_dir, "error_vs_examples")


EXPERIMENT = E.Experiment(name=NAME, get_config=get_config, validate=validate, run=run, plot=plot,
                          figures_dir="experiments/linear_regression")
main = EXPERIMENT.main

if __name__ == "__main__":
    raise SystemExit(main())

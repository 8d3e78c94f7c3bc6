"""A tiny experiment of the tests' own, in the shape of a real one: two training stages of the engine
tests' toy problem (``main``: 2 seeds, ``probe``: 1 seed, with a warm-up; a run may leave the probe
out with ``stages``), a summary, two claims, a figure."""

from __future__ import annotations

import jax
import matplotlib.pyplot as plt
import numpy as np

from iclx import config, engine
from iclx.framework import claims
from iclx.framework.experiment import Experiment, common_config, runs_stage, validate_common
from tests.engine import problem_fixture as toy


def _fake_config(preset: str) -> config.ConfigDict:
    cfg = common_config(preset, "fake")
    cfg.seeds = 2
    cfg.train = toy.train_config(steps=500, chunk_steps=100, log_every=50, checkpoint_every=100)
    cfg.probe = config.ConfigDict(dict(train=toy.train_config(steps=300, chunk_steps=100, log_every=100,
                                                              checkpoint_every=100, warmup_steps=10)))
    return cfg


def _fake_validate(cfg: config.ConfigDict) -> None:
    validate_common(cfg)
    engine.validate_train_config(cfg)
    engine.validate_train_config(cfg, "probe.train")


def _fake_run(cfg, ctx):
    trained = ctx.train(toy.problem(cfg.train), cfg.train, engine.seed_lanes(cfg.seeds), name="main")
    arrays = {"error": np.asarray(jax.vmap(toy.test_error)(trained.params))}
    if runs_stage(cfg, "probe"):
        probe = ctx.train(toy.problem(cfg.probe.train), cfg.probe.train, engine.seed_lanes(1), name="probe")
        arrays["probe_error"] = np.asarray(jax.vmap(toy.test_error)(probe.params))
    return {}, arrays


def _fake_summarise(cfg, scalars, arrays):
    err = arrays["error"]
    return {"summary": [f"error {err.mean():.3g}"], "error": float(err.mean())}


def _fake_plot(cfg, scalars, arrays, fig_dir):
    fig_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(arrays["error"], "o-")
    path = fig_dir / "error.png"
    fig.savefig(path)
    plt.close(fig)
    return [path]


def _below(name: str, threshold: float):
    def check(cfg, scalars, arrays):
        return claims.compare(claims.mean_of(arrays[name]), claims.Test("<", threshold))
    return check


CLAIMS = (claims.Claim("main-learns", "the main model learns", "toy", "error < 10", _below("error", 10.0),
                       scales=("cpu",)),
          claims.Claim("probe-learns", "the probe learns", "toy", "error < 10", _below("probe_error", 10.0),
                       scales=("cpu",), needs=("probe",)))

FAKE = Experiment(name="fake", get_config=_fake_config, validate=_fake_validate, run=_fake_run,
                  summarise=_fake_summarise, plot=_fake_plot, claims=CLAIMS, stages=("main", "probe"))

"""Config validation and overrides (iclx.config, Experiment.config)."""

import math

import pytest

from iclx import config
from iclx.framework.cli import parse_overrides
from iclx.experiments.linear_regression import EXPERIMENT as EXP


def smoke(*overrides):
    return EXP.config("smoke", [tuple(o.split("=", 1)) for o in overrides])


@pytest.mark.parametrize("override,field,fragment", [
    ("train.steps=-5", "train.steps", "positive integer"),
    ("train.batch_size=0", "train.batch_size", "positive integer"),
    ("train.lr=nan", "train.lr", "finite"),
    ("train.lr=inf", "train.lr", "finite"),
    ("train.lr=-1e-3", "train.lr", "positive"),
    ("task.n_points=40", "model.n_positions", "longer than the model's context"),
    ("task.n_dims=0", "task.n_dims", "positive integer"),
    ("task.name=quadratic", "task.name", "unknown value"),
    ("task.covariance=weird", "task.covariance", "unknown value"),
    ("model.name=rnn", "model.name", "unknown value"),
    ("model.n_head=3", "model.n_embd", "not divisible"),
    ("seeds=0", "seeds", "positive integer"),
    ("train.optimizer=lion", "train.optimizer", "unknown value"),
    ("train.log_every=7", "train.log_every", "must divide"),
    ("eval.newton_steps=0,2", "eval.newton_steps", "positive integers"),
    ("train.stpes=10", "train.stpes", "unknown config field"),
])
def test_invalid_field_names_the_field(override, field, fragment):
    with pytest.raises(config.ConfigError) as info:
        smoke(override)
    assert info.value.field == field
    assert fragment in info.value.message


def test_curriculum_beyond_its_maximum():
    with pytest.raises(config.ConfigError) as info:
        EXP.config("cpu", [("curriculum.dims_start", "9")])
    assert info.value.field == "curriculum.dims_start" and "maximum" in info.value.message
    with pytest.raises(config.ConfigError) as info:
        EXP.config("cpu", [("curriculum.dims_end", "9")])
    assert info.value.field == "curriculum.dims_end"


def test_wrong_type_is_an_error():
    with pytest.raises(config.ConfigError) as info:
        smoke("train.steps=2.5")
    assert info.value.field == "train.steps" and "integer" in info.value.message


def test_unknown_preset():
    with pytest.raises(config.ConfigError, match="unknown preset"):
        EXP.config("huge")


def test_overrides_parse_types():
    cfg = smoke("train.steps=12", "train.lr=3e-4", "eval.newton_steps=(2, 4)",
                "eval.gd_steps=1,5", "curriculum.enabled=true", "task.noise_std=0.1")
    assert cfg.train.steps == 12 and cfg.train.lr == 3e-4
    assert tuple(cfg.eval.newton_steps) == (2, 4) and tuple(cfg.eval.gd_steps) == (1, 5)
    assert cfg.curriculum.enabled is True and math.isclose(cfg.task.noise_std, 0.1)
    assert parse_overrides(["--config.seed=3", "--config.seeds", "4"]) == [("seed", "3"), ("seeds", "4")]


def test_config_hash_is_stable_and_sensitive():
    a, b = smoke(), smoke()
    assert config.config_hash(a) == config.config_hash(b)
    assert config.config_hash(smoke("seed=1")) != config.config_hash(a)


def test_every_preset_is_valid():
    for preset in ("smoke", "cpu", "paper"):
        EXP.config(preset)


# --------------------------------------------------------------------------- list and range helpers (issue 23)


def _cfg(**fields):
    return config.ConfigDict(fields)


@pytest.mark.parametrize("values,kwargs,fragment", [
    ((1, 2, 2), dict(unique=True), "lists 2 twice"),
    ((1, 3, 2), dict(increasing=True), "increasing order, got 3 before 2"),
    ((2, 2), dict(increasing=True), "lists 2 twice"),
    ((), dict(allow_empty=False), "must not be empty"),
])
def test_int_list_order_and_duplicates(values, kwargs, fragment):
    with pytest.raises(config.ConfigError) as info:
        config.positive_int_list(_cfg(xs=values), "xs", **kwargs)
    assert info.value.field == "xs" and fragment in info.value.message
    assert config.positive_int_list(_cfg(xs=(1, 2, 3)), "xs", increasing=True) == (1, 2, 3)


def test_float_list_bounds_and_choices():
    with pytest.raises(config.ConfigError, match=r"in \[0, 1\], got 1.5"):
        config.finite_float_list(_cfg(xs=(0.5, 1.5)), "xs", low=0.0, high=1.0)
    with pytest.raises(config.ConfigError, match="lists 'a' twice"):
        config.choice_list(_cfg(xs=("a", "a")), "xs", ("a", "b"))
    with pytest.raises(config.ConfigError, match="must be a list of a, b"):
        config.choice_list(_cfg(xs=("c",)), "xs", ("a", "b"))
    with pytest.raises(config.ConfigError, match="must contain 1.0"):
        config.contains((0.5,), 1.0, "xs", "the summary reads it")
    assert config.count_in((1, 5, 10), 2, float("inf")) == 2


@pytest.mark.parametrize("value,ok", [(0, True), (2 ** 32 - 1, True), (2 ** 32, False), (-1, False),
                                      (2 ** 70, False), (True, False), (1.0, False)])
def test_seed_range(value, ok):
    if ok:
        assert config.seed(_cfg(seed=value)) == value
    else:
        with pytest.raises(config.ConfigError, match=r"\[0, 2\*\*32\)"):
            config.seed(_cfg(seed=value))

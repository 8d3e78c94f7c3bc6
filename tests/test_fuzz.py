"""A config that validates must run to the end (issue 23). For every registered experiment, random
configs drawn around the smoke preset (tests/fuzz_configs.py) either fail validation — one line on
stderr, exit code 2, nothing written — or run to the end in-process (``Experiment.main``, sharing the
session's compilation cache) with a summary no less finite than the smoke run's and every claim
evaluated (no check broken that the smoke run's check did not break) — never a traceback.

The fast slice (``make test``) checks validation, the one-line error and the cost estimate on every
experiment, runs a few drawn configs of the cheapest experiment to the end, and runs one drawn config of
*every* experiment to the end: a drawn seed and, where the experiment has stages, a drawn subset of its
preset's stages — the smoke run's shapes, so on the worker that ran the smoke run (the test follows
it: tests/schedule.py) its programs are already compiled. The slow slice (``make test-all``) runs
drawn configs of every field of every experiment to the end. All are derandomized."""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iclx import config, experiments as registry
from tests import fuzz_configs as fuzz

NAMES = list(registry.EXPERIMENTS)
SMOKE = {name: registry.load(name).get_config("smoke") for name in NAMES}
# a drawn config that would take longer than this (the estimate) is refused by the command line:
# exit code 2 and one line, a correct outcome; the tests never wait for a long run
TEST_MAX_HOURS = "0.05"


def quiet(max_examples: int):
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def command(name: str, out: Path, flags: list[str]) -> tuple[int, list[str], str]:
    """Run ``python -m iclx.experiments.<name>`` in-process: (exit code, stderr lines, stdout)."""
    err, std = io.StringIO(), io.StringIO()
    argv = ["--preset=smoke", f"--out={out}", "--no-progress", f"--max-hours={TEST_MAX_HOURS}", *flags]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        code = registry.load(name).main(argv)
    return code, err.getvalue().strip().splitlines(), std.getvalue()


def check_rejected(name: str, pairs: list[tuple[str, str]], error: config.ConfigError) -> None:
    """A config that fails validation: one line naming the field, exit code 2, nothing written."""
    assert error.field and "\n" not in error.message and "\n" not in error.field, error
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs"
        code, lines, _ = command(name, out, fuzz.as_flags(pairs))
        assert code == 2 and len(lines) == 1, (pairs, lines)
        assert lines[0].startswith(f"error: config field {error.field}:"), (pairs, lines)
        assert not out.exists(), pairs


def check_estimate(name: str, cfg: config.ConfigDict) -> None:
    """A valid config's cost estimate: finite, non-negative numbers."""
    estimate = registry.load(name).estimate(cfg)
    assert math.isfinite(estimate.bytes) and estimate.bytes >= 0, estimate
    assert math.isfinite(estimate.flops) and estimate.flops >= 0, estimate


def classify(name: str, pairs: list[tuple[str, str]]) -> config.ConfigDict | None:
    """The validated config, or None after checking how its rejection is reported."""
    try:
        cfg = registry.load(name).config("smoke", pairs)
    except config.ConfigError as error:
        check_rejected(name, pairs, error)
        return None
    check_estimate(name, cfg)
    return cfg


@pytest.mark.parametrize("name", NAMES)
def test_drawn_configs_are_rejected_in_one_line_or_estimated(name):
    @quiet(max_examples=30)
    @given(fuzz.overrides(SMOKE[name]))
    def check(pairs):
        classify(name, pairs)

    check()


def check_run(name: str, pairs: list[tuple[str, str]], smoke) -> None:
    """Run a drawn config to the end (or its refusal in one line) and check what it saved."""
    if classify(name, pairs) is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        code, lines, _ = command(name, Path(tmp) / "runs", fuzz.as_flags(pairs))
        if code == 2:                       # refused before any work (its estimate): one line
            assert len(lines) == 1 and lines[0].startswith("error: this config"), (pairs, lines)
            return
        assert code == 0, (pairs, lines[-20:])
        [run_dir] = list((Path(tmp) / "runs" / name).iterdir())
        saved, baseline = fuzz.results_of(run_dir), fuzz.results_of(smoke.run_dir)
    derived = {k: saved[k] for k in ("summary", "tables", "meta") if k in saved}
    assert not fuzz.non_finite_numbers(derived), (pairs, fuzz.non_finite_numbers(derived))
    assert fuzz.nan_texts(derived) <= fuzz.nan_texts({k: baseline.get(k) for k in derived}), \
        (pairs, saved["summary"])
    assert [row["id"] for row in saved["claims"]] == [c.id for c in registry.load(name).claims]
    assert fuzz.broken_claims(saved["claims"]) <= fuzz.broken_claims(baseline["claims"]), \
        (pairs, [r["detail"] for r in saved["claims"]])
    assert fuzz.self_comparisons(saved["claims"]) <= fuzz.self_comparisons(baseline["claims"]), \
        (pairs, [r["detail"] for r in saved["claims"] if r["id"] in fuzz.self_comparisons(saved["claims"])])


def test_self_comparisons_flag_a_verdict_on_a_value_compared_with_itself():
    rows = [{"id": "same", "verdict": "fails", "value": 0.0, "interval": [0.0, 0.0]},       # η = 0 vs η = 0
            {"id": "tie", "verdict": "undecided", "value": 0.0, "interval": [-0.01, 0.01]},  # a measured tie
            {"id": "exact", "verdict": "holds", "value": 0.5, "interval": [0.5, 0.5]},       # deterministic
            {"id": "declined", "verdict": "not evaluable", "value": 0.0, "interval": [0.0, 0.0]},
            {"id": "no-interval", "verdict": "holds", "value": 0.0, "interval": None}]
    assert fuzz.self_comparisons(rows) == {"same"}


# the cheapest experiment, values that keep its programs small (edge values included): a few full
# runs in make test
FAST_RUN = ("gd_vs_newton_width", {"seed": ("0", "7", str(2 ** 32 - 1), str(2 ** 32)),
                                   "eval.n_prompts": ("1", "2", "64"),
                                   "widths": ("4", "2,4", "4,4", "", "3")})


def test_drawn_configs_run_to_the_end_fast(smoke_run):
    name, values = FAST_RUN
    smoke = smoke_run(name)

    @quiet(max_examples=3)
    @given(fuzz.choices(values))
    def check(pairs):
        check_run(name, pairs, smoke)

    check()


def seed_and_stages(name: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A drawn seed (edge values included) and, where ``name`` has stages, a drawn non-empty subset
    of the smoke preset's own stages, in the order the experiment lists them."""
    experiment = registry.load(name)
    own = experiment.default_stages(SMOKE[name]) or experiment.stages
    seed = st.sampled_from(("0", "7", str(2 ** 32 - 1))).map(lambda v: [("seed", v)])
    if not own:
        return seed
    subset = st.sets(st.sampled_from(own), min_size=1).map(lambda s: [("stages", ",".join(x for x in own if x in s))])
    return st.tuples(seed, subset).map(lambda pair: pair[0] + pair[1])


@pytest.mark.parametrize("name", [pytest.param(
    name, marks=pytest.mark.follows(f"tests/experiments/test_registry.py::test_smoke_run_end_to_end[{name}]"))
    for name in NAMES])
def test_a_drawn_config_of_every_experiment_runs_to_the_end(smoke_run, name):
    smoke = smoke_run(name)

    @quiet(max_examples=1)    # one run each: a re-run in memory still costs 3–22 s (deep-opt's most)
    @given(seed_and_stages(name))
    def check(pairs):
        check_run(name, pairs, smoke)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_drawn_configs_run_to_the_end(smoke_run, name):
    smoke = smoke_run(name)

    @quiet(max_examples=8)
    @given(fuzz.overrides(SMOKE[name], max_fields=2), st.just(None))
    def check(pairs, _):
        check_run(name, pairs, smoke)

    check()

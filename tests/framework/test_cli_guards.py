"""What the command line refuses before any work (one line, exit code 2, nothing written): flags that
contradict each other or are empty, bad environment variables (``iclx.framework.settings``), a slice target at
another preset, a run that would not fit the disk."""

import importlib
from pathlib import Path

import numpy as np
import pytest

from iclx.framework import cost, preflight, settings
from iclx.engine import results
from iclx.experiments.__main__ import main as registry_main
from iclx.experiments.linear_regression import EXPERIMENT as LINEAR
from tests import toy_experiment

FAKE = toy_experiment.FAKE


def saved_run(out):
    """A run folder of FAKE's smoke config holding results (written directly: no training)."""
    run_dir = FAKE.run_dir(FAKE.config("smoke"), out)
    results.save_results(run_dir, {"experiment": "fake"}, {"error": np.ones(2)})
    return run_dir


@pytest.mark.parametrize("flags,fragment", [
    (["--fresh", "--plot-only"], "--fresh and --plot-only contradict"),
    (["--show-config", "--fresh"], "--show-config only prints"),
    (["--figures="], "--figures= is empty"),
    (["--max-memory="], "--max-memory= is empty"),
    (["--coordinator="], "--coordinator= is empty"),
    (["--distributed-timeout=5"], "--distributed-timeout applies to a distributed run only"),
])
def test_contradictory_or_empty_flags_are_refused_and_keep_saved_results(tmp_path, command_line, flags,
                                                                         fragment):
    run_dir = saved_run(tmp_path)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in run_dir.rglob("*"))
    code, lines = command_line(FAKE, "--preset=smoke", f"--out={tmp_path}", *flags)
    assert code == 2 and len(lines) == 1 and fragment in lines[0], lines
    assert sorted((p.name, p.stat().st_mtime_ns) for p in run_dir.rglob("*")) == before


def test_an_empty_out_writes_nothing_into_the_working_directory(tmp_path, command_line, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, lines = command_line(FAKE, "--preset=smoke", "--out=")
    assert code == 2 and len(lines) == 1 and "--out= is empty" in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_figures_inside_the_run_folder_are_refused(tmp_path, command_line):
    run_dir = FAKE.run_dir(FAKE.config("smoke"), tmp_path / "runs")
    code, lines = command_line(FAKE, "--preset=smoke", f"--out={tmp_path / 'runs'}",
                               f"--figures={run_dir / 'figures'}")
    assert code == 2 and len(lines) == 1 and "inside the run folder" in lines[0], lines
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------- environment variables

@pytest.mark.parametrize("name,value", [
    ("ICLX_FIGURE_DPI", "abc"), ("ICLX_FIGURE_DPI", "0"), ("ICLX_FIGURE_FORMATS", "xyz"),
    ("ICLX_FIGURE_FORMATS", "png,,gif"), ("ICLX_CPU_DEVICES", "zero"), ("ICLX_COMPILATION_CACHE", "FILE"),
    ("ICLX_CACHE_DIR", "FILE"),
])
def test_a_bad_environment_variable_is_one_line_before_any_work(tmp_path, command_line, monkeypatch,
                                                                 name, value):
    if value == "FILE":                      # a cache folder under a file: cannot be created
        (tmp_path / "file").write_text("x")
        value = str(tmp_path / "file" / "cache")
    monkeypatch.setenv(name, value)
    code, lines = command_line(FAKE, "--preset=smoke", f"--out={tmp_path / 'runs'}")
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: environment variable {name}="), lines
    assert not (tmp_path / "runs").exists()


def test_environment_variables_parse_and_never_raise_at_import(monkeypatch):
    env = {"ICLX_FIGURE_DPI": "150", "ICLX_FIGURE_FORMATS": "SVG, png", "ICLX_CPU_DEVICES": "2",
           "ICLX_COMPILATION_CACHE": ""}
    assert (settings.figure_dpi(env), settings.figure_formats(env)) == (150, ("svg", "png"))
    assert settings.compilation_cache(env) is None and settings.problem(env) is None
    assert settings.cache_dir("x", {"ICLX_CACHE_DIR": "/tmp/c"}) == Path("/tmp/c/x")
    assert settings.cache_dir("x", {}) == Path.home() / ".cache" / "iclx" / "x"      # not the working directory
    assert (settings.figure_dpi({}), settings.figure_formats({})) == (200, ("png", "pdf"))
    monkeypatch.setenv("ICLX_FIGURE_DPI", "abc")
    from iclx.framework import plotting

    importlib.reload(plotting)                                  # reads nothing at import
    with pytest.raises(ValueError, match="ICLX_FIGURE_DPI='abc'"), plotting.style():
        pass


# --------------------------------------------------------------------------- a slice target's preset

@pytest.mark.parametrize("command", ["reproduce", "rederive"])
@pytest.mark.parametrize("preset", [["--preset=smoke"], ["--preset", "cpu"]])
def test_a_slice_target_refuses_another_preset(capsys, command, preset):
    assert registry_main([command, "gmm-paper-slice", *preset]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "slice of the paper preset" in lines[0], lines
    assert "make reproduce-fig-gmm PRESET=" in lines[0]


# --------------------------------------------------------------------------- disk

def test_disk_estimate_counts_kept_checkpoints_and_what_the_folder_holds(tmp_path):
    model = LINEAR.config("smoke").model
    train = cost.gpt2_training(model, 5, batch=4, tokens=10, lanes=3, steps=10)
    assert train.disk == cost.FLOAT * 3 * cost.gpt2_params(model, 5) * 3 * (cost.KEPT_CHECKPOINTS + 1)
    assert cost.sequence([train, train]).disk == 2 * train.disk          # each stage keeps its own
    assert cost.scaled(train, 5).disk == train.disk
    need = cost.Cost(disk=100 * 2 ** 20)
    assert preflight.disk_problem(need, tmp_path, free=1e12) is None
    assert "needs ~164 MiB of disk" in preflight.disk_problem(need, tmp_path, free=2 ** 20)
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "kept").write_bytes(b"x" * 2 ** 20)             # a resumed run's checkpoint
    assert "needs ~163 MiB" in preflight.disk_problem(need, tmp_path, free=2 ** 20)


def test_a_run_that_does_not_fit_the_disk_is_refused_before_any_work(tmp_path, command_line,
                                                                     monkeypatch):
    from iclx.framework import cli

    monkeypatch.setattr(cli.results, "free_bytes", lambda folder: 2.0 ** 20)
    code, lines = command_line(LINEAR, "--preset=smoke", f"--out={tmp_path / 'runs'}")
    assert code == 2 and len(lines) == 1 and "of disk" in lines[0] and "1 MiB free" in lines[0], lines
    assert not (tmp_path / "runs").exists()

"""The command line's handling of bad input (iclx.framework.cli): one line, exit code 2, nothing written."""

import subprocess
from pathlib import Path
import sys

import pytest

from iclx.experiments.linear_regression import EXPERIMENT


def cli(*args, cwd):
    """The real entry point, ``python -m iclx.experiments.linear_regression`` (a fresh process)."""
    return subprocess.run([sys.executable, "-m", "iclx.experiments.linear_regression", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_the_entry_point_exits_2_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "runs"
    result = cli("--preset=smoke", f"--out={out}", "--config.train.steps=-1", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: config field train.steps"), lines
    assert not out.exists()


@pytest.mark.parametrize("args,fragment", [
    (["--config.model.n_positions=4"], "config field model.n_positions"),
    (["--config.nope=1"], "unknown config field"),
    (["--preset=huge"], "unknown preset"),
    (["--bogus"], "unknown argument"),
])
def test_command_line_bad_input_exits_2_and_writes_nothing(tmp_path, command_line, args, fragment):
    out = tmp_path / "runs"
    preset = [] if any(a.startswith("--preset") for a in args) else ["--preset=smoke"]
    code, lines = command_line(EXPERIMENT, *preset, f"--out={out}", *args)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], lines
    assert not out.exists()


# --------------------------------------------------------------------------- preflight (issue 23)

import os  # noqa: E402

from iclx.framework import cost, preflight  # noqa: E402


def test_folder_problems(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    assert preflight.folder_problem("--out", tmp_path / "new" / "deeper") is None     # creatable
    assert "is a file" in preflight.folder_problem("--figures", tmp_path / "file")
    assert "is under" in preflight.folder_problem("--out", tmp_path / "file" / "runs")
    assert not (tmp_path / "new").exists()                        # the creation probe leaves nothing
    if Path("/proc").is_dir():                                    # permissions say yes, the kernel no
        assert "cannot create it" in preflight.folder_problem("--out", Path("/proc/iclx-runs"))
    # a read-only file system (or no permission): simulated, since root may write anywhere
    monkeypatch.setattr(preflight.os, "access", lambda path, mode: False)
    monkeypatch.setattr(preflight, "_read_only", lambda path: True)
    problem = preflight.folder_problem("--out", tmp_path / "runs")
    assert "cannot write there" in problem and "read-only file system" in problem


def test_limits_and_memory_refusal():
    assert preflight.parse_limit("--max-memory", "2.5") == (2.5, None)
    for raw in ("0", "-1", "nan", "inf", "lots"):
        assert preflight.parse_limit("--max-memory", raw)[1].startswith("--max-memory=")
    need = cost.Cost(bytes=3 * cost.GIB, flops=1e15, programs=1)
    assert preflight.memory_problem(need, 4 * cost.GIB, "x") is None
    assert "needs ~3 GiB" in preflight.memory_problem(need, 2 * cost.GIB, "--max-memory=2")
    assert "predicted to take" in preflight.time_problem(need, "cpu", max_hours=0.5)
    assert preflight.time_problem(need, "cpu", max_hours=None) is None


def test_bad_limit_flag_and_max_memory_exit_2(tmp_path, command_line):
    for flag, fragment in (("--max-memory=0", "--max-memory="), ("--max-memory=0.000001", "needs ~"),
                           ("--max-hours=-1", "--max-hours=")):
        code, lines = command_line(EXPERIMENT, "--preset=smoke", f"--out={tmp_path / 'runs'}", flag)
        assert code == 2 and len(lines) == 1 and fragment in lines[0], lines
        assert not (tmp_path / "runs").exists()


def test_machine_memory_reads_meminfo(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       2048 kB\nMemAvailable:   1024 kB\n")
    assert cost.machine_memory(meminfo) == 1024 * 1024        # the CPU reports no device limit
    meminfo.write_text("MemTotal:       2048 kB\n")
    assert cost.machine_memory(meminfo) == 2048 * 1024
    assert cost.machine_memory(tmp_path / "missing") is None

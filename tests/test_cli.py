"""The command line's handling of bad input (iclx.cli): one line, exit code 2, nothing written."""

import subprocess
import sys

import pytest


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "iclx.experiments.linear_regression", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("args,fragment", [
    (["--config.train.steps=-1"], "config field train.steps"),
    (["--config.model.n_positions=4"], "config field model.n_positions"),
    (["--config.nope=1"], "unknown config field"),
    (["--preset=huge"], "unknown preset"),
    (["--bogus"], "unknown argument"),
])
def test_command_line_bad_input_exits_2_and_writes_nothing(tmp_path, args, fragment):
    out = tmp_path / "runs"
    result = cli("--preset=smoke", f"--out={out}", *args, cwd=tmp_path) if "--preset=huge" not in args \
        else cli(f"--out={out}", *args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0]
    assert not out.exists()

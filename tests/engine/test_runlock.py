"""The run folder's lock (iclx.engine.runlock): one writer per folder, re-entrant in a process, a
second process refused in one line before it touches the folder, a lock left by a killed process
taken over; and the real thing, two processes on one run folder."""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from iclx import engine
from iclx.engine import results, runlock
from tests import toy_experiment
from tests.engine import problem_fixture as toy


def other_holder(run_dir: Path, text: str = "4242 elsewhere\n") -> int:
    """Hold ``run_dir``'s lock as another process would (a descriptor of its own), naming ``text``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(runlock.lock_path(run_dir), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, text.encode())
    return fd


def test_hold_names_this_process_nests_and_removes_its_file(tmp_path):
    run_dir = tmp_path / "run"
    with runlock.hold(run_dir) as stale:
        assert stale is None
        assert runlock.lock_path(run_dir).read_text().split()[0] == str(os.getpid())
        with runlock.hold(run_dir), runlock.hold(tmp_path / "." / "run"):   # re-entrant, same folder
            pass
        assert runlock.lock_path(run_dir).exists()
    assert not runlock.lock_path(run_dir).exists()
    with runlock.hold(run_dir):                               # free again
        pass


def test_another_holder_is_refused_in_one_line_naming_it(tmp_path):
    run_dir = tmp_path / "run"
    fd = other_holder(run_dir)
    try:
        with pytest.raises(runlock.RunFolderBusy) as caught, runlock.hold(run_dir):
            pass
    finally:
        os.close(fd)
    message = str(caught.value)
    assert "\n" not in message and str(run_dir) in message and "process 4242 on elsewhere" in message
    assert runlock.lock_path(run_dir).read_text() == "4242 elsewhere\n"   # the holder's file untouched


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    os.close(other_holder(run_dir, "99999 gone\n"))          # its descriptor closed: as if killed
    with runlock.hold(run_dir) as stale:
        assert stale == "process 99999 on gone"
        assert runlock.lock_path(run_dir).read_text().split()[0] == str(os.getpid())


def test_fresh_removal_keeps_the_lock_file(tmp_path):
    run_dir = tmp_path / "run"
    with runlock.hold(run_dir):
        (run_dir / "ckpt" / "10").mkdir(parents=True)
        (run_dir / "results.json").write_text("{}")
        results.remove_run(run_dir)
        assert [p.name for p in run_dir.iterdir()] == [runlock.LOCK_NAME]


def test_training_into_a_folder_another_process_holds_is_refused_before_any_metric(tmp_path):
    cfg = toy.train_config(steps=20, chunk_steps=10, log_every=10, checkpoint_every=10)
    fd = other_holder(tmp_path)
    try:
        with pytest.raises(runlock.RunFolderBusy):
            engine.run_training(toy.problem(cfg), cfg, engine.seed_lanes(1), 0, workdir=tmp_path,
                                progress=False)
    finally:
        os.close(fd)
    assert not results.metrics_path(tmp_path).exists()


def test_the_command_line_refuses_a_held_folder_and_leaves_it_intact(tmp_path, command_line):
    experiment = toy_experiment.FAKE
    run_dir = experiment.run_dir(experiment.config("smoke"), tmp_path)
    results.save_results(run_dir, {"experiment": "fake"}, {"error": np.ones(2)})
    fd = other_holder(run_dir, "4242 elsewhere\n")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in run_dir.iterdir())
    try:
        code, lines = command_line(experiment, "--preset=smoke", f"--out={tmp_path}", "--fresh")
    finally:
        os.close(fd)
    assert code == 2 and len(lines) == 1, lines
    assert str(run_dir) in lines[0] and "process 4242" in lines[0]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in run_dir.iterdir()) == before   # --fresh did nothing


# --------------------------------------------------------------------------- two processes

SMOKE = ("lipschitz_threshold", "--preset=smoke", "--no-progress")


def _wait_for_start(run_dir: Path, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until ``process`` holds the folder's lock and has written its config.json there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        lock = runlock.lock_path(run_dir)
        text = lock.read_text() if lock.exists() else ""
        if text.startswith(f"{process.pid} ") and (run_dir / "config.json").exists():
            return
        time.sleep(0.1)
    raise AssertionError("the first run never started in its folder")


def test_two_processes_on_one_run_folder_then_a_killed_holder_taken_over(tmp_path, command_line):
    """A run started on the smoke preset holds its folder; the same command beside it refuses in one
    line and leaves the folder as it was; once the first is killed (-9), its lock is taken over."""
    from iclx.experiments import lipschitz_threshold

    experiment = lipschitz_threshold.EXPERIMENT
    out = tmp_path / "runs"
    run_dir = experiment.run_dir(experiment.config("smoke"), out)
    first = subprocess.Popen([sys.executable, "-m", f"iclx.experiments.{SMOKE[0]}", *SMOKE[1:],
                              f"--out={out}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "ICLX_CPU_DEVICES": "1"})
    try:
        _wait_for_start(run_dir, first)
        config_file = (run_dir / "config.json").stat()
        code, lines = command_line(experiment, *SMOKE[1:], f"--out={out}", "--fresh")
        assert code == 2 and len(lines) == 1, lines
        assert str(run_dir) in lines[0] and f"process {first.pid}" in lines[0]
        assert first.poll() is None                                       # the first run goes on
        assert (run_dir / "config.json").stat() == config_file            # --fresh deleted nothing
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert runlock.lock_path(run_dir).read_text().startswith(f"{first.pid} ")   # left behind
    with runlock.hold(run_dir) as stale:
        assert stale is not None and stale.startswith(f"process {first.pid}")

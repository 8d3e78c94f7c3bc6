"""A disk that fills up during a run: recognised however the library reports it, one line naming the
folder and its free space (exit code 3, the writer threads' echoes silenced), and the run resumes to
the same results once there is space again."""

import errno
import logging
import sys
import threading

import numpy as np
import pytest

from iclx.framework import cli
from iclx.engine import checkpoints, results
from tests import toy_experiment

FAKE = toy_experiment.FAKE
ARGS = ("--preset=smoke", "--config.stages=main", "--config.train.steps=300", "--no-progress")
OVERRIDES = [("stages", "main"), ("train.steps", "300")]
TENSORSTORE_TEXT = ('RESOURCE_EXHAUSTED: Error writing "a/0.0" in OCDBT database: Failed to write 207 '
                    "bytes to file 7: No space left on device [os_error_code='28']")


@pytest.fixture
def hooks(monkeypatch):
    """Restore what ``silence_writer_threads`` changes for the rest of a process."""
    for name in ("excepthook", "unraisablehook"):
        monkeypatch.setattr(sys, name, getattr(sys, name))
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    for name in checkpoints._WRITER_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "disabled", logging.getLogger(name).disabled)


def test_a_full_disk_is_recognised_however_it_is_reported():
    assert results.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert results.is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert results.is_disk_full(ValueError(TENSORSTORE_TEXT))            # orbax / tensorstore
    try:
        try:
            raise OSError(errno.ENOSPC, "x")
        except OSError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert results.is_disk_full(outer)
    assert not results.is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not results.is_disk_full(ValueError("shapes do not match"))


class _FailingManager:
    """An orbax manager whose save fails as tensorstore does, after its writer thread logs it."""

    def __init__(self, error: Exception):
        self.error = error

    def save(self, step, args):
        def writer():
            logging.getLogger("absl").error("_SignalingThread.run() raised an exception: %s", self.error)
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        raise self.error

    def wait_until_finished(self):
        pass


@pytest.mark.parametrize("full", [True, False])
def test_a_checkpoint_save_that_finds_the_disk_full_is_one_error(tmp_path, caplog, full):
    ckpt = checkpoints.Checkpoints(tmp_path)
    error = ValueError(TENSORSTORE_TEXT if full else "shapes do not match")
    ckpt._manager = _FailingManager(error)
    with caplog.at_level(logging.ERROR, logger="absl"):
        with pytest.raises(results.DiskFull if full else ValueError) as caught:
            ckpt.save(10, {"w": np.zeros(3)})
    held = [r for r in caplog.records if r.name == "absl"]
    if full:   # one line naming the folder and its free space; the thread's echo dropped
        assert str(caught.value).startswith(f"no space left on the device of {ckpt.directory} (")
        assert "free)" in str(caught.value) and "\n" not in str(caught.value) and held == []
    else:      # any other failure: raised as it was, the thread's report passed on
        assert caught.value is error and len(held) == 1


def test_a_run_that_fills_the_disk_ends_in_one_line_and_resumes(tmp_path, command_line, monkeypatch,
                                                                 hooks):
    append, calls = results.append_jsonl, []

    def full_at_the_third(path, records):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        append(path, records)

    monkeypatch.setattr(results, "append_jsonl", full_at_the_third)
    out = tmp_path / "runs"
    code, lines = command_line(FAKE, *ARGS, f"--out={out}")
    run_dir = FAKE.run_dir(FAKE.config("smoke", OVERRIDES), out)
    assert code == cli.DISK_FULL_EXIT == 3 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: no space left on the device of {run_dir} (") and "free)" in lines[0]
    assert not results.has_results(run_dir) and not (run_dir / ".lock").exists()
    monkeypatch.setattr(results, "append_jsonl", append)            # space again
    assert command_line(FAKE, *ARGS, f"--out={out}")[0] == 0
    resumed, _ = results.load_results(run_dir)
    assert resumed["training"]["train_main"]["start_step"] == 200       # from its last checkpoint
    logged = results.metrics_arrays(results.metrics_path(run_dir, "main"))
    np.testing.assert_array_equal(logged["step"], np.arange(50, 301, 50))   # no step twice

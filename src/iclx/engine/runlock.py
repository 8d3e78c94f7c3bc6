"""One writer per run folder: an exclusive ``flock`` on ``<run folder>/.lock``, held while a process
writes there: the command line for its whole command, ``Experiment.execute`` and the training loop
for their own work (re-entrant within one process, so these nest); in a cluster, process 0 only.

The file names its holder (``pid host``). Another process on the same folder gets ``RunFolderBusy``
(one line: the folder and the holder). The kernel drops a ``flock`` when its process dies, however it
dies, so a lock left by a killed process is free: the next process takes it over, and ``hold`` tells
it whom the file still named. A clean release removes the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from iclx.engine.cluster import is_main_process

LOCK_NAME = ".lock"
_held: dict[str, int] = {}       # real path of a folder this process holds -> nesting depth


class RunFolderBusy(RuntimeError):
    """Another process holds the run folder's lock; ``str`` is one line naming both."""

    def __init__(self, run_dir: Path, holder: str):
        super().__init__(f"run folder {run_dir} is in use by {holder}, another run of this config: "
                         "wait for it to end (or stop it), then rerun this command")
        self.run_dir, self.holder = Path(run_dir), holder


def lock_path(run_dir: Path) -> Path:
    return Path(run_dir) / LOCK_NAME


def _describe(text: str) -> str:
    """"process 1234 on host-a" from the lock file's ``pid host`` line."""
    pid, _, host = text.strip().partition(" ")
    return f"process {pid}" + (f" on {host}" if host else "") if pid else "another process"


def _holder(path: Path) -> str:
    """Who holds ``path`` (its holder may not have written its name yet: a few short retries)."""
    for _ in range(20):
        with contextlib.suppress(OSError):
            if text := path.read_text().strip():
                return _describe(text)
        time.sleep(0.05)
    return "another process"


def _open_locked(path: Path) -> int:
    """A descriptor of ``path`` holding its exclusive lock; ``BlockingIOError`` when another holds it.
    Retries when the file it locked was removed meanwhile (a holder releasing it)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            opened, current = os.fstat(fd), os.stat(path)
            if (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino):
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _acquire(run_dir: Path) -> tuple[int, str | None]:
    """(the locked descriptor, the holder a lock left behind still named, or None)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(run_dir)
    try:
        fd = _open_locked(path)
    except BlockingIOError:
        raise RunFolderBusy(run_dir, _holder(path)) from None
    try:
        previous = os.pread(fd, 512, 0).decode(errors="replace").strip()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd, (_describe(previous) if previous else None)


def _release(run_dir: Path, fd: int) -> None:
    """Remove the lock file, then drop the lock (a process that opened it meanwhile retries)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock_path(run_dir))
    os.close(fd)


@contextlib.contextmanager
def hold(run_dir: Path) -> Iterator[str | None]:
    """Hold ``run_dir``'s lock for the body (creating the folder); re-entrant in this process.
    Yields None, or the holder that a lock taken over from a process that died holding it named.
    Raises ``RunFolderBusy`` when another process holds it."""
    key = os.path.realpath(run_dir)
    if key in _held:
        _held[key] += 1
        try:
            yield None
        finally:
            _held[key] -= 1
        return
    fd, stale = _acquire(Path(run_dir))
    _held[key] = 1
    try:
        yield stale
    finally:
        del _held[key]
        _release(Path(run_dir), fd)


def writer_lock(run_dir: Path | None) -> AbstractContextManager[str | None]:
    """``hold(run_dir)`` in the process that writes the run folder (process 0 of a cluster); a
    context that does nothing in the others, or without a folder."""
    if run_dir is None or not is_main_process():
        return contextlib.nullcontext()
    return hold(run_dir)

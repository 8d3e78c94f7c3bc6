"""Orbax checkpoints of a stacked train state: ``<run folder>/ckpt[-<stage>]/<step>/``, the latest
two kept, written synchronously (a finished ``save`` is on disk). A save that finds the disk full
raises ``results.DiskFull`` (one line) instead of orbax's error, and the tracebacks its writer threads
would print are kept quiet; the unfinished step is left as orbax's temporary folder, which the next
save of that step replaces, so the run resumes from the last finished one when space returns."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax

from iclx.engine.cluster import sync_processes
from iclx.engine.results import MAIN_STAGE, DiskFull, checkpoint_dir, is_disk_full

# the loggers through which orbax's writer threads and asyncio report a failed write
_WRITER_LOGGERS = ("absl", "asyncio")


def silence_writer_threads() -> None:
    """From now on, drop what library threads report (their logged errors, uncaught exceptions,
    "exception ignored" notes): for a process that ends on a failed write, which they only repeat."""
    for name in _WRITER_LOGGERS:
        logging.getLogger(name).disabled = True
    sys.excepthook = lambda *args: None
    threading.excepthook = lambda args: None
    sys.unraisablehook = lambda unraisable: None


class _Held(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _disk_full_as_one_error(directory: Path) -> Iterator[None]:
    """Run a save with its writer threads' reports held back: a save that found the disk full raises
    ``DiskFull(directory)`` and drops them (each thread repeats the same failure); otherwise they are
    passed on as they would have been."""
    held, loggers = _Held(), [logging.getLogger(name) for name in _WRITER_LOGGERS]
    saved = [(logger.handlers, logger.propagate) for logger in loggers]
    thread_hook, thread_errors = threading.excepthook, []
    for logger in loggers:
        logger.handlers, logger.propagate = [held], False
    threading.excepthook, full = thread_errors.append, False
    try:
        yield
    except Exception as error:
        full = is_disk_full(error)
        if full:
            raise DiskFull(directory) from None
        raise
    finally:
        threading.excepthook = thread_hook
        for logger, (handlers, propagate) in zip(loggers, saved):
            logger.handlers, logger.propagate = handlers, propagate
        if not full:
            for record in held.records:
                logging.getLogger(record.name).handle(record)
            for args in thread_errors:
                thread_hook(args)


class Checkpoints:
    """Orbax checkpoints of a stacked train state in ``<workdir>/ckpt[-name]/<step>``."""

    def __init__(self, workdir: Path, name: str = MAIN_STAGE, keep: int = 2):
        import orbax.checkpoint as ocp

        self._ocp = ocp
        self.directory = checkpoint_dir(workdir, name)
        options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=False,
                                               enable_async_checkpointing=False)
        self._manager = ocp.CheckpointManager(self.directory, options=options) \
            if self.directory.exists() else None
        self._options = options

    def latest_step(self) -> int | None:
        return None if self._manager is None else self._manager.latest_step()

    def save(self, step: int, state: Any) -> None:
        if self._manager is None:
            if jax.process_index() == 0:   # across processes, process 0 writes (host arrays)
                self.directory.mkdir(parents=True, exist_ok=True)
            sync_processes("checkpoint-directory")
            self._manager = self._ocp.CheckpointManager(self.directory, options=self._options)
        with _disk_full_as_one_error(self.directory):
            self._manager.save(step, args=self._ocp.args.StandardSave(state))
            self._manager.wait_until_finished()

    def restore(self, step: int, like: Any) -> Any:
        """The state saved at ``step``, with the structure, shapes and dtypes of ``like``."""
        abstract = jax.tree.map(self._ocp.utils.to_shape_dtype_struct, like)
        return self._manager.restore(step, args=self._ocp.args.StandardRestore(abstract))

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()

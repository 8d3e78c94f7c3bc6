"""Orbax checkpoints of a stacked train state: ``<run folder>/ckpt[-<stage>]/<step>/``, the latest
two kept, written synchronously (a finished ``save`` is on disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax

from iclx.engine.cluster import sync_processes
from iclx.engine.results import MAIN_STAGE, checkpoint_dir


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
        self._manager.save(step, args=self._ocp.args.StandardSave(state))
        self._manager.wait_until_finished()

    def restore(self, step: int, like: Any) -> Any:
        """The state saved at ``step``, with the structure, shapes and dtypes of ``like``."""
        abstract = jax.tree.map(self._ocp.utils.to_shape_dtype_struct, like)
        return self._manager.restore(step, args=self._ocp.args.StandardRestore(abstract))

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()

"""Task generators: pure functions of a key, vmappable over keys.

``TASKS`` maps a config's ``task.name`` to (builder, validator).
"""

from __future__ import annotations

from iclx import config
from iclx.tasks import linear, lipschitz

TASKS = {
    "linear_regression": (linear.LinearRegressionTask.from_config, linear.validate_config),
    "lipschitz_regression": (lipschitz.LipschitzTask.from_config, lipschitz.validate_config),
}


def validate_name(cfg: config.ConfigDict, path: str = "task.name") -> str:
    return config.one_of(cfg, path, TASKS)


def require_task(cfg: config.ConfigDict, name: str) -> None:
    """``task.name`` is a known task and is ``name`` (this experiment's), and its fields validate."""
    validate_name(cfg)
    config.require(cfg.task.name == name, "task.name",
                   f"this experiment needs a {name.replace('_', '-')} task, got {cfg.task.name!r}")
    TASKS[name][1](cfg)


def build(task_cfg: config.ConfigDict):
    return TASKS[task_cfg.name][0](task_cfg)

"""Add to a target's committed results the arrays that today's ``run`` computes without training
(``run.family_part``: the threshold across feature families), so that ``rederive`` can evaluate the
claims that read them without re-running the target:

    python -m iclx.experiments.lipschitz_threshold.supplement lipschitz
    python -m iclx.experiments.lipschitz_threshold.supplement lipschitz-paper-slice

Refused when the target's config changed since its run (as ``rederive``). The added arrays' names
and the command are recorded in results.json under ``"supplemented"``; nothing trained is touched.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

from iclx import cli, config
from iclx import experiments as registry
from iclx.engine import results
from iclx.experiments.lipschitz_threshold import run


def supplement(name: str) -> list[str]:
    """Compute and add ``run.family_part`` to target ``name``'s folder; returns the added names."""
    target = registry.TARGETS[name]
    experiment = registry.load(target.experiment)
    overrides = cli.parse_overrides([o for o in target.overrides if o.startswith("--config.")])
    cfg = experiment.config(target.preset, overrides, target.variant)
    folder = Path(target.figures)
    scalars, arrays = results.load_results(folder)
    if scalars.get("config_hash") != config.config_hash(cfg):
        raise SystemExit(f"error: {name}'s config changed since its run: re-run it instead")
    added = run.family_part(cfg)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in {**arrays, **added}.items()})
    results.atomic_write_bytes(results.arrays_path(folder), buffer.getvalue())
    scalars["supplemented"] = {"arrays": sorted(added), "by": "run.family_part (no training)",
                               "command": f"python -m iclx.experiments.lipschitz_threshold.supplement {name}"}
    results.write_json(results.results_path(folder), scalars)
    return sorted(added)


if __name__ == "__main__":
    for target_name in sys.argv[1:]:
        print(f"{target_name}: added {', '.join(supplement(target_name))}")

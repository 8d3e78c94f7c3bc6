"""Add to a target's committed results the arrays that today's ``run`` computes without training
(``run.family_part``: the threshold across feature families), so that ``rederive`` can evaluate the
claims that read them without re-running the target:

    python -m iclx.experiments.lipschitz_threshold.supplement lipschitz
    python -m iclx.experiments.lipschitz_threshold.supplement lipschitz-paper-slice

Refused when the target's config changed since its run (as ``rederive``). The added arrays' names
and the command are recorded in results.json under ``"supplemented"``; nothing trained is touched.
"""

from __future__ import annotations

import sys

from iclx import experiments as registry
from iclx.engine import results
from iclx.experiments.lipschitz_threshold import run


def supplement(name: str) -> list[str]:
    """Compute and add ``run.family_part`` to target ``name``'s folder; returns the added names."""
    cfg, folder, _, _ = registry.load_committed(name)
    added = run.family_part(cfg)
    results.supplement_results(folder, added, {
        "arrays": sorted(added), "by": "run.family_part (no training)",
        "command": f"python -m iclx.experiments.lipschitz_threshold.supplement {name}"})
    return sorted(added)


if __name__ == "__main__":
    for target_name in sys.argv[1:]:
        print(f"{target_name}: added {', '.join(supplement(target_name))}")

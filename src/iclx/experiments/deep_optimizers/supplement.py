"""Add to a target's committed results the arrays that today's ``run`` computes without a trained
model (``run.reference_part``: 1-NN and label averaging on every test distribution, the N-layer
network's per-block sums), so that ``rederive`` can evaluate the claims that read them without
re-running the target:

    python -m iclx.experiments.deep_optimizers.supplement deep-opt

Refused when the target's config changed since its run (as ``rederive``). The added arrays' names
and the command are recorded in results.json under ``"supplemented"``; nothing trained is touched.
"""

from __future__ import annotations

import sys

import numpy as np

from iclx import experiments as registry
from iclx.engine import results
from iclx.experiments.deep_optimizers import run


def supplement(name: str) -> list[str]:
    """Compute and add ``run.reference_part`` to target ``name``'s folder (arrays it already holds
    are kept; the recomputed ``per_epoch`` must match them); returns the added names."""
    cfg, folder, scalars, arrays = registry.load_committed(name)
    fresh = run.reference_part(cfg)
    refit = [k for k in fresh if k in arrays and k.endswith("/per_epoch")]
    drift = max((float(np.max(np.abs(fresh[k] - arrays[k]))) for k in refit), default=0.0)
    if drift > 1e-3:            # float32 refits of 100 Adam steps drift by ~1e-4, not more
        raise SystemExit(f"error: the refitted baseline differs from the run's by {drift:.2g}")
    added = {k: v for k, v in fresh.items() if k not in arrays}
    results.supplement_results(folder, added, {
        "arrays": sorted(added), "by": "run.reference_part (no trained model)",
        "refit_max_abs_diff_per_epoch_r2": drift,
        "command": f"python -m iclx.experiments.deep_optimizers.supplement {name}"})
    return sorted(added)


if __name__ == "__main__":
    for target_name in sys.argv[1:]:
        print(f"{target_name}: added {', '.join(supplement(target_name))}")

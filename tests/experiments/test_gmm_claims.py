"""The GPT-2 contrast claims of the Gaussian-mixture paper count only when the GPT-2 learned the task."""

import numpy as np

from iclx import claims as claims_lib, config
from iclx.experiments.gmm_classification.claims import CLAIMS

M_VALUES = [5, 10, 20, 40, 60, 80]
CFG = config.ConfigDict({"preset": "cpu", "task": {"n_classes": 2, "n_points": 40},
                         "gpt2": {"M_values": M_VALUES, "mean_scales": [0.5, 1.0, 2.0]}})


def synthetic(gpt2_accuracy: float, gpt2_tv: list[float]) -> tuple[dict, dict]:
    scalars = {}
    arrays = {"tokens/acc/gpt2": np.full((2, len(M_VALUES)), gpt2_accuracy),
              "tokens/tv/gpt2": np.tile(gpt2_tv, (2, 1)),
              "tokens/tv/linear": np.tile(np.linspace(0.2, 0.05, len(M_VALUES)), (2, 1)),
              "shift_mean/tv/gpt2": np.full((2, 3), 0.3), "shift_mean/tv/linear": np.full((2, 3), 0.1)}
    return scalars, arrays


def rows(scalars, arrays) -> dict:
    chosen = [c for c in CLAIMS if c.id in ("gpt2-stalls-past-N", "shift-robustness")]
    return {r["id"]: r for r in claims_lib.evaluate(chosen, CFG, scalars, arrays)}


def test_a_gpt2_at_chance_is_not_evidence():
    out = rows(*synthetic(0.5, [0.34] * len(M_VALUES)))
    for row in out.values():
        assert row["verdict"] == "not evaluable" and "did not learn" in row["detail"]


def test_a_gpt2_that_learned_is_judged():
    stalls = [0.3, 0.2, 0.15, 0.1, 0.1, 0.12]        # no better past M = N = 40
    out = rows(*synthetic(0.8, stalls))
    assert out["gpt2-stalls-past-N"]["verdict"] == "holds"
    assert out["shift-robustness"]["verdict"] == "holds"
    improves = [0.3, 0.2, 0.15, 0.1, 0.08, 0.06]
    assert rows(*synthetic(0.8, improves))["gpt2-stalls-past-N"]["verdict"] == "fails"

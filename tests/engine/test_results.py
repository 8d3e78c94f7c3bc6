"""Run folders (iclx.engine.results): a finished run supplemented with arrays a newer run computes."""

import numpy as np

from iclx.engine import results


def test_supplement_adds_arrays_and_keeps_the_runs_own_record(tmp_path):
    results.save_results(tmp_path, {"claims": [], "wall_s": 3.0}, {"a": np.arange(3.0)})
    environment = results.read_json(results.results_path(tmp_path))["environment"]
    results.supplement_results(tmp_path, {"b": np.ones(2)}, {"arrays": ["b"], "command": "x"})
    scalars, arrays = results.load_results(tmp_path)
    assert sorted(arrays) == ["a", "b"] and np.array_equal(arrays["a"], np.arange(3.0))
    assert scalars["supplemented"] == {"arrays": ["b"], "command": "x"}
    assert scalars["environment"] == environment and scalars["wall_s"] == 3.0

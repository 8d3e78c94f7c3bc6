"""``python -m iclx.experiments rederive TARGET``: a committed-like results folder (the session's smoke
run of the width ablation, copied) gets its claims and summary recomputed with today's code and its
figures re-plotted, without training; a folder whose config changed since its run is refused in one
line with exit code 2, and left as it was."""

from __future__ import annotations

import json
import shutil

import pytest

from iclx import experiments as registry
from iclx.engine import results
from iclx.experiments.__main__ import main as registry_main

NAME = "gd_vs_newton_width"


@pytest.fixture
def committed(smoke_run, tmp_path, monkeypatch):
    """A target ``rederive-test`` whose folder holds a copy of the smoke run's published results."""
    run = smoke_run(NAME)
    assert run.code == 0
    folder = tmp_path / "committed"
    folder.mkdir()
    for path in (results.results_path(run.figures), results.arrays_path(run.figures)):
        shutil.copy2(path, folder / path.name)
    target = registry.Target("rederive-test", NAME, str(folder), "a test target", preset="smoke")
    monkeypatch.setitem(registry.TARGETS, target.name, target)
    return folder


def _edit(folder, change) -> dict:
    path = results.results_path(folder)
    saved = json.loads(path.read_text())
    change(saved)
    path.write_text(json.dumps(saved))
    return saved


def test_rederive_recomputes_the_claims_and_the_figures(committed, capsys):
    fresh = json.loads(results.results_path(committed).read_text())["claims"]

    def stale_claims(saved):      # what an older code's claims might have said
        saved["claims"] = [{**row, "verdict": "holds", "control": None, "detail": "old"} for row in saved["claims"]]
    _edit(committed, stale_claims)
    assert registry_main(["rederive", "rederive-test"]) == 0
    assert "re-derived" in capsys.readouterr().out
    rederived = json.loads(results.results_path(committed).read_text())["claims"]
    assert rederived == fresh and all(row["detail"] != "old" for row in rederived)
    assert (committed / "width_ablation.png").stat().st_size > 1000


def test_rederive_refuses_a_run_whose_config_changed(committed, capsys):
    saved = _edit(committed, lambda s: s.update(config_hash="0123456789"))
    before = sorted(p.name for p in committed.iterdir())
    assert registry_main(["rederive", "rederive-test"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "config changed since its committed run" in lines[0], lines
    assert sorted(p.name for p in committed.iterdir()) == before
    assert json.loads(results.results_path(committed).read_text()) == saved      # untouched


def test_rederive_refuses_an_unknown_target_and_a_folder_without_results(committed, tmp_path, capsys,
                                                                         monkeypatch):
    assert registry_main(["rederive", "no-such-target"]) == 2
    assert "unknown target" in capsys.readouterr().err
    empty = registry.Target("rederive-empty", NAME, str(tmp_path / "empty"), "no results", preset="smoke")
    monkeypatch.setitem(registry.TARGETS, empty.name, empty)
    assert registry_main(["rederive", "rederive-empty"]) == 2
    assert "holds no results.json" in capsys.readouterr().err

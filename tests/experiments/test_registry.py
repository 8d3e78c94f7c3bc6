"""Every registered experiment: presets and variants validate, the smoke preset runs end to end
(results, claims, lane labels, figures, published results), and the registry is consistent."""

import json

import pytest

from iclx import experiments as registry
from iclx.engine import results
from iclx.experiments.__main__ import help_lines, main as registry_main, target_args
from iclx.framework.plotting import figure_formats

NAMES = list(registry.EXPERIMENTS)


def test_registry_is_consistent():
    assert_consistent()
    assert registry.DEMO_TARGET in registry.TARGETS


def assert_consistent():
    """What the experiment packages declare fits together (every one a paper, a target; targets valid)."""
    for name, paper in registry.EXPERIMENTS.items():
        assert paper in registry.PAPERS
        assert registry.load(name).name == name
    for target in registry.TARGETS.values():
        experiment = registry.load(target.experiment)
        assert target.preset in experiment.presets
        assert not target.variant or target.variant in experiment.variants
        assert target.figures.startswith(experiment.figures_dir)
        if target.scale_of:     # the same experiment and variant at another preset
            base = registry.TARGETS[target.scale_of]
            assert (base.experiment, base.variant) == (target.experiment, target.variant)
            assert base.preset != target.preset and not base.scale_of
    assert {t.experiment for t in registry.TARGETS.values()} == set(registry.EXPERIMENTS)   # every one has a target
    assert all(f"reproduce-fig-{t}" in "\n".join(help_lines()) for t in registry.TARGETS)


TOY_PACKAGE = """
import dataclasses

from iclx.framework.catalog import Paper, Target
from tests.toy_experiment import FAKE

EXPERIMENT = dataclasses.replace(
    FAKE, name="toy_paper", figures_dir="experiments/toy_paper",
    paper=Paper("toy", "A Toy Paper", "Nobody", 2025, "0000.00000"),
    targets=(Target("toy-paper", "toy_paper", "experiments/toy_paper", "the toy's one figure",
                    preset="smoke"),))
"""


def test_an_eighth_experiment_in_another_folder_is_found_everywhere(tmp_path, monkeypatch, capsys):
    """A package in a folder of ``ICLX_EXPERIMENT_PATHS`` is listed by ``make help``, passes the
    registry's checks and appears in the report, with no shared file edited. (In this process, the
    registry refreshed: ``make help`` and the report are the same ``main`` functions a fresh process
    runs, and a fresh process's discovery is the same ``refresh``.)"""
    from pathlib import Path

    from iclx.report import build as report

    (tmp_path / "pkgs" / "toy_paper").mkdir(parents=True)
    (tmp_path / "pkgs" / "toy_paper" / "__init__.py").write_text(TOY_PACKAGE)
    monkeypatch.setenv("ICLX_EXPERIMENT_PATHS", str(tmp_path / "pkgs"))
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.syspath_prepend(str(repo))
    registry.refresh()
    try:
        assert registry_main(["help"]) == 0
        assert "make reproduce-fig-toy-paper" in capsys.readouterr().out
        (tmp_path / "root" / "experiments").mkdir(parents=True)
        assert report.main([f"--root={tmp_path / 'root'}"]) == 0
        assert "A Toy Paper" in (tmp_path / "root" / "experiments" / "index.html").read_text()
        assert list(registry.EXPERIMENTS)[-1] == "toy_paper" and "toy" in registry.PAPERS
        assert_consistent()
    finally:
        monkeypatch.delenv("ICLX_EXPERIMENT_PATHS")
        registry.__path__[:] = [p for p in registry.__path__ if not p.startswith(str(tmp_path))]
        registry.refresh()
    assert "toy_paper" not in registry.EXPERIMENTS


def committed_results():
    """``(target, its committed results.json)`` for every target that has one in the repository."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for target in registry.TARGETS.values():
        path = root / target.figures / "results.json"
        if path.exists():
            yield target, json.loads(path.read_text())


def test_target_minutes_are_what_the_committed_results_cost():
    """``make help`` shows each target's minutes: within a third of the wall time its committed
    results.json records, or within the half minute that whole minutes round off (a 42 s run is
    "1"); a run that only re-evaluated saved models is not a timing."""
    from iclx.report.runs import training_reloaded

    for target, scalars in committed_results():
        if not target.minutes or training_reloaded(scalars):
            continue
        stated, measured = registry.measured_minutes(target), scalars["wall_s"] / 60
        assert abs(stated - measured) <= max(measured / 3, 0.5), (target.name, stated, round(measured, 1))


# fields every config gained after some committed runs, empty by default (an empty one selects every
# stage / names no slice: it changes no number), so a run from before them hashed without them
def test_committed_results_from_an_older_config_are_labelled_stale_everywhere():
    """Each committed results.json either was computed from its target's config as the code builds
    it today, or the report labels its run STALE wherever it shows it (status line, claims column):
    a config change that its committed figures did not follow is never shown as current (re-run the
    target with FLAGS=--fresh; re-derived claims do not count, they re-read the old arrays)."""
    from pathlib import Path

    from iclx.report import runs

    root = Path(__file__).resolve().parents[2]
    for target, scalars in committed_results():
        current = registry.is_current(target, scalars)
        home = registry.TARGETS[target.scale_of] if target.scale_of else target
        run = next(r for r in runs.load_target(root, home).runs if r.folder == target.figures)
        assert run.stale == (not current), target.name
        assert ("STALE" in runs.preset_status(run)) == (not current), target.name


def test_an_older_config_is_caught_and_added_empty_fields_are_not():
    from iclx.config import config_hash

    cfg = registry.load("linear_regression").config("cpu")
    before_the_fields = cfg.copy_and_resolve_references()
    for field in registry.ADDED_EMPTY_FIELDS:
        del before_the_fields[field]
    assert config_hash(before_the_fields) in registry.config_hashes(cfg)   # a run from before them: current
    for path, value in (("train.steps", cfg.train.steps + 1), ("slice", "a slice")):
        changed = cfg.copy_and_resolve_references()
        section, _, leaf = path.rpartition(".")
        (changed[section] if section else changed)[leaf] = value
        assert registry.config_hashes(changed).isdisjoint(registry.config_hashes(cfg)), path   # stale


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_and_variant_validates(name):
    experiment = registry.load(name)
    for preset in experiment.presets:
        experiment.config(preset)
        for variant in experiment.variants:
            assert experiment.config(preset, variant=variant).variant == variant


def test_target_arguments_and_unknown_target(capsys):
    target = registry.TARGETS["gd-vs-newton-illcond"]
    assert target_args(target, None) == ["--preset=cpu", f"--figures={target.figures}",
                                         "--variant=ill_conditioned"]
    assert target_args(target, "paper")[:2] == ["--preset=paper", f"--figures={target.figures}/paper"]
    assert registry_main(["reproduce", "no-such-target"]) == 2
    assert "unknown target" in capsys.readouterr().err


def test_reproduce_all_runs_the_base_targets_and_tables_their_wall_times(monkeypatch, capsys):
    from iclx.experiments import __main__ as cli

    ran = []
    monkeypatch.setattr(cli, "reproduce", lambda name, argv: ran.append((name, list(argv))) or 0)
    assert registry_main(["reproduce-all", "--fresh"]) == 0
    names = [name for name, _ in ran]
    assert names == [t.name for t in registry.TARGETS.values() if not t.scale_of]
    assert "gd-vs-newton-converged" not in names and "gmm-paper-slice" not in names
    assert all(argv == ["--fresh"] for _, argv in ran)
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "wall time per target:" and len(table) == len(names) + 2
    assert table[-1].split()[0] == "total"
    assert cli.wall_time_lines([("a", 61.4), ("bb", 3600.0)])[1:] == [
        "  a      1 min 01 s", "  bb     1 h 00 min", "  total  1 h 01 min"]


def test_reproduce_all_stops_at_the_first_failing_target(monkeypatch):
    from iclx.experiments import __main__ as cli

    ran = []
    monkeypatch.setattr(cli, "reproduce", lambda name, argv: ran.append(name) or (2 if len(ran) == 2 else 0))
    assert registry_main(["reproduce-all"]) == 2 and len(ran) == 2


class _FakeProcess:
    """A ``subprocess.Popen`` stand-in that finishes with ``code`` after ``polls`` polls."""

    def __init__(self, code: int, polls: int):
        self.code, self.polls, self.returncode = code, polls, None

    def poll(self):
        self.polls -= 1
        if self.polls <= 0:
            self.returncode = self.code
        return self.returncode

    def wait(self):
        self.returncode = self.code
        return self.code


def _fake_launches(monkeypatch, tmp_path, codes=None):
    """``cli._launch`` replaced: each target's process finishes after as many polls as its registered
    minutes (with exit code ``codes.get(name, 0)``); returns the launch order and the peak concurrency."""
    from iclx.experiments import __main__ as cli

    seen = {"order": [], "live": [], "peak": 0}

    def launch(target, argv, logs, jobs=1):
        log = logs / f"{target.name}.log"
        log.write_text(f"starting\nerror: something about {target.name}\n")
        seen["live"] = [p for p in seen["live"] if p.returncode is None]
        process = _FakeProcess((codes or {}).get(target.name, 0), int(registry.measured_minutes(target)))
        seen["live"].append(process)
        seen["order"].append(target.name)
        seen["peak"] = max(seen["peak"], len(seen["live"]))
        return process, 0.0, log

    monkeypatch.setattr(cli, "_launch", launch)
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    monkeypatch.chdir(tmp_path)
    return seen


def test_reproduce_all_with_jobs_runs_every_base_target_longest_first_n_at_a_time(monkeypatch, tmp_path,
                                                                                    capsys):
    from iclx.experiments import __main__ as cli

    seen = _fake_launches(monkeypatch, tmp_path)
    assert registry_main(["reproduce-all", "--jobs=2", "--fresh"]) == 0
    base = registry.base_targets()
    minutes = [registry.measured_minutes(t) for t in cli.longest_first(base)]
    assert minutes == sorted(minutes, reverse=True)
    assert seen["order"] == [t.name for t in cli.longest_first(base)]
    assert sorted(seen["order"]) == sorted(t.name for t in base) and seen["peak"] == 2
    out = capsys.readouterr().out.splitlines()
    assert out[-1].split()[:2] == ["total", "(wall,"] and len(out) == 2 * len(base) + 2   # done lines, table
    assert (tmp_path / "runs" / "reproduce-all").is_dir()


def test_reproduce_all_with_jobs_starts_nothing_after_a_failure(monkeypatch, tmp_path, capsys):
    from iclx.experiments import __main__ as cli

    order = [t.name for t in cli.longest_first(registry.base_targets())]
    seen = _fake_launches(monkeypatch, tmp_path, codes={order[1]: 3})
    assert registry_main(["reproduce-all", "--jobs=2"]) == 3
    assert seen["order"] == order[:2]     # the third never starts; the first runs to its end
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"something about {order[1]}" in err[0]


def test_reproduce_all_with_jobs_waits_for_its_targets_when_interrupted(monkeypatch, tmp_path, capsys):
    from iclx.experiments import __main__ as cli

    seen = _fake_launches(monkeypatch, tmp_path)

    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", interrupt)
    assert registry_main(["reproduce-all", "--jobs=2"]) == 130
    assert len(seen["order"]) == 2 and all(p.returncode == 0 for p in seen["live"])
    assert "rerun the same command to resume" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["0", "two", ""])
def test_reproduce_all_refuses_a_bad_jobs_value_before_anything_starts(monkeypatch, tmp_path, capsys, jobs):
    seen = _fake_launches(monkeypatch, tmp_path)
    assert registry_main(["reproduce-all", f"--jobs={jobs}"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["error: --jobs must be a positive integer"]
    assert seen["order"] == [] and not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", NAMES)
def test_smoke_run_end_to_end(smoke_run, name):
    run = smoke_run(name)
    assert run.code == 0
    scalars, arrays = results.load_results(run.run_dir)
    assert scalars["experiment"] == name and scalars["preset"] == "smoke"
    assert scalars["command"].startswith(f"python -m iclx.experiments.{name}")
    assert arrays, "a run saves the arrays its figures are drawn from"
    # claims: one row per declared claim, evaluated, and never evidence at smoke scale
    rows = scalars["claims"]
    assert [r["id"] for r in rows] == [c.id for c in run.experiment.claims]
    assert len(run.experiment.claims) >= 1
    for row in rows:   # a check may decline ("not evaluable"), but never break
        assert row["applies"] is False
        assert row["verdict"] in ("holds", "fails", "undecided") or (
            row["verdict"] == "not evaluable" and row["detail"].startswith("not evaluable:")), row
    # lane labels of every training stage
    for stage, labels in scalars["lanes"].items():
        assert labels and all("seed" in label for label in labels), stage
    # figures in the run folder and published beside results.json
    pngs = sorted(p.name for p in (run.run_dir / "figures").glob("*.png"))
    assert pngs
    for png in pngs:
        assert (run.run_dir / "figures" / png).stat().st_size > 1000
        assert all((run.figures / png).with_suffix(f".{fmt}").exists() for fmt in figure_formats())
    published = json.loads((run.figures / "results.json").read_text())
    assert published["claims"] == rows


@pytest.mark.parametrize("name", [t.name for t in registry.TARGETS.values() if t.overrides])
def test_slice_targets_validate_and_name_their_slice(name):
    from iclx.framework.cli import parse_overrides

    target = registry.TARGETS[name]
    cfg = registry.load(target.experiment).config(target.preset, parse_overrides(target.overrides),
                                                  target.variant)
    assert target.preset == "paper" and target.scale_of and cfg.slice.startswith("CPU slice")
    assert target.figures == f"{registry.TARGETS[target.scale_of].figures}/paper"


def test_a_stage_restricted_smoke_run_leaves_the_others_not_evaluable(tmp_path):
    experiment = registry.load("gmm_classification")
    args = ["--preset=smoke", f"--out={tmp_path / 'runs'}", "--no-progress",
            "--config.stages=convergence"]      # the cheapest stage: the check is about the others
    assert experiment.main(args) == 0
    cfg = experiment.config("smoke", [("stages", "convergence")])
    scalars, arrays = results.load_results(experiment.run_dir(cfg, tmp_path / "runs"))
    left_out = ["minimizer", "error_vs_M", "classes", "gpt2"]
    assert scalars["slice"]["stages"] == ["convergence"]
    assert scalars["slice"]["left_out"] == left_out
    assert arrays and all(key.startswith("conv/") for key in arrays), sorted(arrays)
    by_id = {row["id"]: row for row in scalars["claims"]}
    needs = {c.id: c.needs for c in experiment.claims}
    assert any(set(stages) == {"convergence"} for stages in needs.values())   # some claims stay evaluable
    for claim_id, stages in needs.items():
        if set(stages) & set(left_out):
            assert by_id[claim_id]["verdict"] == "not evaluable"
            assert "which this run left out" in by_id[claim_id]["detail"]
        elif stages:
            assert by_id[claim_id]["verdict"] != "not evaluable" or "left out" not in by_id[claim_id]["detail"]


def test_a_run_of_an_older_config_is_labelled_stale(tmp_path):
    from iclx.report import runs

    target = registry.TARGETS["lipschitz"]
    cfg = registry.target_config(target)
    scalars = {"preset": target.preset, "experiment": target.experiment, "claims": [],
               "config_hash": next(iter(registry.config_hashes(cfg)))}
    folder = tmp_path / target.figures
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(scalars))
    assert not runs.load_target(tmp_path, target).runs[0].stale
    (folder / "results.json").write_text(json.dumps({**scalars, "config_hash": "0123abcd"}))
    run = runs.load_target(tmp_path, target).runs[0]
    assert run.stale and "STALE" in run.label and "STALE" in runs.preset_status(run)

"""The registry: every paper, every experiment and every make target, found, not listed.

The Makefile (``make help``, ``make reproduce-fig-<target>``), the README table, the report, the
benchmark and the tests read this. Importing it imports no experiment; the first read of ``PAPERS``,
``EXPERIMENTS`` or ``TARGETS`` (or ``load``) imports every experiment package it finds.

An experiment is a package ``iclx.experiments.<name>`` (config.py, run.py, plots.py, claims.py,
catalog.py, __main__.py) whose ``__init__`` defines ``EXPERIMENT``, which declares everything the
registry lists: its paper, its make targets, its place in listings and its dry-run cuts
(``iclx.framework.catalog``). The packages are found in this folder and in the folders named by
``ICLX_EXPERIMENT_PATHS`` (``os.pathsep``-separated; each holds experiment packages, which then import
as ``iclx.experiments.<name>``): adding a paper is one package. A ``Target`` is one make target: an
experiment at a preset, optionally with a named variant (a set of config changes the experiment's
config.py declares), writing its figures and results to a repository folder.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING

from iclx.framework import settings
from iclx.framework.catalog import Paper, Target  # noqa: F401 (the registry's types)

if TYPE_CHECKING:
    from iclx.framework.experiment import Experiment

DEMO_TARGET = "linear-regression"


def _extend_path() -> None:
    """Add the folders of ``ICLX_EXPERIMENT_PATHS`` to this package's path (once each; a bad value is
    left to ``settings.problem``, which the command lines report)."""
    for folder in settings.experiment_paths(strict=False):
        if str(folder) not in __path__:
            __path__.append(str(folder))


_extend_path()


@functools.cache
def experiments() -> dict[str, "Experiment"]:
    """Every experiment package's ``EXPERIMENT`` by name, in listing order (``order``, then name)."""
    names = sorted({m.name for m in pkgutil.iter_modules(__path__) if m.ispkg})
    found = {name: importlib.import_module(f"{__name__}.{name}").EXPERIMENT for name in names}
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


@functools.cache
def _papers() -> dict[str, Paper]:
    papers: dict[str, Paper] = {}
    for name, experiment in experiments().items():
        paper = experiment.paper
        if paper is None:
            raise ValueError(f"experiment {name} declares no paper")
        if papers.setdefault(paper.key, paper) != paper:
            raise ValueError(f"experiment {name} declares paper {paper.key!r} unlike another experiment")
    return dict(sorted(papers.items(), key=lambda item: item[1].order))


@functools.cache
def _targets() -> dict[str, Target]:
    """Every declared target: beside its experiment's (in declaration order), or at its own ``order``."""
    listed = [(t.order if t.order is not None else e.order, t)
              for e in experiments().values() for t in e.targets]
    targets = [t for _, t in sorted(listed, key=lambda item: item[0])]
    if len({t.name for t in targets}) != len(targets):
        raise ValueError("two experiments declare a target of the same name")
    return {t.name: t for t in targets}


def __getattr__(name: str):
    """``PAPERS`` (key -> Paper), ``EXPERIMENTS`` (experiment -> paper key), ``TARGETS`` (name ->
    Target): what the experiment packages declare, read on first use."""
    if name == "PAPERS":
        return _papers()
    if name == "EXPERIMENTS":
        return _experiment_papers()
    if name == "TARGETS":
        return _targets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _experiment_papers() -> dict[str, str]:
    return {name: experiment.paper.key for name, experiment in experiments().items()
            if experiment.paper is not None}


def refresh() -> None:
    """Find the experiment packages again (after ``ICLX_EXPERIMENT_PATHS`` changed: the tests)."""
    _extend_path()
    for cached in (experiments, _papers, _targets, _experiment_papers):
        cached.cache_clear()


def _minutes_parts(target: Target) -> tuple[str, str]:
    """The target's registered minutes as (number, caveat): ``"134 (loaded)"`` → ("134", "(loaded)");
    ("", "") if unmeasured."""
    number, _, caveat = (target.minutes or "").partition(" ")
    return number, caveat


def minutes_text(target: Target) -> str:
    """``"13 min"``, ``"34 min (loaded)"``: the target's measured minutes and their caveat."""
    number, caveat = _minutes_parts(target)
    return f"{number} min" + (f" {caveat}" if caveat else "") if number else ""


def measured_minutes(target: Target) -> float | None:
    """The number of the target's registered minutes (``"134 (loaded)"`` → 134.0); None if unmeasured."""
    number = _minutes_parts(target)[0]
    return float(number) if number else None


def base_targets() -> list[Target]:
    """The targets ``make reproduce-all`` runs: all but those at a further scale of another
    (``scale_of``: the converged model, the paper-scale slices), which have their own targets."""
    return [t for t in _targets().values() if not t.scale_of]


def load(name: str) -> "Experiment":
    """The ``Experiment`` of module ``iclx.experiments.<name>`` (imports it)."""
    known = experiments()
    if name not in known:
        raise KeyError(f"unknown experiment {name!r} (registered: {', '.join(known)})")
    return known[name]


def targets_of(experiment: str) -> list[Target]:
    return [t for t in _targets().values() if t.experiment == experiment]


def paper_of(experiment: str) -> Paper:
    return _papers()[_experiment_papers()[experiment]]


# fields added to every config after results were committed: a run from before them, where they are
# empty today, is still a run of today's config
ADDED_EMPTY_FIELDS = ("stages", "slice")
# fields renamed after results were committed, per experiment: (old name, new name). A run from
# before the rename held today's value of the new field under the old name (and the new field, if it
# was there, empty): it is still a run of today's config. data_mixing's ``parts`` became the
# framework's ``stages`` (issue 41: one word and one mechanism for running part of a preset)
RENAMED_FIELDS = {"data_mixing": (("parts", "stages"),)}
# fields removed after results were committed, per experiment: (dotted path, the value every run of
# it had there). A run from before the removal held it: it is still a run of today's config.
# data_mixing's embedding cache folder (``real.cache_dir``, relative to the working directory) is
# now ``$ICLX_CACHE_DIR/data_mixing``, a fact of the machine (issue 41)
REMOVED_FIELDS = {"data_mixing": (("real.cache_dir", "runs/data_mixing_cache"),)}


def target_config(target: Target, preset: str | None = None):
    """The config ``target`` runs at ``preset`` (default: its own, with its slice overrides)."""
    from iclx.framework.cli import parse_overrides

    own = preset in (None, target.preset)
    overrides = parse_overrides([o for o in target.overrides if o.startswith("--config.")]) if own else []
    return load(target.experiment).config(target.preset if own else preset, overrides, target.variant)


def _without_added_empty(cfg):
    """``cfg`` as it was before the ``ADDED_EMPTY_FIELDS`` that are empty in it."""
    older = cfg.copy_and_resolve_references()
    for field in ADDED_EMPTY_FIELDS:
        if field in older and not older[field]:
            del older[field]
    return older


def _before_renames(cfg):
    """``cfg`` as it was before its experiment's ``RENAMED_FIELDS`` (each new field's value back under
    its old name, the new field emptied); None when nothing of it was renamed."""
    renames = [(old, new) for old, new in RENAMED_FIELDS.get(cfg.get("experiment"), ())
               if new in cfg and old not in cfg]
    if not renames:
        return None
    older = cfg.copy_and_resolve_references()
    for old, new in renames:
        older[old] = older[new]
        older[new] = type(older[new])()
    return older


def _before_removals(cfg):
    """``cfg`` with its experiment's ``REMOVED_FIELDS`` back at the values they had; None when none
    of it was removed."""
    older = cfg.copy_and_resolve_references()
    removed = False
    for path, value in REMOVED_FIELDS.get(cfg.get("experiment"), ()):
        section, _, leaf = path.rpartition(".")
        node = older
        for key in filter(None, section.split(".")):
            node = node.get(key) if hasattr(node, "get") else None
        if hasattr(node, "get") and leaf not in node:
            node[leaf], removed = value, True
    return older if removed else None


def config_hashes(cfg) -> set[str]:
    """The config's hash, and its hashes before the ``ADDED_EMPTY_FIELDS`` that are empty and before
    its experiment's ``RENAMED_FIELDS`` and ``REMOVED_FIELDS`` (each, and both): every config a run of
    today's config was hashed with."""
    from iclx.config import config_hash

    removed = _before_removals(cfg)
    versions = [cfg, removed, _before_renames(cfg), _before_renames(removed) if removed else None]
    return {config_hash(c) for v in versions if v is not None for c in (v, _without_added_empty(v))}


def is_current(target: Target, scalars) -> bool:
    """Whether committed results ``scalars`` (of ``target`` at its own preset) were computed from the
    config the code builds for it today; False: stale, re-run the target with FLAGS=--fresh."""
    return scalars.get("config_hash") in config_hashes(target_config(target))


def load_committed(name: str):
    """``(config, folder, scalars, arrays)`` of target ``name``'s committed results, computed from the
    config the code builds for it today; ``SystemExit`` (one line) when that config changed since."""
    from pathlib import Path

    from iclx.engine import results

    target = _targets()[name]
    folder = Path(target.figures)
    scalars, arrays = results.load_results(folder)
    if not is_current(target, scalars):
        raise SystemExit(f"error: {name}'s config changed since its run: re-run it instead")
    return target_config(target), folder, scalars, arrays

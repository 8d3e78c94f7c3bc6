"""The experiment framework: the one contract every experiment follows.

An experiment is a package ``iclx.experiments.<name>``:

    config.py    get_config(preset) -> ConfigDict; validate(cfg) raises config.ConfigError naming the
                 field (the command line turns it into one line and exit code 2, before any work)
    run.py       run(cfg, ctx) -> (scalars, arrays)
    summary.py   summarise(cfg, scalars, arrays) -> the derived scalars (summary lines, README tables,
                 the numbers its claims read)
    plots.py     plot(cfg, scalars, arrays, fig_dir) -> the figure paths
    claims.py    CLAIMS: each claim's check(cfg, scalars, arrays) -> claims.Measured
    cost.py      estimate(cfg) -> cost.Cost: peak memory, disk and FLOPs counted from the config
                 (``iclx.framework.cost``), checked against the machine before anything compiles
    catalog.py   PAPER, TARGETS (make targets: presets, variants, slices), DRY_RUN (the dry run's
                 cuts and documented non-finite outputs): what the registry lists of it
    __init__.py  EXPERIMENT = Experiment(...), and nothing else (no attribute shadows a module)
    __main__.py  raise SystemExit(EXPERIMENT.main())

The contract:

- ``run(cfg, ctx)`` returns everything it computed: ``scalars`` (JSON-able facts of the run) and
  ``arrays`` (numpy arrays, the figures' data). It mutates neither ``cfg`` nor ``ctx`` and keeps no
  state between calls. It trains only through ``ctx.train(problem, train_cfg, lanes, name)``, which
  returns an ``engine.Trained``: the final state, the metrics the engine logged and its timings
  (nothing is read back from metrics files). A stage that does not train through the engine (a
  closed-form Monte Carlo run) records its lane labels with ``ctx.record_lanes(name, labels)``: the
  one route by which lane labels reach ``scalars["lanes"][stage]``.
- ``summarise(cfg, scalars, arrays)`` and every claim's ``check(cfg, scalars, arrays)`` read only the
  saved run, so a re-plot re-derives them without running anything.
- ``Experiment.execute`` adds the run's facts to ``run``'s scalars (``experiment``, ``preset``,
  ``variant``, ``config_hash``, ``seeds``, ``wall_s``, ``command``, and per training stage ``lanes``
  and ``training``), then the output of ``summarise``, then the claims' rows, and saves
  ``results.json`` + ``arrays.npz`` in the run folder (``iclx.engine.results``).

Worked example, the smallest experiment (``iclx.experiments.linear_regression``)::

    def run(cfg, ctx):
        lanes = engine.seed_lanes(cfg.seeds)
        trained = ctx.train(build_problem(cfg), cfg.train, lanes)   # all seeds: one vmapped program
        curves = evaluate(cfg, trained.params, lanes)                # {method: [seeds, n]}
        return {}, {f"error/{m}": v for m, v in curves.items()}

    def summarise(cfg, scalars, arrays):      # error ÷ d past n = d per method, tables, summary lines
        ...

    EXPERIMENT = Experiment(name="linear_regression", get_config=get_config, validate=validate,
                            run=run, summarise=summarise, plot=plot, claims=CLAIMS,
                            figures_dir="experiments/linear_regression")

The command line (``python -m iclx.experiments.<name> [flags]``) lives in ``iclx.framework.cli``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iclx import config, engine
from iclx.engine import results, runlock
from iclx.engine.cluster import is_main_process
from iclx.framework import catalog, claims as claims_lib

PRESETS = ("smoke", "cpu", "paper")
Scalars = dict[str, Any]
Arrays = dict[str, np.ndarray]
StageHook = Callable[[str, config.ConfigDict, engine.Trained], None]


@dataclasses.dataclass
class RunContext:
    """Handed to an experiment's ``run``: its config, its run folder (None: train in memory only),
    whether to show progress, and the dry run's hooks (``analyze``: record XLA's cost analysis of
    every training stage; ``on_stage(name, train_cfg, trained)``: called after each one). It records
    each stage it trains (lane labels and timings) for the framework; ``run`` never writes to it."""

    cfg: config.ConfigDict
    run_dir: Path | None
    progress: bool = True
    analyze: bool = False
    on_stage: StageHook | None = None
    _stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    _labels: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    def train(self, problem: engine.Problem, train_cfg: config.ConfigDict, lanes: engine.Lanes,
              name: str = results.MAIN_STAGE) -> engine.Trained:
        """Train ``lanes`` (resuming from this run's checkpoint of stage ``name``)."""
        trained = engine.run_training(problem, train_cfg, lanes, self.cfg.seed, workdir=self.run_dir,
                                      name=name, progress=self.progress, analyze=self.analyze)
        self._stats[f"train_{name}"] = trained.stats.to_dict()
        self._labels[name] = [dict(label) for label in lanes.labels]
        if self.on_stage is not None:
            self.on_stage(name, train_cfg, trained)
        return trained

    def record_lanes(self, name: str, labels: Sequence[Mapping[str, Any]]) -> None:
        """Record the lane labels of stage ``name`` that did not train through ``train`` (a Monte Carlo
        stage): saved as ``scalars["lanes"][name]``, like a trained stage's."""
        if name in self._labels:
            raise ValueError(f"stage {name!r} already has lane labels")
        self._labels[name] = [dict(label) for label in labels]

    def log(self, message: str) -> None:
        if self.progress:
            print(message, file=sys.stderr, flush=True)

    def trained_stages(self) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """(timings per ``train_<stage>``, lane labels per stage) of every stage trained so far."""
        return dict(self._stats), dict(self._labels)


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    get_config: Callable[[str], config.ConfigDict]
    validate: Callable[[config.ConfigDict], None]
    run: Callable[[config.ConfigDict, RunContext], tuple[Scalars, Arrays]]
    summarise: Callable[[config.ConfigDict, Scalars, Arrays], Scalars]
    plot: Callable[[config.ConfigDict, Scalars, Arrays, Path], list[Path]]
    figures_dir: str = ""   # the repository folder that holds this experiment's figures
    claims: tuple[claims_lib.Claim, ...] = ()
    # named variants: a variant's function changes a preset's config in place (e.g. noisy labels)
    variants: Mapping[str, Callable[[config.ConfigDict], None]] = dataclasses.field(default_factory=dict)
    presets: tuple[str, ...] = PRESETS
    # ``requirements(cfg)``: what a run needs from this machine beyond the config (an optional package,
    # a cache); raises ``ConfigError`` naming the field. Checked by the command line before any work,
    # not by ``validate`` (a config stays valid on a machine that cannot run it)
    requirements: Callable[[config.ConfigDict], None] | None = None
    # ``estimate(cfg) -> iclx.framework.cost.Cost``: the run's peak memory and FLOPs, counted from the config's
    # sizes; the command line refuses a run that does not fit the machine before anything compiles
    estimate: Callable[[config.ConfigDict], Any] | None = None
    # the named stages a run may be restricted to (config field ``stages``; empty: every stage), e.g.
    # a paper preset's stages that fit a CPU; a claim that ``needs`` a left-out stage is not evaluable.
    # A preset or variant may choose its own (data_mixing's presets: the synthetic stages; its
    # multilingual variant: the real-data one): only a run of other stages is a slice of it
    stages: tuple[str, ...] = ()
    # what the registry lists (``iclx.framework.catalog``): the paper, the make targets, the place in
    # listings (``make help``, the report; lower first), the dry run's cuts and documented NaNs
    paper: catalog.Paper | None = None
    targets: tuple[catalog.Target, ...] = ()
    order: int = 1000
    dry_run: catalog.DryRunCuts = catalog.DryRunCuts()

    def config(self, preset: str, overrides: Sequence[tuple[str, str]] = (),
               variant: str = "") -> config.ConfigDict:
        """The validated config of ``preset`` (+ ``variant``) with ``overrides``; raises ``ConfigError``."""
        if preset not in self.presets:
            raise config.ConfigError("preset", f"unknown preset {preset!r} (choose from: "
                                               f"{', '.join(self.presets)})")
        cfg = self.get_config(preset)
        if variant:
            if variant not in self.variants:
                known = ", ".join(self.variants) or "none"
                raise config.ConfigError("variant", f"unknown variant {variant!r} (this experiment "
                                                    f"has: {known})")
            self.variants[variant](cfg)
            cfg.variant = variant
        cfg = config.apply_overrides(cfg, overrides)
        cfg.preset = preset
        self.validate(cfg)
        if cfg.stages:
            config.require(bool(self.stages), "stages", f"{self.name} runs as one stage; leave it empty")
            config.choice_list(cfg, "stages", self.stages)
        return cfg

    def run_dir(self, cfg: config.ConfigDict, out: Path) -> Path:
        return Path(out) / self.name / f"{cfg.preset}-{config.config_hash(cfg)}"

    def derive(self, cfg: config.ConfigDict, scalars: Scalars, arrays: Arrays) -> Scalars:
        """What a saved run implies: ``summarise``'s scalars (as results.json stores them) and the
        claims' rows. A pure function of the run, so a re-plot re-derives it."""
        derived = json.loads(json.dumps(self.summarise(cfg, scalars, arrays),
                                        default=lambda v: np.asarray(v).tolist()))
        rows = claims_lib.evaluate(self.claims, cfg, {**scalars, **derived}, arrays)
        return {**derived, "claims": rows}

    def execute(self, cfg: config.ConfigDict, run_dir: Path, *, progress: bool = True,
                command: str = "", analyze: bool = False, on_stage: StageHook | None = None) -> Path:
        """Run (or resume) into ``run_dir`` unless it already holds results; returns ``run_dir``.
        ``command`` (the command line that asked for it) is stored with the results; ``analyze``
        and ``on_stage`` are the dry run's hooks (``RunContext``). The writing process holds the run
        folder's lock meanwhile (``engine.runlock``: another process on it raises ``RunFolderBusy``)."""
        with runlock.writer_lock(run_dir):
            if not results.has_results(run_dir):
                self._execute(cfg, run_dir, RunContext(cfg, run_dir, progress, analyze, on_stage),
                              command)
        return run_dir

    def _execute(self, cfg: config.ConfigDict, run_dir: Path, ctx: RunContext, command: str) -> None:
        """``execute``'s work: run, add the run's facts and the derived rows, save."""
        if is_main_process():
            run_dir.mkdir(parents=True, exist_ok=True)
            results.write_json(run_dir / "config.json", config.to_jsonable(cfg))
        t0 = time.perf_counter()
        scalars, arrays = self.run(cfg, ctx)
        if "lanes" in scalars:
            raise ValueError(f"{self.name}'s run returned scalars['lanes']: record lane labels with "
                             "ctx.train or ctx.record_lanes")
        training, labels = ctx.trained_stages()
        scalars = {**scalars, "experiment": self.name, "preset": cfg.preset,
                   "variant": cfg.get("variant", ""), "config_hash": config.config_hash(cfg),
                   "seeds": cfg.get("seeds"), "wall_s": time.perf_counter() - t0, "training": training,
                   "lanes": labels,
                   "command": command or f"python -m iclx.experiments.{self.name} --preset={cfg.preset}"}
        if self.is_slice(cfg):
            scalars["slice"] = self.slice_record(cfg)
        scalars.update(self.derive(cfg, scalars, arrays))
        if is_main_process():
            results.save_results(run_dir, scalars, arrays)

    def default_stages(self, cfg: config.ConfigDict) -> tuple[str, ...]:
        """The ``stages`` that ``cfg``'s preset (and variant) choose (empty: every stage); a run of
        other stages is a slice of it."""
        own = self.get_config(cfg.preset)
        if cfg.get("variant"):
            self.variants[cfg.variant](own)
        return tuple(own.stages)

    def is_slice(self, cfg: config.ConfigDict) -> bool:
        """Whether a run of ``cfg`` is a slice of its preset: named one (``slice``), or restricted to
        other stages than its preset (and variant) choose."""
        own = self.default_stages(cfg)
        return bool(cfg.slice) or set(cfg.stages or self.stages) != set(own or self.stages)

    def slice_record(self, cfg: config.ConfigDict) -> dict[str, Any]:
        """What a run restricted by ``stages`` (or named by ``slice``) covered: its label (shown beside
        the preset in the report), the stages it ran and those of its preset's (and variant's) own
        stages it left out."""
        ran = list(cfg.stages) or list(self.stages)
        left_out = [stage for stage in self.default_stages(cfg) or self.stages if stage not in ran]
        label = cfg.slice or f"slice: stages {', '.join(ran)}"
        return {"label": label, "stages": ran, "left_out": left_out}

    def refresh_derived(self, cfg: config.ConfigDict, run_dir: Path) -> None:
        """Re-derive the summary and the claims on ``run_dir``'s saved results; rewrite results.json
        if either changed since the run."""
        scalars, arrays = results.load_results(run_dir)
        fresh = {**scalars, **self.derive(cfg, scalars, arrays)}
        if fresh != scalars:
            results.write_json(results.results_path(run_dir), fresh)

    def make_figures(self, cfg: config.ConfigDict, run_dir: Path, copy_to: Path | None = None) -> list[Path]:
        """Figures from ``run_dir``'s saved results, copied to ``copy_to`` if given."""
        scalars, arrays = results.load_results(run_dir)
        paths = self.plot(cfg, scalars, arrays, run_dir / "figures")
        if copy_to is not None:
            copy_to.mkdir(parents=True, exist_ok=True)
            for path in paths:
                shutil.copy2(path, copy_to / path.name)
            publish_results(run_dir, copy_to)
        return paths

    def main(self, argv: Sequence[str] | None = None) -> int:
        """``python -m iclx.experiments.<name> [flags]`` (``iclx.framework.cli``)."""
        from iclx.framework import cli   # the command line builds on this module, not the reverse

        return cli.run_command_line(self, sys.argv[1:] if argv is None else list(argv))


PUBLISHED_ARRAYS_MAX_BYTES = 2 << 20


def publish_results(run_dir: Path, folder: Path) -> None:
    """Copy a run's results.json (and its arrays.npz when under 2 MiB) into a repository folder, so
    the report and the READMEs can be rebuilt from a clean clone without training."""
    shutil.copy2(results.results_path(run_dir), folder / "results.json")
    arrays = results.arrays_path(run_dir)
    if arrays.stat().st_size <= PUBLISHED_ARRAYS_MAX_BYTES:
        shutil.copy2(arrays, folder / "arrays.npz")


def common_config(preset: str, name: str) -> config.ConfigDict:
    """The fields every experiment has: ``experiment``, ``preset``, ``seed``, ``seeds``, ``stages``
    (the stages to run, empty: all) and ``slice`` (a name for a run restricted to some stages or
    points, shown beside its preset)."""
    return config.ConfigDict(dict(experiment=name, preset=preset, seed=0, seeds=1, stages=(),
                                  slice=""))


def validate_common(cfg: config.ConfigDict) -> None:
    config.seed(cfg, "seed")
    config.positive_int(cfg, "seeds")
    stages = config.get_field(cfg, "stages")
    config.require(isinstance(stages, (list, tuple)) and all(isinstance(s, str) for s in stages),
                   "stages", f"must be a list of stage names, got {stages!r}")
    config.require(isinstance(config.get_field(cfg, "slice"), str), "slice",
                   f"must be a text, got {cfg.slice!r}")


def runs_stage(cfg: config.ConfigDict, stage: str) -> bool:
    """Whether a run of ``cfg`` computes ``stage`` (every stage when ``cfg.stages`` is empty)."""
    return not cfg.stages or stage in cfg.stages

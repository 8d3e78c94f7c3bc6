"""What every experiment shares: presets, the command line, run folders, training stages, results.

An experiment module defines ``get_config(preset)``, ``validate(cfg)``, ``run(cfg, ctx)`` (train with
``ctx.train`` and return results) and ``plot(cfg, scalars, arrays, fig_dir)``, and wraps them in an
``Experiment``. Its ``main`` then does, for ``python -m iclx.experiments.<name> [flags]``:

1. build the preset's config, apply ``--config.a.b=value`` overrides, validate every field
   (a bad field: one line on stderr, exit code 2, nothing written);
2. open ``<out>/<name>/<preset>-<config hash>/``; if it already holds results, skip to step 4;
3. run: training stages resume from their last checkpoint; results go to results.json + arrays.npz;
4. plot from the saved results into ``figures/`` (and ``--figures DIR`` if given).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iclx import claims as claims_lib
from iclx import config as C
from iclx import results
from iclx import train as T
from iclx.sharding import initialize_distributed, is_main_process

PRESETS = ("smoke", "cpu", "paper")


@dataclasses.dataclass
class RunContext:
    """Handed to an experiment's ``run``: where to write, which seed, whether to show progress."""

    cfg: C.ConfigDict
    run_dir: Path | None
    progress: bool = True
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    lanes: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    def train(self, problem: T.Problem, train_cfg: C.ConfigDict, lanes: T.Lanes,
              name: str = results.MAIN_STAGE) -> T.TrainState:
        """Train ``lanes`` (resuming from this run's checkpoint of stage ``name``); stacked state."""
        state, stats = T.run_training(problem, train_cfg, lanes, self.cfg.seed, workdir=self.run_dir,
                                      name=name, progress=self.progress)
        self.stats[f"train_{name}"] = stats.to_dict()
        self.lanes[name] = [dict(label) for label in lanes.labels]
        return state

    def log(self, message: str) -> None:
        if self.progress:
            print(message, file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    get_config: Callable[[str], C.ConfigDict]
    validate: Callable[[C.ConfigDict], None]
    run: Callable[[C.ConfigDict, RunContext], tuple[dict[str, Any], dict[str, np.ndarray]]]
    plot: Callable[[C.ConfigDict, dict[str, Any], dict[str, np.ndarray], Path], list[Path]]
    figures_dir: str = ""   # the repository folder that holds this experiment's figures
    claims: tuple[claims_lib.Claim, ...] = ()
    # named variants: a variant's function changes a preset's config in place (e.g. noisy labels)
    variants: Mapping[str, Callable[[C.ConfigDict], None]] = dataclasses.field(default_factory=dict)
    presets: tuple[str, ...] = PRESETS
    # ``summarise(cfg, arrays) -> scalars``: the run's derived scalars (summary lines, tables) as a pure
    # function of its saved arrays; given, a re-plot re-derives them as it re-evaluates the claims
    summarise: Callable[[C.ConfigDict, dict[str, np.ndarray]], dict[str, Any]] | None = None
    # ``requirements(cfg)``: what a run needs from this machine beyond the config (an optional package,
    # a cache); raises ``ConfigError`` naming the field. Checked by the command line before any work,
    # not by ``validate`` (a config stays valid on a machine that cannot run it)
    requirements: Callable[[C.ConfigDict], None] | None = None

    def config(self, preset: str, overrides: Sequence[tuple[str, str]] = (),
               variant: str = "") -> C.ConfigDict:
        """The validated config of ``preset`` (+ ``variant``) with ``overrides``; raises ``ConfigError``."""
        if preset not in self.presets:
            raise C.ConfigError("preset", f"unknown preset {preset!r} (choose from: {', '.join(self.presets)})")
        cfg = self.get_config(preset)
        if variant:
            if variant not in self.variants:
                known = ", ".join(self.variants) or "none"
                raise C.ConfigError("variant", f"unknown variant {variant!r} (this experiment has: {known})")
            self.variants[variant](cfg)
            cfg.variant = variant
        cfg = C.apply_overrides(cfg, overrides)
        cfg.preset = preset
        self.validate(cfg)
        return cfg

    def evaluate_claims(self, cfg: C.ConfigDict, scalars: dict[str, Any],
                        arrays: dict[str, np.ndarray]) -> list[dict[str, Any]]:
        return claims_lib.evaluate(self.claims, scalars, arrays, cfg.preset)

    def run_dir(self, cfg: C.ConfigDict, out: Path) -> Path:
        return Path(out) / self.name / f"{cfg.preset}-{C.config_hash(cfg)}"

    def execute(self, cfg: C.ConfigDict, run_dir: Path, *, progress: bool = True,
                command: str = "") -> Path:
        """Run (or resume) into ``run_dir`` unless it already holds results; returns ``run_dir``.
        ``command`` (the command line that asked for it) is stored with the results."""
        if results.has_results(run_dir):
            return run_dir
        main_process = is_main_process()
        if main_process:
            run_dir.mkdir(parents=True, exist_ok=True)
            results.write_json(run_dir / "config.json", C.to_jsonable(cfg))
        ctx = RunContext(cfg, run_dir, progress)
        t0 = time.perf_counter()
        scalars, arrays = self.run(cfg, ctx)
        scalars = {**scalars, "experiment": self.name, "preset": cfg.preset,
                   "variant": cfg.get("variant", ""), "config_hash": C.config_hash(cfg),
                   "seeds": cfg.get("seeds"), "wall_s": time.perf_counter() - t0, "training": ctx.stats, "lanes": ctx.lanes,
                   "command": command or f"python -m iclx.experiments.{self.name} --preset={cfg.preset}"}
        scalars["claims"] = self.evaluate_claims(cfg, scalars, arrays)
        if main_process:
            results.save_results(run_dir, scalars, arrays)
        return run_dir

    def refresh_derived(self, cfg: C.ConfigDict, run_dir: Path) -> None:
        """Re-derive the summary (``summarise``, if the experiment has one) and re-evaluate the claims
        on ``run_dir``'s saved results (both are pure functions of them); rewrite results.json if
        either changed since the run."""
        scalars, arrays = results.load_results(run_dir)
        fresh = dict(scalars)
        if self.summarise is not None:
            derived = self.summarise(cfg, arrays)   # as results.json would store it
            fresh.update(json.loads(json.dumps(derived, default=lambda v: np.asarray(v).tolist())))
        fresh["claims"] = self.evaluate_claims(cfg, fresh, arrays)
        if fresh != scalars:
            results.write_json(results.results_path(run_dir), fresh)

    def make_figures(self, cfg: C.ConfigDict, run_dir: Path, copy_to: Path | None = None) -> list[Path]:
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
        return run_command_line(self, sys.argv[1:] if argv is None else list(argv))


PUBLISHED_ARRAYS_MAX_BYTES = 2 << 20


def publish_results(run_dir: Path, folder: Path) -> None:
    """Copy a run's results.json (and its arrays.npz when under 2 MiB) into a repository folder, so
    the report and the READMEs can be rebuilt from a clean clone without training."""
    shutil.copy2(results.results_path(run_dir), folder / "results.json")
    arrays = results.arrays_path(run_dir)
    if arrays.stat().st_size <= PUBLISHED_ARRAYS_MAX_BYTES:
        shutil.copy2(arrays, folder / "arrays.npz")


# --------------------------------------------------------------------------- command line


def _parser(experiment: Experiment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m iclx.experiments.{experiment.name}",
        description="Run (or resume) the experiment, save its results and plot them. Config fields "
                    "are set with --config.<group>.<field>=<value> (lists: 1,2,3); "
                    "--show-config lists them.")
    parser.add_argument("--preset", default="cpu",
                        help=f"{' | '.join(experiment.presets)} (default: cpu)")
    parser.add_argument("--variant", default="",
                        help="a named variant: " + (", ".join(experiment.variants) or "none"))
    parser.add_argument("--out", default="runs", help="root of the run folders (default: runs)")
    parser.add_argument("--figures", default=None,
                        help="also copy the figures into this folder (the make targets use "
                             "experiments/<name>/)")
    parser.add_argument("--fresh", action="store_true",
                        help="delete this config's run folder first instead of resuming it")
    parser.add_argument("--plot-only", action="store_true",
                        help="only re-plot saved results (error if there are none)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--distributed", action="store_true",
                        help="join a multi-process run (several hosts, or several processes on one "
                             "machine): seeds and sweep points are sharded over every device of every "
                             "process; only process 0 writes. The cluster comes from the three flags "
                             "below, else from JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / "
                             "JAX_PROCESS_ID, else from SLURM, Open MPI or a TPU pod")
    parser.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                        help="address of process 0's coordination service (implies --distributed)")
    parser.add_argument("--num-processes", default=None, metavar="N",
                        help="number of processes (implies --distributed)")
    parser.add_argument("--process-id", default=None, metavar="I",
                        help="this process's id, 0..N-1; process 0 is the coordinator "
                             "(implies --distributed)")
    parser.add_argument("--distributed-timeout", default=None, metavar="SECONDS",
                        help="how long to wait for every process to join (default 300), and "
                             "for a silent process (at most 100) before the others stop")
    parser.add_argument("--show-config", action="store_true",
                        help="print the resolved config and its run folder, then exit")
    return parser


def parse_overrides(extra: Sequence[str]) -> list[tuple[str, str]]:
    """``--config.a.b=v`` or ``--config.a.b v`` pairs; anything else is a ``ConfigError``."""
    overrides, i = [], 0
    while i < len(extra):
        arg = extra[i]
        if not arg.startswith("--config."):
            raise C.ConfigError(arg.lstrip("-").split("=")[0] or arg,
                                f"unknown argument {arg!r} (config fields are --config.<path>=<value>)")
        body = arg[len("--config."):]
        if "=" in body:
            path, value = body.split("=", 1)
        elif i + 1 < len(extra):
            path, value = body, extra[i + 1]
            i += 1
        else:
            raise C.ConfigError(body, "needs a value (--config.<path>=<value>)")
        overrides.append((path, value))
        i += 1
    return overrides


def fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def enable_compilation_cache() -> Path | None:
    """Keep compiled programs on disk (``$ICLX_COMPILATION_CACHE``, default ~/.cache/iclx/jax; set it
    to an empty string to disable), so a resumed or repeated run skips most compilation."""
    import os

    import jax

    location = os.environ.get("ICLX_COMPILATION_CACHE", str(Path.home() / ".cache" / "iclx" / "jax"))
    if not location:
        return None
    jax.config.update("jax_compilation_cache_dir", location)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return Path(location)


def run_command_line(experiment: Experiment, argv: Sequence[str]) -> int:
    parser = _parser(experiment)
    args, extra = parser.parse_known_args(argv)
    try:
        cfg = experiment.config(args.preset, parse_overrides(extra), args.variant)
        if experiment.requirements is not None and not args.show_config:
            experiment.requirements(cfg)
    except C.ConfigError as error:
        return fail(f"config field {error.field}: {error.message}", 2)
    run_dir = experiment.run_dir(cfg, Path(args.out))
    if args.show_config:
        print(cfg)
        print(f"run folder: {run_dir}")
        return 0
    if args.plot_only and not results.has_results(run_dir):
        return fail(f"no saved results in {run_dir}; run without --plot-only first", 2)
    enable_compilation_cache()
    if args.distributed or any(v is not None for v in (args.coordinator, args.num_processes,
                                                        args.process_id)):
        from iclx import sharding

        try:
            initialize_distributed(sharding.cluster_settings(
                args.coordinator, args.num_processes, args.process_id, args.distributed_timeout))
        except sharding.ClusterError as error:
            return fail(str(error), error.exit_code)
        if args.fresh and is_main_process():
            results.remove_run(run_dir)
        sharding.sync_processes("start")   # no process looks into the run folder before that
    if args.fresh and is_main_process():
        results.remove_run(run_dir)
    resumed = results.has_results(run_dir)
    try:
        command = " ".join(["python -m", f"iclx.experiments.{experiment.name}", *argv])
        experiment.execute(cfg, run_dir, progress=not args.no_progress, command=command)
    except T.TrainingDiverged as error:
        return fail(str(error), 1)
    except KeyboardInterrupt:
        print(f"\ninterrupted; rerun the same command to resume from {run_dir}", file=sys.stderr)
        return 130
    if not is_main_process():
        return 0
    if resumed:
        experiment.refresh_derived(cfg, run_dir)
    figures = experiment.make_figures(cfg, run_dir, Path(args.figures) if args.figures else None)
    scalars, _ = results.load_results(run_dir)
    if resumed:
        print(f"found results in {run_dir}; re-plotted them (use --fresh to recompute)")
    print(f"results: {results.results_path(run_dir)}")
    for line in scalars.get("summary", []):
        print(f"  {line}")
    print("figures: " + ", ".join(str(p) for p in figures if p.suffix == ".png"))
    return 0


def common_config(preset: str, name: str) -> C.ConfigDict:
    """The fields every experiment has: ``experiment``, ``preset``, ``seed``, ``seeds``."""
    return C.ConfigDict(dict(experiment=name, preset=preset, seed=0, seeds=1))


def validate_common(cfg: C.ConfigDict) -> None:
    C.nonnegative_int(cfg, "seed")
    C.positive_int(cfg, "seeds")

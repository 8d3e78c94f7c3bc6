"""The command line of every experiment: ``python -m iclx.experiments.<name> [flags]``.

1. build the preset's config, apply ``--config.a.b=value`` overrides, validate every field; check
   the flags (no empty value, no contradiction such as --fresh with --plot-only) and the
   environment variables (``iclx.framework.settings``) (a bad one: one line on stderr, exit code 2, nothing
   written);
2. check that ``--out`` and ``--figures`` can be created and written, and that the run's estimated
   memory and disk (``Experiment.estimate``, ``iclx.framework.cost``) fit this machine or ``--max-memory``
   (each: one line, exit code 2, before anything is compiled or written); say the estimate of a long
   run;
3. lock ``<out>/<name>/<preset>-<config hash>/`` (``engine.runlock``; another process holds it:
   one line, exit code 2); if it already holds results, skip to step 5;
4. run: training stages resume from their last checkpoint; results go to results.json + arrays.npz;
5. re-derive the summary and claims, and plot from the saved results into ``figures/`` (and
   ``--figures DIR`` if given).

Exit codes: 0 done; 1 training diverged, or a cluster did not answer; 2 bad input or a refused run
(nothing done); 3 the disk filled up (one line naming the folder and its free space; rerun the same
command with space to resume); 130 interrupted (rerun to resume).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iclx import config
from iclx.framework import cost as cost_lib, preflight, settings
from iclx.engine import cluster, results, runlock
from iclx.engine.checkpoints import silence_writer_threads
from iclx.engine.loop import TrainingDiverged

Experiment = Any   # an ``iclx.framework.experiment.Experiment`` (which imports this module, not the reverse)


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
    parser.add_argument("--show-config", action="store_true",
                        help="print the resolved config, its run folder and its cost estimate, then exit")
    parser.add_argument("--max-memory", default=None, metavar="GiB",
                        help="refuse a run whose estimated memory exceeds this (default: the "
                             "accelerator's memory, else the host's available memory)")
    parser.add_argument("--max-hours", default=None, metavar="H",
                        help="refuse a run estimated to take longer than this on this machine "
                             "(default: no limit; a run over 10 minutes prints its estimate)")
    _cluster_arguments(parser)
    return parser


def _cluster_arguments(parser: argparse.ArgumentParser) -> None:
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


def parse_overrides(extra: Sequence[str]) -> list[tuple[str, str]]:
    """``--config.a.b=v`` or ``--config.a.b v`` pairs; anything else is a ``ConfigError``."""
    overrides, i = [], 0
    while i < len(extra):
        arg = extra[i]
        if not arg.startswith("--config."):
            raise config.ConfigError(arg.lstrip("-").split("=")[0] or arg,
                                     f"unknown argument {arg!r} (config fields are "
                                     "--config.<path>=<value>)")
        body = arg[len("--config."):]
        if "=" in body:
            path, value = body.split("=", 1)
        elif i + 1 < len(extra):
            path, value = body, extra[i + 1]
            i += 1
        else:
            raise config.ConfigError(body, "needs a value (--config.<path>=<value>)")
        overrides.append((path, value))
        i += 1
    return overrides


def fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def enable_compilation_cache() -> Path | None:
    """Keep compiled programs on disk (``$ICLX_COMPILATION_CACHE``, default ~/.cache/iclx/jax; set it
    to an empty string to disable), so a resumed or repeated run skips most compilation."""
    import jax

    location = settings.compilation_cache()
    if location is None:
        return None
    jax.config.update("jax_compilation_cache_dir", str(location))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return location


def _wants_cluster(args: argparse.Namespace) -> bool:
    return args.distributed or any(v is not None for v in (args.coordinator, args.num_processes,
                                                           args.process_id))


def _start(args: argparse.Namespace, run_dir: Path, estimate: cost_lib.Cost | None) -> int | None:
    """Join the cluster the flags ask for, if any, then check the estimate against the machine (a
    run that only re-plots needs none); an exit code on failure, else None."""
    if _wants_cluster(args):
        try:
            cluster.initialize_distributed(cluster.cluster_settings(
                args.coordinator, args.num_processes, args.process_id, args.distributed_timeout))
        except cluster.ClusterError as error:
            return fail(str(error), error.exit_code)
    return None if _keeps_results(args, run_dir) else _check_cost(estimate, args, run_dir)


def _report(experiment: Experiment, cfg: config.ConfigDict, run_dir: Path, resumed: bool,
            figures_to: str | None) -> None:
    """Re-derive (a resumed run), plot, and print where the results and figures are."""
    if resumed:
        experiment.refresh_derived(cfg, run_dir)
    figures = experiment.make_figures(cfg, run_dir, Path(figures_to) if figures_to else None)
    scalars, _ = results.load_results(run_dir)
    if resumed:
        print(f"found results in {run_dir}; re-plotted them (use --fresh to recompute)")
    print(f"results: {results.results_path(run_dir)}")
    for line in scalars.get("summary", []):
        print(f"  {line}")
    print("figures: " + ", ".join(str(p) for p in figures if p.suffix == ".png"))


def _keeps_results(args: argparse.Namespace, run_dir: Path) -> bool:
    """Whether this command only re-plots saved results (nothing to estimate)."""
    return results.has_results(run_dir) and not args.fresh


def _estimate(experiment: Experiment, cfg: config.ConfigDict) -> cost_lib.Cost | None:
    return experiment.estimate(cfg) if experiment.estimate is not None else None


def _check_cost(estimate: cost_lib.Cost | None, args: argparse.Namespace, run_dir: Path) -> int | None:
    """Refuse (exit code 2) a run whose estimate exceeds the memory, ``--max-hours`` or the run
    folder's free disk (process 0 writes); say the estimate of a long one. Called once the backend
    may start (after joining a cluster)."""
    if estimate is None:
        return None
    platform = cost_lib.platform()
    max_gib, _ = preflight.parse_limit("--max-memory", args.max_memory)
    max_hours, _ = preflight.parse_limit("--max-hours", args.max_hours)
    limit, source = ((max_gib * cost_lib.GIB, f"--max-memory={args.max_memory}") if max_gib
                     else (cost_lib.machine_memory(), f"this machine's available {platform} memory"))
    writer = cluster.is_main_process()
    problem = (preflight.memory_problem(estimate, limit, source)
               or preflight.time_problem(estimate, platform, max_hours)
               or (preflight.disk_problem(estimate, run_dir, results.free_bytes(run_dir)) if writer
                   else None))
    if problem:
        return fail(problem, 2)
    if estimate.seconds(platform) > cost_lib.LONG_RUN_S and writer:
        print(f"estimate: {preflight.estimate_text(estimate, platform)}", file=sys.stderr, flush=True)
    return None


def _preflight(experiment: Experiment, cfg: config.ConfigDict, args: argparse.Namespace,
               run_dir: Path) -> int | None:
    """The checks before any work: flags' values and the output folders (exit code 2, one line)."""
    for flag, raw in (("--max-memory", args.max_memory), ("--max-hours", args.max_hours)):
        if (problem := preflight.parse_limit(flag, raw)[1]):
            return fail(problem, 2)
    if (problem := preflight.paths_problem(run_dir, Path(args.out),
                                           Path(args.figures) if args.figures else None)):
        return fail(problem, 2)
    return None


def _show_config(cfg: config.ConfigDict, run_dir: Path, estimate: cost_lib.Cost | None) -> int:
    print(cfg)
    print(f"run folder: {run_dir}")
    if estimate is not None:
        print(f"estimate: {preflight.estimate_text(estimate, cost_lib.platform())}")
    return 0


def run_command_line(experiment: Experiment, argv: Sequence[str]) -> int:
    args, extra = _parser(experiment).parse_known_args(argv)
    try:
        cfg = experiment.config(args.preset, parse_overrides(extra), args.variant)
        if experiment.requirements is not None and not args.show_config:
            experiment.requirements(cfg)
    except config.ConfigError as error:
        return fail(f"config field {error.field}: {error.message}", 2)
    run_dir = experiment.run_dir(cfg, Path(args.out))
    if (problem := preflight.flags_problem(vars(args), run_dir) or settings.problem()):
        return fail(problem, 2)
    estimate = _estimate(experiment, cfg)
    if args.show_config:
        return _show_config(cfg, run_dir, estimate)
    if args.plot_only and not results.has_results(run_dir):
        return fail(f"no saved results in {run_dir}; run without --plot-only first", 2)
    if (code := _preflight(experiment, cfg, args, run_dir)) is not None:
        return code
    enable_compilation_cache()
    if (code := _start(args, run_dir, estimate)) is not None:
        return code
    try:
        with runlock.writer_lock(run_dir) as stale:
            if stale:
                print(f"note: {run_dir} was still locked by {stale}, which ended without releasing "
                      "it; taken over", file=sys.stderr)
            if args.fresh and cluster.is_main_process():
                results.remove_run(run_dir)
            if _wants_cluster(args):
                cluster.sync_processes("start")   # no process looks into the run folder before that
            return _work(experiment, cfg, args, argv, run_dir)
    except runlock.RunFolderBusy as error:
        return fail(str(error), 2)
    except Exception as error:
        if not results.is_disk_full(error):
            raise
        return _disk_full(error, run_dir)


def _work(experiment: Experiment, cfg: config.ConfigDict, args: argparse.Namespace,
          argv: Sequence[str], run_dir: Path) -> int:
    """Run (or resume) into ``run_dir``, then report; the exit code."""
    resumed = results.has_results(run_dir)
    try:
        command = " ".join(["python -m", f"iclx.experiments.{experiment.name}", *argv])
        experiment.execute(cfg, run_dir, progress=not args.no_progress, command=command)
    except TrainingDiverged as error:
        return fail(str(error), 1)
    except KeyboardInterrupt:
        print(f"\ninterrupted; rerun the same command to resume from {run_dir}", file=sys.stderr)
        return 130
    if cluster.is_main_process():
        _report(experiment, cfg, run_dir, resumed, args.figures)
    return 0


DISK_FULL_EXIT = 3


def _disk_full(error: Exception, run_dir: Path) -> int:
    """A write found the disk full: one line naming the folder and its free space, exit code 3 (the
    run resumes from its last checkpoint when rerun with space); the writer threads' echoes of the
    same failure are silenced for the rest of the process."""
    silence_writer_threads()
    if not isinstance(error, results.DiskFull):
        filename = getattr(error, "filename", None)
        error = results.DiskFull(Path(filename).parent if filename else run_dir)
    return fail(str(error), DISK_FULL_EXIT)

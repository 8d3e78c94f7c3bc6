"""The registry's command line (the Makefile calls it):

    python -m iclx.experiments list                       # make targets, one per line
    python -m iclx.experiments help                       # what `make help` prints
    python -m iclx.experiments reproduce TARGET [--preset=P] [other experiment flags]
    python -m iclx.experiments reproduce-all [--preset=P] [--jobs=N]   # every target but the further-scale
                                                          # ones; N at a time (subprocesses, longest first)
    python -m iclx.experiments dry-run [flags]            # = python -m iclx.dryrun [flags]
    python -m iclx.experiments rederive TARGET [--preset=P]   # claims, summary and figures re-derived
                                                          # from the committed results (no training)

``reproduce`` runs the target's experiment (its preset and variant unless ``--preset`` is given)
and writes its figures and results to the target's folder, or to ``<folder>/<preset>`` for
another preset, so runs at several scales sit side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from iclx import host
from iclx.framework import cost, settings
from iclx import experiments as registry


def target_args(target: registry.Target, preset: str | None) -> list[str]:
    """The experiment's command-line flags for ``target`` at ``preset`` (default: the target's)."""
    preset = preset or target.preset
    folder = target.figures if preset == target.preset else f"{target.figures}/{preset}"
    args = [f"--preset={preset}", f"--figures={folder}"]
    if target.variant:
        args.append(f"--variant={target.variant}")
    return args + list(target.overrides)


def help_lines() -> list[str]:
    rows = [("make demo", f"the first figure at cpu scale (= make reproduce-fig-{registry.DEMO_TARGET})"),
            ("make test", "the test suite (CPU), without the long checks marked slow"),
            ("make test-all", "every test, including the slow ones (multi-process runs, paper-preset steps)")]
    for target in registry.TARGETS.values():
        minutes = f" [{registry.minutes_text(target)}]" if target.minutes else ""
        rows.append((f"make reproduce-fig-{target.name}", target.description + minutes))
    rows += [("make reproduce-all", "every target above at its own preset, but the runs at a further scale "
                                    "(the converged model, the paper slices: their own targets), two at a time; "
                                    "JOBS=1: one after another"),
             ("make report", "experiments/index.html and the generated README tables"),
             ("make dry-run-paper", "every paper preset with 2 training steps: finite numbers, figures, "
                                    "GPU-hour estimate"),
             ("make bench", "engine throughput, scaling, memory; PyTorch reference")]
    width = max(len(command) for command, _ in rows) + 2
    return [f"{command:<{width}}{text}" for command, text in rows] + [
        "(PRESET=paper after a reproduce target runs the paper's scale, for a GPU)"]


def _take_flag(argv: Sequence[str], flag: str) -> tuple[str | None, list[str]]:
    """``flag=value`` (or ``flag value``) out of ``argv``: (its last value, or None if absent; the
    other arguments)."""
    value, rest, args = None, [], iter(argv)
    for arg in args:
        if arg.startswith(f"{flag}="):
            value = arg.split("=", 1)[1]
        elif arg == flag:
            value = next(args, "")
        else:
            rest.append(arg)
    return value, rest


def _unknown_target(name: str) -> int | None:
    """Exit code 2 and one line on stderr if ``name`` is no registered target; else None."""
    if name in registry.TARGETS:
        return None
    print(f"error: unknown target {name!r} (targets: {', '.join(registry.TARGETS)})", file=sys.stderr)
    return 2


def _fixed_scale(target: registry.Target, preset: str | None) -> int | None:
    """Exit code 2 and one line on stderr if ``target`` is a slice of its preset (its overrides and
    label hold there only) and ``preset`` names another; else None."""
    if not target.overrides or preset in (None, "", target.preset):
        return None
    instead = (f"make reproduce-fig-{target.scale_of} PRESET={preset}" if target.scale_of
               else f"the experiment {target.experiment} with --preset={preset}")
    print(f"error: {target.name} is a slice of the {target.preset} preset, labelled for it; "
          f"--preset={preset} contradicts that label: run {instead}", file=sys.stderr)
    return 2


def reproduce(name: str, argv: Sequence[str]) -> int:
    if (code := _unknown_target(name)) is not None:
        return code
    target = registry.TARGETS[name]
    preset, rest = _take_flag(argv, "--preset")
    if (code := _fixed_scale(target, preset)) is not None:
        return code
    experiment = registry.load(target.experiment)
    return experiment.main(target_args(target, preset or None) + rest)


def rederive(name: str, argv: Sequence[str]) -> int:
    """Re-derive the summary and claims of ``name``'s committed results (its folder's results.json and
    arrays.npz) with today's code, rewrite them and re-plot the figures there: no training. Refused
    when the target's config has changed since the run (its hash differs: re-run the target)."""
    import shutil
    import tempfile

    from iclx import config
    from iclx.engine import results

    if (code := _unknown_target(name)) is not None:
        return code
    target = registry.TARGETS[name]
    preset = _take_flag(argv, "--preset")[0] or target.preset
    if (code := _fixed_scale(target, preset)) is not None:
        return code
    folder = Path(target.figures if preset == target.preset else f"{target.figures}/{preset}")
    if not results.has_results(folder):
        print(f"error: {folder} holds no results.json and arrays.npz to re-derive "
              f"(run make reproduce-fig-{name})", file=sys.stderr)
        return 2
    experiment = registry.load(target.experiment)
    cfg = registry.target_config(target, preset)
    saved, _ = results.load_results(folder)
    if saved.get("config_hash") not in registry.config_hashes(cfg):
        print(f"error: {name}'s config changed since its committed run (hash {saved.get('config_hash')} "
              f"vs {config.config_hash(cfg)}): re-run it (make reproduce-fig-{name} FLAGS=--fresh)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = Path(scratch)
        for path in (results.results_path(folder), results.arrays_path(folder)):
            shutil.copy2(path, run_dir / path.name)
        experiment.refresh_derived(cfg, run_dir)
        experiment.make_figures(cfg, run_dir, folder)
    print(f"re-derived {folder / 'results.json'} and its figures from the committed results")
    return 0


def reproduce_all(argv: Sequence[str]) -> int:
    """Every target of ``registry.base_targets()``, one after another in this process, or ``--jobs=N``
    at a time as subprocesses; a table of their wall times at the end."""
    value, rest = _take_flag(argv, "--jobs")
    jobs = 1 if value is None else int(value) if value.isdigit() and int(value) > 0 else None
    if jobs is None:
        print("error: --jobs must be a positive integer", file=sys.stderr)
        return 2
    if jobs > 1:
        return reproduce_concurrently(registry.base_targets(), rest, jobs)
    walls: list[tuple[str, float]] = []
    for target in registry.base_targets():
        start = time.perf_counter()
        code = reproduce(target.name, rest)
        walls.append((target.name, time.perf_counter() - start))
        if code != 0:
            return code
    print("\n".join(wall_time_lines(walls)))
    return 0


def longest_first(targets: Sequence[registry.Target]) -> list[registry.Target]:
    """``targets`` by their registered minutes, longest first (unmeasured ones first of all): the order
    that keeps N parallel slots busy to the end."""
    def minutes(target: registry.Target) -> float:
        measured = registry.measured_minutes(target)
        return float("inf") if measured is None else measured

    return sorted(targets, key=minutes, reverse=True)


def _log_folder(argv: Sequence[str]) -> Path:
    return Path(_take_flag(argv, "--out")[0] or "runs") / "reproduce-all"


def child_environment(jobs: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of one of ``jobs`` concurrent targets: the cores shared out as XLA CPU devices
    (``iclx.host``; at least one each), unless ``ICLX_CPU_DEVICES`` or ``XLA_FLAGS`` already say."""
    env = dict(environ)
    if host.ENV not in env and host.forced_count(env.get("XLA_FLAGS", "")) is None:
        env[host.ENV] = str(max(1, host.usable_cores() // jobs))
    return env


def _launch(target: registry.Target, argv: Sequence[str], logs: Path,
            jobs: int = 1) -> tuple[subprocess.Popen, float, Path]:
    """Start ``python -m iclx.experiments reproduce <target>`` with its output in ``logs/<target>.log``."""
    log = logs / f"{target.name}.log"
    command = [sys.executable, "-m", "iclx.experiments", "reproduce", target.name, *argv, "--no-progress"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env=child_environment(jobs, os.environ))
    print(f"started {target.name} (log: {log})", flush=True)
    return process, time.perf_counter(), log


def reproduce_concurrently(targets: Sequence[registry.Target], argv: Sequence[str], jobs: int) -> int:
    """Run ``targets`` as subprocesses, ``jobs`` at a time, longest first, each one's output in
    ``<out>/reproduce-all/<target>.log``. After a failure no new target starts (those running finish)
    and the failed log's last line goes to stderr. Returns the first failure's exit code, else 0."""
    logs = _log_folder(argv)
    logs.mkdir(parents=True, exist_ok=True)
    queue, running, walls, failed = longest_first(targets), {}, [], 0
    start = time.perf_counter()
    try:
        while running or (queue and not failed):
            while queue and not failed and len(running) < jobs:
                target = queue.pop(0)
                running[target.name] = _launch(target, argv, logs, jobs)
            time.sleep(0.5)
            for name, (process, started, log) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[name]
                walls.append((name, time.perf_counter() - started))
                failed = failed or _report_end(name, process.returncode, walls[-1][1], log)
    except KeyboardInterrupt:   # the children got the same signal: let them save, then say how to resume
        for process, _, _ in running.values():
            process.wait()
        print("\ninterrupted; rerun the same command to resume the unfinished targets", file=sys.stderr)
        return 130
    if failed:
        return failed
    print("\n".join(wall_time_lines(walls, time.perf_counter() - start)))
    return 0


def _report_end(name: str, code: int, seconds: float, log: Path) -> int:
    """Print a finished target's line (and, when it failed, its log's last line to stderr); its code."""
    print(f"{'done' if code == 0 else 'FAILED'} {name} in {cost.elapsed(seconds)} (exit {code})", flush=True)
    if code != 0:
        last = (log.read_text().strip().splitlines() or [""])[-1].removeprefix("error: ")
        print(f"error: {name}: {last} (log: {log})", file=sys.stderr)
    return code


def wall_time_lines(walls: Sequence[tuple[str, float]], total: float | None = None) -> list[str]:
    """``reproduce-all``'s closing table: one ``target  12 min 05 s`` line per target, then the total
    (``total`` seconds of wall time when the targets ran side by side, else their sum)."""
    rows = [(name, cost.elapsed(seconds)) for name, seconds in walls]
    rows.append(("total" if total is None else "total (wall, side by side)",
                 cost.elapsed(sum(seconds for _, seconds in walls) if total is None else total)))
    name_width, time_width = (max(len(row[i]) for row in rows) for i in (0, 1))
    return ["wall time per target:"] + [f"  {name:<{name_width}}  {text:>{time_width}}" for name, text in rows]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "list":
        print("\n".join(registry.TARGETS))
        return 0
    if command == "help":
        print("\n".join(help_lines()))
        return 0
    if command == "reproduce" and rest:
        return reproduce(rest[0], rest[1:])
    if command == "dry-run":   # tooling sits above the registry: run it, don't import it
        import subprocess

        return subprocess.call([sys.executable, "-m", "iclx.dryrun", *rest])
    if command in ("reproduce-all", "rederive") and (problem := settings.problem()):
        print(f"error: {problem}", file=sys.stderr)    # as an experiment's command line does
        return 2
    if command == "reproduce-all":
        return reproduce_all(rest)
    if command == "rederive" and rest:
        return rederive(rest[0], rest[1:])
    print("error: usage: python -m iclx.experiments list | help | reproduce TARGET [flags] | "
          "reproduce-all [--preset=P] | dry-run [flags] | rederive TARGET [--preset=P]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

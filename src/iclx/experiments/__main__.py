"""The registry's command line (the Makefile calls it):

    python -m iclx.experiments list                       # make targets, one per line
    python -m iclx.experiments help                       # what `make help` prints
    python -m iclx.experiments reproduce TARGET [--preset=P] [other experiment flags]
    python -m iclx.experiments reproduce-all [--preset=P]   # every target but the further-scale ones
    python -m iclx.experiments dry-run [flags]            # = python -m iclx.dryrun [flags]

``reproduce`` runs the target's experiment (its preset and variant unless ``--preset`` is given)
and writes its figures and results to the target's folder, or to ``<folder>/<preset>`` for
another preset, so runs at several scales sit side by side.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from iclx import cost
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
                                    "(the converged model, the paper slices: their own targets)"),
             ("make report", "experiments/index.html and the generated README tables"),
             ("make dry-run-paper", "every paper preset with 2 training steps: finite numbers, figures, "
                                    "GPU-hour estimate"),
             ("make bench", "engine throughput, scaling, memory; PyTorch reference")]
    width = max(len(command) for command, _ in rows) + 2
    return [f"{command:<{width}}{text}" for command, text in rows] + [
        "(PRESET=paper after a reproduce target runs the paper's scale, for a GPU)"]


def _split_preset(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    preset, rest = None, []
    for arg in argv:
        if arg.startswith("--preset="):
            preset = arg.split("=", 1)[1] or None
        else:
            rest.append(arg)
    return preset, rest


def reproduce(name: str, argv: Sequence[str]) -> int:
    if name not in registry.TARGETS:
        print(f"error: unknown target {name!r} (targets: {', '.join(registry.TARGETS)})", file=sys.stderr)
        return 2
    target = registry.TARGETS[name]
    preset, rest = _split_preset(argv)
    experiment = registry.load(target.experiment)
    return experiment.main(target_args(target, preset) + rest)


def reproduce_all(argv: Sequence[str]) -> int:
    """Every target of ``registry.base_targets()`` in turn; a table of their wall times at the end."""
    walls: list[tuple[str, float]] = []
    for target in registry.base_targets():
        start = time.perf_counter()
        code = reproduce(target.name, argv)
        walls.append((target.name, time.perf_counter() - start))
        if code != 0:
            return code
    print("\n".join(wall_time_lines(walls)))
    return 0


def wall_time_lines(walls: Sequence[tuple[str, float]]) -> list[str]:
    """``reproduce-all``'s closing table: one ``target  12 min 05 s`` line per target, then the total."""
    rows = [(name, cost.elapsed(seconds)) for name, seconds in walls]
    rows.append(("total", cost.elapsed(sum(seconds for _, seconds in walls))))
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
    if command == "reproduce-all":
        return reproduce_all(rest)
    print("error: usage: python -m iclx.experiments list | help | reproduce TARGET [flags] | "
          "reproduce-all [--preset=P] | dry-run [flags]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

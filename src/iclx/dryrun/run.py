"""Dry runs: every registered experiment's preset (``paper`` by default) end to end with training cut to
a few steps, on whatever device is at hand (a CPU is enough).

    python -m iclx.dryrun [--preset=paper] [--steps=2] [--out=DIR] [--json=PATH]
                          [--timeout=SECONDS] [--fast] [NAME ...]

Each experiment runs in its own process (one that runs out of memory takes no other down). Every
training group of its config — any config group with ``steps`` and ``chunk_steps`` — is cut to
``--steps`` steps in one chunk (log every step, checkpoint at the end); everything else keeps the
preset's shapes (prompt lengths, dimensions, batch sizes, lanes, evaluation sizes), except the few
fields that do not fit a 24 GiB machine (the experiment's ``dry_run.shrink``), which are named in the
output. The run then checks that every number of results.json and arrays.npz is finite, that every
figure is drawn and that every gradient-descent step size of the preset is stable on its own prompts
(``step_sizes``), and
records the wall time, each training stage's lanes, and XLA's compiled memory and FLOPs per step of
its chunk program (the engine's ``analyze`` hook, through ``Experiment.execute``). ``iclx.dryrun.cost``
turns those into predicted GPU hours of the full preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iclx import config, experiments as registry
from iclx.framework.cli import enable_compilation_cache
from iclx.dryrun import step_sizes
from iclx.engine import results

def training_groups(cfg, prefix: str = "") -> dict[str, dict[str, Any]]:
    """``{path: group as a dict}`` of every config group that has ``steps`` and ``chunk_steps``."""
    found = {}
    for name, value in cfg.items():
        if isinstance(value, config.ConfigDict):
            path = f"{prefix}{name}"
            if "steps" in value and "chunk_steps" in value:
                found[path] = config.to_jsonable(value)
            found.update(training_groups(value, path + "."))
    return found


def shorten(groups: Mapping[str, Mapping[str, Any]], steps: int) -> list[tuple[str, str]]:
    """Overrides that cut every training group to a few steps in one chunk: ``steps`` for the first,
    one more for each next group, so that every stage's training config names its group."""
    out = []
    for i, (path, group) in enumerate(groups.items()):
        n = min(steps + i, int(group["steps"]))
        out += [(f"{path}.steps", str(n)), (f"{path}.chunk_steps", str(n)),
                (f"{path}.log_every", "1"), (f"{path}.checkpoint_every", str(n))]
        if "warmup_steps" in group and int(group["warmup_steps"]) > 0:
            out.append((f"{path}.warmup_steps", "1"))
    return out


def non_finite(value: Any, path: str = "") -> list[str]:
    """Dotted paths of every non-finite number in a JSON-like ``value``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float, np.number)):
        return [] if math.isfinite(float(value)) else [path or "."]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in non_finite(v, f"{path}[{i}]")]
    return []


def bad_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, int]:
    """``{name: number of non-finite entries}`` of the numeric arrays that have any."""
    out = {}
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype.kind in "fc" and a.size and not np.all(np.isfinite(a)):
            out[name] = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
    return out


def figure_problems(paths: Sequence[Path]) -> list[str]:
    """Figures that are missing, empty, or (PNG) a single colour."""
    import matplotlib.image as mpimg

    problems = [] if paths else ["no figure"]
    for path in map(Path, paths):
        if not path.exists() or path.stat().st_size == 0:
            problems.append(f"{path.name}: missing or empty")
        elif path.suffix == ".png" and float(np.ptp(mpimg.imread(path)[..., :3])) == 0.0:
            problems.append(f"{path.name}: blank")
    return problems


# --------------------------------------------------------------------------- one experiment (child)


def run_one(name: str, preset: str, steps: int, out: Path, fast: bool = False) -> dict[str, Any]:
    """Dry-run ``name`` in this process; returns its record (see the module doc)."""
    experiment = registry.load(name)
    record: dict[str, Any] = {"experiment": name, "preset": preset, "steps": steps, "ok": False}
    groups = training_groups(experiment.config(preset))
    cuts = experiment.dry_run     # what it declares (iclx.framework.catalog.DryRunCuts)
    shrink, reason = cuts.shrink, cuts.shrink_reason
    if fast and cuts.fast:
        shrink, reason = shrink + cuts.fast, "; ".join(r for r in (reason, cuts.fast_reason) if r)
    overrides = shorten(groups, steps) + list(shrink)
    record["shrunk"] = {"fields": dict(shrink), "reason": reason} if shrink else {}
    record["fast"] = fast
    record["lane_factor"] = dict(cuts.lane_factor) if cuts.shrink else {}
    cfg = experiment.config(preset, overrides)
    short = training_groups(cfg)
    seen: dict[str, dict[str, Any]] = {}     # stage -> the train config it ran with

    def record_stage(stage: str, train_cfg, trained) -> None:
        seen[stage] = config.to_jsonable(train_cfg)

    enable_compilation_cache()
    t0 = time.perf_counter()
    run_dir = experiment.execute(cfg, experiment.run_dir(cfg, out), progress=False,
                                 command=f"python -m iclx.dryrun {name}", analyze=True,
                                 on_stage=record_stage)
    t_run = time.perf_counter() - t0
    figures = experiment.make_figures(cfg, run_dir)
    scalars, arrays = results.load_results(run_dir)
    record.update(wall_s=time.perf_counter() - t0, run_s=t_run,
                  max_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20)
    claims = scalars.pop("claims", [])
    record["non_finite_scalars"] = non_finite({k: v for k, v in scalars.items() if k != "training"})
    record["non_finite_claims"] = [c.get("id") for c in claims if non_finite(c.get("value"))]
    record["non_finite_arrays"] = bad_arrays(arrays)
    record["figures"] = sorted(p.name for p in figures)
    record["figure_problems"] = figure_problems(figures)
    record["step_sizes"] = [{**dataclasses.asdict(c), "product": c.product, "stable": c.stable}
                            for c in step_sizes.checks(cfg)]
    stages = {}
    for stage, stats in scalars.get("training", {}).items():
        stage = stage.removeprefix("train_")
        match = [p for p, g in short.items() if g == seen.get(stage)]
        planned = max((int(groups[p]["steps"]) for p in match), default=None)
        stages[stage] = {"lanes": len(scalars.get("lanes", {}).get(stage, [])),
                         "config": match[0] if len(match) == 1 else match or None,
                         "planned_steps": planned, "batch_size": (seen.get(stage) or {}).get("batch_size"),
                         "wall_s": stats.get("wall_s"), "analysis": stats.get("analysis")}
    record["stages"] = stages
    train_s = sum(s["wall_s"] or 0.0 for s in stages.values())
    record["outside_training_s"] = t_run - train_s
    return classify(record)


def classify(record: dict[str, Any]) -> dict[str, Any]:
    """Move the NaNs that the experiment documents (``dry_run.non_finite``: results.json paths and array
    names) into ``allowed_non_finite``; set ``ok``."""
    allowed = [pattern for pattern, _ in registry.load(record["experiment"]).dry_run.non_finite]
    is_allowed = lambda path: any(fnmatch.fnmatch(path, a) for a in allowed)
    found = record.get("non_finite_scalars", []) + record.get("allowed_non_finite", [])
    arrays = record.get("non_finite_arrays", {})
    record["non_finite_scalars"] = [p for p in found if not is_allowed(p)]
    record["non_finite_arrays"] = {name: n for name, n in arrays.items() if not is_allowed(name)}
    record["allowed_non_finite"] = ([p for p in found if is_allowed(p)]
                                    + [name for name in arrays if is_allowed(name)])
    record["ok"] = not (record["non_finite_scalars"] or record["non_finite_arrays"]
                        or record["figure_problems"]
                        or not all(c["stable"] for c in record.get("step_sizes", [])))
    return record


# --------------------------------------------------------------------------- every experiment (parent)


def run_all(names: Sequence[str], preset: str, steps: int, out: Path, timeout: float,
            json_path: Path | None, log=print, fast: bool = False) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for name in names:
        log(f"dry run: {name} --preset={preset}, {steps} training steps per stage …")
        result = out / f"{name}.json"
        cmd = [sys.executable, "-m", "iclx.dryrun", "--child", name, f"--preset={preset}",
               f"--steps={steps}", f"--out={out}"] + (["--fast"] if fast else [])
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            code, tail = proc.returncode, portable_lines((proc.stderr or "").strip().splitlines()[-8:])
        except subprocess.TimeoutExpired:
            code, tail = -1, [f"timed out after {timeout:g} s"]
        if code == 0 and result.exists():
            record = json.loads(result.read_text())
        else:
            record = {"experiment": name, "preset": preset, "steps": steps, "ok": False,
                      "error": "\n".join(tail), "wall_s": time.perf_counter() - t0}
        records.append(record)
        log("  " + summary_line(record))
        if json_path is not None:
            write_report(json_path, records, preset, steps)
    return records


def portable_lines(lines: Sequence[str]) -> list[str]:
    """Error lines without this machine's paths: the interpreter's prefix becomes ``<python>`` and
    the working directory ``.`` (records are committed and read elsewhere)."""
    roots = sorted({sys.prefix, sys.base_prefix}, key=len, reverse=True)
    out = []
    for line in lines:
        for root in roots:
            line = line.replace(root, "<python>")
        out.append(line.replace(str(Path.cwd()), "."))
    return out


def summary_line(r: Mapping[str, Any]) -> str:
    if "error" in r:
        return f"{r['experiment']}: FAILED ({r['error'].splitlines()[-1] if r['error'] else '?'})"
    stages = ", ".join(
        f"{s}: {v['lanes']} lanes, {_gib((v['analysis'] or {}).get('peak_bytes'))} GiB, "
        f"{(v['analysis'] or {}).get('flops_per_step', float('nan')):.3g} FLOP/step"
        for s, v in r["stages"].items())
    problems = (r["non_finite_scalars"][:3] + list(r["non_finite_arrays"])[:3] + r["figure_problems"][:3])
    state = "ok" if r["ok"] else "PROBLEMS: " + "; ".join(map(str, problems))
    shrunk = f" [shrunk: {r['shrunk']['fields']}]" if r.get("shrunk") else ""
    return (f"{r['experiment']}: {state}; {r['wall_s']:.0f} s, {len(r['figures'])} figures, "
            f"max RSS {r['max_rss_gib']:.1f} GiB; {stages}{shrunk}")


def _gib(n: float | None) -> str:
    return "?" if n is None else f"{n / 2 ** 30:.2f}"


def write_report(path: Path, records: list[dict[str, Any]], preset: str, steps: int) -> None:
    from iclx.dryrun import cost

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():   # keep the records of experiments this run did not redo
        old = json.loads(path.read_text())
        if old.get("preset") == preset:
            names = {r["experiment"] for r in records}
            records = [r for r in old.get("experiments", []) if r["experiment"] not in names] + records
    results.write_json(path, {"preset": preset, "steps": steps, "environment": results.environment(),
                              "assumptions": cost.ASSUMPTIONS, "experiments": records,
                              "predicted": cost.predict(records)})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iclx.dryrun", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="experiments (default: every registered one)")
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--steps", type=int, default=2, help="training steps per stage (default 2)")
    parser.add_argument("--out", default=None, help="run folders (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="write the records here (e.g. benchmarks/dry-run-paper.json)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per experiment")
    parser.add_argument("--fast", action="store_true",
                        help="also cut the evaluation counts each experiment declares (dry_run.fast: CPU time; shapes unchanged)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1:
        print("error: --steps must be >= 1", file=sys.stderr)
        return 2
    if args.child:
        record = run_one(args.child, args.preset, args.steps, Path(args.out), args.fast)
        (Path(args.out) / f"{args.child}.json").write_text(json.dumps(record, indent=1, default=float))
        return 0
    names = args.names or list(registry.EXPERIMENTS)
    unknown = [n for n in names if n not in registry.EXPERIMENTS]
    if unknown:
        print(f"error: unknown experiment(s) {', '.join(unknown)} (registered: {', '.join(registry.EXPERIMENTS)})",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iclx-dry-run-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        records = run_all(names, args.preset, args.steps, out, args.timeout,
                          Path(args.json) if args.json else None, fast=args.fast)
    if args.json:
        print(f"records: {args.json}")
    return 0 if all(r["ok"] for r in records) else 1

"""Checks the command line makes after validating a config and before any work: the output and figure
folders can be created and written, and the run's predicted cost fits the machine (``iclx.framework.cost``).
Each returns one line (the problem) or None; nothing here writes, compiles or starts a backend except
``machine_memory`` (called after a cluster has formed)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from iclx.framework import cost as cost_lib


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (the cwd for a relative path with none)."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path.cwd()


def folder_problem(flag: str, folder: Path) -> str | None:
    """Why ``folder`` (given as ``flag``) cannot be created or written, or None: one of its
    components is a file, or the closest existing folder is not writable (permissions, a read-only
    file system)."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        what = "is" if existing == folder else f"is under {existing}, which is"
        return f"{flag}={folder}: {what} a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        reason = "a read-only file system" if _read_only(existing) else "no write permission"
        where = "" if existing == folder else f" ({existing}, the closest existing folder)"
        return f"{flag}={folder}: cannot write there{where}: {reason}"
    return _creation_problem(flag, folder, existing)


def _creation_problem(flag: str, folder: Path, existing: Path) -> str | None:
    """Whether a folder can really be made in ``existing`` (permissions can say yes where the file
    system says no, e.g. /proc): a uniquely named one is made and removed again, leaving nothing. Not
    the missing folder itself: two runs starting at once under one fresh ``--out`` would race for it
    (one made it, the other's mkdir found it existing, or its rmdir found the other's run inside)."""
    if existing == folder or not folder.is_relative_to(existing):
        return None
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".iclx-probe-", dir=existing))
    except OSError as error:
        return f"{flag}={folder}: cannot create it: {error.strerror or error}"
    return None


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def paths_problem(run_dir: Path, out: Path, figures: Path | None) -> str | None:
    """The first problem with the run folder (under ``--out``) or ``--figures``, or None."""
    for flag, folder in (("--out", out), ("--out", run_dir), ("--figures", figures)):
        if folder is not None and (problem := folder_problem(flag, folder)):
            return problem
    return None


def parse_limit(flag: str, raw: str | None) -> tuple[float | None, str | None]:
    """(a positive number or None, the problem with ``raw`` or None)."""
    if raw is None:
        return None, None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        return None, f"{flag}={raw!r} must be a positive number"
    return value, None


def estimate_text(cost: cost_lib.Cost, platform: str) -> str:
    """"~1.2 GiB of memory, ~3.5 h on this cpu (estimate from the config's sizes)"."""
    return (f"~{cost_lib.gib(cost.bytes)} of memory, ~{cost_lib.duration(cost.seconds(platform))} on "
            f"this {platform} (estimated from the config's sizes: iclx.framework.cost)")


def memory_problem(cost: cost_lib.Cost, limit_bytes: float | None, source: str) -> str | None:
    """Why a run predicted to need ``cost.bytes`` does not fit ``limit_bytes`` (from ``source``)."""
    if limit_bytes is None or cost.bytes <= limit_bytes:
        return None
    return (f"this config needs ~{cost_lib.gib(cost.bytes)} of memory (estimate from its sizes), more "
            f"than {source} ({cost_lib.gib(limit_bytes)}): reduce its sizes (lanes, batch, prompts, "
            "evaluation counts), or raise --max-memory=<GiB> if the estimate is too cautious")


def time_problem(cost: cost_lib.Cost, platform: str, max_hours: float | None) -> str | None:
    """Why a run predicted to take longer than ``max_hours`` (``--max-hours``) is refused."""
    seconds = cost.seconds(platform)
    if max_hours is None or seconds <= max_hours * 3600:
        return None
    return (f"this config is predicted to take ~{cost_lib.duration(seconds)} on this {platform}, more "
            f"than --max-hours={max_hours:g}: reduce its steps or evaluation counts")


# --------------------------------------------------------------------------- flags and disk

# flags whose empty value (``--out=``) would silently mean something else: the working directory,
# no copy, or the environment's cluster settings
VALUED_FLAGS = ("out", "figures", "max_memory", "max_hours", "coordinator", "num_processes",
                "process_id", "distributed_timeout")


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def flags_problem(values: dict[str, object], run_dir: Path) -> str | None:
    """The first contradiction among the command line's flags (``values``: argparse's namespace as
    a dict), or None: an empty value, --fresh with --plot-only, --show-config with work to do, a
    cluster timeout outside a cluster, figures copied into the run folder they come from."""
    for dest in VALUED_FLAGS:
        if isinstance(values.get(dest), str) and not values[dest].strip():
            return f"{_flag(dest)}= is empty: give a value, or leave the flag out"
    if values.get("fresh") and values.get("plot_only"):
        return ("--fresh and --plot-only contradict each other: --fresh deletes the saved results "
                "that --plot-only would re-plot")
    if values.get("show_config") and (values.get("fresh") or values.get("plot_only")):
        return "--show-config only prints the config: leave out --fresh and --plot-only"
    cluster_flags = [values.get(d) for d in ("coordinator", "num_processes", "process_id")]
    if values.get("distributed_timeout") is not None and not (
            values.get("distributed") or any(v is not None for v in cluster_flags)):
        return "--distributed-timeout applies to a distributed run only: add --distributed"
    figures = values.get("figures")
    if figures and Path(str(figures)).absolute().is_relative_to(Path(run_dir).absolute()):
        return (f"--figures={figures} is inside the run folder {run_dir}, which it copies from "
                "(and --fresh deletes): choose another folder")
    return None


# what a run writes besides its checkpoints, at most: results.json, arrays.npz, metrics, figures
RESULTS_ALLOWANCE = 64 * 2 ** 20


def folder_bytes(folder: Path) -> float:
    """Bytes of the files under ``folder`` (0 if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0.0
    return float(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()))


def disk_problem(cost: cost_lib.Cost, run_dir: Path, free: float | None) -> str | None:
    """Why a run whose checkpoints take ``cost.disk`` bytes (plus ``RESULTS_ALLOWANCE``) does not fit
    the ``free`` bytes of its run folder's file system, counting what the folder already holds (a
    resumed run rewrites it in place), or None."""
    need = cost.disk + RESULTS_ALLOWANCE - folder_bytes(run_dir)
    if free is None or need <= free:
        return None
    return (f"--out: the run needs ~{cost_lib.gib(need)} of disk in {run_dir} (its checkpoints and "
            f"results, estimated from the config's sizes), more than the {cost_lib.gib(free)} free "
            "there: free some space or choose another --out")

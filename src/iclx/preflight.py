"""Checks the command line makes after validating a config and before any work: the output and figure
folders can be created and written, and the run's predicted cost fits the machine (``iclx.cost``).
Each returns one line (the problem) or None; nothing here writes, compiles or starts a backend except
``machine_memory`` (called after a cluster has formed)."""

from __future__ import annotations

import os
from pathlib import Path

from iclx import cost as cost_lib


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
    """Whether the first missing folder under ``existing`` can really be made (permissions can say
    yes where the file system says no, e.g. /proc): made and removed again, leaving nothing."""
    if existing == folder:
        return None
    if not folder.is_relative_to(existing):
        return None
    probe = existing / folder.relative_to(existing).parts[0]
    try:
        probe.mkdir()
        probe.rmdir()
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
            f"this {platform} (estimated from the config's sizes: iclx.cost)")


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

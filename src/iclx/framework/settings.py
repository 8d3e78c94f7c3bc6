"""The environment variables the package reads, each parsed and checked here, like a config field.

    ICLX_FIGURE_DPI          the PNGs' resolution: an integer from 10 to 1200 (default 200)
    ICLX_FIGURE_FORMATS      the figures' file formats, comma-separated (default png,pdf)
    ICLX_CPU_DEVICES         XLA CPU devices: auto (one per core, the default) or a positive integer
                             (``iclx.host``)
    ICLX_CACHE_DIR           the folder of data kept between runs, downloaded or derived (each
                             experiment's in ``<it>/<experiment>``; default ~/.cache/iclx)
    ICLX_COMPILATION_CACHE   the folder of compiled programs (default ~/.cache/iclx/jax; empty: none)
    ICLX_DISTRIBUTED_TIMEOUT seconds to wait for a cluster (``iclx.engine.cluster``, checked there)
    ICLX_EXPERIMENT_PATHS    more folders of experiment packages, ``os.pathsep``-separated (each
                             package imports as ``iclx.experiments.<name>``; default: none)

Reading one never raises at import: ``problem()`` says, in one line, what is wrong with the first bad
one; the command line calls it before any work (exit code 2), and a reader given a bad value raises
``ValueError`` with the same line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from iclx import host

DPI, FORMATS, CACHE = "ICLX_FIGURE_DPI", "ICLX_FIGURE_FORMATS", "ICLX_COMPILATION_CACHE"
DATA_CACHE = "ICLX_CACHE_DIR"
EXPERIMENT_PATHS = "ICLX_EXPERIMENT_PATHS"
DPI_RANGE = (10, 1200)
DEFAULT_DPI = 200
DEFAULT_FORMATS = ("png", "pdf")
# formats matplotlib's Agg canvas writes without other programs (pgf needs LaTeX)
KNOWN_FORMATS = ("png", "pdf", "svg", "svgz", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp")


def _bad(name: str, value: str, need: str) -> ValueError:
    return ValueError(f"environment variable {name}={value!r}: {need}")


def figure_dpi(environ: Mapping[str, str] = os.environ) -> int:
    """``ICLX_FIGURE_DPI`` (default 200)."""
    value = environ.get(DPI, "").strip()
    if not value:
        return DEFAULT_DPI
    low, high = DPI_RANGE
    if not value.isdigit() or not low <= int(value) <= high:
        raise _bad(DPI, value, f"must be an integer from {low} to {high}")
    return int(value)


def figure_formats(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """``ICLX_FIGURE_FORMATS``: the formats named (lower case, in order), default PNG and PDF."""
    value = environ.get(FORMATS, "")
    if not value.strip():
        return DEFAULT_FORMATS
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown or not formats:
        raise _bad(FORMATS, value, f"must list formats from {', '.join(KNOWN_FORMATS)}, "
                                   "separated by commas")
    return formats


def compilation_cache(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``ICLX_COMPILATION_CACHE`` (default ~/.cache/iclx/jax; set but empty: no cache)."""
    value = environ.get(CACHE)
    if value is None:
        return Path.home() / ".cache" / "iclx" / "jax"
    return Path(value) if value.strip() else None


def cache_dir(experiment: str, environ: Mapping[str, str] = os.environ) -> Path:
    """``ICLX_CACHE_DIR``/``experiment``: where ``experiment`` keeps data between runs (downloads,
    embeddings); never the working directory, never committed (default ~/.cache/iclx/<experiment>)."""
    value = environ.get(DATA_CACHE, "").strip()
    return (Path(value).expanduser() if value else Path.home() / ".cache" / "iclx") / experiment


def _cache_problem(environ: Mapping[str, str]) -> None:
    """A folder set in ``ICLX_COMPILATION_CACHE`` or ``ICLX_CACHE_DIR`` must be one that can be made
    and written (the defaults are left to their readers: JAX only warns when it cannot write there)."""
    from iclx.framework.preflight import folder_problem   # the folder checks of --out, for this folder

    data = environ.get(DATA_CACHE, "").strip()
    folders = {CACHE: compilation_cache(environ) if environ.get(CACHE) is not None else None,
               DATA_CACHE: Path(data).expanduser() if data else None}
    for name, folder in folders.items():
        if folder is not None and (problem := folder_problem(name, folder)):
            raise ValueError(f"environment variable {problem}")


def experiment_paths(environ: Mapping[str, str] = os.environ, strict: bool = True) -> tuple[Path, ...]:
    """The folders of ``ICLX_EXPERIMENT_PATHS`` (default none); ``strict``: ``ValueError`` naming one that
    is not a folder, else it is left out."""
    folders = tuple(Path(f) for f in environ.get(EXPERIMENT_PATHS, "").split(os.pathsep) if f.strip())
    missing = [str(f) for f in folders if not f.is_dir()]
    if strict and missing:
        raise _bad(EXPERIMENT_PATHS, environ[EXPERIMENT_PATHS], f"{missing[0]} is not a folder")
    return tuple(f for f in folders if f.is_dir())


CHECKS: tuple[Callable[[Mapping[str, str]], object], ...] = (
    figure_dpi, figure_formats, host.requested_devices, _cache_problem, experiment_paths)


def problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """The first environment variable above with a bad value, as one line; None if all are good."""
    for check in CHECKS:
        try:
            check(environ)
        except ValueError as error:
            return str(error)
    return None

"""Run folders and their files, all written atomically.

``runs/<experiment>/<preset>-<config hash>/``:
  config.json      the resolved config (its hash names the folder)
  metrics.jsonl    one JSON line per logged step: {"step", "wall_s", metric: [one value per lane]}
  ckpt/<step>/     orbax checkpoints of the stacked train state (latest two kept)
  results.json     scalar results and run facts (versions, device, timings)
  arrays.npz       array results (error curves, heatmaps…), read by the plots
  figures/         PNG + PDF made from results.json and arrays.npz only
  .lock            present while a process writes here: its ``pid host`` (``iclx.engine.runlock``)
A training stage other than the main one writes ``metrics-<stage>.jsonl`` and ``ckpt-<stage>/``.
A write that finds the disk full raises an ``OSError`` that ``is_disk_full`` recognises.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np

from iclx.engine.runlock import LOCK_NAME

MAIN_STAGE = "model"


def _suffix(name: str) -> str:
    return "" if name == MAIN_STAGE else f"-{name}"


def metrics_path(workdir: Path, name: str = MAIN_STAGE) -> Path:
    return Path(workdir) / f"metrics{_suffix(name)}.jsonl"


def checkpoint_dir(workdir: Path, name: str = MAIN_STAGE) -> Path:
    return Path(workdir).absolute() / f"ckpt{_suffix(name)}"


# --------------------------------------------------------------------------- atomic files


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")
                       .encode("utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.generic, jax.Array)):
        return np.asarray(value).tolist()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def append_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    lines = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
    with open(path, "a") as handle:
        handle.write(lines)
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; a torn last line (from a kill mid-write) is dropped."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def truncate_jsonl(path: Path, max_step: int) -> None:
    """Keep the records with ``step <= max_step`` (a resumed run rewrites the ones after its checkpoint)."""
    path = Path(path)
    if not path.exists():
        return
    kept = [r for r in read_jsonl(path) if r.get("step", 0) <= max_step]
    atomic_write_bytes(path, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept)
                       .encode("utf-8"))


def metrics_arrays(path: Path) -> dict[str, np.ndarray]:
    """A metrics file as arrays: ``step [T]`` and each metric ``[T, L]``."""
    return records_to_arrays(read_jsonl(path))


def records_to_arrays(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Metric records as arrays: ``step [T]``, ``wall_s [T]`` and each metric ``[T, L]``."""
    if not records:
        return {}
    names = [k for k in records[0] if k not in ("step", "wall_s")]
    out = {"step": np.array([r["step"] for r in records]),
           "wall_s": np.array([r.get("wall_s", np.nan) for r in records])}
    for name in names:
        out[name] = np.array([r[name] for r in records], dtype=np.float64)
    return out


# --------------------------------------------------------------------------- results


def results_path(run_dir: Path) -> Path:
    return Path(run_dir) / "results.json"


def arrays_path(run_dir: Path) -> Path:
    return Path(run_dir) / "arrays.npz"


def save_results(run_dir: Path, scalars: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays.npz, then results.json (its presence marks a finished run)."""
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write_bytes(arrays_path(run_dir), buffer.getvalue())
    write_json(results_path(run_dir), {**scalars, "environment": environment()})


def supplement_results(run_dir: Path, added: Mapping[str, np.ndarray], note: Mapping[str, Any]) -> None:
    """Add the arrays ``added`` to a finished run's arrays.npz (its own kept) and record ``note`` in its
    results.json under ``"supplemented"``: what a newer ``run`` computes without training, for a
    re-derive of the claims that read it. The run's recorded environment is kept."""
    import io

    scalars, arrays = load_results(run_dir)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in {**arrays, **added}.items()})
    atomic_write_bytes(arrays_path(run_dir), buffer.getvalue())
    write_json(results_path(run_dir), {**scalars, "supplemented": dict(note)})


def load_results(run_dir: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    scalars = read_json(results_path(run_dir))
    with np.load(arrays_path(run_dir)) as data:
        arrays = {k: data[k] for k in data.files}
    return scalars, arrays


def has_results(run_dir: Path) -> bool:
    return results_path(run_dir).exists() and arrays_path(run_dir).exists()


def environment() -> dict[str, Any]:
    """Versions and device of this process, stored beside every result."""
    import flax
    import optax

    device = jax.devices()[0]
    return {"jax": jax.__version__, "flax": flax.__version__, "optax": optax.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "platform": device.platform, "device": getattr(device, "device_kind", str(device)),
            "device_count": jax.device_count(), "process_count": jax.process_count(),
            "host": platform.machine()}


def remove_run(run_dir: Path) -> None:
    """Delete the run folder's contents (``--fresh``), but its lock file, which the caller holds."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    for entry in run_dir.iterdir():
        if entry.name == LOCK_NAME:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


# --------------------------------------------------------------------------- a full disk

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or one it was raised from) is a write that found no space (ENOSPC) or an
    exhausted quota (EDQUOT); orbax's tensorstore reports it as text with ``os_error_code``."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _NO_SPACE:
            return True
        text = str(error)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        error = error.__cause__ or error.__context__
    return False


def free_bytes(folder: Path) -> float | None:
    """Free bytes on ``folder``'s file system (its closest existing ancestor's); None if unknown."""
    for candidate in (Path(folder).absolute(), *Path(folder).absolute().parents):
        if candidate.exists():
            try:
                return float(shutil.disk_usage(candidate).free)
            except OSError:
                return None
    return None


class DiskFull(OSError):
    """A write into ``folder`` found the disk full; ``str`` is one line with the free space left."""

    def __init__(self, folder: Path):
        free = free_bytes(folder)
        left = ("unknown" if free is None else f"{free / 2 ** 20:.3g} MiB" if free < 2 ** 30
                else f"{free / 2 ** 30:.3g} GiB")
        super().__init__(errno.ENOSPC, f"no space left on the device of {folder} ({left} free): free "
                                       "some space, then rerun the same command to resume")
        self.folder = Path(folder)

    def __str__(self) -> str:
        return self.strerror

"""The runs the report reads: for every registered target, the results.json saved beside its figures
(one per preset), their status and the small formatting helpers the page and the markdown share."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from iclx.framework import cost
from iclx.framework.claim_rows import verdict_counts
from iclx.framework.claims import NOT_EVALUABLE
from iclx import experiments as registry
from iclx.experiments import Paper, Target, is_current

PRESET_ORDER = ("smoke", "cpu", "cpu-long", "paper")
REPORT_PAGE = "experiments/index.html"
REPORT_README = "experiments/README.md"


# --------------------------------------------------------------------------- runs on disk


@dataclasses.dataclass(frozen=True)
class Run:
    """One stored run: its preset, its folder (relative to the root) and results.json's content."""

    preset: str
    folder: str
    scalars: Mapping[str, Any]
    stale: bool = False     # computed from an older config of its target (re-run it with FLAGS=--fresh)

    @property
    def claims(self) -> list[Mapping[str, Any]]:
        return list(self.scalars.get("claims") or [])

    @property
    def label(self) -> str:
        """The preset, and the slice of it the run covered if it left stages out
        (``paper, CPU slice: stages convergence, minimizer``)."""
        part = self.scalars.get("slice") or {}
        label = f"{self.preset}, {part['label']}" if part.get("label") else self.preset
        return f"{label} (STALE: an older config's run)" if self.stale else label

    def seeds(self) -> int | None:
        """The run's number of seeds: stored by the run, else the distinct seeds of its lane labels."""
        if isinstance(self.scalars.get("seeds"), int):
            return self.scalars["seeds"]
        counts = [len({lane["seed"] for lane in lanes if isinstance(lane, Mapping) and "seed" in lane})
                  for lanes in (self.scalars.get("lanes") or {}).values()]
        return max(counts) if counts and max(counts) > 0 else None


@dataclasses.dataclass(frozen=True)
class TargetRuns:
    """A make target with the runs found for it, in preset order."""

    target: Target
    paper: Paper
    runs: tuple[Run, ...]

    @property
    def main(self) -> Run | None:
        """The run of the target's own preset, else the first one found."""
        for run in self.runs:
            if run.preset == self.target.preset:
                return run
        return self.runs[0] if self.runs else None

    def claim_ids(self, ours: bool | None = None) -> list[str]:
        """Every claim id of every run, in the order they first appear; with ``ours`` only the
        claims that are (True) or are not (False) ours, beyond the paper (row field ``ours``)."""
        ids: dict[str, None] = {}
        for run in self.runs:
            ids.update((row["id"], None) for row in run.claims)
        return [i for i in ids if ours is None or bool(self.first_row(i).get("ours")) == ours]

    def row(self, run: Run, claim_id: str) -> Mapping[str, Any] | None:
        return next((row for row in run.claims if row["id"] == claim_id), None)

    def first_row(self, claim_id: str) -> Mapping[str, Any]:
        return next(row for run in self.runs for row in run.claims if row["id"] == claim_id)


def preset_key(preset: str) -> tuple[int, str]:
    return (PRESET_ORDER.index(preset) if preset in PRESET_ORDER else len(PRESET_ORDER), preset)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def load_target(root: Path, target: Target) -> TargetRuns:
    """The runs of ``target`` under ``root``: ``<figures>/results.json`` and ``<figures>/<preset>/``
    folders whose results are this target's (same experiment and variant, preset = folder name)."""
    folder = Path(root) / target.figures
    runs: dict[str, Run] = {}
    main = _read(folder / "results.json")
    if main is not None:
        preset = str(main.get("preset") or target.preset)
        runs[preset] = Run(preset, target.figures, main, stale=_stale(target.figures, main))
    if folder.is_dir():
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            scalars = _read(sub / "results.json")
            if (scalars is not None and scalars.get("preset") == sub.name and sub.name not in runs
                    and scalars.get("experiment", target.experiment) == target.experiment
                    and (scalars.get("variant") or "") == target.variant):
                folder_name = f"{target.figures}/{sub.name}"
                runs[sub.name] = Run(sub.name, folder_name, scalars, stale=_stale(folder_name, scalars))
    for other in registry.TARGETS.values():     # targets that run this one at a further scale
        scalars = _read(Path(root) / other.figures / "results.json") if other.scale_of == target.name else None
        if scalars is not None and scalars.get("preset") not in runs:
            runs[scalars["preset"]] = Run(scalars["preset"], other.figures, scalars,
                                          stale=_stale(other.figures, scalars))
    ordered = tuple(runs[p] for p in sorted(runs, key=preset_key))
    return TargetRuns(target, paper_of_target(target), ordered)


def _stale(folder: str, scalars: Mapping[str, Any]) -> bool:
    """Whether the results in repository ``folder`` come from an older config of the target that
    writes there at their preset (results without a config hash, or in a folder no target writes at
    that preset, cannot be judged)."""
    owner = next((t for t in registry.TARGETS.values() if t.figures == folder and t.preset == scalars.get("preset")),
                 None)
    return owner is not None and "config_hash" in scalars and not is_current(owner, scalars)


def paper_of_target(target: Target) -> Paper:
    return registry.PAPERS[registry.EXPERIMENTS[target.experiment]]


def load_all(root: Path, targets: Iterable[Target] | None = None) -> list[TargetRuns]:
    return [load_target(root, t) for t in (registry.TARGETS.values() if targets is None else targets)]


def figures_of(root: Path, run: Run) -> list[str]:
    """The PNG figures in a run's folder (paths relative to the root), sorted by name."""
    return [f"{run.folder}/{p.name}" for p in sorted((Path(root) / run.folder).glob("*.png"))]


# --------------------------------------------------------------------------- status and formatting


MARKS = {"holds": "✓", "fails": "✗", "undecided": "≈"}


def mark(row: Mapping[str, Any] | None) -> str:
    """✓ holds, ✗ fails, ≈ undecided (the interval straddles the threshold), ? not evaluable."""
    return "?" if row is None else MARKS.get(row.get("verdict"), "?")


def verdict_line(rows: list[Mapping[str, Any]]) -> str:
    """``5 hold · 1 fails · 1 undecided · 2 not evaluable`` (zero counts left out)."""
    counts = verdict_counts(rows)
    words = {"holds": ("holds", "hold"), "fails": ("fails", "fail"), "undecided": ("undecided",) * 2,
             NOT_EVALUABLE: ("not evaluable",) * 2}
    return " · ".join(f"{n} {words[v][0] if n == 1 else words[v][1]}" for v, n in counts.items() if n)


def preset_status(run: Run) -> str:
    """``5 hold · 1 fails · 1 undecided at cpu`` for the claims that apply at the run's preset; a run
    at a preset where no claim applies is not evidence. A slice of a preset is named."""
    rows = run.claims
    if not rows:
        return f"{run.label}: run, no claims declared"
    applying = [r for r in rows if r.get("applies")]
    if not applying:
        return f"{run.label} run only: not evidence ({len(rows)} claims)"
    return f"{verdict_line(applying)} at {run.label}"


def make_command(target: Target) -> str:
    return f"make reproduce-fig-{target.name}"


def status_parts(tr: TargetRuns) -> list[tuple[str, str]]:
    """(kind, text) for each preset: kind ``ok`` (every applying claim holds), ``part`` (some do),
    ``bad`` (none does), ``na`` (none could be evaluated), ``off`` (not evidence at that scale),
    ``none`` (no claims), ``missing``, ``notrun``."""
    if not tr.runs:
        return [("missing", f"missing — run `{make_command(tr.target)}`")]
    parts = []
    for run in tr.runs:
        applying = [r for r in run.claims if r.get("applies")]
        counts = verdict_counts(applying)
        kind = ("none" if not run.claims else "off" if not applying
                else "na" if counts[NOT_EVALUABLE] == len(applying)
                else "ok" if counts["holds"] == len(applying)
                else "bad" if counts["holds"] == 0 else "part")
        parts.append((kind, preset_status(run)))
    presets = {run.preset for run in tr.runs}
    for preset in dict.fromkeys((tr.target.preset, "paper")):
        if preset not in presets:
            parts.append(("notrun", f"{preset}: not run"))
    return parts


def status(tr: TargetRuns) -> str:
    """One line for the README table: the status at every preset run, and what was not run."""
    return "; ".join(text for _, text in status_parts(tr))


def duration(seconds: Any) -> str:
    """A results.json's recorded wall time as text ("—" where none was recorded)."""
    return cost.elapsed(seconds) if isinstance(seconds, (int, float)) else "—"


def training_stages(scalars: Mapping[str, Any]) -> tuple[list[Mapping], list[Mapping]]:
    """``(every training stage, those resumed from a checkpoint)`` of a run's ``training`` record."""
    stages = [t for t in (scalars.get("training") or {}).values() if isinstance(t, Mapping)]
    return stages, [t for t in stages if (t.get("start_step") or 0) > 0]


def training_reloaded(scalars: Mapping[str, Any]) -> bool:
    """Whether the run trained nothing itself: every stage was loaded complete from a checkpoint."""
    stages, resumed = training_stages(scalars)
    return bool(resumed) and all(t.get("start_step") == t.get("end_step") for t in stages)


def run_time(scalars: Mapping[str, Any]) -> str:
    """The run's wall time, saying where its training was not timed by this run: stages loaded
    complete from checkpoints, or resumed from a partial one."""
    text = duration(scalars.get("wall_s"))
    stages, resumed = training_stages(scalars)
    if not resumed:
        return text
    if training_reloaded(scalars):
        return f"{text} (training loaded complete from checkpoints: its time is not included)"
    return f"{text} ({len(resumed)} of {len(stages)} training stages resumed from a checkpoint)"


def device(scalars: Mapping[str, Any]) -> str:
    env = scalars.get("environment") or {}
    if not env:
        return "—"
    count = env.get("device_count", 1)
    kind = env.get("device") or env.get("platform") or "?"
    return f"{kind} × {count}" + (f" ({env['host']})" if env.get("host") else "")


def versions(scalars: Mapping[str, Any]) -> str:
    env = scalars.get("environment") or {}
    names = ("jax", "flax", "optax", "numpy", "python")
    return ", ".join(f"{n} {env[n]}" for n in names if env.get(n)) or "—"


def relpath(path: str, start: str) -> str:
    """``path`` relative to the folder ``start`` (both relative to the root, POSIX)."""
    import posixpath

    return posixpath.relpath(path, start)


# --------------------------------------------------------------------------- building everything

"""The report of the whole suite, built from the results committed under ``experiments/``.

``python -m iclx.report`` (``make report``) reads, for every registered make target, the run in its
figures folder (``<figures>/results.json``, the target's own preset) and runs at other presets in
``<figures>/<preset>/results.json`` when present. It re-evaluates nothing: the claims rows are shown
as the run stored them. It writes

- ``experiments/index.html``: one self-contained page (inline CSS, figures by relative path);
- ``experiments/README.md``: the same scoreboard as markdown;
- the generated blocks of every ``experiments/**/README.md`` and of the top-level ``README.md``
  (text between ``<!-- generated:<key> -->`` and ``<!-- /generated -->``; nothing else changes).

Block keys: ``claims``, ``summary``, ``table:<name>`` (the run of the README's own folder, or of
another target with ``@<target>``, e.g. ``claims@gd-vs-newton-noisy``) and, in the top-level README,
``reproduces``. The output is deterministic (no dates), so a clean clone rebuilds identical files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from iclx.experiments import PAPERS, TARGETS, Paper, Target
from iclx.report_blocks import block_keys, fill_blocks

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

    @property
    def claims(self) -> list[Mapping[str, Any]]:
        return list(self.scalars.get("claims") or [])

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

    def claim_ids(self) -> list[str]:
        """Every claim id of every run, in the order they first appear."""
        ids: dict[str, None] = {}
        for run in self.runs:
            ids.update((row["id"], None) for row in run.claims)
        return list(ids)

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
        runs[preset] = Run(preset, target.figures, main)
    if folder.is_dir():
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            scalars = _read(sub / "results.json")
            if (scalars is not None and scalars.get("preset") == sub.name and sub.name not in runs
                    and scalars.get("experiment", target.experiment) == target.experiment
                    and (scalars.get("variant") or "") == target.variant):
                runs[sub.name] = Run(sub.name, f"{target.figures}/{sub.name}", scalars)
    ordered = tuple(runs[p] for p in sorted(runs, key=preset_key))
    return TargetRuns(target, paper_of_target(target), ordered)


def paper_of_target(target: Target) -> Paper:
    from iclx.experiments import EXPERIMENTS

    return PAPERS[EXPERIMENTS[target.experiment]]


def load_all(root: Path, targets: Iterable[Target] | None = None) -> list[TargetRuns]:
    return [load_target(root, t) for t in (TARGETS.values() if targets is None else targets)]


def figures_of(root: Path, run: Run) -> list[str]:
    """The PNG figures in a run's folder (paths relative to the root), sorted by name."""
    return [f"{run.folder}/{p.name}" for p in sorted((Path(root) / run.folder).glob("*.png"))]


# --------------------------------------------------------------------------- status and formatting


def mark(row: Mapping[str, Any] | None) -> str:
    """✓ holds, ✗ fails, ? not evaluable (or absent)."""
    if row is None or row.get("holds") is None:
        return "?"
    return "✓" if row["holds"] else "✗"


def preset_status(run: Run) -> str:
    """``3/4 claims hold at cpu`` (of the claims the run could evaluate; ``, 2 not evaluable`` names
    the others); a run at a preset where no claim applies is not evidence."""
    rows = run.claims
    if not rows:
        return f"{run.preset}: run, no claims declared"
    applying = [r for r in rows if r.get("applies")]
    if not applying:
        return f"{run.preset} run only: not evidence ({len(rows)} claims)"
    evaluated = [r for r in applying if r.get("holds") is not None]
    unknown = len(applying) - len(evaluated)
    if not evaluated:
        return f"{unknown} claims not evaluable at {run.preset}"
    held = sum(1 for r in evaluated if r["holds"] is True)
    return f"{held}/{len(evaluated)} claims hold at {run.preset}" + (f", {unknown} not evaluable" if unknown else "")


def make_command(target: Target) -> str:
    return f"make reproduce-fig-{target.name}"


def status_parts(tr: TargetRuns) -> list[tuple[str, str]]:
    """(kind, text) for each preset: kind ``ok`` (every applying claim holds), ``part`` (some do),
    ``bad`` (none does), ``na`` (none could be evaluated), ``off`` (not evidence at that scale), ``none`` (no claims), ``missing``,
    ``notrun``."""
    if not tr.runs:
        return [("missing", f"missing — run `{make_command(tr.target)}`")]
    parts = []
    for run in tr.runs:
        applying = [r for r in run.claims if r.get("applies")]
        evaluated = [r for r in applying if r.get("holds") is not None]
        held = sum(1 for r in evaluated if r["holds"] is True)
        kind = ("none" if not run.claims else "off" if not applying else "na" if not evaluated
                else "ok" if held == len(applying) else "part" if held else "bad")
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
    if not isinstance(seconds, (int, float)):
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


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


def _owner(readme: str, by_folder: Mapping[str, TargetRuns]) -> TargetRuns | None:
    """The target whose figures folder is the README's folder or its nearest ancestor."""
    folder = readme.rsplit("/", 1)[0]
    while folder:
        if folder in by_folder:
            return by_folder[folder]
        folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
    return None


def readme_contents(text: str, owner: TargetRuns | None, by_name: Mapping[str, TargetRuns],
                    render: Callable[[str, TargetRuns], str | None]) -> dict[str, str]:
    """Contents of the blocks of one README (keys ``what`` or ``what@target``)."""
    contents = {}
    for key in block_keys(text):
        what, _, name = key.partition("@")
        tr = by_name.get(name) if name else owner
        if tr is None:
            continue
        content = render(what, tr)
        if content is not None:
            contents[key] = content
    return contents


def build(root: Path) -> dict[str, str]:
    """Every generated file: {path relative to root: new content}."""
    from iclx import report_html, report_markdown as md

    root = Path(root)
    all_runs = load_all(root)
    by_name = {tr.target.name: tr for tr in all_runs}
    by_folder = {tr.target.figures: tr for tr in all_runs}
    out = {REPORT_PAGE: report_html.page(root, all_runs),
           REPORT_README: md.scoreboard_readme(root, all_runs)}
    experiments = root / "experiments"
    readmes = sorted(p.relative_to(root).as_posix() for p in experiments.rglob("README.md")) \
        if experiments.is_dir() else []
    for readme in readmes:
        if readme == REPORT_README:
            continue
        text = (root / readme).read_text()
        contents = readme_contents(text, _owner(readme, by_folder), by_name, md.render_block)
        try:
            filled = fill_blocks(text, contents)     # also checks that every block is closed
        except ValueError as error:
            raise ValueError(f"{readme}: {error}") from None
        if contents:
            out[readme] = filled
    top = root / "README.md"
    if top.exists():
        text = top.read_text()
        if "reproduces" in block_keys(text):
            try:
                out["README.md"] = fill_blocks(text, {"reproduces": md.reproduces_table(root, all_runs)})
            except ValueError as error:
                raise ValueError(f"README.md: {error}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iclx.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=".", help="repository root to read and write (default: .)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated file is out of date")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "experiments").is_dir():
        print(f"error: {root} has no experiments/ folder (use --root)", file=sys.stderr)
        return 2
    try:
        files = build(root)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = [p for p, text in files.items()
             if not (root / p).exists() or (root / p).read_text() != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path}")
        return 1 if stale else 0
    for path in stale:
        (root / path).write_text(files[path])
    for path in files:
        print(("wrote     " if path in stale else "unchanged ") + path)
    return 0


if __name__ == "__main__":
    from iclx.report import main as _main   # one copy of this module (report_html imports it)

    raise SystemExit(_main())

"""Every generated file of the report (``build``) and its command line (``main``); see the package
doc."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from iclx.report import html, markdown
from iclx.report.blocks import block_keys, fill_blocks
from iclx.report.runs import REPORT_PAGE, REPORT_README, TargetRuns, load_all


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
    root = Path(root)
    all_runs = load_all(root)
    by_name = {tr.target.name: tr for tr in all_runs}
    by_folder = {tr.target.figures: tr for tr in all_runs}
    rows = [tr for tr in all_runs if not tr.target.scale_of]   # the others are columns of these
    out = {REPORT_PAGE: html.page(root, rows),
           REPORT_README: markdown.scoreboard_readme(root, rows)}
    experiments = root / "experiments"
    readmes = sorted(p.relative_to(root).as_posix() for p in experiments.rglob("README.md")) \
        if experiments.is_dir() else []
    for readme in readmes:
        if readme == REPORT_README:
            continue
        text = (root / readme).read_text()
        contents = readme_contents(text, _owner(readme, by_folder), by_name, markdown.render_block)
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
                out["README.md"] = fill_blocks(text, {"reproduces": markdown.reproduces_table(root, all_runs)})
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

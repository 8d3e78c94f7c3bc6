"""The table of a paired A/B (``benchmarks/ab.sh``): per case and lanes, steps/s and examples/s of
every setting in every round, read from the bench's JSON files ``s<setting>-r<round>.json``.

    python -m iclx.bench.ab OUTDIR "SETTING A" "SETTING B" ...
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def load_rounds(folder: Path, n_settings: int) -> dict[int, list[dict[str, Any]]]:
    """``{setting index: [bench report of each round]}`` (1-based setting indices)."""
    reports: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i in range(1, n_settings + 1):
        for path in sorted(folder.glob(f"s{i}-r*.json"), key=lambda p: int(p.stem.split("-r")[1])):
            reports[i].append(json.loads(path.read_text()))
    return reports


def rows(reports: dict[int, list[dict[str, Any]]], settings: list[str]) -> list[list[str]]:
    """One row per (case, lanes, chunk) and setting: steps/s and examples/s of each round, and the
    PyTorch reference's steps/s of that round where the report has it."""
    keys = sorted({(r["case"], r["seeds"], r["chunk_steps"]) for rep in reports[1] for r in rep["records"]
                   if r["dtype"] == "float32"})
    out = []
    for case, seeds, chunk in keys:
        for i, setting in enumerate(settings, start=1):
            found = [next((r for r in rep["records"] if (r["case"], r["seeds"], r["chunk_steps"])
                           == (case, seeds, chunk) and r["dtype"] == "float32"), None)
                     for rep in reports[i]]
            steps = ", ".join(f"{r['steps_per_s']:.3g}" if r else "—" for r in found)
            examples = ", ".join(f"{r['examples_per_s']:,.0f}" if r else "—" for r in found)
            torch = ", ".join(_torch(rep, case) for rep in reports[i]) if seeds == 1 else ""
            out.append([case, str(seeds), str(chunk), setting, steps, examples, torch])
    return out


def _torch(report: dict[str, Any], case: str) -> str:
    ref = next((t for t in report.get("torch", []) if t.get("case") == case), None)
    return "—" if ref is None else f"{1 / ref['step_s']:.3g}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: python -m iclx.bench.ab OUTDIR SETTING...", file=sys.stderr)
        return 2
    folder, settings = Path(argv[0]), argv[1:]
    header = ["case", "lanes", "chunk", "setting", "steps/s (rounds)", "examples/s (rounds)",
              "PyTorch steps/s (same rounds)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(load_rounds(folder, len(settings)), settings)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

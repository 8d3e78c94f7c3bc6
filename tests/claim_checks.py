"""Checks of claim rows that any test can apply (the issue-42 regression tests, the fuzz test): no
verdict compares a value with itself; and the rows of the committed results that carry no control
(``python -m tests.claim_checks`` lists them).

A claim that compares two inputs the config made equal (ρ = 0.5 against itself, depth 2 against depth
2, η = 0 against η = 0) measures a difference of exactly 0 (or a ratio of exactly 1) in every
replicate, so its 95% interval collapses onto that identity: ``[0, 0]`` over several seeds. Two
distinct inputs measured on noisy replicates never give a zero-width interval there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

IDENTITIES = (0.0, 1.0)     # a difference and a ratio of an input with itself


def _compares_itself(fields: Mapping[str, Any]) -> bool:
    """Whether a row's (or a control's) value is an identity whose interval over > 1 replicates is
    that one point."""
    value, interval, replicates = fields.get("value"), fields.get("interval"), fields.get("replicates")
    if isinstance(value, str) or value is None or interval is None or not replicates or replicates < 2:
        return False
    return value in IDENTITIES and interval[0] == interval[1] == value


def self_comparisons(rows: Iterable[Mapping[str, Any]], controls: bool = False) -> list[str]:
    """The ids of the rows whose verdict compares a value with itself; with ``controls`` also those
    whose control does ("<id> (control)"). A control may be an identity by design (the data-mixing
    trend's identical-source curve: ρ cannot matter there, its change is exactly 0), a verdict never."""
    found = []
    for row in rows:
        if row.get("verdict") != "not evaluable" and _compares_itself(row):
            found.append(row["id"])
        if controls and row.get("control") and _compares_itself(row["control"]):
            found.append(f"{row['id']} (control)")
    return found


def assert_no_self_comparison(rows: Iterable[Mapping[str, Any]]) -> None:
    """Fail if any row's verdict compares a value with itself."""
    found = self_comparisons(list(rows))
    assert not found, f"claims comparing a value with itself: {', '.join(found)}"


def rows_without_control(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Every committed ``experiments/**/results.json`` under ``root``: its rows without a control, as
    (id, detail)."""
    out = {}
    for path in sorted((root / "experiments").rglob("results.json")):
        rows = json.loads(path.read_text()).get("claims", [])
        out[str(path.relative_to(root))] = [(r["id"], r["detail"]) for r in rows if not r.get("control")]
    return out


def main() -> None:
    """``python -m tests.claim_checks``: the rows without a control in the committed results."""
    from iclx import experiments as registry

    root = Path(__file__).resolve().parents[1]
    stale = {f"{t.figures}/results.json" for t in registry.TARGETS.values()
             if (root / t.figures / "results.json").exists()
             and not registry.is_current(t, json.loads((root / t.figures / "results.json").read_text()))}
    missing = rows_without_control(root)
    for path, rows in missing.items():
        print(f"{path}{' (STALE)' if path in stale else ''}: {len(rows)} without a control")
        for claim_id, detail in rows:
            print(f"  {claim_id}: {detail[:100]}")
    print(f"total: {sum(len(r) for r in missing.values())} rows without a control, "
          f"{sum(len(r) for p, r in missing.items() if p in stale)} of them in stale results")


if __name__ == "__main__":
    main()

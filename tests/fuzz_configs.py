"""Hypothesis strategies for the fuzz test (tests/test_fuzz.py): overrides drawn around an experiment's
smoke preset, and the checks of what a command did with them.

``overrides(experiment)`` draws 1–3 ``(path, raw)`` command-line overrides of leaves of the smoke
config: integers at and around their value and at the edges (0, −1, 2³², 2⁷⁰), numbers at 0, −1, nan,
inf, halved, doubled, lists emptied, reversed, with a value twice, cut to one, extended by an edge
value, flags flipped or garbled, names replaced."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from iclx import config

EDGE_INTS = (0, -1, 1, 2, 3, 1024, 2047, 10 ** 9, 2 ** 32, 2 ** 70)
EDGE_FLOATS = (0.0, -1.0, 0.5, 1.0, 2.0, 1e-9, 1e9, math.nan, math.inf)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _scalar(value: Any) -> st.SearchStrategy[str]:
    if isinstance(value, bool):
        return st.sampled_from(["true", "false", "maybe"])
    if isinstance(value, int):
        near = (value, value + 1, max(0, value - 1), 2 * value, value // 2)
        return st.sampled_from(near + EDGE_INTS).map(_text)
    if isinstance(value, float):
        return st.sampled_from((value, value * 2, value / 2) + EDGE_FLOATS).map(_text)
    return st.sampled_from([str(value), "bogus", ""])


def _items(values: tuple) -> st.SearchStrategy[list]:
    """Lists built from ``values`` (and edge values of their type): the ways a sweep list goes wrong."""
    pool = list(values)
    if values and isinstance(values[0], (int, float)) and not isinstance(values[0], bool):
        pool += [v for v in (EDGE_INTS if isinstance(values[0], int) else EDGE_FLOATS)[:6]]
    whole = list(values)
    shapes = [st.just([]), st.just(whole[::-1]), st.just(whole[:1]), st.just(whole[:-1] or whole),
              st.just(whole + whole[:1])]
    if pool:
        shapes.append(st.lists(st.sampled_from(pool), min_size=1, max_size=5))
    return st.one_of(shapes)


def _value(value: Any) -> st.SearchStrategy[str]:
    if isinstance(value, (list, tuple)):
        return _items(tuple(value)).map(lambda items: ",".join(_text(v) for v in items))
    return _scalar(value)


def leaves(cfg: config.ConfigDict) -> dict[str, Any]:
    """Every settable leaf of ``cfg`` (not the bookkeeping fields)."""
    return {path: value for path, value in config.flatten(cfg).items()
            if path not in ("experiment", "preset", "variant")}


def overrides(cfg: config.ConfigDict, fields: tuple[str, ...] | None = None,
              max_fields: int = 3) -> st.SearchStrategy[list[tuple[str, str]]]:
    """1 … ``max_fields`` overrides of ``cfg``'s leaves (of ``fields`` only, where given)."""
    table = leaves(cfg)
    names = sorted(fields or table)
    pick = st.lists(st.sampled_from(names), min_size=1, max_size=max_fields, unique=True)
    return pick.flatmap(lambda paths: st.tuples(*(_value(table[p]).map(lambda raw, p=p: (p, raw))
                                                  for p in paths)).map(list))


def choices(values: Mapping[str, tuple[str, ...]], max_fields: int = 2) -> st.SearchStrategy[list[tuple[str, str]]]:
    """1 … ``max_fields`` overrides, each field's raw value drawn from ``values[field]``."""
    pick = st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=max_fields, unique=True)
    return pick.flatmap(lambda paths: st.tuples(*(st.sampled_from(values[p]).map(lambda raw, p=p: (p, raw))
                                                  for p in paths)).map(list))


def as_flags(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"--config.{path}={raw}" for path, raw in pairs]


# --------------------------------------------------------------------------- what a run must leave


def nan_texts(value: Any) -> int:
    """How many strings in ``value`` (summary lines, table cells) show a nan or an infinity."""
    if isinstance(value, str):
        return sum(value.lower().count(token) for token in ("nan", "inf"))
    if isinstance(value, Mapping):
        return sum(nan_texts(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(nan_texts(v) for v in value)
    return 0


def non_finite_numbers(value: Any, path: str = "") -> list[str]:
    """Paths of the numbers in ``value`` that are nan or infinite."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in non_finite_numbers(v, f"{path}/{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in non_finite_numbers(v, f"{path}/{i}")]
    return []


def broken_claims(rows: list[Mapping[str, Any]]) -> set[str]:
    """Ids of the claims whose check raised an error (not a declined "not evaluable")."""
    return {row["id"] for row in rows if str(row.get("detail", "")).startswith("could not evaluate")}


def self_comparisons(rows: list[Mapping[str, Any]]) -> set[str]:
    """Ids of the claims whose verdict (holds, fails, undecided) rests on a value of exactly 0 with the
    interval [0, 0]: the signature of a difference of a quantity with itself (a sweep of one value, a
    config that gives both sides the same input), which no measured difference of two things gives."""
    def degenerate(row):
        interval = row.get("interval")
        return (row.get("verdict") in ("holds", "fails", "undecided") and row.get("value") == 0.0
                and isinstance(interval, (list, tuple)) and len(interval) == 2
                and interval[0] == 0.0 and interval[1] == 0.0)
    return {row["id"] for row in rows if degenerate(row)}


def results_of(run_dir) -> dict[str, Any]:
    return json.loads((run_dir / "results.json").read_text())

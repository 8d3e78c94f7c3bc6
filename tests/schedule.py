"""The order the xdist workers run the tests in: longest first, spread over the workers.

`make test` runs ``--dist worksteal``: the controller hands worker i the i-th contiguous slice of the
collected list (equal counts), and a worker that runs dry steals the *end* of the longest queue. In
file order the four big smoke runs landed on one worker while the other waited on their file lock
(43.7 s of a fixture's setup was that wait). Here the tests whose last recorded run took a while
(``tests/durations.json``; ``make test-durations`` re-records it) are dealt to the workers longest
first, each to the worker with the least recorded time (LPT), at the front of that worker's slice; the
short and unknown tests fill the slices in file order. A test missing from the file only runs later.

Only the *call* phase is recorded: a fixture's setup can be a wait for another worker's smoke run,
and scheduling that wait early would make it longer.

A test marked ``@pytest.mark.follows(node_id)`` goes right after that test in the same slice (stealing
takes the end of a queue, so the pair nearly always runs in one process): a test that reruns an
experiment's smoke programs (a drawn seed, a subset of its stages) then finds them compiled in memory
instead of tracing, lowering and compiling them again on the other worker.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence, TypeVar

T = TypeVar("T")

DURATIONS = Path(__file__).with_name("durations.json")
LONG_SECONDS = 2.0           # recorded call time from which a test is dealt out first
RECORD_ENV = "ICLX_RECORD_TEST_DURATIONS"


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    """``{node id: seconds}`` of the last recording; empty when there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def slice_sizes(n: int, workers: int) -> list[int]:
    """How many of ``n`` tests worksteal's first round gives each worker (``len(pending) // remaining``
    for each worker in turn)."""
    sizes, left = [], n
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    return sizes


def _with_followers(i: int, followers: dict[int, list[int]]) -> list[int]:
    """Test ``i`` and, right after it, the tests that follow it (and theirs)."""
    out = [i]
    for j in followers.get(i, ()):
        out.extend(_with_followers(j, followers))
    return out


def deal(ids: Sequence[str], durations: dict[str, float], workers: int,
         follows: dict[str, str] | None = None) -> list[int]:
    """A permutation of ``range(len(ids))``: worker i's slice starts with the long tests dealt to it,
    longest first, then short ones in the given order; a test in ``follows`` ({node id: the node id it
    follows}, a collected one) sits right after the test it follows. One worker (or none): the given
    order."""
    if workers < 2:
        return list(range(len(ids)))
    index = {node: i for i, node in enumerate(ids)}
    followers: dict[int, list[int]] = {}
    for node, leader in (follows or {}).items():
        if node in index and leader in index and node != leader:
            followers.setdefault(index[leader], []).append(index[node])
    trailing = {j for js in followers.values() for j in js}
    group = lambda i: _with_followers(i, followers)
    cost = lambda i: sum(durations.get(ids[j], 0.0) for j in group(i))
    heads = [i for i in range(len(ids)) if i not in trailing]
    long = sorted((i for i in heads if cost(i) >= LONG_SECONDS), key=lambda i: -cost(i))
    short = [j for i in heads if cost(i) < LONG_SECONDS for j in group(i)]
    sizes = slice_sizes(len(ids), workers)
    load, bins = [0.0] * workers, [[] for _ in range(workers)]
    for i in long:
        members = group(i)
        open_bins = [w for w in range(workers) if len(bins[w]) + len(members) <= sizes[w]] or range(workers)
        w = min(open_bins, key=lambda b: load[b])
        bins[w].extend(members)
        load[w] += cost(i)
    rest = iter(short)
    for w in range(workers):
        bins[w].extend(next(rest) for _ in range(max(0, sizes[w] - len(bins[w]))))
    bins[-1].extend(rest)
    return [i for b in bins for i in b]


def follows_of(items) -> dict[str, str]:
    """``{node id: the node id it follows}`` from the ``follows`` markers of collected ``items``."""
    return {item.nodeid: marker.args[0] for item in items
            for marker in item.iter_markers("follows")}


def reorder(items: list[T], ids: Sequence[str]) -> None:
    """Reorder the collected ``items`` (their node ``ids``) in place for this xdist worker count."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    items[:] = [items[i] for i in deal(ids, load_durations(), workers, follows_of(items))]


def record(durations: dict[str, float], path: Path = DURATIONS) -> None:
    """Write the call durations (seconds, one decimal) of the tests that took at least 0.5 s."""
    kept = {k: round(v, 1) for k, v in sorted(durations.items()) if v >= 0.5}
    path.write_text(json.dumps(kept, indent=0, sort_keys=True) + "\n")

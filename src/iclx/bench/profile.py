"""Where a training step's time goes: XLA's per-op profile of the engine's compiled chunk
(``python -m iclx.bench --profile``).

The chunk of one seed (``jit(vmap(chunk))``, steps in ``lax.scan``, prompts drawn inside the step) is
compiled, run once, then run ``calls`` times under ``jax.profiler.trace``. XLA:CPU records one event
per executed op (thunk) with its HLO name; an op's *self* time is its events' durations less the ops
nested inside them (a ``while`` loop's body). Each op gets a kind from the compiled HLO (a fusion by
what it computes: matmul, random bits, reduction, layout copy, elementwise) and a phase from the JAX
code it came from (prompt sampling, forward, backward, optimizer). Times are per training step,
summed over the threads that ran them (so they may exceed the wall time per step on 2 cores).
"""

from __future__ import annotations

import collections
import glob
import re
import tempfile
import time
from typing import Any

import jax

OP_LINE = re.compile(r"^\s+(?:ROOT )?%?([\w.\-]+) = (.*)$")
COMP_HEAD = re.compile(r"^(?:ENTRY )?%?([\w.\-]+) .*\{$")
CONTROL = {"while", "conditional", "call"}
RANDOM_OPS = {"xor", "shift-right-logical", "shift-left", "rng-bit-generator"}
PHASES = ("backward", "forward", "prompt sampling")     # an unnamed op takes its operands' first one
OTHER_PHASE = "optimizer, loop and other"


def _split_instruction(rhs: str) -> tuple[str, str, str]:
    """``(shape, opcode, the rest)`` of an HLO instruction's right-hand side (a tuple shape holds
    spaces and parentheses)."""
    if rhs.startswith("("):
        depth = 0
        for i, ch in enumerate(rhs):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                break
        shape, rest = rhs[: i + 1], rhs[i + 1:].lstrip()
    else:
        shape, _, rest = rhs.partition(" ")
    opcode, _, rest = rest.partition("(")
    return shape, opcode, rest


def hlo_ops(hlo_text: str) -> dict[str, dict[str, str]]:
    """``{op name: {"kind", "phase", "shape"}}`` of every instruction of the compiled module."""
    computations: dict[str, set[str]] = collections.defaultdict(set)
    first_name: dict[str, str] = {}                     # computation -> its first op's JAX name
    ops: dict[str, tuple[str, str, str, str, list[str]]] = {}
    current = ""
    for line in hlo_text.splitlines():
        head = COMP_HEAD.match(line)
        if head and not line.startswith(" "):
            current = head.group(1)
            continue
        m = OP_LINE.match(line)
        if not m:
            continue
        name, (shape, opcode, rest) = m.group(1), _split_instruction(m.group(2))
        computations[current].add(opcode)
        called = re.search(r"calls=%?([\w.\-]+)", rest)
        op_name = re.search(r'op_name="([^"]*)"', rest)
        if op_name:
            first_name.setdefault(current, op_name.group(1))
        operands = re.findall(r"%([\w.\-]+)", rest.split(")", 1)[0])
        ops[name] = (opcode, called.group(1) if called else "", op_name.group(1) if op_name else "",
                     shape, operands)
    phases: dict[str, str] = {}

    def phase(name: str, depth: int = 0) -> str:
        if name not in phases:
            opcode, called, op_name, _, operands = ops[name]
            own = _phase(op_name or first_name.get(called, ""))
            if own == "" and depth < 20:
                found = {phase(o, depth + 1) for o in operands if o in ops}
                own = next((p for p in PHASES if p in found), "")
            phases[name] = own
        return phases[name]

    return {name: {"kind": _kind(opcode, computations.get(called, set())),
                   "phase": phase(name) or OTHER_PHASE, "shape": shape}
            for name, (opcode, called, _, shape, _) in ops.items()}


def _kind(opcode: str, fused: set[str]) -> str:
    body = fused if opcode == "fusion" else {opcode}
    if body & {"dot", "convolution"}:
        return "matmul"
    if opcode in CONTROL:
        return "loop control"
    if body & RANDOM_OPS:
        return "random bits"
    if body & {"reduce", "reduce-window"}:
        return "reduction"
    if body <= {"copy", "transpose", "bitcast", "parameter", "slice", "concatenate", "pad",
                "dynamic-slice", "dynamic-update-slice", "broadcast", "reshape"}:
        return "layout (copy, transpose, slice)"
    return "elementwise"


def _phase(op_name: str) -> str:
    if any(s in op_name for s in ("_uniform", "_normal", "random_bits", "threefry", "_gamma", "choice")):
        return "prompt sampling"
    if "transpose(" in op_name:
        return "backward"
    if "jvp(" in op_name:
        return "forward"
    return OTHER_PHASE if op_name else ""


def self_times(xspace_path: str) -> dict[str, float]:
    """Seconds of self time per HLO op name, summed over all threads and calls."""
    from jax.profiler import ProfileData

    totals: dict[str, float] = collections.defaultdict(float)
    for plane in ProfileData.from_file(xspace_path).planes:
        for line in plane.lines:
            events = []
            for e in line.events:
                op = dict(e.stats).get("hlo_op")
                if op:
                    events.append((e.start_ns, e.start_ns + e.duration_ns, op))
            events.sort(key=lambda t: (t[0], -t[1]))
            stack: list[list[Any]] = []         # [end, op, child time]
            for start, end, op in events:
                while stack and stack[-1][0] <= start:
                    _close(stack, totals)
                stack.append([end, op, 0.0, end - start])
            while stack:
                _close(stack, totals)
    return dict(totals)


def _close(stack: list[list[Any]], totals: dict[str, float]) -> None:
    end, op, children, duration = stack.pop()
    totals[op] += (duration - children) * 1e-9
    if stack:
        stack[-1][2] += duration


def profile_compiled(compiled, args: tuple, steps_per_call: int, calls: int = 3) -> dict[str, Any]:
    """The per-op profile of ``compiled(*args)`` (one call = ``steps_per_call`` training steps)."""
    jax.block_until_ready(compiled(*args))
    with tempfile.TemporaryDirectory() as folder:
        with jax.profiler.trace(folder):
            t0 = time.perf_counter()
            for _ in range(calls):
                jax.block_until_ready(compiled(*args))
            wall = time.perf_counter() - t0
        path = glob.glob(f"{folder}/**/*.xplane.pb", recursive=True)[0]
        times = self_times(path)
    info = hlo_ops(compiled.as_text())
    steps = calls * steps_per_call
    rows = [{"op": op, "ms_per_step": 1e3 * s / steps, **info.get(op, {"kind": "?", "phase": "?",
                                                                        "shape": "?"})}
            for op, s in times.items()]
    rows.sort(key=lambda r: -r["ms_per_step"])
    total = sum(r["ms_per_step"] for r in rows)
    return {"wall_ms_per_step": 1e3 * wall / steps, "op_ms_per_step": total,
            "by_kind": _shares(rows, "kind", total), "by_phase": _shares(rows, "phase", total),
            "top_ops": rows[:15], "n_ops": len(rows)}


def _shares(rows: list[dict[str, Any]], field: str, total: float) -> dict[str, dict[str, float]]:
    sums: dict[str, float] = collections.defaultdict(float)
    for r in rows:
        sums[r[field]] += r["ms_per_step"]
    return {k: {"ms_per_step": v, "share": v / total if total else 0.0}
            for k, v in sorted(sums.items(), key=lambda kv: -kv[1])}


def format_profile(name: str, p: dict[str, Any]) -> str:
    """A short text table of one profile."""
    lines = [f"{name}: {p['wall_ms_per_step']:.2f} ms per step (wall), "
             f"{p['op_ms_per_step']:.2f} ms of op time summed over threads, {p['n_ops']} distinct ops"]
    for field in ("by_kind", "by_phase"):
        lines.append("  " + " · ".join(f"{k} {100 * v['share']:.0f}%" for k, v in p[field].items()))
    for r in p["top_ops"][:8]:
        lines.append(f"    {r['ms_per_step']:7.3f} ms  {r['kind']:<16} {r['phase']:<16} "
                     f"{r['shape'][:24]:<24} {r['op']}")
    return "\n".join(lines)


def matmul_roof(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply throughput in TFLOP/s (XLA, an n³ product): the roof a
    training step's model FLOPs are compared against."""
    a = jax.random.normal(jax.random.key(0), (n, n))
    product = jax.jit(lambda x, y: x @ y).lower(a, a).compile()
    jax.block_until_ready(product(a, a))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(product(a, a))
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e12


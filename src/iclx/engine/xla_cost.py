"""XLA's view of a compiled training chunk: memory (arguments, outputs, temporaries) and FLOPs per
step. The engine records it with ``train.run_training(analyze=True)``; the paper-preset dry run
turns it into predicted GPU time and memory."""

from __future__ import annotations

from typing import Any

import jax


def compiled_analysis(compiled, length: int, n_lanes: int,
                      prepare: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """XLA's memory and cost analysis of a compiled ``jit(vmap(chunk))`` of ``length`` steps over
    ``n_lanes`` lanes. XLA counts a ``lax.scan`` body once, so the chunk's FLOPs and bytes are one
    step's plus the once-per-chunk ``prepare``'s (``prepare`` = its (FLOPs, bytes), subtracted for the
    ``*_per_step`` values)."""
    out: dict[str, Any] = {"chunk_steps": length, "lanes": n_lanes}
    try:
        mem = compiled.memory_analysis()
        sizes = {k: int(getattr(mem, f"{k}_size_in_bytes")) for k in
                 ("argument", "output", "temp", "alias", "generated_code")}
        out.update({f"{k}_bytes": v for k, v in sizes.items()})
        out["peak_bytes"] = sizes["argument"] + sizes["output"] + sizes["temp"] - sizes["alias"]
    except Exception:  # noqa: BLE001 - not every backend reports it
        pass
    try:
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        chunk_flops = float(cost.get("flops", float("nan")))
        chunk_bytes = float(cost.get("bytes accessed", float("nan")))
        out.update(chunk_flops=chunk_flops, prepare_flops=float(prepare[0]),
                   flops_per_step=max(chunk_flops - prepare[0], 0.0), chunk_bytes=chunk_bytes,
                   prepare_bytes=float(prepare[1]), bytes_accessed=max(chunk_bytes - prepare[1], 0.0))
    except Exception:  # noqa: BLE001
        pass
    return out


def prepare_cost(problem, key_data, hps) -> tuple[float, float]:
    """(FLOPs, bytes accessed) of the vmapped ``prepare`` ((0, 0) without one)."""
    if problem.prepare is None:
        return 0.0, 0.0
    fn = jax.jit(jax.vmap(lambda kd, hp: problem.fixed_data(jax.random.wrap_key_data(kd), hp)))
    cost = fn.lower(key_data, hps).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost.get("flops", 0.0)), float(cost.get("bytes accessed", 0.0))

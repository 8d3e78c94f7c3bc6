"""Timings of the training engine: ``make bench`` / ``python -m iclx.bench``.

For each model case (GPT-2 ICL at cpu and paper sizes; tiny in smoke mode) it measures, on the
engine's own code path (``jit(vmap(chunk))`` over seeds, steps in ``lax.scan``):

- compile time (ahead-of-time ``lower().compile()``) and steady training throughput (steps/s and
  examples/s, the median over repeats of a compiled chunk, compile excluded);
- scaling with the number of vmapped seeds (time per step for S seeds ÷ for 1 seed) and with the scan
  chunk length (1 step per dispatch exposes Python/dispatch overhead);
- memory: XLA's compiled memory analysis (arguments + outputs + temporaries) and, where the device
  reports it, the peak bytes in use;
- model FLOPs per step from the shapes, and MFU = FLOPs/s ÷ the device's peak where the peak is known;
- optionally (``--torch``) the same GPT-2 training step in PyTorch on the same machine and the ratio.

Output: a table in the terminal and a JSON file (default ``benchmarks/results-<device>.json``).
Every number is a median of ``--repeats`` timed calls; nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import jax

from iclx import engine
from iclx.bench.cases import CASES, AttentionCase, Case, attention_problem, case_problem
from iclx.engine import results
from iclx.engine.placement import LaneLayout

# Dense peak throughput (FLOP/s) by device kind and compute dtype; MFU is left empty elsewhere.
PEAK_FLOPS = {
    ("NVIDIA H100 80GB HBM3", "bfloat16"): 989e12, ("NVIDIA H100 80GB HBM3", "float32"): 67e12,
    ("NVIDIA H200", "bfloat16"): 989e12, ("NVIDIA H200", "float32"): 67e12,
    ("NVIDIA A100-SXM4-80GB", "bfloat16"): 312e12, ("NVIDIA A100-SXM4-80GB", "float32"): 19.5e12,
}


SEEDS = {"smoke": (1, 2), "cpu": (1, 3, 5), "paper": (1, 2, 4, 8, 16)}   # cpu: the targets' 3 and 5 seeds
CHUNKS = {"smoke": (1, 5), "cpu": (1, 10, 50), "paper": (1, 10, 100, 500)}
STEPS = {"smoke": 5, "cpu": 50, "paper": 100}     # steps per timed chunk
SWEEP_LANES = (1, 4, 16, 64)                     # lanes of the attention model's sweep


def flops_per_step(case: Case) -> float:
    """Model FLOPs of one training step (forward + backward ≈ 3 × forward; matmuls only)."""
    e, m, tokens = case.n_embd, 4 * case.n_embd, 2 * case.n_points
    per_token_layer = 2 * (3 * e * e + e * e + 2 * e * m) + 2 * 2 * tokens * e   # dense + QKᵀ, AV
    forward = case.batch_size * (tokens * (case.n_layer * per_token_layer + 2 * case.n_dims * e)
                                 + case.n_points * 2 * e)
    return 3.0 * forward


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _memory(compiled) -> dict[str, int | None]:
    out: dict[str, int | None] = {"compiled_bytes": None, "peak_bytes_in_use": None}
    try:
        analysis = compiled.memory_analysis()
        out["compiled_bytes"] = int(analysis.argument_size_in_bytes + analysis.output_size_in_bytes
                                    + analysis.temp_size_in_bytes - analysis.alias_size_in_bytes)
    except Exception:  # noqa: BLE001 - not every backend reports it
        pass
    stats = jax.devices()[0].memory_stats() or {}
    out["peak_bytes_in_use"] = stats.get("peak_bytes_in_use")
    return out


def compile_chunk(case: Case | AttentionCase, n_seeds: int, chunk_steps: int,
                  dtype: str = "float32") -> tuple[Any, tuple, float | None, float]:
    """The engine's ``jit(vmap(chunk))`` for ``n_seeds`` lanes, compiled ahead of time:
    ``(compiled, its arguments, model FLOPs per step or None, compile seconds)``."""
    if isinstance(case, AttentionCase):
        problem, make_lanes = attention_problem(case)
        lanes, flops = make_lanes(n_seeds), None
    else:
        problem, lanes = case_problem(case, dtype), engine.seed_lanes(n_seeds)
        flops = flops_per_step(case) * n_seeds
    layout = LaneLayout.for_lanes(n_seeds, batch_size=case.batch_size if problem.splits_batch else None)
    key_data = layout.put(jax.random.key_data(lanes.keys(0)))
    hps = layout.put(lanes.device_hparams())
    placed = {} if layout.sharding is None else {"out_shardings": layout.sharding}
    with layout.batch_context():
        init = jax.jit(layout.vmap(
            lambda kd, hp: engine.make_init(problem)(jax.random.wrap_key_data(kd), hp)), **placed)
        state = init(key_data, hps)
        chunk = engine.make_chunk(problem, chunk_steps)
        fn = jax.jit(layout.vmap(lambda st, kd, hp: chunk(st, jax.random.wrap_key_data(kd), hp)), **placed)
        t0 = time.perf_counter()
        compiled = fn.lower(state, key_data, hps).compile()
    return compiled, (state, key_data, hps), flops, time.perf_counter() - t0


def time_engine(case: Case | AttentionCase, n_seeds: int, chunk_steps: int, repeats: int,
                dtype: str = "float32") -> dict[str, Any]:
    """Compile and time the engine's ``jit(vmap(chunk))`` for ``n_seeds`` lanes."""
    compiled, (state, key_data, hps), flops, compile_s = compile_chunk(case, n_seeds, chunk_steps, dtype)
    jax.block_until_ready(compiled(state, key_data, hps))        # warm-up
    seconds = _median_time(lambda: compiled(state, key_data, hps), repeats)
    steps_per_s = chunk_steps / seconds
    peak = PEAK_FLOPS.get((getattr(jax.devices()[0], "device_kind", ""), dtype))
    achieved = None if flops is None else flops * steps_per_s
    return {"case": case.name, "seeds": n_seeds, "chunk_steps": chunk_steps, "dtype": dtype,
            "compile_s": compile_s, "step_s": seconds / chunk_steps, "steps_per_s": steps_per_s,
            "examples_per_s": steps_per_s * case.batch_size * n_seeds,
            "flops_per_step": flops, "tflops_per_s": None if achieved is None else achieved / 1e12,
            "mfu": None if peak is None or achieved is None else achieved / peak, **_memory(compiled)}


def time_torch(case: Case, repeats: int, steps: int) -> dict[str, Any] | None:
    try:
        from iclx.bench import torch_reference
    except ImportError:
        return None
    return torch_reference.time_training_step(case, repeats=repeats, steps=steps)


def run(mode: str, repeats: int, with_torch: bool, dtypes: tuple[str, ...],
        log=print, cases: tuple[str, ...] = ()) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    torch_records: list[dict[str, Any]] = []
    steps = STEPS[mode]
    for case in (c for c in CASES[mode] if not cases or c.name in cases):
        paper_on_cpu = case.name == "gpt2-paper" and jax.default_backend() == "cpu"
        attention = isinstance(case, AttentionCase)
        if paper_on_cpu:   # seconds per step on a CPU: one seed, one short chunk
            seed_grid, chunk_grid, base_chunk = (1,), (), 5
        elif attention:    # lanes = sweep points (the cpu sweep has 72); the chunk its sweep uses
            seed_grid, chunk_grid, base_chunk = SWEEP_LANES, (), case.chunk_steps
        else:
            seed_grid, chunk_grid, base_chunk = SEEDS[mode], CHUNKS[mode], steps
        for dtype in (("float32",) if attention else dtypes):   # the attention model has no dtype option
            for n_seeds in seed_grid:
                records.append(time_engine(case, n_seeds, base_chunk, repeats, dtype))
                log(_row(records[-1]))
            for chunk_steps in chunk_grid:
                if chunk_steps == base_chunk:
                    continue
                records.append(time_engine(case, 1, chunk_steps, repeats, dtype))
                log(_row(records[-1]))
        if with_torch and not attention:
            reference = time_torch(case, repeats, base_chunk)
            if reference is None:
                log("  (PyTorch not installed: pip install -e '.[bench]')")
            else:
                torch_records.append(reference)
                log(_against_torch(case, reference, records))
    return {"mode": mode, "repeats": repeats, "environment": results.environment(),
            "cpu": platform.processor() or platform.machine(), "records": records,
            "torch": torch_records, "seed_scaling": seed_scaling(records)}


def _against_torch(case: Case, reference: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """Record in ``reference`` JAX's speed against PyTorch's (one model, the same batch): per step
    with one lane (``jax_speedup``) and per example with each lane count (``jax_examples_ratio``);
    the line that says so."""
    rows = [r for r in records if r["case"] == case.name and r["dtype"] == "float32"]
    mine = [r for r in rows if r["chunk_steps"] == rows[0]["chunk_steps"]]   # the lane grid's chunk
    torch_examples = case.batch_size / reference["step_s"]
    one = mine[0]
    reference["jax_speedup"] = reference["step_s"] / one["step_s"]
    reference["jax_examples_ratio"] = {str(r["seeds"]): r["examples_per_s"] / torch_examples for r in mine}
    ratios = ", ".join(f"{k} lane{'s' if k != '1' else ''} {v:.2f}x"
                       for k, v in reference["jax_examples_ratio"].items())
    return (f"  {case.name:<11} PyTorch {reference['torch_version']}: {1 / reference['step_s']:.1f} "
            f"steps/s; JAX per step (1 lane) {reference['jax_speedup']:.2f}x; per example: {ratios}")


def seed_scaling(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time per step of S vmapped seeds relative to one seed, per case and dtype."""
    out = []
    for (case, dtype) in sorted({(r["case"], r["dtype"]) for r in records}):
        rows = [r for r in records if r["case"] == case and r["dtype"] == dtype]
        base_chunk = max(r["chunk_steps"] for r in rows if r["seeds"] == 1) if rows else None
        rows = [r for r in rows if r["chunk_steps"] == base_chunk]
        one = next((r["step_s"] for r in rows if r["seeds"] == 1), None)
        for r in rows:
            out.append({"case": case, "dtype": dtype, "seeds": r["seeds"],
                        "time_vs_one_seed": r["step_s"] / one if one else None})
    return out


def _row(r: dict[str, Any]) -> str:
    mem = r["compiled_bytes"]
    mem_text = f"{mem / 2**20:8.1f} MiB" if mem else "       -    "
    mfu = f"{100 * r['mfu']:5.1f}%" if r["mfu"] is not None else "    -"
    tflops = f"{r['tflops_per_s']:7.3f}" if r["tflops_per_s"] is not None else "      -"
    return (f"  {r['case']:<11} {r['dtype']:<8} seeds={r['seeds']:<3} chunk={r['chunk_steps']:<4} "
            f"compile {r['compile_s']:6.2f}s  {r['steps_per_s']:9.1f} steps/s  "
            f"{r['examples_per_s']:11.0f} ex/s  {tflops} TFLOP/s  MFU {mfu}  {mem_text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iclx.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="cpu", choices=sorted(CASES),
                        help="smoke: seconds (tests); cpu: the cpu-scale and one paper-scale model "
                             "on this machine; paper: the full grids, for a GPU")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", default="", help="comma list: only these cases of the mode (all if empty)")
    parser.add_argument("--torch", action="store_true", help="also time the PyTorch reference step")
    parser.add_argument("--dtypes", default="float32", help="comma list: float32,bfloat16")
    parser.add_argument("--out", default=None, help="JSON output (default benchmarks/results-<device>.json)")
    parser.add_argument("--time-to-eps", action="store_true",
                        help="also train the demo's model with each recipe of iclx.bench.time_to_eps "
                             "until its error/d past n = d reaches 0.05 and 0.01 (about an hour on 2 "
                             "cores; JSON benchmarks/time-to-eps-<device>.json)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the timings: XLA's per-op profile of one seed's training step "
                             "for each GPT-2 case of the mode (iclx.bench.profile; JSON default "
                             "benchmarks/profile-<mode>-<device>.json)")
    parser.add_argument("--processes", default=None, metavar="1,2",
                        help="instead of the cases: lane-steps per second of the engine across that "
                             "many local CPU processes joined as one cluster, for the mode's first GPT-2 "
                             "case (iclx.bench.processes; JSON default "
                             "benchmarks/results-processes-<case>.json)")
    args = parser.parse_args(argv)
    if args.processes:
        from iclx.bench import processes

        return processes.run_command(args.processes, CASES[args.mode][0].name, lanes=4,
                                     chunk_steps=50, chunks=6, out=args.out)
    dtypes = tuple(d for d in args.dtypes.split(",") if d)
    bad = [d for d in dtypes if d not in ("float32", "bfloat16")]
    if args.repeats < 1 or bad:
        print(f"error: {'--repeats must be >= 1' if args.repeats < 1 else f'unknown dtype {bad[0]}'}",
              file=sys.stderr)
        return 2
    device = jax.devices()[0]
    kind = getattr(device, "device_kind", device.platform).replace(" ", "_")
    if args.profile:
        _write(Path(args.out or f"benchmarks/profile-{args.mode}-{kind}.json"), profile_cases(args.mode))
        return 0
    print(f"iclx bench ({args.mode}) on {getattr(device, 'device_kind', device.platform)} "
          f"x{jax.device_count()}, jax {jax.__version__}; median of {args.repeats} repeats")
    report = run(args.mode, args.repeats, args.torch, dtypes, cases=tuple(c for c in args.cases.split(",") if c))
    out = Path(args.out or f"benchmarks/results-{args.mode}-{kind}.json")
    _write(out, report)
    if args.time_to_eps:
        from iclx.bench import time_to_eps

        _write(Path(f"benchmarks/time-to-eps-{kind}.json"),
               {"environment": results.environment(), "cpu": platform.processor() or platform.machine(),
                "epsilons": time_to_eps.EPSILONS, "recipes": time_to_eps.run()})
    return 0


def profile_cases(mode: str, log=print) -> dict[str, Any]:
    """The per-op profile (``iclx.bench.profile``) of each GPT-2 case of ``mode``, one seed, the chunk
    its timing uses (5 steps for the paper size on a CPU)."""
    from iclx.bench import profile

    out = {"environment": results.environment(), "cpu": platform.processor() or platform.machine(),
           "matmul_roof_tflops": profile.matmul_roof(), "profiles": {}}
    log(f"matmul roof (2048³ float32 product): {out['matmul_roof_tflops']:.3f} TFLOP/s")
    for case in CASES[mode]:
        if isinstance(case, AttentionCase):
            continue
        chunk = 5 if case.name == "gpt2-paper" and jax.default_backend() == "cpu" else STEPS[mode]
        compiled, args, flops, _ = compile_chunk(case, 1, chunk)
        prof = profile.profile_compiled(compiled, args, chunk)
        prof["tflops_per_s"] = flops / (prof["wall_ms_per_step"] * 1e-3) / 1e12
        prof["roof_share"] = prof["tflops_per_s"] / out["matmul_roof_tflops"]
        out["profiles"][case.name] = prof
        log(profile.format_profile(case.name, prof))
    return out


def _write(path: Path, report: dict[str, Any]) -> None:
    results.atomic_write_bytes(path, (json.dumps(report, indent=2, default=str) + "\n").encode())
    print(f"wrote {path}")


"""Lanes per second across local processes: ``python -m iclx.bench --processes 1,2``.

For each process count N it starts N CPU processes on this machine that join one cluster over
loopback (``--coordinator=127.0.0.1:<free port>``, as ``--distributed`` does; one process runs
without joining) and train the same lanes (seeds) of a GPT-2 case with the engine itself
(``engine.run_training``: lanes sharded over the processes' devices, metrics gathered after every
chunk, as in a distributed experiment). Reported: steady lane-steps per second (lanes × steps/s after
the first, compiling, chunk) and the first chunk's time. Every process uses all cores by default, so
on one machine this measures the cost of the multi-process path more than a speed-up; across hosts
each process brings its own cores or accelerators.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULT_TAG = "BENCH_PROCESSES_RESULT "


def worker(case_name: str, n_lanes: int, chunk_steps: int, chunks: int) -> dict[str, Any]:
    """Train ``n_lanes`` lanes of ``case_name`` for ``chunks`` chunks (the first one compiles) in this
    process, which has joined the cluster if there is one; process 0's view of the timings."""
    import jax

    from iclx import engine
    from iclx.bench import cases

    case = next(c for group in cases.CASES.values() for c in group if c.name == case_name)
    train_cfg = cases.case_config(case).train
    train_cfg.update(steps=chunk_steps * chunks, chunk_steps=chunk_steps, log_every=chunk_steps,
                     checkpoint_every=chunk_steps * chunks)
    problem = cases.case_problem(case)
    t0 = time.perf_counter()
    stats = engine.run_training(problem, train_cfg, engine.seed_lanes(n_lanes), 0, progress=False).stats
    return {"processes": jax.process_count(), "devices": jax.device_count(), "case": case_name,
            "lanes": n_lanes, "chunk_steps": chunk_steps, "timed_chunks": chunks - 1,
            "first_chunk_s": stats.first_chunk_s, "steps_per_s": stats.steps_per_s,
            "lane_steps_per_s": stats.steps_per_s * n_lanes, "wall_s": time.perf_counter() - t0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(n_processes: int, case: str, lanes: int, chunk_steps: int, chunks: int,
            timeout_s: float) -> dict[str, Any]:
    """Start ``n_processes`` local workers and return process 0's record."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}
    env.pop("XLA_FLAGS", None)    # one CPU device per process
    env["ICLX_CPU_DEVICES"] = "1"
    port = _free_port()
    procs = []
    for i in range(n_processes):
        cluster = ([f"--coordinator=127.0.0.1:{port}", f"--num-processes={n_processes}",
                    f"--process-id={i}"] if n_processes > 1 else [])
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "iclx.bench.processes", "--worker", f"--case={case}",
             f"--lanes={lanes}", f"--chunk-steps={chunk_steps}", f"--chunks={chunks}", *cluster],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env))
    outputs = []
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise RuntimeError(f"{n_processes} processes did not finish within {timeout_s:.0f} s")
        outputs.append(out)
    for proc, out in zip(procs, outputs):
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed (exit {proc.returncode}):\n{out[-2000:]}")
    line = next(x for x in outputs[0].splitlines() if x.startswith(RESULT_TAG))
    return json.loads(line[len(RESULT_TAG):])


def run(counts: list[int], case: str, lanes: int, chunk_steps: int, chunks: int,
        timeout_s: float = 1800, log=print) -> dict[str, Any]:
    records = []
    for n in counts:
        record = measure(n, case, lanes, chunk_steps, chunks, timeout_s)
        records.append(record)
        log(f"  {n} process{'es' if n > 1 else '  '} ({record['devices']} devices)  {case}  "
            f"lanes={lanes}  first chunk {record['first_chunk_s']:6.1f} s  "
            f"{record['lane_steps_per_s']:9.1f} lane-steps/s")
    base = records[0]["lane_steps_per_s"]
    for record in records:
        record["vs_first"] = record["lane_steps_per_s"] / base if base else None
    return {"records": records, "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iclx.bench.processes",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2", help="comma list of process counts")
    parser.add_argument("--case", default="gpt2-cpu", help="a GPT-2 case of iclx.bench")
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--chunk-steps", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=6, help="chunks per run; the first compiles")
    parser.add_argument("--out", default=None,
                        help="JSON output (default benchmarks/results-processes-<case>.json)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--coordinator", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--num-processes", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        if args.coordinator:
            from iclx.engine import cluster

            cluster.initialize_distributed(cluster.cluster_settings(
                args.coordinator, args.num_processes, args.process_id, 120))
        record = worker(args.case, args.lanes, args.chunk_steps, args.chunks)
        if record["processes"] == 1 or args.process_id in ("0", 0):
            print(RESULT_TAG + json.dumps(record), flush=True)
        return 0
    return run_command(args.processes, args.case, args.lanes, args.chunk_steps, args.chunks, args.out)


def run_command(processes: str, case: str, lanes: int, chunk_steps: int, chunks: int,
                out: str | None) -> int:
    """``python -m iclx.bench --processes …``: measure, print, write the JSON report."""
    try:
        counts = [int(x) for x in processes.split(",") if x.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or lanes < 1 or chunk_steps < 1 or chunks < 2:
        print("error: --processes needs positive integers (e.g. 1,2); --lanes, --chunk-steps >= 1 and "
              "--chunks >= 2", file=sys.stderr)
        return 2
    if any(lanes % n for n in counts):
        print(f"error: --lanes={lanes} must be a multiple of every process count ({processes})",
              file=sys.stderr)
        return 2
    print(f"iclx bench: lanes per second across local CPU processes ({os.cpu_count()} cores), "
          f"{chunks - 1} timed chunks of {chunk_steps} steps")
    report = run(counts, case, lanes, chunk_steps, chunks)
    from iclx.engine import results

    path = Path(out or f"benchmarks/results-processes-{case}.json")
    results.atomic_write_bytes(path, (json.dumps(report, indent=2) + "\n").encode())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

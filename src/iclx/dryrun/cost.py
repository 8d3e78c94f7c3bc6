"""Predicted cost of a full preset on one GPU from a dry run's measurements (``iclx.dryrun``);
``python -m iclx.dryrun.cost [benchmarks/dry-run-paper.json]`` prints its tables.

Per training stage: XLA's FLOPs per step of the compiled chunk program (every lane together, net of
the once-per-chunk ``prepare``) times the preset's steps, at the stated utilisation u of one H100
SXM's dense peak (the H200 has the same compute, more memory and bandwidth): GPU hours =
steps × FLOPs / (peak × u). Beside it, an upper bound from memory traffic, steps × bytes / (HBM × u),
with XLA:CPU's "bytes accessed" (every HLO op's operands and result, unfused: far more than a GPU's
fused program moves, so an upper bound). Evaluation outside
training is not in the prediction (its CPU time is recorded beside it). Kernel-launch overhead is not
modelled either; it matters for the small per-step programs (see benchmarks/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

GPU = "H100 SXM 80GB"
PEAK_FLOPS = {"float32": 67e12, "bfloat16": 989e12}   # dense, no sparsity (fp32 without TF32)
BANDWIDTH = 3.35e12                                     # bytes/s of HBM3
UTILISATION = 0.4
MEMORY_BYTES = 80 * 2 ** 30
ASSUMPTIONS = {"gpu": GPU, "peak_flops": PEAK_FLOPS, "hbm_bytes_per_s": BANDWIDTH,
               "utilisation": UTILISATION, "memory_bytes": MEMORY_BYTES,
               "model": "per stage: steps × FLOPs/step ÷ (peak × u); upper bound steps × bytes/step ÷ "
                        "(HBM × u) with XLA:CPU's unfused bytes; FLOPs and bytes from XLA's cost "
                        "analysis of the CPU-compiled chunk program (all lanes); evaluation and kernel "
                        "launches not included"}


def stage_cost(stage: Mapping[str, Any], dtype: str, factor: float = 1.0) -> dict[str, Any]:
    """Predicted hours and memory of one training stage of a dry-run record; ``factor``: how many
    times more lanes the full preset has than the dry run trained (lanes, FLOPs, bytes and memory
    scale with it)."""
    a = stage.get("analysis") or {}
    steps, flops = stage.get("planned_steps"), a.get("flops_per_step")
    lanes = stage.get("lanes") or 0
    out = {"steps": steps, "lanes": round(lanes * factor), "lane_factor": factor,
           "flops_per_step": None if flops is None else flops * factor,
           "peak_gib": a["peak_bytes"] * factor / 2 ** 30 if "peak_bytes" in a else None,
           "mib_per_lane": a["peak_bytes"] / 2 ** 20 / max(lanes, 1) if "peak_bytes" in a else None,
           "gpu_hours": None, "hbm_hours_upper": None}
    if not steps or flops is None:
        return out
    flops = flops * factor
    bytes_step = (a.get("bytes_accessed") or 0.0) * factor
    if not math.isfinite(bytes_step):
        bytes_step = 0.0
    t_flops = flops / (PEAK_FLOPS[dtype] * UTILISATION)
    t_bytes = bytes_step / (BANDWIDTH * UTILISATION)
    out["gpu_hours"] = steps * t_flops / 3600.0
    out["hbm_hours_upper"] = steps * t_bytes / 3600.0
    return out


def predict(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{experiment: {stage: cost, "total_hours_<dtype>": …}}`` and the grand totals per dtype."""
    out: dict[str, Any] = {}
    totals = {dtype: 0.0 for dtype in PEAK_FLOPS}
    for r in records:
        stages = r.get("stages") or {}
        entry: dict[str, Any] = {"stages": {}}
        for dtype in PEAK_FLOPS:
            hours = 0.0
            for name, stage in stages.items():
                cost = stage_cost(stage, dtype, (r.get("lane_factor") or {}).get(name, 1.0))
                entry["stages"].setdefault(name, {k: v for k, v in cost.items()
                                                  if k not in ("gpu_hours", "bound")})
                entry["stages"][name][f"gpu_hours_{dtype}"] = cost["gpu_hours"]
                hours += cost["gpu_hours"] or 0.0
            entry[f"total_hours_{dtype}"] = hours
            totals[dtype] += hours
        entry["hbm_hours_upper"] = sum(s.get("hbm_hours_upper") or 0.0 for s in entry["stages"].values())
        totals["hbm_upper"] = totals.get("hbm_upper", 0.0) + entry["hbm_hours_upper"]
        peaks = [s.get("peak_gib") for s in entry["stages"].values() if s.get("peak_gib") is not None]
        entry["peak_gib"] = max(peaks) if peaks else None
        out[r["experiment"]] = entry
    return {"experiments": out, **{f"total_hours_{d}": h for d, h in totals.items()}}


def markdown_table(report: Mapping[str, Any]) -> str:
    """The benchmarks/README.md table of a dry-run report (``dryrun.write_report``'s JSON)."""
    pred = report["predicted"]
    rows = ["| experiment | stage | lanes | steps | GFLOP/step (all lanes) | compiled peak GiB | MiB/lane "
            "| GPU-h fp32 | GPU-h bf16 | HBM-bound h (upper) |", "|---|---|---|---|---|---|---|---|---|---|"]
    failed = [r["experiment"] for r in report.get("experiments", [])   # failed before any stage's record
              if not r.get("ok") and not r.get("stages")]
    for name, entry in pred["experiments"].items():
        if name in failed:
            rows.append(f"| **{name}** | not recorded (its dry run failed) | | | | | | — | — | — |")
            continue
        if not entry["stages"]:
            rows.append(f"| **{name}** | no training stage | | | | | | 0 | 0 | 0 |")
            continue
        for stage, s in entry["stages"].items():
            rows.append(f"| {name} | {stage} | {s['lanes']} | {_n(s['steps'])} | "
                        f"{_f(s['flops_per_step'], 1e9)} | {_f(s['peak_gib'])} | {_f(s['mib_per_lane'])} | "
                        f"{_f(s.get('gpu_hours_float32'))} | {_f(s.get('gpu_hours_bfloat16'))} | "
                        f"{_f(s.get('hbm_hours_upper'))} |")
        rows.append(f"| **{name}** | all | | | | {_f(entry['peak_gib'])} | | "
                    f"**{_f(entry['total_hours_float32'])}** | **{_f(entry['total_hours_bfloat16'])}** | "
                    f"{_f(entry['hbm_hours_upper'])} |")
    label = f"all recorded ({len(pred['experiments']) - len(failed)} of {len(pred['experiments'])})" \
        if failed else "all"
    rows.append(f"| **{label}** | | | | | | | **{_f(pred['total_hours_float32'])}** | "
                f"**{_f(pred['total_hours_bfloat16'])}** | {_f(pred.get('total_hours_hbm_upper'))} |")
    return "\n".join(rows)


def _f(x: float | None, scale: float = 1.0) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    v = x / scale
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _n(x: int | None) -> str:
    return "—" if x is None else f"{x:,}"


def checks_table(report: Mapping[str, Any]) -> str:
    """One row per experiment of a dry-run report: status, times, memory, figures, what was cut."""
    rows = ["| experiment | result | wall s (CPU) | outside training s | max RSS GiB | figures | shrunk |",
            "|---|---|---|---|---|---|---|"]
    for r in report["experiments"]:
        if "error" in r:
            last = (r["error"] or "?").strip().splitlines()[-1][:160].replace("|", "\\|")
            rows.append(f"| {r['experiment']} | **failed**: {last} | {r.get('wall_s', 0):.0f} | | | | |")
            continue
        problems = [*r["non_finite_scalars"][:3], *list(r["non_finite_arrays"])[:3], *r["figure_problems"][:3]]
        state = "ok" if r["ok"] else "**non-finite / bad figure**: " + ", ".join(map(str, problems))
        if r.get("allowed_non_finite"):
            fields = sorted({path.rsplit(".", 1)[-1] for path in r["allowed_non_finite"]})
            state += f" ({len(r['allowed_non_finite'])} NaN by definition: {', '.join(fields)})"
        shrunk = r.get("shrunk") or {}
        fields = ", ".join(f"{k}={v}" for k, v in (shrunk.get("fields") or {}).items())
        rows.append(f"| {r['experiment']} | {state} | {r['wall_s']:.0f} | {r['outside_training_s']:.0f} | "
                    f"{r['max_rss_gib']:.1f} | {len(r['figures'])} | {fields or '—'} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the checks and cost tables of a dry-run record (default benchmarks/dry-run-paper.json)."""
    import json
    import sys

    argv = sys.argv[1:] if argv is None else list(argv)
    report = json.loads(open(argv[0] if argv else "benchmarks/dry-run-paper.json").read())
    print(checks_table(report) + "\n\n" + markdown_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

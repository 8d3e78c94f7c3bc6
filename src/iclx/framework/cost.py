"""What a run will cost, predicted from its config before anything is compiled.

An experiment may declare ``estimate(cfg) -> Cost``: its peak memory (bytes held at once by the
largest program, all lanes on one device) and its seconds on this kind of machine, counted
analytically from the config's sizes. The command line refuses a run whose memory exceeds the
machine's (or ``--max-memory``) and prints the estimate of a long one when it starts.

The basis, stated once here (rough, meant to err on the high side):

- **memory**: 4-byte floats (8 where a stage runs in float64). A trained transformer holds per lane
  4 copies of its P parameters (weights, gradient, Adam's two moments) and the activations its
  backward pass keeps: per layer and token 12·width + 3·mlp_width + 3·heads·tokens floats (checked
  against XLA's compiled peak of the paper presets in benchmarks/README.md: 2.2 vs 2.25 GiB per lane
  of gpt2-paper). An evaluation holds its prompts and one chunk's forward activations. Closed-form
  stages count their largest arrays (feature matrices, Gram matrices, Hessians).
- **disk**: a training stage keeps its latest checkpoints (``KEPT_CHECKPOINTS``, one more while the
  next is written) of its state, 3 floats per parameter and lane (weights and Adam's two moments);
  stages add up, as every stage keeps its own. The command line adds an allowance for the results
  and figures (``iclx.framework.preflight``) and compares it with the free space of the run folder.
- **time**: FLOPs ÷ a sustained rate (``MACHINE_FLOPS``: 10¹¹ FLOP/s on a CPU, what 2 cores reached
  on gpt2 in the bench; 2.7·10¹³ on a GPU, 40 % of an H100's fp32 peak), plus ``COMPILE_S`` per
  compiled program. A transformer narrower than ``SMALL_WIDTH`` counts (64 / width)² (at most 4) times its FLOPs:
  measured on 2 cores, width 32 trained at 2.5·10¹⁰ FLOP/s, width 64 at 10¹¹ (gd_vs_newton's and
  linear_regression's cpu presets). A random number counts ``RANDOM_FLOPS`` (threefry).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from pathlib import Path

FLOAT = 4
MACHINE_FLOPS = {"cpu": 1e11, "gpu": 2.7e13, "tpu": 2.7e13}
COMPILE_S = {"cpu": 5.0, "gpu": 5.0, "tpu": 5.0}
SMALL_WIDTH = 64            # narrower transformers run below the machine's rate (small matrices)
RANDOM_FLOPS = 100
LONG_RUN_S = 600.0          # a run predicted to take longer says so when it starts
GIB = 2 ** 30
KEPT_CHECKPOINTS = 2        # iclx.engine.checkpoints keeps the latest two of each stage


@dataclasses.dataclass(frozen=True)
class Cost:
    """A prediction: ``bytes`` at the peak, ``flops`` in all, ``programs`` compiled, ``disk`` bytes
    of checkpoints kept at once."""

    bytes: float = 0.0
    flops: float = 0.0
    programs: int = 0
    disk: float = 0.0

    def seconds(self, platform: str = "cpu") -> float:
        """Predicted wall seconds on ``platform`` ("cpu" | "gpu" | "tpu")."""
        rate = MACHINE_FLOPS.get(platform, MACHINE_FLOPS["cpu"])
        return self.flops / rate + self.programs * COMPILE_S.get(platform, COMPILE_S["cpu"])


def sequence(costs: Iterable[Cost]) -> Cost:
    """Stages run one after another: the peak is the largest one's, FLOPs and programs add up."""
    costs = list(costs)
    return Cost(max((c.bytes for c in costs), default=0.0), sum(c.flops for c in costs),
                sum(c.programs for c in costs), sum(c.disk for c in costs))


def scaled(cost: Cost, times: float) -> Cost:
    """``cost`` repeated ``times`` times one after another (same peak and checkpoints, ``times``×
    the FLOPs)."""
    return Cost(cost.bytes, cost.flops * times, cost.programs, cost.disk)


def checkpoints(params: float, lanes: int) -> float:
    """Disk bytes of a training stage's checkpoints of ``lanes`` models of ``params`` parameters."""
    return FLOAT * 3 * params * lanes * (KEPT_CHECKPOINTS + 1)


# --------------------------------------------------------------------------- transformers


def gpt2_params(model, n_dims: int) -> float:
    """Parameters of ``iclx.models.gpt2`` (``model``: its config group): blocks, positions, read-in/out."""
    width, mlp = model.n_embd, model.mlp_width
    block = 4 * width * width + 2 * width * mlp + 9 * width + mlp
    return model.n_layer * block + model.n_positions * width + (n_dims + 2) * width + 2 * width + 1


def _gpt2_forward_flops(model, n_dims: int, batch: float, tokens: int) -> float:
    dense = 2 * gpt2_params(model, n_dims) * batch * tokens
    attention = 4 * model.n_layer * batch * tokens * tokens * model.n_embd
    return (dense + attention) * min(4.0, max(1.0, SMALL_WIDTH / model.n_embd) ** 2)


def gpt2_training(model, n_dims: int, *, batch: int, tokens: int, lanes: int, steps: int) -> Cost:
    """Training ``lanes`` GPT-2s together for ``steps`` steps of ``batch`` prompts of ``tokens`` tokens."""
    saved = model.n_layer * batch * tokens * (12 * model.n_embd + 3 * model.mlp_width
                                              + 3 * model.n_head * tokens)
    per_lane = FLOAT * (4 * gpt2_params(model, n_dims) + saved)
    flops = 3 * _gpt2_forward_flops(model, n_dims, batch, tokens) * lanes * steps
    return Cost(per_lane * lanes, flops, 1, checkpoints(gpt2_params(model, n_dims), lanes))


def gpt2_forward(model, n_dims: int, *, batch: float, tokens: int, models: int = 1) -> Cost:
    """One forward pass of ``models`` GPT-2s over ``batch`` prompts at once (inference: a layer's
    activations live at a time, with its attention matrix)."""
    live = batch * tokens * (4 * model.n_embd + 2 * model.mlp_width + 2 * model.n_head * tokens)
    return Cost(FLOAT * (models * (gpt2_params(model, n_dims) + live)),
                models * _gpt2_forward_flops(model, n_dims, batch, tokens), 1)


def random_numbers(count: float, dtype_bytes: int = FLOAT) -> Cost:
    """Drawing ``count`` random numbers held at once."""
    return Cost(dtype_bytes * count, RANDOM_FLOPS * count, 0)


# --------------------------------------------------------------------------- the machine


def machine_memory(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Bytes this process may use: the accelerator's memory limit if jax reports one, else the host's
    MemAvailable (MemTotal if absent); None when neither is known."""
    try:
        import jax

        stats = jax.local_devices()[0].memory_stats() or {}
        if stats.get("bytes_limit"):
            return float(stats["bytes_limit"])
    except Exception:  # noqa: BLE001 - no backend: fall back to the host's memory
        pass
    try:
        fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line)
    except OSError:
        return None
    for name in ("MemAvailable", "MemTotal"):
        if name in fields:
            return float(fields[name].split()[0]) * 1024
    return None


def platform() -> str:
    """The default backend's platform ("cpu", "gpu", "tpu")."""
    import jax

    name = jax.default_backend()
    return "gpu" if name in ("cuda", "rocm", "gpu") else name


def gib(value: float) -> str:
    """``value`` bytes as GiB, e.g. "1.2 GiB" (or "3.4 MiB" below one GiB)."""
    if value < GIB:
        return f"{value / 2 ** 20:.3g} MiB"
    return f"{value / GIB:.3g} GiB"


def elapsed(seconds: float) -> str:
    """A measured wall time to the second or minute: "42 s", "7 min 12 s", "2 h 21 min"."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def duration(seconds: float) -> str:
    """A predicted time, rounded as its estimate deserves: "42 s", "12 min", "3.5 h", "2.1 days"."""
    if not math.isfinite(seconds):
        return "forever"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"

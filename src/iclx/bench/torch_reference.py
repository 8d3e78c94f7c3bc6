"""The GPT-2 ICL training step in PyTorch, for ``python -m iclx.bench --torch`` only.

Same architecture as ``iclx.models.gpt2`` (read-in, learned positions, pre-LN blocks with causal
softmax attention and a tanh-GELU MLP of width 4·n_embd, ln_f, read-out at x positions), same batch,
prompt sampling on the fly, MSE over all positions, Adam. Needs the optional extra ``.[bench]``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.ln_1, self.ln_2 = nn.LayerNorm(n_embd, eps=1e-5), nn.LayerNorm(n_embd, eps=1e-5)
        self.c_attn, self.attn_proj = nn.Linear(n_embd, 3 * n_embd), nn.Linear(n_embd, n_embd)
        self.c_fc, self.mlp_proj = nn.Linear(n_embd, 4 * n_embd), nn.Linear(4 * n_embd, n_embd)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        batch, length, width = h.shape
        q, k, v = self.c_attn(self.ln_1(h)).split(width, dim=-1)
        q, k, v = (t.view(batch, length, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.attn_proj(a.transpose(1, 2).reshape(batch, length, width))
        return h + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(h)), approximate="tanh"))


class GPT2ICL(nn.Module):
    def __init__(self, n_dims: int, n_positions: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.read_in = nn.Linear(n_dims, n_embd)
        self.wpe = nn.Parameter(0.02 * torch.randn(n_positions, n_embd))
        self.blocks = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f, self.read_out = nn.LayerNorm(n_embd, eps=1e-5), nn.Linear(n_embd, 1)

    def forward(self, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
        y_tokens = torch.zeros_like(xs)
        y_tokens[..., 0] = ys
        tokens = torch.stack([xs, y_tokens], dim=2).flatten(1, 2)
        h = self.read_in(tokens) + self.wpe[: tokens.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.read_out(self.ln_f(h)[:, ::2])[..., 0]


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def time_training_step(case, *, repeats: int, steps: int, seed: int = 0) -> dict[str, Any]:
    """Median seconds per Adam step of ``case`` (an ``iclx.bench.Case``) on this machine's CPU."""
    torch.manual_seed(seed)
    model = GPT2ICL(case.n_dims, 2 * case.n_points, case.n_layer, case.n_head, case.n_embd)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        xs = torch.randn(case.batch_size, case.n_points, case.n_dims)
        w = torch.randn(case.batch_size, case.n_dims, 1)
        ys = (xs @ w)[..., 0]
        loss = F.mse_loss(model(xs, ys), ys)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()                                   # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t0) / steps)
    return {"case": case.name, "torch_version": torch.__version__, "threads": torch.get_num_threads(),
            "params": count_params(model), "step_s": statistics.median(times)}

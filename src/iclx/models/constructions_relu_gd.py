"""A transformer with hand-set weights that trains an N-layer ReLU network by gradient descent in context.

Our construction in the spirit of Wu et al. 2024 (arXiv 2411.16549), Theorem 1: ReLU attention
normalised by 1/n (n = number of in-context examples), ReLU MLPs and element-wise multiplication
layers (EWML), acting on tokens that carry the example (x_i, y_i), a constant 1, the indicator t_i of
being an example (0 for the query), a copy of the current network weights w and scratch space. One GD
step on L_n(w) = (1/2n) Σ_i (f(w, x_i) − y_i)² for the bias-free network
f(w, x) = W_N relu(W_{N−1} … relu(W_1 x)) (linear output, as our task) is 3N layers:

- forward, per token: EWML z_j = W_j p_{j−1} (and the masked weights M_{j−1} = W_j · diag(m_{j−1}),
  which the backward pass needs), MLP p_j = relu(z_j), m_j = 1(z_j > 0); the last EWML also writes the
  residual δ_N = f(w, x_i) − y_i.  N EWML + (N − 1) MLP layers.
- backward, per token: EWML δ_j = M_jᵀ δ_{j+1} together with the gradient block
  G_{j+1} = δ_{j+1} p_jᵀ, and a last EWML G_1 = δ_1 xᵀ.  N EWML layers.
- update: one ReLU-attention head with query 1 and key t_i, so its score ReLU(1 · t_i) is 1 on examples
  and 0 on the query; its value −η G_i lands on the weight slots: w ← w − η (1/n) Σ_i G_i on every
  token, which is exactly one GD step.

After L steps, a last forward pass (N EWML + N − 1 MLP layers) writes f(w⁽ᴸ⁾, x_query) into the query
token's ``pred`` slot: 3NL + 2N − 1 layers in all. Every layer *sets* the scratch slots it writes
(it adds new − old, using the constant-1 coordinate in an EWML and relu(a) − relu(−a) = a in an MLP),
so the width does not grow with L.

Differences from the paper (we could read its statements, not the proofs' weight matrices): the
paper's block per GD step is TF^{N+2} ∘ EWML^N ∘ TF², (2N + 4) layers; ours is 2N EWML + (N − 1) MLP
+ 1 attention = 3N layers (a different split of the same work: the paper's count includes attention +
MLP pairs and approximation layers). The paper approximates the derivative of the activation by a sum
of ReLUs with error ε; ReLU's derivative, a step, is represented here by relu(z/ε) − relu(z/ε − 1),
exact except for pre-activations in (0, ε) (``step_eps``). The paper runs projected GD from
w⁽⁰⁾ = 0; w = 0 is a stationary point of a bias-free ReLU network, so we start from a w⁽⁰⁾ written into
the tokens, and we do not project (B_v = ∞). The paper's output layer applies r too; ours is linear,
matching the targets of the experiments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from iclx.tasks import relu_net


class Ewml(NamedTuple):
    """h ← h + ((h Aᵀ) ⊙ (h Bᵀ)) Woᵀ; ``a, b [P, D]``, ``out [D, P]``."""

    a: jax.Array
    b: jax.Array
    out: jax.Array


class Mlp(NamedTuple):
    """h ← h + relu(h W1ᵀ) W2ᵀ; ``w1 [F, D]``, ``w2 [D, F]`` (biases via the constant-1 slot)."""

    w1: jax.Array
    w2: jax.Array


class Attention(NamedTuple):
    """h_s ← h_s + (1/n) Σ_heads Σ_i relu(q_s·k_i) v_i; ``query, key [H, m, D]``, ``value [H, D, D]``."""

    query: jax.Array
    key: jax.Array
    value: jax.Array


def apply_layer(layer, h: jax.Array, n: int | jax.Array) -> jax.Array:
    """One layer on tokens ``h [T, D]``; ``n`` is the attention's normaliser (number of examples)."""
    if isinstance(layer, Ewml):
        return h + ((h @ layer.a.T) * (h @ layer.b.T)) @ layer.out.T
    if isinstance(layer, Mlp):
        return h + jax.nn.relu(h @ layer.w1.T) @ layer.w2.T
    q = jnp.einsum("tD,hmD->htm", h, layer.query)
    k = jnp.einsum("tD,hmD->htm", h, layer.key)
    v = jnp.einsum("tD,hED->htE", h, layer.value)
    scores = jax.nn.relu(jnp.einsum("hsm,him->hsi", q, k))
    return h + jnp.einsum("hsi,hiE->sE", scores, v) / n


def forward(layers: Sequence, h: jax.Array, n: int | jax.Array) -> jax.Array:
    """The tokens after every layer, ``[T, D]``."""
    for layer in layers:
        h = apply_layer(layer, h, n)
    return h


class Layout:
    """Where each quantity lives in a token: ``slot(name) -> (start, size)``, width ``D``."""

    def __init__(self, widths: Sequence[int]):
        self.widths = tuple(widths)
        self.depth = len(widths) - 1
        d, N = widths[0], self.depth
        sizes = [("x", d), ("y", 1), ("one", 1), ("t", 1)]
        sizes += [(f"W{j}", widths[j] * widths[j - 1]) for j in range(1, N + 1)]
        for j in range(1, N):
            sizes += [(f"z{j}", widths[j]), (f"p{j}", widths[j]), (f"m{j}", widths[j]),
                      (f"M{j}", widths[j + 1] * widths[j]), (f"d{j}", widths[j])]
        sizes += [("pred", 1), (f"d{N}", 1)]
        sizes += [(f"G{j}", widths[j] * widths[j - 1]) for j in range(1, N + 1)]
        self.slots, start = {}, 0
        for name, size in sizes:
            self.slots[name] = (start, size)
            start += size
        self.D = start

    def idx(self, name: str, i: int = 0) -> int:
        return self.slots[name][0] + i

    def p(self, j: int, b: int) -> int:
        """Index of p_j[b] (p_0 = x)."""
        return self.idx("x", b) if j == 0 else self.idx(f"p{j}", b)

    def w(self, j: int, a: int, b: int) -> int:
        """Index of W_j[a, b]."""
        return self.idx(f"W{j}", a * self.widths[j - 1] + b)


class _EwmlBuilder:
    """Collects product terms coef · h[i] · h[k] → out; writes to a slot *set* it (subtract old)."""

    def __init__(self, layout: Layout):
        self.layout, self.terms, self.written = layout, [], set()

    def add(self, i: int, k: int, out: int, coef: float = 1.0):
        self.terms.append((i, k, out, coef))
        self.written.add(out)

    def build(self, dtype) -> Ewml:
        one = self.layout.idx("one")
        terms = self.terms + [(o, one, o, -1.0) for o in sorted(self.written)]
        D, P = self.layout.D, len(terms)
        a, b, out = np.zeros((P, D)), np.zeros((P, D)), np.zeros((D, P))
        for r, (i, k, o, coef) in enumerate(terms):
            a[r, i], b[r, k], out[o, r] = 1.0, 1.0, coef
        return Ewml(*(jnp.asarray(m, dtype) for m in (a, b, out)))


def _forward_layers(L: Layout, dtype, step_eps: float) -> list:
    widths, N, layers = L.widths, L.depth, []
    for j in range(1, N + 1):
        e = _EwmlBuilder(L)
        for a in range(widths[j]):
            out = L.idx(f"z{j}", a) if j < N else L.idx("pred")
            for b in range(widths[j - 1]):
                e.add(L.w(j, a, b), L.p(j - 1, b), out)
                if j > 1:   # masked weights M_{j−1}[a, b] = W_j[a, b] · m_{j−1}[b]
                    e.add(L.w(j, a, b), L.idx(f"m{j - 1}", b), L.idx(f"M{j - 1}", a * widths[j - 1] + b))
        if j == N:          # residual δ_N = pred − y, from the same products
            for b in range(widths[N - 1]):
                e.add(L.w(N, 0, b), L.p(N - 1, b), L.idx(f"d{N}"))
            e.add(L.idx("y"), L.idx("one"), L.idx(f"d{N}"), -1.0)
        layers.append(e.build(dtype))
        if j < N:
            layers.append(_activation_mlp(L, j, dtype, step_eps))
    return layers


def _activation_mlp(L: Layout, j: int, dtype, step_eps: float) -> Mlp:
    """p_j = relu(z_j), m_j = relu(z_j/ε) − relu(z_j/ε − 1), both set (old values removed)."""
    rows_in, rows_out = [], []
    one = L.idx("one")
    for a in range(L.widths[j]):
        z, p, m = L.idx(f"z{j}", a), L.idx(f"p{j}", a), L.idx(f"m{j}", a)
        rows_in += [{z: 1.0}, {z: 1.0 / step_eps}, {z: 1.0 / step_eps, one: -1.0},
                    {p: 1.0}, {p: -1.0}, {m: 1.0}, {m: -1.0}]
        rows_out += [{p: 1.0}, {m: 1.0}, {m: -1.0}, {p: -1.0}, {p: 1.0}, {m: -1.0}, {m: 1.0}]
    w1, w2 = np.zeros((len(rows_in), L.D)), np.zeros((L.D, len(rows_in)))
    for r, (rin, rout) in enumerate(zip(rows_in, rows_out)):
        for i, v in rin.items():
            w1[r, i] = v
        for o, v in rout.items():
            w2[o, r] = v
    return Mlp(jnp.asarray(w1, dtype), jnp.asarray(w2, dtype))


def _backward_layers(L: Layout, dtype) -> list:
    widths, N, layers = L.widths, L.depth, []
    for j in range(N - 1, -1, -1):
        e = _EwmlBuilder(L)
        for a in range(widths[j + 1]):          # G_{j+1}[a, b] = δ_{j+1}[a] · p_j[b]
            delta = L.idx(f"d{j + 1}", a)
            for b in range(widths[j]):
                e.add(delta, L.p(j, b), L.idx(f"G{j + 1}", a * widths[j] + b))
                if j > 0:                         # δ_j[b] = Σ_a M_j[a, b] · δ_{j+1}[a]
                    e.add(L.idx(f"M{j}", a * widths[j] + b), delta, L.idx(f"d{j}", b))
        layers.append(e.build(dtype))
    return layers


def _update_layer(L: Layout, eta: float, dtype) -> Attention:
    """w ← w − η (1/n) Σ_i t_i G_i: score relu(1 · t_i), value −η G on the weight slots."""
    q, k, v = np.zeros((1, 1, L.D)), np.zeros((1, 1, L.D)), np.zeros((1, L.D, L.D))
    q[0, 0, L.idx("one")], k[0, 0, L.idx("t")] = 1.0, 1.0
    for j in range(1, L.depth + 1):
        start_w, size = L.slots[f"W{j}"]
        start_g, _ = L.slots[f"G{j}"]
        for r in range(size):
            v[0, start_w + r, start_g + r] = -eta
    return Attention(*(jnp.asarray(m, dtype) for m in (q, k, v)))


def gd_layers(widths: Sequence[int], steps: int, eta: float, *, step_eps: float = 1e-6,
              dtype=jnp.float64) -> tuple[Layout, list]:
    """The layout and the 3N·steps + 2N − 1 layers that run ``steps`` GD steps with rate ``eta`` on a
    network of ``widths (d, K_1, …, K_{N−1}, 1)`` and then predict at the query."""
    L = Layout(widths)
    one_step = _forward_layers(L, dtype, step_eps) + _backward_layers(L, dtype) + [_update_layer(L, eta, dtype)]
    return L, one_step * steps + _forward_layers(L, dtype, step_eps)


def embed(L: Layout, xs: jax.Array, ys: jax.Array, weights: Sequence[jax.Array]) -> jax.Array:
    """Tokens ``[n + 1, D]``: ``xs [n + 1, d]`` (the last row is the query), ``ys [n]`` and the
    initial weights ``weights[j] [K_j, K_{j−1}]`` copied into every token."""
    T = xs.shape[0]
    h = jnp.zeros((T, L.D), xs.dtype)
    h = h.at[:, L.idx("x"):L.idx("x") + xs.shape[1]].set(xs)
    h = h.at[:-1, L.idx("y")].set(ys)
    h = h.at[:, L.idx("one")].set(1.0)
    h = h.at[:-1, L.idx("t")].set(1.0)
    for j, w in enumerate(weights, start=1):
        start, size = L.slots[f"W{j}"]
        h = h.at[:, start:start + size].set(jnp.broadcast_to(w.reshape(-1), (T, size)))
    return h


def read_weights(L: Layout, token: jax.Array) -> tuple[jax.Array, ...]:
    """The network weights stored in one token ``[D]``."""
    out = []
    for j in range(1, L.depth + 1):
        start, size = L.slots[f"W{j}"]
        out.append(token[start:start + size].reshape(L.widths[j], L.widths[j - 1]))
    return tuple(out)


def predict(layers: Sequence, L: Layout, xs: jax.Array, ys: jax.Array,
            weights: Sequence[jax.Array]) -> jax.Array:
    """The construction's prediction at the query ``xs[-1]`` after its GD steps (scalar)."""
    h = forward(layers, embed(L, xs, ys, weights), xs.shape[0] - 1)
    return h[-1, L.idx("pred")]


def explicit_gd(weights: Sequence[jax.Array], xs: jax.Array, ys: jax.Array, eta: float,
                steps: int) -> tuple[jax.Array, ...]:
    """``steps`` steps of w ← w − η ∇L_n(w), L_n = (1/2n) Σ_i (f(w, x_i) − y_i)² on ``xs [n, d]``."""
    loss = lambda w: 0.5 * jnp.mean((relu_net.forward(w, xs) - ys) ** 2)
    w = tuple(weights)
    for _ in range(steps):
        w = tuple(a - eta * g for a, g in zip(w, jax.grad(loss)(w)))
    return w

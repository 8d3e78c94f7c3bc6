"""Direct training: an N-layer ReLU network fitted by gradient descent to a prompt's examples.

The baseline of Wu et al. 2024 (arXiv 2411.16549, the gray "N-Layer NN" curves): for the query at
position k of a prompt, a fresh network of the target's depth is trained on the k examples before it
(full-batch, mean squared error) for ``epochs`` steps, and its prediction at x_k is recorded after
every step. Every position of every prompt is an independent fit, vmapped (positions inside a
prompt, prompts in chunks), so a whole evaluation set is one compiled program.

``r_squared`` is the paper's metric, pooled over prompts at each position:
R²_k = 1 − Σ_b (ŷ_bk − y_bk)² / Σ_b (y_bk − ȳ_k)². ``best_epoch`` takes the highest R² over the
recorded steps at each position (the paper's rule, an oracle choice); the last step's R² is the
honest variant.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import optax

from iclx.tasks import relu_net

OPTIMIZERS = ("adam", "sgd")


def masked_loss(weights, xs: jax.Array, ys: jax.Array, mask: jax.Array) -> jax.Array:
    """½ · mean over the masked examples of (f(x_i) − y_i)²; ``xs [n, d]``, ``ys, mask [n]``."""
    residual = relu_net.forward(weights, xs) - ys
    return 0.5 * jnp.sum(mask * residual ** 2) / jnp.maximum(jnp.sum(mask), 1.0)


def fit_prefixes(key: jax.Array, xs: jax.Array, ys: jax.Array, positions: Sequence[int], *,
                 depth: int, width: int, epochs: int, lr: float, optimizer: str = "adam",
                 return_loss: bool = False):
    """Predictions ``[epochs, len(positions)]`` for one prompt (``xs [n, d]``, ``ys [n]``): for each
    position k, a network with widths ``(d, width, …, width, 1)`` initialised by ``he_init(key)`` and
    trained on examples 0..k−1, evaluated at x_k after each of ``epochs`` full-batch steps. With
    ``return_loss`` also the training loss before each step, ``[epochs, len(positions)]``."""
    n = xs.shape[0]
    positions = jnp.asarray(positions)
    widths = relu_net.layer_widths(xs.shape[-1], depth, width)
    init = relu_net.he_init(key, widths)
    params = jax.tree.map(lambda w: jnp.broadcast_to(w, (len(positions),) + w.shape), init)
    masks = (jnp.arange(n)[None, :] < positions[:, None]).astype(xs.dtype)      # [P, n]
    queries = xs[positions]                                                     # [P, d]
    tx = optax.adam(lr) if optimizer == "adam" else optax.sgd(lr)
    grad = jax.vmap(jax.grad(masked_loss), in_axes=(0, None, None, 0))
    predict = jax.vmap(lambda w, x: relu_net.forward(w, x[None])[0])

    loss = jax.vmap(masked_loss, in_axes=(0, None, None, 0))

    def step(carry, _):
        params, opt_state = carry
        before = loss(params, xs, ys, masks)
        updates, opt_state = jax.vmap(tx.update)(grad(params, xs, ys, masks), opt_state, params)
        params = optax.apply_updates(params, updates)
        return (params, opt_state), (predict(params, queries), before)

    _, (preds, losses) = jax.lax.scan(step, (params, jax.vmap(tx.init)(params)), None, length=epochs)
    return (preds, losses) if return_loss else preds


def fit_prompts(key: jax.Array, xs: jax.Array, ys: jax.Array, positions: Sequence[int], *,
                depth: int, width: int, epochs: int, lr: float, optimizer: str = "adam",
                chunk: int = 32) -> jax.Array:
    """``fit_prefixes`` for every prompt of ``xs [B, n, d]``, ``ys [B, n]`` → ``[epochs, B, P]``.
    Prompt b's initialisation is ``fold_in(key, b)``; prompts run ``chunk`` at a time (memory)."""
    batch = xs.shape[0]
    chunk = min(chunk, batch)                                  # 8 prompts are not padded to 32
    pad = (-batch) % chunk
    keys = jax.vmap(lambda b: jax.random.fold_in(key, b))(jnp.arange(batch + pad))
    xs_p = jnp.concatenate([xs, jnp.repeat(xs[:1], pad, 0)]) if pad else xs
    ys_p = jnp.concatenate([ys, jnp.repeat(ys[:1], pad, 0)]) if pad else ys

    def one_chunk(args):
        k, x, y = args
        fit = lambda kk, xx, yy: fit_prefixes(kk, xx, yy, positions, depth=depth, width=width,
                                              epochs=epochs, lr=lr, optimizer=optimizer)
        return jax.vmap(fit)(k, x, y)                          # [chunk, E, P]

    shaped = lambda a: a.reshape((-1, chunk) + a.shape[1:])
    preds = jax.lax.map(one_chunk, (shaped(keys), shaped(xs_p), shaped(ys_p)))
    preds = preds.reshape((-1,) + preds.shape[2:])[:batch]    # [B, E, P]
    return jnp.moveaxis(preds, 1, 0)


def r_squared(preds: jax.Array, ys: jax.Array) -> jax.Array:
    """Pooled R² per position: ``preds [..., B, n]``, ``ys [B, n]`` → ``[..., n]``."""
    residual = jnp.sum((preds - ys) ** 2, axis=-2)
    total = jnp.sum((ys - jnp.mean(ys, axis=0)) ** 2, axis=0)
    return 1.0 - residual / total


def best_epoch(r2_per_epoch: jax.Array) -> jax.Array:
    """The paper's rule: the highest R² over epochs at each position, ``[E, n]`` → ``[n]``."""
    return jnp.max(r2_per_epoch, axis=0)


def gd_step_predictions(weights, xs: jax.Array, ys: jax.Array, steps: Sequence[int], lr: float) -> jax.Array:
    """Plain full-batch GD on the N-layer network, w ← w − lr ∇L(w) with L the masked loss above,
    from ``weights`` (``W_j [out, in]``), once per position: the prediction at x_t from examples
    0..t−1 after each step count in ``steps`` (0 = the initial network), ``[len(steps), n]`` for one
    prompt ``xs [n, d]``, ``ys [n]`` (position 0 has no example: its gradient is 0). The algorithm
    that the construction ``iclx.models.constructions_relu_gd`` runs, as a probe candidate."""
    n, steps = xs.shape[0], tuple(int(s) for s in steps)
    params = jax.tree.map(lambda w: jnp.broadcast_to(w, (n,) + w.shape), tuple(weights))
    masks = (jnp.arange(n)[None, :] < jnp.arange(n)[:, None]).astype(xs.dtype)      # [n, n]
    grad = jax.vmap(jax.grad(masked_loss), in_axes=(0, None, None, 0))
    predict = jax.vmap(lambda w, x: relu_net.forward(w, x[None])[0])

    def step(params, _):
        new = jax.tree.map(lambda w, g: w - lr * g, params, grad(params, xs, ys, masks))
        return new, predict(params, xs)                                          # before the step

    _, preds = jax.lax.scan(step, params, None, length=max(steps) + 1)           # [S + 1, n]
    return preds[jnp.asarray(steps)]

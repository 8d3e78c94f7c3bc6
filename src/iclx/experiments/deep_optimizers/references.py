"""The references a trained transformer is held against, computed from the test prompts alone:

- trivial predictors (no training): **1-NN**, the label of the nearest earlier input, and **label
  averaging**, the mean of the earlier labels; pooled R² per position on the very prompts the
  transformer is scored on (``trivial/<name>/N<t>/<mixture>/<shift>``, ``[n]``);
- the directly trained N-layer network's fits, kept as **per-block sums** over ``BLOCKS`` blocks of
  the baseline's prompts, ``[blocks, 3, epochs, positions]`` = (Σ(ŷ − y)², Σy, Σy²) with the block
  sizes ``[blocks]``: any subset of blocks gives its pooled R² per epoch, so the best-epoch R² gets a
  delete-one-block jackknife interval (``block_r2``) instead of counting as exact.
"""

from __future__ import annotations

import numpy as np

from iclx.algorithms import regression, relu_gd
from iclx.tasks import relu_net

BLOCKS = 16           # blocks of the baseline's prompts (its replicates for the interval)
TRIVIAL = ("nn1", "label_mean")


def label_mean_predictions(ys: np.ndarray) -> np.ndarray:
    """ŷ_t = mean of y_1 … y_{t−1} (0 at t = 0): ``ys [B, n]`` → ``[B, n]``."""
    ys = np.asarray(ys, dtype=np.float64)
    sums = np.concatenate([np.zeros((ys.shape[0], 1)), np.cumsum(ys, axis=1)[:, :-1]], axis=1)
    return sums / np.maximum(np.arange(ys.shape[1]), 1)[None, :]


def trivial_r2(prompt: relu_net.Prompt) -> dict[str, np.ndarray]:
    """Pooled R² per position ``[n]`` of 1-NN and of label averaging on ``prompt``'s test prompts."""
    preds = {"nn1": np.asarray(regression.nearest_neighbours(prompt.xs, prompt.ys, k=1)),
             "label_mean": label_mean_predictions(prompt.ys)}
    ys = np.asarray(prompt.ys, dtype=np.float64)
    return {name: np.asarray(relu_gd.r_squared(p.astype(np.float64), ys)) for name, p in preds.items()}


def block_sums(preds: np.ndarray, ys: np.ndarray, blocks: int = BLOCKS) -> tuple[np.ndarray, np.ndarray]:
    """Per-block (Σ(ŷ − y)², Σy, Σy²) of the baseline's predictions ``preds [E, B, P]`` against
    ``ys [B, P]``: ``([blocks, 3, E, P], block sizes [blocks])``; prompts split in order into
    ``min(blocks, B)`` near-equal blocks."""
    preds, ys = np.asarray(preds, np.float64), np.asarray(ys, np.float64)
    parts = np.array_split(np.arange(ys.shape[0]), min(blocks, ys.shape[0]))
    sums = [np.stack([np.sum((preds[:, idx] - ys[idx]) ** 2, axis=1),
                      np.broadcast_to(ys[idx].sum(axis=0), preds.shape[::2]),
                      np.broadcast_to((ys[idx] ** 2).sum(axis=0), preds.shape[::2])]) for idx in parts]
    return np.stack(sums), np.array([len(idx) for idx in parts], dtype=np.float64)


def block_r2(sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Pooled R² per epoch and position ``[E, P]`` of the prompts in the given blocks
    (``sums [blocks, 3, E, P]``, ``sizes [blocks]``): 1 − Σ(ŷ − y)² / (Σy² − (Σy)²/n)."""
    residual, total_y, total_y2 = np.sum(sums, axis=0)
    return 1.0 - residual / (total_y2 - total_y ** 2 / np.sum(sizes))

"""What the claims of ``gd_vs_newton`` share: whether a trained network has learned the task (its
error past n = d against label averaging's, the trivial baseline) and the labels of the controls."""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import Arrays, mean_of, require_learned

LEARNED_MARGIN = 0.1     # error ÷ d below label averaging's past n = d (E[y²]/d = 1 for these tasks)
NETWORKS = {"tf": "the transformer", "lstm": "the LSTM", "init": "the untrained transformer"}
UNTRAINED = NETWORKS["init"]


def late_error(cfg, arrays: Arrays, key: str) -> np.ndarray:
    """Each seed's mean error ÷ d over positions d … n − 1 of ``arrays[key] [seeds, n]``: ``[seeds]``."""
    return np.asarray(arrays[key], dtype=float)[:, cfg.task.n_dims:].mean(axis=1)


def learned(cfg, arrays: Arrays, *nets: str):
    """The gate of a check (``claims.gated``): every network of ``nets`` has learned the task."""
    return lambda: [require_network_learned(cfg, arrays, net) for net in nets]


def require_network_learned(cfg, arrays: Arrays, net: str) -> None:
    """NotEvaluable unless network ``net``'s output beats label averaging past n = d by the margin."""
    require_learned(mean_of(late_error(cfg, arrays, f"{net}/error_model")),
                    mean_of(late_error(cfg, arrays, "alg/error_averaging")), "label averaging",
                    LEARNED_MARGIN, higher_is_better=False,
                    what=f"{NETWORKS[net]}'s error ÷ d over n ≥ d")


def needs_lstm(cfg) -> list[str]:
    """What the LSTM claims need of the config: the LSTM trained (the ill-conditioned and noisy
    variants turn it off)."""
    return [] if cfg.lstm.enabled else ["the LSTM trained (lstm.enabled=true; this run turns it off)"]

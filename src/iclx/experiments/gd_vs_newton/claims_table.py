"""Fu et al. 2023, Table 1 and Fig. 5: which algorithm the transformer's and the LSTM's outputs are
most similar to, and the LSTM's forgetting.

Table 1 (``<net>/table [seeds, (newton, gd, online_gd)]``): SimE of a predictor's output with each
algorithm at its best step of the authors' grids (Newton 1..23, GD {1, 50, …, 1300} ∪ {2⁰..2¹²},
their src/eval_similarity.py). Every network is scored beside predictors that are not networks:
least squares (``ls/``) and online GD itself (``ogd/``). At d = 5 both Newton and GD reach least
squares within these grids, so least squares scores Newton ≈ GD: "closer to Newton than to GD" is
therefore tested as the transformer's Newton − GD gap minus least squares' gap.

Forgetting (Fig. 5 right, ``<net>/forget [seeds, m]``): the error ÷ d on a query that re-uses the
example g back, g = 1..m; a network forgets by the mean error over the older half of the gaps minus
the mean over the newer half.

Every statistic is a per-seed difference; its interval is the Student-t interval of the seed mean.
"""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import (Arrays, Measured, NotEvaluable, Scalars, Test, all_of, compare, gated,
                                   mean_of, with_control)
from iclx.experiments.gd_vs_newton.claims_common import learned

COLUMNS = ("newton", "gd", "online_gd")       # the columns of arrays["<net>/table"]
NAMES = {"tf": "transformer", "lstm": "LSTM", "ls": "least squares", "ogd": "online GD",
         "init": "untrained transformer"}


def table(arrays: Arrays, net: str) -> np.ndarray:
    """``[seeds, 3]`` Table-1 row of ``net`` (NotEvaluable when the run has no such network)."""
    key = f"{net}/table"
    if key not in arrays:
        raise NotEvaluable(f"no {key} in this run (the LSTM is off: lstm.enabled=false)")
    return np.asarray(arrays[key], dtype=float)


def column(arrays: Arrays, net: str, name: str) -> np.ndarray:
    return table(arrays, net)[:, COLUMNS.index(name)]


def positive_mean(diff: np.ndarray, detail: str) -> Measured:
    """The seed mean of a per-seed difference ``[seeds]`` > 0, with its t-interval."""
    return compare(mean_of(diff), Test(">", 0.0), f"{detail}; per seed: {', '.join(f'{x:+.3f}' for x in diff)}")


def _row_text(arrays: Arrays, net: str) -> str:
    mean = table(arrays, net).mean(axis=0)
    return f"{NAMES[net]}: " + ", ".join(f"{c.replace('_', ' ')} {m:.3f}" for c, m in zip(COLUMNS, mean))


def newton_gap(arrays: Arrays, net: str) -> np.ndarray:
    """Per seed SimE(net, Newton) − SimE(net, GD), each at its best step: ``[seeds]``."""
    return column(arrays, net, "newton") - column(arrays, net, "gd")


def tf_newton_over_gd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return gated(lambda: _newton_over_gd(arrays), learned(cfg, arrays, "tf"))


def _newton_over_gd(arrays: Arrays) -> Measured:
    tf, ls = newton_gap(arrays, "tf"), newton_gap(arrays, "ls")
    measured = positive_mean(tf - ls, f"{_row_text(arrays, 'tf')} (gap {tf.mean():+.4f}); "
                                      f"{_row_text(arrays, 'ls')} (gap {ls.mean():+.4f}); "
                                      "value: the transformer's Newton − GD gap − least squares' gap")
    control = positive_mean(ls, "least squares' own Newton − GD gap (what the value subtracts)")
    return with_control(measured, "least squares scored as a network", control)


def _newton_over_ogd(arrays: Arrays, net: str) -> Measured:
    diff = column(arrays, net, "newton") - column(arrays, net, "online_gd")
    return positive_mean(diff, f"{_row_text(arrays, net)}; value: Newton − online GD")


def tf_newton_over_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    return gated(lambda: with_control(_newton_over_ogd(arrays, "tf"), "online GD scored as a network",
                                      _newton_over_ogd(arrays, "ogd")), learned(cfg, arrays, "tf"))


def _prefers_ogd(arrays: Arrays, net: str) -> Measured:
    t = table(arrays, net)
    return positive_mean(t[:, 2] - np.maximum(t[:, 0], t[:, 1]),
                         f"{_row_text(arrays, net)}; value: online GD − max(Newton, GD)")


def lstm_prefers_ogd(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    table(arrays, "lstm")
    return gated(lambda: with_control(_prefers_ogd(arrays, "lstm"), "least squares scored as a network",
                                      _prefers_ogd(arrays, "ls")), learned(cfg, arrays, "lstm"))


def _nearer_ogd_than_tf(arrays: Arrays, net: str) -> Measured:
    other, tf = column(arrays, net, "online_gd"), column(arrays, "tf", "online_gd")
    return positive_mean(other - tf, f"SimE with online GD: {NAMES[net]} {other.mean():.3f}, transformer "
                                     f"{tf.mean():.3f} (same seeds and prompts); value: {NAMES[net]} − transformer")


def lstm_nearer_ogd_than_tf(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    table(arrays, "lstm")
    return gated(lambda: with_control(_nearer_ogd_than_tf(arrays, "lstm"), "least squares in the LSTM's place",
                                      _nearer_ogd_than_tf(arrays, "ls")), learned(cfg, arrays, "lstm", "tf"))


# --------------------------------------------------------------------------- forgetting


def forgetting(errors: np.ndarray) -> np.ndarray:
    """Per seed: mean error over the older half of the gaps − over the newer half: ``[seeds, m]`` →
    ``[seeds]`` (gaps 1..m in order; the middle gap of an odd m is left out)."""
    errors = np.asarray(errors, dtype=float)
    half = errors.shape[1] // 2
    return errors[:, -half:].mean(axis=1) - errors[:, :half].mean(axis=1)


def _forgets(arrays: Arrays, key: str, label: str) -> Measured:
    own, tf = forgetting(arrays[key]), forgetting(arrays["tf/forget"])
    parts = [(f"{label} older − newer", positive_mean(own, "")),
             (f"{label} − transformer", positive_mean(own - tf, ""))]
    return all_of(parts, f"error ÷ d at a re-used example, older half of the gaps − newer half: "
                         f"{label} {own.mean():+.4f}, transformer {tf.mean():+.4f}")


def lstm_forgets(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    if "lstm/forget" not in arrays:
        raise NotEvaluable("no lstm/forget in this run (the LSTM is off: lstm.enabled=false)")
    return gated(lambda: with_control(_forgets(arrays, "lstm/forget", "LSTM"), "least squares in the LSTM's place",
                                      _forgets(arrays, "alg/forget_least_squares", "least squares")),
                 learned(cfg, arrays, "lstm", "tf"))

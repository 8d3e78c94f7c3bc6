"""Garg et al. 2022 (arXiv 2208.01066), Fig. 2, as restated by Fu et al. 2023 (arXiv 2310.17086):
checks on the saved error curves. Every statistic is computed from each seed's error ÷ d averaged
over the positions with at least d examples; its 95% interval is over the seeds."""

from __future__ import annotations

import numpy as np

from iclx.claims import Claim, Measured, Test, compare, estimate, mean_of

MATCH_LS_TOLERANCE = 0.01   # error ÷ d past n = d that we call "matches least squares" (≈ 0 in Fig. 2)


def late_errors(cfg, arrays, method: str) -> np.ndarray:
    """Each seed's mean error ÷ d over positions d … n − 1: ``[seeds]``."""
    return np.asarray(arrays[f"error/{method}"])[:, cfg.task.n_dims:].mean(axis=1)


def beats_simple_baselines(cfg, scalars, arrays) -> Measured:
    knn = f"knn_{cfg.eval.knn_k}"
    samples = [late_errors(cfg, arrays, m) for m in ("transformer", "averaging", knn)]
    est = estimate(lambda t, a, k: t.mean() / min(a.mean(), k.mean()), *samples)
    means = [s.mean() for s in samples]
    return compare(est, Test("<", 1.0),
                   f"transformer {means[0]:.3g} vs averaging {means[1]:.3g}, {knn} {means[2]:.3g} "
                   "(error ÷ d, n ≥ d, seed means); value = transformer ÷ the better of the two")


def matches_least_squares(cfg, scalars, arrays) -> Measured:
    ls = late_errors(cfg, arrays, "least_squares").mean()
    return compare(mean_of(late_errors(cfg, arrays, "transformer")), Test("<=", MATCH_LS_TOLERANCE),
                   f"transformer error ÷ d over n ≥ d, mean of seeds (least squares: {ls:.2g})")


def tracks_newton_more_than_one_gd_step(cfg, scalars, arrays) -> Measured:
    samples = [late_errors(cfg, arrays, m) for m in ("transformer", "gd_1")]
    est = estimate(lambda t, g: t.mean() / g.mean(), *samples)
    return compare(est, Test("<", 1.0), "transformer ÷ one GD step, error ÷ d over n ≥ d (seed means)")


CLAIMS = (
    Claim("beats-averaging-and-knn",
          "A transformer trained on linear-regression prompts predicts far better than averaging "
          "and 3-nearest-neighbours once n ≥ d", "Garg et al. Fig. 2",
          "transformer's mean error ÷ d over n ≥ d ÷ the better of averaging and 3-NN < 1",
          beats_simple_baselines, paper_value="≈ 0 vs ≈ 0.4–1"),
    Claim("matches-least-squares",
          "The trained transformer's error matches least squares (≈ 0 for noiseless data) once n ≥ d",
          "Garg et al. Fig. 2",
          f"transformer's mean error ÷ d over n ≥ d ≤ {MATCH_LS_TOLERANCE}",
          matches_least_squares, paper_value="≈ 0"),
    Claim("better-than-one-gd-step",
          "The transformer does more than one step of gradient descent in context",
          "Fu et al. Fig. 5", "transformer's error ÷ d over n ≥ d ÷ one GD step's < 1",
          tracks_newton_more_than_one_gd_step, paper_value="far below"),
)

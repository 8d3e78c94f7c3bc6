"""Garg et al. 2022 (arXiv 2208.01066), Fig. 2, as restated by Fu et al. 2023 (arXiv 2310.17086):
checks on the saved error curves. Every statistic is computed from each seed's error ÷ d averaged
over the positions with at least d examples; its 95% interval is over the seeds.

Controls (the same test on a reference that must not have the property): the untrained transformer
(each seed's initial parameters) for the two learning claims, label averaging (the trivial baseline)
for the error claim. A transformer that does not beat averaging by ``LEARNED_MARGIN`` has not learned
the task: the claims that presuppose it (matching least squares, beating one GD step) are then not
evaluable; the claim "beats averaging and 3-NN" is that test itself, so it can fail.
"""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import (Claim, Measured, Test, compare, estimate, gated, mean_of, needs_values,
                                   require_learned, with_control)

MATCH_LS_TOLERANCE = 0.01   # error ÷ d past n = d that we call "matches least squares" (≈ 0 in Fig. 2)
LEARNED_MARGIN = 0.1        # error ÷ d below averaging's (E[y²]/d = 1 for these tasks)
UNTRAINED = "the untrained transformer"


def late_errors(cfg, arrays, method: str) -> np.ndarray:
    """Each seed's mean error ÷ d over positions d … n − 1: ``[seeds]``."""
    return np.asarray(arrays[f"error/{method}"])[:, cfg.task.n_dims:].mean(axis=1)


def require_transformer_learned(cfg, arrays) -> None:
    """NotEvaluable unless the transformer's error past n = d is below averaging's by the margin."""
    require_learned(mean_of(late_errors(cfg, arrays, "transformer")),
                    mean_of(late_errors(cfg, arrays, "averaging")), "label averaging", LEARNED_MARGIN,
                    higher_is_better=False, what="error ÷ d over n ≥ d")


def _beats_baselines(cfg, arrays, model: str) -> Measured:
    knn = f"knn_{cfg.eval.knn_k}"
    samples = [late_errors(cfg, arrays, m) for m in (model, "averaging", knn)]
    est = estimate(lambda t, a, k: t.mean() / min(a.mean(), k.mean()), *samples)
    means = [s.mean() for s in samples]
    return compare(est, Test("<", 1.0),
                   f"{model} {means[0]:.3g} vs averaging {means[1]:.3g}, {knn} {means[2]:.3g} "
                   "(error ÷ d, n ≥ d, seed means); value = the model ÷ the better of the two")


def beats_simple_baselines(cfg, scalars, arrays) -> Measured:
    return with_control(_beats_baselines(cfg, arrays, "transformer"), UNTRAINED,
                        _beats_baselines(cfg, arrays, "untrained"))


def _matches(cfg, arrays, model: str) -> Measured:
    ls = late_errors(cfg, arrays, "least_squares").mean()
    return compare(mean_of(late_errors(cfg, arrays, model)), Test("<=", MATCH_LS_TOLERANCE),
                   f"{model} error ÷ d over n ≥ d, mean of seeds (least squares: {ls:.2g})")


def matches_least_squares(cfg, scalars, arrays) -> Measured:
    return gated(lambda: with_control(_matches(cfg, arrays, "transformer"), "label averaging",
                                      _matches(cfg, arrays, "averaging")),
                 lambda: require_transformer_learned(cfg, arrays))


def _over_one_gd_step(cfg, arrays, model: str) -> Measured:
    samples = [late_errors(cfg, arrays, m) for m in (model, "gd_1")]
    est = estimate(lambda t, g: t.mean() / g.mean(), *samples)
    return compare(est, Test("<", 1.0), f"{model} ÷ one GD step, error ÷ d over n ≥ d (seed means)")


def tracks_newton_more_than_one_gd_step(cfg, scalars, arrays) -> Measured:
    return gated(lambda: with_control(_over_one_gd_step(cfg, arrays, "transformer"), UNTRAINED,
                                      _over_one_gd_step(cfg, arrays, "untrained")),
                 lambda: require_transformer_learned(cfg, arrays))


CLAIMS = (
    Claim("beats-averaging-and-knn",
          "A transformer trained on linear-regression prompts predicts far better than averaging "
          "and 3-nearest-neighbours once n ≥ d", "Garg et al. Fig. 2",
          "transformer's mean error ÷ d over n ≥ d ÷ the better of averaging and 3-NN < 1 "
          "(control: the untrained transformer)",
          beats_simple_baselines, paper_value="≈ 0 vs ≈ 0.4–1"),
    Claim("matches-least-squares",
          "The trained transformer's error matches least squares (≈ 0 for noiseless data) once n ≥ d",
          "Garg et al. Fig. 2",
          f"transformer's mean error ÷ d over n ≥ d ≤ {MATCH_LS_TOLERANCE} (control: label averaging; "
          f"not evaluable unless the transformer beats averaging by {LEARNED_MARGIN})",
          matches_least_squares, paper_value="≈ 0"),
    Claim("better-than-one-gd-step",
          "The transformer does more than one step of gradient descent in context",
          "Fu et al. Fig. 5", "transformer's error ÷ d over n ≥ d ÷ one GD step's < 1 (control: the "
          f"untrained transformer; not evaluable unless it beats averaging by {LEARNED_MARGIN})",
          tracks_newton_more_than_one_gd_step, paper_value="far below",
          requires=lambda cfg: needs_values(cfg.eval.gd_steps, (1,), "eval.gd_steps")),
)

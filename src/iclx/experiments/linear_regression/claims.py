"""Garg et al. 2022 (arXiv 2208.01066), Fig. 2, as restated by Fu et al. 2023 (arXiv 2310.17086):
checks on the saved error curves."""

from __future__ import annotations

from iclx.claims import Claim, Measured

MATCH_LS_TOLERANCE = 0.01   # error ÷ d past n = d that we call "matches least squares" (≈ 0 in Fig. 2)


def _late(scalars) -> dict[str, float]:
    return scalars["error_after_d"]


def beats_simple_baselines(cfg, scalars, arrays) -> Measured:
    late = _late(scalars)
    knn = next(k for k in late if k.startswith("knn_"))
    worst = min(late["averaging"], late[knn])
    ratio = late["transformer"] / worst
    return Measured(ratio, ratio < 1.0,
                    f"transformer {late['transformer']:.3g} vs averaging {late['averaging']:.3g}, "
                    f"{knn} {late[knn]:.3g} (error ÷ d, n ≥ d); value = transformer ÷ best of the two")


def matches_least_squares(cfg, scalars, arrays) -> Measured:
    value = _late(scalars)["transformer"]
    return Measured(value, value <= MATCH_LS_TOLERANCE,
                    f"transformer error ÷ d over n ≥ d (least squares: {_late(scalars)['least_squares']:.2g})")


def tracks_newton_more_than_one_gd_step(cfg, scalars, arrays) -> Measured:
    late = _late(scalars)
    value = late["transformer"] / late["gd_1"]
    return Measured(value, value < 1.0, "transformer ÷ one GD step, error ÷ d over n ≥ d")


CLAIMS = (
    Claim("beats-averaging-and-knn",
          "A transformer trained on linear-regression prompts predicts far better than averaging "
          "and 3-nearest-neighbours once n ≥ d", "Garg et al. Fig. 2",
          "transformer's mean error ÷ d over n ≥ d below both averaging and 3-NN (ratio < 1)",
          beats_simple_baselines, paper_value="≈ 0 vs ≈ 0.4–1"),
    Claim("matches-least-squares",
          "The trained transformer's error matches least squares (≈ 0 for noiseless data) once n ≥ d",
          "Garg et al. Fig. 2",
          f"transformer's mean error ÷ d over n ≥ d ≤ {MATCH_LS_TOLERANCE}",
          matches_least_squares, paper_value="≈ 0"),
    Claim("better-than-one-gd-step",
          "The transformer does more than one step of gradient descent in context",
          "Fu et al. Fig. 5", "transformer's error ÷ d over n ≥ d below one GD step's (ratio < 1)",
          tracks_newton_more_than_one_gd_step, paper_value="far below"),
)

"""The paper's claims (arXiv 2410.11778) as checks on saved results. Thresholds are stated here, once,
from the paper's statements: linear rate = a straight line in log ‖W_t − W*‖; O(1/N) = log-log slope
−1 ± 0.2; O(1/√M) = slope −½ ± 0.15; the GPT-2 and baseline directions as stated below."""

from __future__ import annotations

import numpy as np

from iclx.claims import Claim, Measured, NotEvaluable
from iclx.experiments.gmm_classification import summary as gmm_summary


def linear_rate(cfg, scalars, arrays) -> Measured:
    r2 = [float(np.min(arrays[f"conv/{s}/r2"])) for s in gmm_summary.stage_names(arrays)]
    final = [float(np.max(np.asarray(arrays[f"conv/{s}/dist"])[-1])) for s in gmm_summary.stage_names(arrays)]
    holds = min(r2) >= 0.99 and max(final) <= 1e-4
    return Measured(min(r2), holds, f"min R² over all lanes {min(r2):.4f}; largest final relative "
                    f"distance {max(final):.2g}")


def rate_matches(cfg, scalars, arrays) -> Measured:
    errs = []
    for s in gmm_summary.stage_names(arrays):
        meas = np.log(np.asarray(arrays[f"conv/{s}/rate_measured"]))
        theo = np.log(np.asarray(arrays[f"conv/{s}/rate_theory"]))
        errs.append(np.max(np.abs(meas / theo - 1.0)))
    worst = float(np.max(errs))
    return Measured(worst, worst <= 0.25, "largest relative gap between measured and predicted "
                    "log-contraction per step, over all lanes")


def minimizer_rate(cfg, scalars, arrays) -> Measured:
    slopes = [gmm_summary.minimizer_slope(cfg, arrays, c) for c in cfg.minimizer.classes]
    holds = all(-1.2 <= s <= -0.8 for s in slopes)
    return Measured(", ".join(f"c={c}: {s:.3f}" for c, s in zip(cfg.minimizer.classes, slopes)),
                    holds, f"log-log slope of ‖W*_N/c − Λ⁻¹‖_max over N ≥ {cfg.minimizer.fit_from}")


def test_length_rate(cfg, scalars, arrays) -> Measured:
    slope, k = gmm_summary.M_slope(cfg, arrays)
    return Measured(slope, -0.65 <= slope <= -0.35 and k >= 3, f"slope over {k} M values ≤ N/4")


def train_length_floor(cfg, scalars, arrays) -> Measured:
    slope = gmm_summary.floor_slope(cfg, arrays)
    return Measured(slope, -1.2 <= slope <= -0.8, "slope of the M = ∞ TV error against N")


def classes_grow(cfg, scalars, arrays) -> Measured:
    tv = np.asarray(arrays["classes/tv"]).mean(0)
    return Measured(" → ".join(f"{v:.3g}" for v in tv), bool(np.all(np.diff(tv) > 0)),
                    "TV error at N = M for increasing c must increase monotonically")


GPT2_LEARNED_MARGIN = 0.05   # a GPT-2 comparison is evidence only if its accuracy beats chance by this


def require_gpt2_learned(cfg, scalars, arrays) -> None:
    """Raise (the claim is then "not evaluable") unless the trained GPT-2's in-distribution accuracy,
    averaged over test lengths M, beats chance (1/c) by ``GPT2_LEARNED_MARGIN``: a model that learned
    nothing cannot show how a trained transformer stalls or shifts."""
    chance = 1.0 / int(cfg.task.n_classes)
    accuracy = float(np.mean(arrays["tokens/acc/gpt2"]))
    if accuracy < chance + GPT2_LEARNED_MARGIN:
        raise NotEvaluable(f"the GPT-2 did not learn the task (accuracy {accuracy:.3f}, chance "
                           f"{chance:.3g}): no evidence either way at this scale")


def gpt2_stalls(cfg, scalars, arrays) -> Measured:
    require_gpt2_learned(cfg, scalars, arrays)
    Ms, N = list(cfg.gpt2.M_values), cfg.task.n_points
    g = np.asarray(arrays["tokens/tv/gpt2"]).mean(0)
    la = np.asarray(arrays["tokens/tv/linear"]).mean(0)
    i, j = Ms.index(N), len(Ms) - 1
    holds = g[j] >= g[i] and la[j] < la[i]
    return Measured(f"GPT-2 {g[i]:.3g} → {g[j]:.3g}; 1-layer {la[i]:.3g} → {la[j]:.3g}", holds,
                    f"TV error at M = N = {N} → M = {Ms[j]}")


def beats_baselines(cfg, scalars, arrays) -> Measured:
    Ms = list(cfg.gpt2.M_values)
    small = [i for i, m in enumerate(Ms) if m <= 20]
    la = np.asarray(arrays["tokens/acc/linear"]).mean(0)[small]
    others = {m: np.asarray(arrays[f"tokens/acc/{m}"]).mean(0)[small]
              for m in ("lda_estimated", "logistic", "knn")}
    gaps = {m: float(np.min(la - v)) for m, v in others.items()}
    return Measured(min(gaps.values()), min(gaps.values()) >= -0.005,
                    "smallest accuracy margin of the 1-layer model over estimated-Λ LDA, logistic "
                    "regression and k-NN at M ≤ 20: " + ", ".join(f"{m} {g:+.3f}" for m, g in gaps.items()))


def shift_robust(cfg, scalars, arrays) -> Measured:
    require_gpt2_learned(cfg, scalars, arrays)
    scales = np.asarray(cfg.gpt2.mean_scales)
    off = ~np.isclose(scales, 1.0)
    la = np.asarray(arrays["shift_mean/tv/linear"]).mean(0)[off]
    g = np.asarray(arrays["shift_mean/tv/gpt2"]).mean(0)[off]
    return Measured(float(np.mean(g - la)), bool(np.all(la <= g)),
                    "mean TV gap GPT-2 − 1-layer at M = N over the shifted mean scales")


CLAIMS = (
    Claim("linear-convergence", "a single-layer transformer trained via gradient descent converges to "
          "a globally optimal model at a linear rate", "abstract; Thm 3.1 (numbering from the reviews)",
          "every lane: log‖W_t − W*‖ is a line (R² ≥ 0.99 over 1e-4 < dist < 0.1) and reaches ≤ 1e-4",
          linear_rate, paper_value="linear rate"),
    Claim("rate-vs-curvature", "linear rate set by the loss's curvature (strong convexity / smoothness)",
          "Thm 3.1 (rate form inferred)", "measured log-contraction within 25% of log max(|1−ημ|, |1−ηL|)"
          " at W*", rate_matches),
    Claim("minimizer-1-over-N", "W* = c(Λ⁻¹ + G) with ‖G‖_max = O(1/N) (binary: 2(Λ⁻¹ + G))",
          "main theorems (binary, multi-class), as summarised", "log-log slope of ‖W*_N/c − Λ⁻¹‖_max in [−1.2, −0.8]", minimizer_rate,
          paper_value="O(1/N)"),
    Claim("test-length-rate", "inference error decays as O(1/√M) in the test prompt length",
          "error bound, as summarised", "slope of TV error vs M (M ≤ N/4, largest N) in [−0.65, −0.35]",
          test_length_rate, paper_value="O(M^{-1/2})"),
    Claim("train-length-floor", "inference error has an O(1/N) term in the training prompt length",
          "error bound, as summarised", "slope of the M = ∞ TV error vs N in [−1.2, −0.8]", train_length_floor,
          paper_value="O(1/N)"),
    Claim("classes", "multi-class error O(c²/N + c^{3/2}/√M) grows with the number of classes",
          "multi-class bound, as summarised", "TV error at N = M increases monotonically in c", classes_grow),
    Claim("gpt2-stalls-past-N", "the 3-layer GPT-2 trained with N = 100 does not keep improving for "
          "M > N, unlike the 1-layer model", "§5.2 (v1), direction inferred from the reviews",
          "GPT-2's TV error at the largest M ≥ at M = N, the 1-layer model's lower", gpt2_stalls),
    Claim("beats-baselines", "superior ICL performance over traditional baselines", "v3 experiments",
          "1-layer accuracy ≥ estimated-Λ LDA, logistic regression, k-NN − 0.005 at every M ≤ 20",
          beats_baselines),
    Claim("shift-robustness", "robustness distinctions between 1-layer and 3-layer models under "
          "distribution shift", "v3 experiments (direction not read)",
          "1-layer TV error ≤ GPT-2's at every shifted mean scale (our inferred direction)",
          shift_robust),
)

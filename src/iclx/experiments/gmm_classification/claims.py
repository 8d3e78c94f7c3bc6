"""The paper's claims (arXiv 2410.11778) as checks on saved results. Thresholds are stated here, once,
from the paper's statements: linear rate = a straight line in log ‖W_t − W*‖; O(1/N) = log-log slope
−1 ± 0.2; O(1/√M) = slope −½ ± 0.15; the GPT-2 and baseline directions as stated below. Every
statistic is computed on means over the run's replicates (seeds: independent banks, tasks and
models) and carries its 95% interval over them (delete-one jackknife)."""

from __future__ import annotations

import numpy as np

from iclx.claims import Claim, Measured, NotEvaluable, Test, all_of, compare, estimate
from iclx.engine.lanes import select_lanes
from iclx.experiments.gmm_classification import summary as gmm_summary
from iclx.theory import gmm as gmm_theory

SLOPE_1_OVER_N = (-1.2, -0.8)          # O(1/N): a log-log slope of −1 ± 0.2
SLOPE_1_OVER_SQRT_M = (-0.65, -0.35)   # O(1/√M): −½ ± 0.15


def _per_seed(scalars, arrays, name: str, reduce) -> np.ndarray:
    """``reduce`` over every convergence lane of each seed (all stages and N) of the per-lane array
    ``conv/<stage>/<name>``: ``[seeds]``."""
    values: dict[int, list[float]] = {}
    for stage in gmm_summary.stage_names(arrays):
        per_lane = np.asarray(arrays[f"conv/{stage}/{name}"])
        for lane, label in enumerate(scalars["lanes"][stage]):
            values.setdefault(int(label["seed"]), []).append(float(per_lane[..., lane]))
    return np.array([reduce(values[s]) for s in sorted(values)])


def linear_rate(cfg, scalars, arrays) -> Measured:
    final = {s: np.asarray(arrays[f"conv/{s}/dist"])[-1] for s in gmm_summary.stage_names(arrays)}
    final_per_seed = np.array([max(float(final[s][i]) for s in final for i in select_lanes(
        scalars["lanes"][s], seed=seed)) for seed in range(cfg.seeds)])
    r2 = _per_seed(scalars, arrays, "r2", min)
    return all_of([("smallest R²", compare(estimate(np.min, r2), Test(">=", 0.99))),
                   ("largest final ‖W−W*‖/‖W*‖", compare(estimate(np.max, final_per_seed), Test("<=", 1e-4)))],
                  "over every lane of every stage (seeds × N × (d, c)); interval over seeds")


def rate_matches(cfg, scalars, arrays) -> Measured:
    gaps = {}
    for stage in gmm_summary.stage_names(arrays):
        meas = np.log(np.asarray(arrays[f"conv/{stage}/rate_measured"]))
        theo = np.log(np.asarray(arrays[f"conv/{stage}/rate_theory"]))
        for lane, label in enumerate(scalars["lanes"][stage]):
            gaps.setdefault(int(label["seed"]), []).append(abs(meas[lane] / theo[lane] - 1.0))
    worst = np.array([max(gaps[s]) for s in sorted(gaps)])
    return compare(estimate(np.max, worst), Test("<=", 0.25),
                   "largest relative gap between measured and predicted log-contraction per step, over "
                   "all lanes; interval over seeds")


def _slope(x: np.ndarray, replicates: np.ndarray) -> float:
    """Log-log slope of the replicate-mean curve ``replicates [R, len(x)]`` against ``x``."""
    return gmm_theory.loglog_slope(x, replicates.mean(axis=0))


def minimizer_rate(cfg, scalars, arrays) -> Measured:
    Ns = np.asarray(cfg.minimizer.N_values, float)
    sel = Ns >= cfg.minimizer.fit_from
    parts = [(f"c={c}", compare(estimate(lambda G: _slope(Ns[sel], G[:, sel]),
                                         np.asarray(arrays[f"minimizer/G_c{c}"]), axis="banks"),
                                Test("within", SLOPE_1_OVER_N)))
             for c in cfg.minimizer.classes]
    return all_of(parts, f"log-log slope of ‖W*_N/c − Λ⁻¹‖_max over N ≥ {cfg.minimizer.fit_from} "
                         "(replicate means), interval over independent banks")


def test_length_rate(cfg, scalars, arrays) -> Measured:
    Ns, Ms = list(cfg.convergence.N_values), np.asarray(cfg.eval.M_values, float)
    i = int(np.argmax(Ns))
    sel = Ms <= Ns[i] / 4
    if sel.sum() < 3:
        raise NotEvaluable(f"fewer than 3 test lengths M ≤ N/4 = {Ns[i] / 4:g}")
    tv = np.asarray(arrays["error_M/tv"])[i]                             # [seeds, M]
    return compare(estimate(lambda t: _slope(Ms[sel], t[:, sel]), tv), Test("within", SLOPE_1_OVER_SQRT_M),
                   f"slope of the TV error vs M over {int(sel.sum())} M ≤ N/4 at N = {Ns[i]}")


def train_length_floor(cfg, scalars, arrays) -> Measured:
    Ns = np.asarray(cfg.convergence.N_values, float)
    tv_inf = np.asarray(arrays["error_M/tv_inf"]).T                       # [seeds, N]
    return compare(estimate(lambda t: _slope(Ns, t), tv_inf), Test("within", SLOPE_1_OVER_N),
                   "slope of the M = ∞ TV error against N")


def classes_grow(cfg, scalars, arrays) -> Measured:
    tv = np.asarray(arrays["classes/tv"])                                  # [seeds, classes]
    return compare(estimate(lambda t: float(np.min(np.diff(t.mean(axis=0)))), tv), Test(">", 0.0),
                   "TV error at N = M for c = " + ", ".join(map(str, cfg.eval.classes)) + ": "
                   + " → ".join(f"{v:.3g}" for v in tv.mean(0)) + "; value = the smallest increase")


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
    g, la = np.asarray(arrays["tokens/tv/gpt2"]), np.asarray(arrays["tokens/tv/linear"])   # [seeds, M]
    i, j = Ms.index(N), len(Ms) - 1
    gap = lambda t: float(t[:, j].mean() - t[:, i].mean())
    return all_of([("GPT-2: TV(M max) − TV(M = N)", compare(estimate(gap, g), Test(">=", 0.0))),
                   ("1-layer: TV(M max) − TV(M = N)", compare(estimate(gap, la), Test("<", 0.0)))],
                  f"TV error at M = N = {N} → M = {Ms[j]}: GPT-2 {g[:, i].mean():.3g} → {g[:, j].mean():.3g}, "
                  f"1-layer {la[:, i].mean():.3g} → {la[:, j].mean():.3g}")


def beats_baselines(cfg, scalars, arrays) -> Measured:
    small = [i for i, m in enumerate(cfg.gpt2.M_values) if m <= 20]
    names = ("lda_estimated", "logistic", "knn")
    samples = [np.asarray(arrays["tokens/acc/linear"])[:, small]] + [
        np.asarray(arrays[f"tokens/acc/{m}"])[:, small] for m in names]
    margin = lambda la, *others: min(float(np.min(la.mean(0) - o.mean(0))) for o in others)
    means = {m: float(np.min(samples[0].mean(0) - o.mean(0))) for m, o in zip(names, samples[1:])}
    return compare(estimate(margin, *samples), Test(">=", -0.005),
                   "smallest accuracy margin of the 1-layer model over estimated-Λ LDA, logistic "
                   "regression and k-NN at M ≤ 20: " + ", ".join(f"{m} {g:+.3f}" for m, g in means.items()))


def shift_robust(cfg, scalars, arrays) -> Measured:
    require_gpt2_learned(cfg, scalars, arrays)
    off = ~np.isclose(np.asarray(cfg.gpt2.mean_scales), 1.0)
    la = np.asarray(arrays["shift_mean/tv/linear"])[:, off]
    g = np.asarray(arrays["shift_mean/tv/gpt2"])[:, off]
    return compare(estimate(lambda a, b: float(np.min(b.mean(0) - a.mean(0))), la, g), Test(">=", 0.0),
                   "smallest TV gap GPT-2 − 1-layer at M = N over the shifted mean scales; mean gap "
                   f"{float(np.mean(g - la)):+.3f}")


CLAIMS = (
    Claim("linear-convergence", "a single-layer transformer trained via gradient descent converges to "
          "a globally optimal model at a linear rate", "abstract; Thm 3.1 (numbering from the reviews)",
          "every lane: log‖W_t − W*‖ is a line (smallest R² ≥ 0.99 over 1e-4 < dist < 0.1) and reaches "
          "≤ 1e-4 (largest final distance)",
          linear_rate, paper_value="linear rate", needs=("convergence",)),
    Claim("rate-vs-curvature", "linear rate set by the loss's curvature (strong convexity / smoothness)",
          "Thm 3.1 (rate form inferred)", "measured log-contraction within 25% of log max(|1−ημ|, |1−ηL|)"
          " at W* (the largest gap over lanes ≤ 0.25)", rate_matches, needs=("convergence",)),
    Claim("minimizer-1-over-N", "W* = c(Λ⁻¹ + G) with ‖G‖_max = O(1/N) (binary: 2(Λ⁻¹ + G))",
          "main theorems (binary, multi-class), as summarised",
          "log-log slope of ‖W*_N/c − Λ⁻¹‖_max in [−1.2, −0.8]", minimizer_rate,
          paper_value="O(1/N)", needs=("minimizer",)),
    Claim("test-length-rate", "inference error decays as O(1/√M) in the test prompt length",
          "error bound, as summarised", "slope of TV error vs M (M ≤ N/4, largest N) in [−0.65, −0.35]",
          test_length_rate, paper_value="O(M^{-1/2})", needs=("error_vs_M",)),
    Claim("train-length-floor", "inference error has an O(1/N) term in the training prompt length",
          "error bound, as summarised", "slope of the M = ∞ TV error vs N in [−1.2, −0.8]", train_length_floor,
          paper_value="O(1/N)", needs=("error_vs_M",)),
    Claim("classes", "multi-class error O(c²/N + c^{3/2}/√M) grows with the number of classes",
          "multi-class bound, as summarised",
          "the smallest increase of the TV error at N = M from c to the next c > 0", classes_grow,
          needs=("classes",)),
    Claim("gpt2-stalls-past-N", "the 3-layer GPT-2 trained with N = 100 does not keep improving for "
          "M > N, unlike the 1-layer model", "§5.2 (v1), direction inferred from the reviews",
          "GPT-2's TV error at the largest M − at M = N ≥ 0, the 1-layer model's < 0", gpt2_stalls,
          needs=("gpt2",)),
    Claim("beats-baselines", "superior ICL performance over traditional baselines", "v3 experiments",
          "the smallest 1-layer accuracy margin over estimated-Λ LDA, logistic regression, k-NN at "
          "M ≤ 20 ≥ −0.005",
          beats_baselines, needs=("gpt2",)),
    Claim("shift-robustness", "robustness distinctions between 1-layer and 3-layer models under "
          "distribution shift", "v3 experiments (direction not read)",
          "the smallest GPT-2 − 1-layer TV error over the shifted mean scales ≥ 0 (our inferred "
          "direction)",
          shift_robust, needs=("gpt2",)),
)

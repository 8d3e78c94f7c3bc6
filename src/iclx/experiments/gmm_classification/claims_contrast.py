"""Checks of the claims on token-level prompts (arXiv 2410.11778, §5 of v1 and the v3 experiments):
the 3-layer GPT-2 contrast, the traditional baselines and the distribution shifts. A trained model is
judged only when it beats the trivial baselines (1-NN, label averaging) by ``LEARNED_MARGIN``."""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import (Measured, NotEvaluable, Test, all_of, compare, estimate, gated, mean_of,
                                   require_learned, with_control)

LEARNED_MARGIN = 0.02      # accuracy a trained model must gain over 1-NN and label averaging at M = N
TRIVIAL = ("nn1", "label_mean")
SHIFT_EQUIVALENT = 0.01    # |difference of degradations| below this TV is "no distinction"


def require_token_model_learned(cfg, arrays, model: str, what: str) -> None:
    """NotEvaluable unless ``model``'s accuracy at M = N beats the better trivial baseline (1-NN or
    label averaging, per seed) by ``LEARNED_MARGIN`` over the whole interval."""
    i = list(cfg.gpt2.M_values).index(cfg.task.n_points)
    acc = lambda name: np.asarray(arrays[f"tokens/acc/{name}"])[:, i]
    missing = [name for name in TRIVIAL if f"tokens/acc/{name}" not in arrays]
    if missing:
        raise NotEvaluable(f"the run has no trivial baseline ({', '.join(missing)}) to judge {what} by")
    trivial = np.max([acc(name) for name in TRIVIAL], axis=0)
    require_learned(mean_of(acc(model)), mean_of(trivial), "the better of 1-NN and label averaging",
                    LEARNED_MARGIN, what=f"{what}, accuracy at M = N = {cfg.task.n_points}")


def _learned(cfg, arrays, model: str, what: str):
    """The gate of a check (``claims.gated``): ``model`` beats the trivial baselines."""
    return lambda: require_token_model_learned(cfg, arrays, model, what)


def lengths_past_N(cfg) -> list[str]:
    """What the stalling claim needs of the config: a test length M beyond N = task.n_points."""
    N = cfg.task.n_points
    return [] if max(cfg.gpt2.M_values) > N else [f"a test length M > N = {N} among gpt2.M_values"]


def short_lengths(cfg) -> list[str]:
    """What the baselines claim needs of the config: a test length M ≤ 20."""
    return [] if min(cfg.gpt2.M_values) <= 20 else ["a test length M ≤ 20 among gpt2.M_values"]


def shift_scales(cfg) -> list[str]:
    """What the shift claim needs of the config: the unshifted scale 1 and a shifted one, per kind."""
    out = []
    for kind in ("mean", "cov"):
        scales = np.asarray(cfg.gpt2[f"{kind}_scales"], float)
        if not (np.isclose(scales, 1.0).any() and (~np.isclose(scales, 1.0)).any()):
            out.append(f"the scale 1 and a shifted scale among gpt2.{kind}_scales")
    return out


def gpt2_stalls(cfg, scalars, arrays) -> Measured:
    return gated(lambda: _stalls(cfg, arrays), _learned(cfg, arrays, "gpt2", "GPT-2"))


def _stalls(cfg, arrays) -> Measured:
    Ms, N = list(cfg.gpt2.M_values), cfg.task.n_points
    g, la = np.asarray(arrays["tokens/tv/gpt2"]), np.asarray(arrays["tokens/tv/linear"])   # [seeds, M]
    i, j = Ms.index(N), len(Ms) - 1
    gap = lambda t: float(t[:, j].mean() - t[:, i].mean())
    measured = all_of([("GPT-2: TV(M max) − TV(M = N)", compare(estimate(gap, g), Test(">=", 0.0))),
                       ("1-layer: TV(M max) − TV(M = N)", compare(estimate(gap, la), Test("<", 0.0)))],
                      f"TV error at M = N = {N} → M = {Ms[j]}: GPT-2 {g[:, i].mean():.3g} → "
                      f"{g[:, j].mean():.3g}, 1-layer {la[:, i].mean():.3g} → {la[:, j].mean():.3g}")
    control = compare(estimate(gap, la), Test(">=", 0.0), "GPT-2's part of the test on the 1-layer model")
    return with_control(measured, "the 1-layer model in GPT-2's place", control)


BASELINES = ("lda_estimated", "logistic", "knn")


def _baseline_margin(cfg, arrays, model: str) -> Measured:
    """The smallest accuracy margin of ``model`` over ``BASELINES`` at M ≤ 20, ≥ −0.005."""
    small = [i for i, m in enumerate(cfg.gpt2.M_values) if m <= 20]
    samples = [np.asarray(arrays[f"tokens/acc/{m}"])[:, small] for m in (model, *BASELINES)]
    margin = lambda la, *others: min(float(np.min(la.mean(0) - o.mean(0))) for o in others)
    means = {m: float(np.min(samples[0].mean(0) - o.mean(0))) for m, o in zip(BASELINES, samples[1:])}
    return compare(estimate(margin, *samples), Test(">=", -0.005),
                   f"smallest accuracy margin of {model} over estimated-Λ LDA, logistic regression and "
                   "k-NN at M ≤ 20: " + ", ".join(f"{m} {g:+.3f}" for m, g in means.items()))


def beats_baselines(cfg, scalars, arrays) -> Measured:
    return gated(lambda: with_control(_baseline_margin(cfg, arrays, "linear"), "1-NN in the 1-layer model's place",
                                      _baseline_margin(cfg, arrays, "nn1")),
                 _learned(cfg, arrays, "linear", "the 1-layer model"))


def distinct(gap, label: str) -> Measured:
    """Two-sided: holds when the interval of ``gap`` excludes 0, fails when it lies within
    ±``SHIFT_EQUIVALENT``, else undecided."""
    side = ">" if gap.value > 0 else "<"
    if Test(side, 0.0).verdict(gap) == "holds":
        verdict = "holds"
    else:
        equivalent = Test("within", (-SHIFT_EQUIVALENT, SHIFT_EQUIVALENT)).verdict(gap)
        verdict = "fails" if equivalent == "holds" else "undecided"
    return Measured(gap.value, verdict, label, gap)


def _degradations(arrays, kind: str, shifted: int,
                  reference: tuple[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per seed ``[seeds]``, the 1-layer model's and GPT-2's degradation: TV at ``shift_<kind>`` index
    ``shifted`` minus TV at the unshifted ``reference`` (kind, index)."""
    tv = lambda m, k, i: np.asarray(arrays[f"shift_{k}/tv/{m}"])[:, i]
    return tuple(tv(m, kind, shifted) - tv(m, *reference) for m in ("linear", "gpt2"))


def shift_robust(cfg, scalars, arrays) -> Measured:
    """Robustness = degradation from the unshifted error (TV to the shifted task's p*), per shift kind
    at its strongest scale (farthest from 1 in log); the paper's "robustness distinctions" hold when
    the two models' degradations differ under either kind. Control: the same test where the "shift"
    is a second unshifted draw (covariance scale 1 against mean scale 1)."""
    return gated(lambda: _shift_distinction(cfg, arrays), _learned(cfg, arrays, "gpt2", "GPT-2"))


def _shift_distinction(cfg, arrays) -> Measured:
    parts, signs = [], []
    for kind in ("mean", "cov"):
        scales = np.asarray(cfg.gpt2[f"{kind}_scales"], float)
        one, far = int(np.argmin(np.abs(np.log(scales)))), int(np.argmax(np.abs(np.log(scales))))
        if not np.isclose(scales[one], 1.0) or np.isclose(scales[far], 1.0):
            raise NotEvaluable(f"gpt2.{kind}_scales needs 1 and a shifted scale")
        lin, gpt = _degradations(arrays, kind, far, (kind, one))
        est = estimate(lambda a, b: float(a.mean() - b.mean()), lin, gpt)
        parts.append((f"{kind} ×{scales[far]:g}", distinct(est, kind)))
        signs.append(f"{kind} ×{scales[far]:g}: 1-layer {lin.mean():+.3f}, GPT-2 {gpt.mean():+.3f}")
    verdicts = [m.verdict for _, m in parts]
    verdict = ("holds" if "holds" in verdicts else "fails" if all(v == "fails" for v in verdicts)
               else "undecided")
    listed = "; ".join(f"{name} {m.estimate.text()} ({m.verdict})" for name, m in parts)
    measured = Measured(parts[0][1].value, verdict, f"1-layer − GPT-2 degradation: {listed}. "
                        f"Degradations: {'; '.join(signs)}", parts[0][1].estimate)
    mean_one = int(np.argmin(np.abs(np.log(np.asarray(cfg.gpt2.mean_scales, float)))))
    cov_one = int(np.argmin(np.abs(np.log(np.asarray(cfg.gpt2.cov_scales, float)))))
    lin, gpt = _degradations(arrays, "cov", cov_one, ("mean", mean_one))
    control = distinct(estimate(lambda a, b: float(a.mean() - b.mean()), lin, gpt),
                       "1-layer − GPT-2 'degradation' between two unshifted draws")
    return with_control(measured, "no shift (a second unshifted draw)", control)

"""Fu et al. 2023 (arXiv 2310.17086), Fig. 6, as checks on a saved ``gd_vs_newton_width`` run.

The paper (d = 20): hidden 8 and 16 (0.4d, 0.8d) fail, hidden 32 and 64 (1.6d, 3.2d) match least
squares — a one-head transformer needs a hidden size of order d. Our tests, on the mean squared error
÷ d over prompts with at least d examples (the zero predictor scores 1, least squares ≈ 0), each with
its 95% interval over the seeds:
- "fails": error/d ≥ 0.5 (closer to the zero predictor than to least squares);
- "matches least squares": error/d ≤ 0.1 (within a tenth of the zero predictor's error of least
  squares, about what the linear 0–1.2 axis of Fig. 6 resolves).
Controls, the same test on widths that must not have the property: the widest width for "narrow
widths fail" (a run where it fails too has trained nothing), the narrowest for "wide widths match",
and the widths in reverse order for "the error falls with width".
"""

from __future__ import annotations

import numpy as np

from iclx.framework.claims import (Arrays, Claim, Control, Measured, NotEvaluable, Scalars, Test, compare,
                                   estimate, needs_count, with_control)

NARROW_BELOW = 1.0       # hidden/d below this: the paper's failing widths (0.4d, 0.8d)
WIDE_FROM = 1.6          # hidden/d from this: the paper's matching widths (1.6d, 3.2d)
FAIL_ERROR = 0.5
MATCH_ERROR = 0.1


def _late(cfg, arrays: Arrays, width: int) -> np.ndarray:
    """Each seed's error ÷ d averaged over positions d … n − 1 for one hidden size: ``[seeds]``."""
    return np.asarray(arrays[f"error/width_{width}"])[:, cfg.task.n_dims:].mean(axis=1)


def _widths(cfg, arrays: Arrays, keep) -> list[tuple[int, np.ndarray]]:
    """(hidden size, per-seed late errors) of the widths whose hidden/d passes ``keep``, narrowest
    first (every stage trains the same seeds, so the seeds pair up across widths)."""
    d = cfg.task.n_dims
    return [(w, _late(cfg, arrays, w)) for w in sorted(cfg.widths) if keep(w / d)]


def _describe(cfg, rows) -> str:
    d = cfg.task.n_dims
    return "; ".join(f"hidden {w} ({w / d:.2g}d): {e.mean():.3f}" for w, e in rows)


def _extreme_test(cfg, arrays: Arrays, rows, test: Test, worst) -> Measured:
    """``test`` on the ``worst`` (min or max) seed-mean late error over ``rows`` (hidden, errors)."""
    est = estimate(lambda *e: worst(x.mean() for x in e), *(e for _, e in rows))
    return compare(est, test, "error/d with ≥ d examples (seed means): " + _describe(cfg, rows))


def narrow_fail(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    """Every width below ``NARROW_BELOW``·d fails; control: the widest width (must not fail)."""
    test, widest = Test(">=", FAIL_ERROR), _widths(cfg, arrays, lambda r: True)[-1:]
    control = Control(f"the widest width (hidden {widest[0][0]}) in their place",
                      _extreme_test(cfg, arrays, widest, test, min))
    rows = _widths(cfg, arrays, lambda r: r < NARROW_BELOW)
    if not rows:
        raise NotEvaluable(f"no width below {NARROW_BELOW:g}d in this run", control)
    return with_control(_extreme_test(cfg, arrays, rows, test, min), control.label, control.measured)


def wide_match(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    """Every width from ``WIDE_FROM``·d matches least squares; control: the narrowest width."""
    test, narrowest = Test("<=", MATCH_ERROR), _widths(cfg, arrays, lambda r: True)[:1]
    control = Control(f"the narrowest width (hidden {narrowest[0][0]}) in their place",
                      _extreme_test(cfg, arrays, narrowest, test, max))
    rows = _widths(cfg, arrays, lambda r: r >= WIDE_FROM)
    if not rows:
        raise NotEvaluable(f"no width of at least {WIDE_FROM:g}d in this run", control)
    return with_control(_extreme_test(cfg, arrays, rows, test, max), control.label, control.measured)


def _falls(cfg, rows) -> Measured:
    est = estimate(lambda *e: float(np.max(np.diff([x.mean() for x in e]))), *(e for _, e in rows))
    return compare(est, Test("<", 0.0), "error/d with ≥ d examples, in this order: " + _describe(cfg, rows))


def error_falls_with_width(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    """Each wider width has a lower error; control: the widths in reverse order (must not fall)."""
    rows = _widths(cfg, arrays, lambda r: True)
    return with_control(_falls(cfg, rows), "the widths in reverse order (widest first)",
                        _falls(cfg, rows[::-1]))


CLAIMS = (
    Claim("narrow-widths-fail",
          "One-head transformers with hidden size below d fail to learn in-context linear regression",
          "Fig. 6",
          f"every width with hidden < {NARROW_BELOW:g}d has error/d ≥ {FAIL_ERROR:g} with ≥ d examples "
          "(value: the lowest seed-mean error); control: the widest width in their place",
          narrow_fail, paper_value="hidden 8 and 16 at d = 20 (0.4d, 0.8d) fail"),
    Claim("wide-widths-match-least-squares",
          "With hidden size of order d (≥ 1.6d) they match least squares",
          "Fig. 6",
          f"every width with hidden ≥ {WIDE_FROM:g}d has error/d ≤ {MATCH_ERROR:g} with ≥ d examples "
          "(value: the highest seed-mean error); control: the narrowest width in their place",
          wide_match, paper_value="hidden 32 and 64 at d = 20 (1.6d, 3.2d) match least squares"),
    Claim("error-falls-with-width",
          "The error decreases as the hidden size grows",
          "Fig. 6",
          "error/d with ≥ d examples decreases from each width to the next wider one: the largest "
          "change of the seed means < 0; control: the widths in reverse order",
          error_falls_with_width, paper_value="8, 16 fail; 32, 64 match",
          requires=lambda cfg: needs_count(cfg.widths, 2, "widths")),
)

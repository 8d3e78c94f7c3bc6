"""Fu et al. 2023 (arXiv 2310.17086), Fig. 6, as checks on a saved ``gd_vs_newton_width`` run.

The paper (d = 20): hidden 8 and 16 (0.4d, 0.8d) fail, hidden 32 and 64 (1.6d, 3.2d) match least
squares — a one-head transformer needs a hidden size of order d. Our tests, on the mean squared error
÷ d over prompts with at least d examples (the zero predictor scores 1, least squares ≈ 0):
- "fails": error/d ≥ 0.5 (closer to the zero predictor than to least squares);
- "matches least squares": error/d ≤ 0.1 (within a tenth of the zero predictor's error of least
  squares, about what the linear 0–1.2 axis of Fig. 6 resolves).
"""

from __future__ import annotations

import numpy as np

from iclx.claims import Arrays, Claim, Measured, NotEvaluable, Scalars

NARROW_BELOW = 1.0       # hidden/d below this: the paper's failing widths (0.4d, 0.8d)
WIDE_FROM = 1.6          # hidden/d from this: the paper's matching widths (1.6d, 3.2d)
FAIL_ERROR = 0.5
MATCH_ERROR = 0.1


def _widths(scalars: Scalars) -> list[tuple[str, float, float]]:
    """(stage key, hidden/d, error/d at n ≥ d) per width, narrowest first."""
    ratio, error = scalars["hidden_over_d"], scalars["error_after_d"]
    return sorted(((k, float(r), float(error[k])) for k, r in ratio.items()), key=lambda t: t[1])


def _describe(rows) -> str:
    return "; ".join(f"hidden {k.split('_')[1]} ({r:.2g}d): {e:.3f}" for k, r, e in rows)


def narrow_fail(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    rows = [row for row in _widths(scalars) if row[1] < NARROW_BELOW]
    if not rows:
        raise NotEvaluable(f"no width below {NARROW_BELOW:g}d in this run")
    lowest = min(e for _, _, e in rows)
    return Measured(lowest, lowest >= FAIL_ERROR, "error/d with ≥ d examples: " + _describe(rows))


def wide_match(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    rows = [row for row in _widths(scalars) if row[1] >= WIDE_FROM]
    if not rows:
        raise NotEvaluable(f"no width of at least {WIDE_FROM:g}d in this run")
    highest = max(e for _, _, e in rows)
    return Measured(highest, highest <= MATCH_ERROR, "error/d with ≥ d examples: " + _describe(rows))


def error_falls_with_width(cfg, scalars: Scalars, arrays: Arrays) -> Measured:
    rows = _widths(scalars)
    if len(rows) < 2:
        raise NotEvaluable("needs at least two widths")
    errors = np.array([e for _, _, e in rows])
    steps = np.diff(errors)
    return Measured(float(steps.max()), bool(np.all(steps < 0)),
                    "error/d with ≥ d examples, narrowest first: " + _describe(rows))


CLAIMS = (
    Claim("narrow-widths-fail",
          "One-head transformers with hidden size below d fail to learn in-context linear regression",
          "Fig. 6",
          f"every width with hidden < {NARROW_BELOW:g}d has error/d ≥ {FAIL_ERROR:g} with ≥ d examples "
          "(value: the lowest such error)",
          narrow_fail, paper_value="hidden 8 and 16 at d = 20 (0.4d, 0.8d) fail"),
    Claim("wide-widths-match-least-squares",
          "With hidden size of order d (≥ 1.6d) they match least squares",
          "Fig. 6",
          f"every width with hidden ≥ {WIDE_FROM:g}d has error/d ≤ {MATCH_ERROR:g} with ≥ d examples "
          "(value: the highest such error)",
          wide_match, paper_value="hidden 32 and 64 at d = 20 (1.6d, 3.2d) match least squares"),
    Claim("error-falls-with-width",
          "The error decreases as the hidden size grows",
          "Fig. 6",
          "error/d with ≥ d examples strictly decreases from each width to the next wider one "
          "(value: the largest change, negative when it holds)",
          error_falls_with_width, paper_value="8, 16 fail; 32, 64 match"),
)

"""Intervals over replicates (iclx.framework.stats): the Student-t interval of a mean, the jackknife interval
of a smooth statistic, and their coverage on synthetic replicates of known mean and spread."""

import math

import numpy as np
import pytest

from iclx.framework import stats


def test_mean_band_is_a_student_t_interval():
    values = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])            # 3 seeds, 2 points
    mean, lo, hi = stats.mean_band(values)
    np.testing.assert_allclose(mean, [3.0, 2.0])
    half = 4.302652729911275 * 2.0 / np.sqrt(3)                        # t_{0.975, 2} · sd / √3
    np.testing.assert_allclose(hi - mean, [half, 0.0], rtol=1e-3)
    np.testing.assert_allclose(mean - lo, [half, 0.0], rtol=1e-3)


def test_the_jackknife_interval_of_a_mean_is_the_t_interval():
    values = np.random.default_rng(3).normal(2.0, 0.5, size=7)
    est = stats.mean_of(values)
    _, lo, hi = stats.mean_band(values[:, None])
    assert est.value == pytest.approx(values.mean())
    assert (est.low, est.high) == pytest.approx((lo[0], hi[0]), rel=1e-12)
    assert est.replicates == 7 and est.axis == "seeds"


def test_t_quantiles():
    assert stats.t_quantile_975(1) == pytest.approx(12.706)
    assert stats.t_quantile_975(4) == pytest.approx(2.776)
    assert stats.t_quantile_975(60) == pytest.approx(2.000, abs=2e-3)      # table: 2.0003
    assert stats.t_quantile_975(1000) == pytest.approx(1.962, abs=2e-3)


def _coverage(statistic, truth, draw, n_trials: int = 2000) -> float:
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(n_trials):
        est = stats.estimate(statistic, *draw(rng))
        hits += est.low <= truth <= est.high
    return hits / n_trials


@pytest.mark.parametrize("replicates", [3, 5, 20])
def test_interval_of_a_mean_covers_95_percent(replicates):
    coverage = _coverage(np.mean, 1.0, lambda rng: (rng.normal(1.0, 2.0, replicates),))
    assert 0.935 <= coverage <= 0.965          # binomial sd at 2000 trials ≈ 0.005


def test_interval_of_a_ratio_of_means_covers_about_95_percent():
    """A smooth function of means (what most claims compute): the ratio of two seeds' means."""
    ratio = lambda a, b: a.mean() / b.mean()
    coverage = _coverage(ratio, 0.5, lambda rng: (rng.normal(1.0, 0.2, 10), rng.normal(2.0, 0.2, 10)))
    assert 0.92 <= coverage <= 0.97


def test_one_replicate_has_no_noise_estimate_and_exact_values_have_no_interval():
    est = stats.mean_of(np.array([0.3]))
    assert est.value == 0.3 and est.low == -math.inf and est.high == math.inf
    exact = stats.exact(0.25)
    assert (exact.low, exact.high, exact.axis) == (0.25, 0.25, "exact")


def test_samples_must_share_the_replicate_axis():
    with pytest.raises(ValueError, match="replicates"):
        stats.estimate(lambda a, b: a.mean() - b.mean(), np.ones(3), np.ones(4))

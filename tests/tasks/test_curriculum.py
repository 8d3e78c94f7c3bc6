"""The curriculum (iclx.tasks.curriculum): active dimensions and points grow on schedule."""

import jax
import numpy as np

from iclx.tasks.curriculum import Curriculum
from iclx.tasks.linear import LinearRegressionTask


def test_curriculum_truncates_dimensions_and_grows():
    task = LinearRegressionTask(n_dims=6, n_points=5, covariance="two_level", kappa=10.0)
    p = task.sample_batch(jax.random.key(0), 8, d_active=3)
    assert np.all(np.asarray(p.xs)[..., 3:] == 0) and np.all(np.asarray(p.w)[..., 3:] == 0)
    assert np.abs(np.asarray(p.xs)[..., :3]).min() >= 0 and np.abs(np.asarray(p.xs)[..., :3]).max() > 0
    cur = Curriculum(dims_start=2, dims_end=6, dims_inc=1, points_start=3, points_end=9,
                     points_inc=2, interval=10)
    got = [tuple(int(v) for v in cur.active(s)) for s in (0, 9, 10, 25, 1000)]
    assert got == [(2, 3), (2, 3), (3, 5), (4, 7), (6, 9)]

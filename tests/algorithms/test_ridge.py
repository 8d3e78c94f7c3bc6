"""The ridge readout (iclx.algorithms.ridge) against numpy."""

import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms.ridge import ridge_fit


@pytest.mark.parametrize("n,p", [(30, 8), (8, 30)])
def test_ridge_against_numpy(x64, n, p):
    X_ = np.random.default_rng(0).normal(size=(n, p))
    y = np.random.default_rng(1).normal(size=n)
    lam = 0.3
    ref = np.linalg.solve(X_.T @ X_ + n * lam * np.eye(p), X_.T @ y)
    np.testing.assert_allclose(ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam), ref, rtol=1e-9)
    # masked rows: the same as fitting on the first m rows
    m = n // 2
    ref_m = np.linalg.solve(X_[:m].T @ X_[:m] + m * lam * np.eye(p), X_[:m].T @ y[:m])
    np.testing.assert_allclose(ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam, n=m), ref_m, rtol=1e-9)

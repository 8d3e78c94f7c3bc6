"""The ridge readout (iclx.algorithms.ridge) against numpy, in both normalisations of λ."""

import jax.numpy as jnp
import numpy as np
import pytest

from iclx.algorithms.ridge import ridge_fit


@pytest.mark.parametrize("n,p", [(30, 8), (8, 30)])
@pytest.mark.parametrize("convention", ["mean", "sum"])
def test_ridge_against_numpy(x64, n, p, convention):
    X_ = np.random.default_rng(0).normal(size=(n, p))
    y = np.random.default_rng(1).normal(size=n)
    lam = 0.3
    reg = lambda rows: (rows * lam if convention == "mean" else lam)
    ref = np.linalg.solve(X_.T @ X_ + reg(n) * np.eye(p), X_.T @ y)
    fit = ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam, convention=convention)
    np.testing.assert_allclose(fit, ref, rtol=1e-9)
    # masked rows: the same as fitting on the first m rows
    m = n // 2
    ref_m = np.linalg.solve(X_[:m].T @ X_[:m] + reg(m) * np.eye(p), X_[:m].T @ y[:m])
    fit_m = ridge_fit(jnp.asarray(X_), jnp.asarray(y), lam, n=m, convention=convention)
    np.testing.assert_allclose(fit_m, ref_m, rtol=1e-9)


def test_conventions_differ_by_the_factor_n(x64):
    # "mean" with λ equals "sum" with n·λ; an unknown convention is refused
    X_ = jnp.asarray(np.random.default_rng(2).normal(size=(12, 5)))
    y = jnp.asarray(np.random.default_rng(3).normal(size=12))
    np.testing.assert_allclose(ridge_fit(X_, y, 0.01), ridge_fit(X_, y, 0.12, convention="sum"), rtol=1e-10)
    assert not np.allclose(ridge_fit(X_, y, 0.01), ridge_fit(X_, y, 0.01, convention="sum"))
    with pytest.raises(ValueError):
        ridge_fit(X_, y, 0.01, convention="median")

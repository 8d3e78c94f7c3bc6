"""The linear-regression prompt generator (iclx.tasks.linear): shapes, determinism, and the
statistics it promises."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from iclx.tasks.linear import LinearRegressionTask


def test_shapes_and_determinism():
    task = LinearRegressionTask(n_dims=5, n_points=7)
    a = task.sample_batch(jax.random.key(1), 3)
    b = task.sample_batch(jax.random.key(1), 3)
    c = task.sample_batch(jax.random.key(2), 3)
    assert a.xs.shape == (3, 7, 5) and a.ys.shape == (3, 7) and a.w.shape == (3, 5)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.allclose(a.xs, c.xs)
    np.testing.assert_allclose(a.ys, jnp.einsum("bnd,bd->bn", a.xs, a.w), rtol=1e-5, atol=1e-5)


def test_isotropic_statistics():
    task = LinearRegressionTask(n_dims=4, n_points=64)
    p = task.sample_batch(jax.random.key(0), 2000)
    x = np.asarray(p.xs).reshape(-1, 4)
    np.testing.assert_allclose(np.cov(x.T), np.eye(4), atol=0.02)
    np.testing.assert_allclose(np.asarray(p.w).std(axis=0), 1.0, atol=0.05)


@pytest.mark.parametrize("covariance,kappa", [("two_level", 100.0), ("geometric", 30.0)])
def test_per_prompt_covariance_spectrum_and_condition_number(covariance, kappa):
    d = 6
    task = LinearRegressionTask(n_dims=d, n_points=60_000, covariance=covariance, kappa=kappa)
    spectrum = np.sort(np.asarray(task.spectrum()))[::-1]
    assert spectrum.sum() == pytest.approx(d, rel=1e-5)            # tr Σ = d
    assert spectrum[0] / spectrum[-1] == pytest.approx(kappa, rel=1e-4)
    prompt = task.sample(jax.random.key(3))
    empirical = np.sort(np.linalg.eigvalsh(np.cov(np.asarray(prompt.xs).T)))[::-1]
    np.testing.assert_allclose(empirical, spectrum, rtol=0.05, atol=0.002)


def test_fu_two_level_spectrum():
    task = LinearRegressionTask(n_dims=20, n_points=4, covariance="two_level", kappa=100.0)
    eigs = np.asarray(task.spectrum())
    np.testing.assert_allclose(eigs[:10], 200 / 101, rtol=1e-5)    # ≈ 1.980
    np.testing.assert_allclose(eigs[10:], 2 / 101, rtol=1e-5)      # ≈ 0.0198


def test_random_basis_per_prompt_and_identity_basis():
    random = LinearRegressionTask(n_dims=3, n_points=20_000, covariance="two_level", kappa=50.0)
    covs = [np.cov(np.asarray(random.sample(jax.random.key(s)).xs).T) for s in (0, 1)]
    assert np.abs(covs[0] - covs[1]).max() > 0.1                    # eigenbases differ
    fixed = LinearRegressionTask(n_dims=3, n_points=20_000, covariance="two_level", kappa=50.0,
                                 basis="identity")
    cov = np.cov(np.asarray(fixed.sample(jax.random.key(0)).xs).T)
    assert np.abs(cov - np.diag(np.diag(cov))).max() < 0.03
    basis = np.asarray(random.basis_matrix(jax.random.key(5)))
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-5)


def test_label_noise_level():
    task = LinearRegressionTask(n_dims=3, n_points=100, noise_std=0.1)
    p = task.sample_batch(jax.random.key(0), 400)
    residual = np.asarray(p.ys - jnp.einsum("bnd,bd->bn", p.xs, p.w))
    assert residual.std() == pytest.approx(0.1, rel=0.03)
    assert abs(residual.mean()) < 0.005
